#include "api/serve/views_rebuilder.hpp"

#include "projections/queue/observed_estimator.hpp"
#include "projections/store/rebuild.hpp"

namespace salonq::api {
namespace {

constexpr std::string_view views_name = "views";
constexpr auto log_every = std::chrono::seconds{5};

} // namespace

views_rebuilder::views_rebuilder(projections::queue_views& views, engine::log::reader& events,
                                 projections::generations gens)
    : views_(views), events_(events), gens_(std::move(gens)) {
    status_.name = views_name;
    status_.state = "idle";
}

views_rebuilder::~views_rebuilder() {
    stopping_ = true;
    if (worker_.joinable()) {
        worker_.join();
    }
}

http::projection_admin::start_result views_rebuilder::start_rebuild(std::string const& name) {
    if (name != views_name) {
        return start_result::unknown;
    }
    std::scoped_lock lock{mutex_};
    if (status_.state == "running") {
        return start_result::running;
    }
    if (worker_.joinable()) {
        worker_.join(); // the last one has finished: its state says so
    }
    status_.state = "running";
    status_.read = 0;
    status_.total = 0;
    status_.started = std::chrono::system_clock::now();
    status_.finished.reset();
    status_.error.clear();
    worker_ = std::thread{[this] { run(); }};
    return start_result::started;
}

std::vector<http::rebuild_status> views_rebuilder::status() const {
    std::scoped_lock lock{mutex_};
    auto s = status_;
    s.directory = gens_.current().filename().string();
    return {s};
}

bool views_rebuilder::record(projections::rebuild_progress const& p) {
    std::scoped_lock lock{mutex_};
    status_.read = p.read;
    status_.total = p.total;
    auto const now = std::chrono::steady_clock::now();
    if (now - logged_ >= log_every) {
        logged_ = now;
        log_.info("rebuilding the queue views: {} of {} entries", p.read, p.total);
    }
    return !stopping_.load();
}

void views_rebuilder::run() {
    log_.info("rebuilding the queue views into {} while they serve", gens_.next().string());
    auto rebuilt =
        projections::rebuild_views(views_, gens_, events_, std::make_unique<projections::observed_estimator>(),
                                   [this](projections::rebuild_progress const& p) { return record(p); });
    std::scoped_lock lock{mutex_};
    status_.finished = std::chrono::system_clock::now();
    if (rebuilt) {
        status_.state = "done";
        log_.info("the queue views were rebuilt from {} entries; {} serves", status_.read, gens_.current().string());
    } else {
        status_.state = "failed";
        status_.error = rebuilt.error().message;
        log_.error("rebuilding the queue views failed (they serve on as they were): {}", rebuilt.error().message);
    }
}

} // namespace salonq::api
