#include "api/gateway/embedded_feed.hpp"

namespace salonq::api {

embedded_feed::~embedded_feed() { detach(); }

void embedded_feed::on_committed(std::span<engine::runtime::outcome const* const> decided) {
    auto* views = views_.load(std::memory_order_acquire);
    if (views == nullptr) {
        return; // not attached yet: attach() catches up from the log
    }
    for (auto const* o : decided) {
        auto applied = views->apply(o->partition, o->first_offset, o->entries);
        if (!applied && applied.error().code == projections::errc::offset_ahead) {
            catch_up(); // entries committed before attach() and not yet read: the log has them, these included
        } else if (!applied) {
            log_.error("the queue views could not apply partition {} offset {}: {}", o->partition.value(),
                       o->first_offset.value(), applied.error().message);
        }
    }
}

std::expected<void, projections::error> embedded_feed::attach(projections::queue_views& views,
                                                              engine::log::reader& events, http::live_hub& hub) {
    events_ = &events;
    subscription_ = views.subscribe([&hub](projections::change const& c) {
        if (c.now) {
            hub.publish(c.salon.value(), http::make_frame(c.seq.value(), c.now->json));
        }
    });
    views_.store(&views, std::memory_order_release);
    return views.catch_up(events);
}

void embedded_feed::detach() {
    if (auto* views = views_.exchange(nullptr)) {
        views->unsubscribe(subscription_);
    }
}

void embedded_feed::catch_up() {
    auto* views = views_.load(std::memory_order_acquire);
    if (views == nullptr || events_ == nullptr) {
        return;
    }
    if (auto caught = views->catch_up(*events_); !caught) {
        log_.error("the queue views could not catch up with the events log: {}", caught.error().message);
    }
}

} // namespace salonq::api
