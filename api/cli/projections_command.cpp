#include "api/cli/projections_command.hpp"

#include "api/serve/rebuild_targets.hpp"
#include "engine/kafka/settings.hpp"
#include "engine/kafka/topic_log_reader.hpp"
#include "engine/runtime/rebuild.hpp"
#include "engine/store/rocks_store.hpp"
#include "replay/run/progress.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace salonq::api {
namespace {

int fail(std::string const& message, int code = 1) {
    std::cerr << "salonq projections rebuild: " << message << "\n";
    return code;
}

// Why the store at `dir` did not open: a running serve holds it (its RocksDB LOCK), or what the open said.
int not_opened(std::filesystem::path const& dir, std::string const& name, std::string const& why) {
    engine::store::open_options probe;
    probe.create_if_missing = false;
    auto const held = engine::store::rocks_store::open(dir, probe);
    if (held || held.error().code != engine::store::errc::busy) {
        return fail(why);
    }
    return fail(fmt::format("{}\na running salonq serve has the {} open: rebuild through it, without downtime:\n"
                            "  curl -X POST -H \"Authorization: Bearer $ADMIN_TOKEN\" "
                            "http://HOST:PORT/v1/admin/projections/{}/rebuild",
                            held.error().message, dir.filename().string(), name),
                2);
}

} // namespace

CLI::App* add_projections_command(CLI::App& app, projections_options& po) {
    auto* projections = app.add_subcommand(
        "projections", "The read models the server keeps: the queue views, the stats and the loyalty ledger");
    projections->require_subcommand(1);
    auto* rebuild = projections->add_subcommand(
        "rebuild", "Fold the whole events log into a fresh store and make it current, with the server stopped (a "
                   "running server: POST /v1/admin/projections/{name}/rebuild); with --brokers, an api instance's "
                   "store in its --data, from salonq.events");
    rebuild
        ->add_option("name", po.name,
                     "Which projection: views (the queue views), stats (GET .../stats and .../staffing) or loyalty "
                     "(the points ledger); default views")
        ->check(CLI::IsMember(rebuild_target_names()));
    rebuild->add_flag("--quiet,-q", po.quiet, "No progress on stderr");
    return rebuild;
}

namespace {

// Rebuilds the store po.name names in `data` from `events` (the whole log as of now) and makes the fresh generation
// current; the exit code. `index_outcomes`: the views keep the outcome index (Kafka mode's api role). `must_exist`:
// a store that is not there yet is an error (Kafka mode: `data` is an api instance's, which made all three at start).
int rebuild_store(std::filesystem::path const& data, engine::log::reader& events, bool index_outcomes, bool must_exist,
                  projections_options const& po) {
    auto const target = rebuild_target_named(po.name, events.partition_count(), index_outcomes);
    if (!target) {
        return fail(fmt::format("no projection named '{}' (one of {})", po.name, rebuild_target_names()));
    }
    engine::runtime::generations const gens{data / po.name};
    auto const dir = gens.current();
    if (!dir) {
        return fail(dir.error());
    }
    if (must_exist && !std::filesystem::exists(*dir)) {
        return fail(fmt::format("nothing to rebuild in {}: an api instance keeps {} there once it has run (give "
                                "that instance's --data)",
                                dir->string(), target->what),
                    2);
    }
    auto live = target->open(*dir);
    if (!live) {
        return not_opened(*dir, po.name, live.error());
    }
    replay::progress shown{replay::progress::for_stderr(po.quiet), 0, stderr, "rebuild " + po.name};
    std::uint64_t folded = 0;
    auto rebuilt =
        engine::runtime::rebuild(**live, gens, events, target->open, [&](engine::runtime::rebuild_progress const& p) {
            folded = p.read;
            shown.update(p.read, p.total);
            return true;
        });
    if (!rebuilt) {
        return fail(fmt::format("{}; {} in {} are as they were", rebuilt.error(), target->what, dir->string()));
    }
    shown.done(folded); // every entry read was folded into the fresh store
    std::cout << fmt::format("salonq projections rebuild: {} rebuilt into {} from {} entries\n", po.name,
                             gens.current().value_or(*dir).string(), folded);
    return 0;
}

// Kafka mode: an api instance's store, from salonq.events (every partition, read_committed, no consumer group,
// nothing committed), through the reader a running instance's rebuilds use.
int rebuild_from_kafka(store_options const& so, kafka_options const& ko, projections_options const& po) {
    auto events = engine::kafka::topic_log_reader::open(kafka_settings(ko), engine::kafka::events_topic);
    if (!events) {
        return fail(fmt::format("cannot read {}: {}", engine::kafka::events_topic, events.error().message), 2);
    }
    return rebuild_store(so.data, **events, /*index_outcomes=*/true, /*must_exist=*/true, po);
}

// Whether `data` holds any of the projections' stores (a generation made current, or the first one's directory).
bool holds_projection_stores(std::filesystem::path const& data) {
    return std::ranges::any_of(rebuild_target_names(), [&](std::string const& name) {
        auto const dir = engine::runtime::generations{data / name}.current();
        std::error_code ignored;
        return dir && std::filesystem::exists(*dir, ignored);
    });
}

} // namespace

int run_projections_rebuild(store_options const& so, kafka_options const& ko, projections_options const& po) {
    // An embedded serve's data directory holds the engine's own log (a RocksDB with the partition layout, what
    // open_view reads) beside the same three stores an api instance keeps: each mode's stores fold its own log only.
    auto view = open_view(so);
    if (!ko.brokers.empty()) {
        if (view) {
            return fail(fmt::format("{} holds an embedded engine's log (serve, submit or demo without --brokers "
                                    "wrote it): its projections fold that log, not {}; rebuild them without --brokers",
                                    so.data.string(), engine::kafka::events_topic),
                        2);
        }
        return rebuild_from_kafka(so, ko, po);
    }
    if (!view) {
        if (holds_projection_stores(so.data)) {
            return fail(fmt::format("{} holds no embedded engine's log but an api instance's stores (Kafka mode): "
                                    "they fold {}; rebuild them from it with --brokers H:P",
                                    so.data.string(), engine::kafka::events_topic),
                        2);
        }
        return fail(view.error(), 2);
    }
    return rebuild_store(so.data, (*view)->events(), /*index_outcomes=*/false, /*must_exist=*/false, po);
}

} // namespace salonq::api
