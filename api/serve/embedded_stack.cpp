#include "api/serve/embedded_stack.hpp"

#include "api/http/routes.hpp"
#include "api/serve/wiring.hpp"

#include <fmt/format.h>

namespace salonq::api {

std::expected<std::unique_ptr<embedded_stack>, std::string> embedded_stack::open(embedded_stack_options o) {
    std::unique_ptr<embedded_stack> s{new embedded_stack()};
    s->options_ = std::move(o);
    auto& opt = s->options_;

    // The read side's other consumers are woken by the views' feed, once it has applied a round and handed it to the
    // decoded tail they read (the stats read no further than the views, below).
    opt.engine.on_committed = [feed = &s->feed_](std::span<engine::runtime::outcome const* const> decided) {
        feed->on_committed(decided);
    };
    auto engine = engine::runtime::embedded_engine::open(opt.data, opt.engine);
    if (!engine) {
        return std::unexpected(fmt::format("cannot open {}: {}", opt.data.string(), engine.error().message));
    }
    s->engine_ = std::move(*engine);
    s->tail_ = std::make_unique<engine::runtime::decoded_tail>(s->engine_->events());
    s->gateway_ = std::make_unique<embedded_gateway>(*s->engine_, &s->feed_);
    if (auto started = s->notify_.start(opt.data / "notify", s->engine_->partition_count(), *s->tail_, opt.notify);
        !started) {
        return std::unexpected(started.error());
    }
    if (auto started = s->loyalty_.start(opt.data, *s->tail_, s->engine_->partition_count()); !started) {
        return std::unexpected(started.error());
    }

    auto views = open_views(opt.data, s->engine_->partition_count(), false);
    if (!views) {
        return std::unexpected(views.error());
    }
    s->views_ = std::move(*views);
    auto joins = std::make_shared<projections::join_board>(); // the views' join-time estimates, for the stats
    s->views_->post_joins_to(joins);
    s->hub_ = make_live_hub(*s->views_);
    s->feed_.feed_tail(*s->tail_);
    if (auto attached = s->feed_.attach(*s->views_, s->engine_->events(), *s->hub_, opt.before_views_apply,
                                        [stack = s.get()] {
                                            stack->stats_.wake();
                                            stack->notify_.wake();
                                            stack->loyalty_.wake();
                                        });
        !attached) {
        return std::unexpected("the queue views could not catch up with the log: " + attached.error().message);
    }

    // Behind the views, so that each walk-in's join-time estimate is on the board when the stats read its event.
    auto behind = [views = s->views_.get()](engine::partition_id p) { return views->next_offset(p); };
    if (auto stats = s->stats_.start(opt.data / "stats", *s->tail_, s->engine_->partition_count(), engine::wall_now,
                                     std::move(joins), std::move(behind));
        !stats) {
        return std::unexpected(stats.error());
    }
    s->rebuilder_ = make_rebuilder(rebuilder::shared(s->engine_->events()), opt.data, s->engine_->partition_count(),
                                   false, {*s->views_, *s->stats_.store(), *s->loyalty_.store()});

    auto auth = open_authenticator(opt.data, opt.keyring);
    if (!auth) {
        return std::unexpected(auth.error());
    }
    s->auth_ = std::move(*auth);
    s->ports_ = make_services(opt.http, *s->gateway_, *s->auth_, s->metrics_, *s->hub_, *s->views_);
    s->ports_->projections = s->rebuilder_.get();
    s->ports_->notifications = s->notify_.store();
    s->ports_->loyalty = s->loyalty_.store();
    s->ports_->webhook_allow_private = opt.notify.allow_private;
    s->notify_.add_metrics(s->metrics_, s->engine_->events());
    s->ports_->stats = s->stats_.store();
    s->ports_->staffing = s->stats_.staffing();
    add_live_gauge(s->metrics_, *s->hub_);
    s->metrics_.gauge("salonq_projection_lag_events", "Events in the log not yet in the queue views.",
                      [stack = s.get()] {
                          double lag = 0;
                          for (std::int32_t p = 0; p < stack->views_->partition_count(); ++p) {
                              auto end = stack->engine_->events().end_offset(engine::partition_id{p});
                              auto const next = stack->views_->next_offset(engine::partition_id{p}).value();
                              lag += end ? static_cast<double>(end->value() - next) : 0;
                          }
                          return lag;
                      });
    auto server = http::server::open(opt.http, *s->ports_, http::served_routes());
    if (!server) {
        return std::unexpected(server.error());
    }
    s->server_ = std::move(*server);
    return s;
}

embedded_stack::~embedded_stack() {
    // run() has returned: no thread runs the server's io_context any more. The engine goes before the server: its
    // last completions may still hold a POST's decision timer, which must be destroyed while that io_context exists
    // (they post to it; what they posted is destroyed with it).
    rebuilder_.reset(); // a rebuild under way stops; the stores serve on as they were
    feed_.detach();     // the engine's last batches no longer reach the views
    notify_.stop();     // nothing reads the events log after this; the hook's wake() does nothing now
    stats_.stop();      // nor the stats (the next start folds them from the log)
    loyalty_.stop();    // nor the loyalty ledger
    engine_.reset();    // finishes what was submitted, closes the log
    server_.reset();
}

void embedded_stack::run(bool on_signals, std::function<void()> const& serving) { server_->run(on_signals, serving); }
void embedded_stack::stop() { server_->stop(); }
std::uint16_t embedded_stack::port() const noexcept { return server_->port(); }

} // namespace salonq::api
