#include "api/serve/rebuilder.hpp"

#include <algorithm>

namespace salonq::api {
namespace {

constexpr auto log_every = std::chrono::seconds{5};

} // namespace

rebuilder::events_source rebuilder::shared(engine::log::reader& events) {
    return [&events] {
        // Aliasing an empty owner: the pointer is `events`, and nothing is deleted when the last copy goes.
        return std::expected<std::shared_ptr<engine::log::reader>, std::string>{
            std::shared_ptr<engine::log::reader>{std::shared_ptr<void>{}, &events}};
    };
}

rebuilder::~rebuilder() {
    stopping_ = true;
    for (auto& p : projections_) {
        if (p->worker.joinable()) {
            p->worker.join();
        }
    }
}

void rebuilder::add(rebuild_target target, engine::runtime::rebuildable& live, engine::runtime::generations gens) {
    http::rebuild_status status;
    status.name = target.name;
    status.state = "idle";
    std::scoped_lock lock{mutex_};
    projections_.push_back(std::unique_ptr<projection>{
        new projection{std::move(target), live, std::move(gens), std::move(status), {}, {}}});
}

http::projection_admin::start_result rebuilder::start_rebuild(std::string const& name) {
    auto it = std::ranges::find_if(projections_, [&](auto const& p) { return p->target.name == name; });
    if (it == projections_.end()) {
        return start_result::unknown;
    }
    auto& p = **it;
    std::scoped_lock lock{mutex_};
    if (p.status.state == "running") {
        return start_result::running;
    }
    if (p.worker.joinable()) {
        p.worker.join(); // the last one has finished: its state says so
    }
    p.status.state = "running";
    p.status.read = 0;
    p.status.total = 0;
    p.status.started = std::chrono::system_clock::now();
    p.status.finished.reset();
    p.status.error.clear();
    p.worker = std::thread{[this, &p] { run(p); }};
    return start_result::started;
}

std::vector<http::rebuild_status> rebuilder::status() const {
    std::vector<http::rebuild_status> out;
    std::scoped_lock lock{mutex_};
    for (auto const& p : projections_) {
        auto s = p->status;
        auto const dir = p->gens.current();
        s.directory = dir ? dir->filename().string() : dir.error();
        out.push_back(std::move(s));
    }
    return out;
}

bool rebuilder::record(projection& p, engine::runtime::rebuild_progress const& progress) {
    std::scoped_lock lock{mutex_};
    p.status.read = progress.read;
    p.status.total = progress.total;
    auto const now = std::chrono::steady_clock::now();
    if (now - p.logged >= log_every) {
        p.logged = now;
        log_.info("rebuilding {}: {} of {} entries", p.target.what, progress.read, progress.total);
    }
    return !stopping_.load();
}

void rebuilder::run(projection& p) {
    log_.info("rebuilding {} while serving", p.target.what);
    auto events = events_();
    auto rebuilt = events ? engine::runtime::rebuild(p.live, p.gens, **events, p.target.open,
                                                     [this, &p](auto const& progress) { return record(p, progress); })
                          : std::unexpected("the events log's reader: " + events.error());
    events = std::unexpected(std::string{}); // a Kafka reader closes here, not under the lock status() takes
    std::scoped_lock lock{mutex_};
    p.status.finished = std::chrono::system_clock::now();
    if (rebuilt) {
        p.status.state = "done";
        log_.info("rebuilt {} from {} entries; {} serves", p.target.what, p.status.read,
                  p.gens.current().value_or(std::filesystem::path{}).string());
    } else {
        p.status.state = "failed";
        p.status.error = rebuilt.error();
        log_.error("rebuilding {} failed (the store serves on as it was): {}", p.target.what, rebuilt.error());
    }
}

} // namespace salonq::api
