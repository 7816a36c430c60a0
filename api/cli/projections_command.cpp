#include "api/cli/projections_command.hpp"

#include "projections/queue/observed_estimator.hpp"
#include "projections/store/rebuild.hpp"
#include "replay/run/progress.hpp"

#include <fmt/format.h>

#include <iostream>

namespace salonq::api {
namespace {

int fail(std::string const& message, int code = 1) {
    std::cerr << "salonq projections rebuild: " << message << "\n";
    return code;
}

} // namespace

CLI::App* add_projections_command(CLI::App& app, projections_options& po) {
    auto* projections = app.add_subcommand("projections", "The read models the server keeps (the queue views)");
    projections->require_subcommand(1);
    auto* rebuild = projections->add_subcommand(
        "rebuild", "Fold the whole events log into a fresh store and make it current (with the server stopped; a "
                   "running server: POST /v1/admin/projections/views/rebuild)");
    rebuild->add_option("name", po.name, "Which projection: views (the queue views)")->check(CLI::IsMember({"views"}));
    rebuild->add_flag("--quiet,-q", po.quiet, "No progress on stderr");
    return rebuild;
}

int run_projections_rebuild(store_options const& so, projections_options const& po) {
    auto view = open_view(so);
    if (!view) {
        return fail(view.error(), 2);
    }
    auto& events = (*view)->events();
    projections::generations const gens{so.data / po.name};
    auto live = projections::queue_views::open(gens.current(), events.partition_count(),
                                               std::make_unique<projections::observed_estimator>());
    if (!live) {
        if (live.error().code == projections::errc::busy) {
            return fail(fmt::format("{}\na running salonq serve has the {} open: rebuild through it, without "
                                    "downtime:\n  curl -X POST -H \"Authorization: Bearer $ADMIN_TOKEN\" "
                                    "http://HOST:PORT/v1/admin/projections/{}/rebuild",
                                    live.error().message, po.name, po.name),
                        2);
        }
        return fail(live.error().message);
    }
    replay::progress shown{replay::progress::for_stderr(po.quiet), 0, stderr, "rebuild " + po.name};
    std::uint64_t folded = 0;
    auto rebuilt = projections::rebuild_views(**live, gens, events, std::make_unique<projections::observed_estimator>(),
                                              [&](projections::rebuild_progress const& p) {
                                                  folded = p.read;
                                                  shown.update(p.read, p.total);
                                                  return true;
                                              });
    if (!rebuilt) {
        return fail(fmt::format("{} ({}); the views in {} are as they were", rebuilt.error().message,
                                projections::to_string(rebuilt.error().code), gens.current().string()));
    }
    shown.done(folded); // every entry read was folded into the fresh store
    auto const health = (*live)->health();
    std::cout << fmt::format("salonq projections rebuild: {} rebuilt into {}; {} broken salons\n", po.name,
                             gens.current().string(), health.broken.size());
    return 0;
}

} // namespace salonq::api
