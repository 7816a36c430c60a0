#include "api/cli/projections_command.hpp"

#include "api/serve/rebuild_targets.hpp"
#include "engine/runtime/rebuild.hpp"
#include "engine/store/rocks_store.hpp"
#include "replay/run/progress.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
        "rebuild", "Fold the whole events log into a fresh store and make it current (with the server stopped; a "
                   "running server: POST /v1/admin/projections/{name}/rebuild)");
    rebuild
        ->add_option("name", po.name,
                     "Which projection: views (the queue views), stats (GET .../stats and .../staffing) or loyalty "
                     "(the points ledger); default views")
        ->check(CLI::IsMember(rebuild_target_names()));
    rebuild->add_flag("--quiet,-q", po.quiet, "No progress on stderr");
    return rebuild;
}

int run_projections_rebuild(store_options const& so, projections_options const& po) {
    auto view = open_view(so);
    if (!view) {
        return fail(view.error(), 2);
    }
    auto& events = (*view)->events();
    auto const target = rebuild_target_named(po.name, events.partition_count());
    if (!target) {
        return fail(fmt::format("no projection named '{}' (one of {})", po.name, rebuild_target_names()));
    }
    engine::runtime::generations const gens{so.data / po.name};
    auto const dir = gens.current();
    if (!dir) {
        return fail(dir.error());
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

} // namespace salonq::api
