#include "api/gateway/embedded_feed.hpp"

#include "api/gateway/live_bridge.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace salonq::api {

embedded_feed::~embedded_feed() { detach(); }

void embedded_feed::on_committed(std::span<engine::runtime::outcome const* const> batch) {
    auto* views = views_.load(std::memory_order_acquire);
    if (views == nullptr) {
        return; // not attached yet: attach() catches up from the log
    }
    // A batch interleaves the worker's partitions; by partition and offset, each partition's outcomes are runs.
    std::vector<engine::runtime::outcome const*> decided(batch.begin(), batch.end());
    std::ranges::sort(decided, [](auto const* a, auto const* b) {
        return std::pair{a->partition.value(), a->first_offset.value()} <
               std::pair{b->partition.value(), b->first_offset.value()};
    });
    // One apply per run of outcomes at consecutive offsets of one partition (a batch of a busy partition is one
    // run): the views write each changed salon once per apply, not once per command.
    std::vector<engine::log_entry> run;
    std::size_t first = 0;
    for (std::size_t i = 0; i < decided.size(); ++i) {
        auto const& o = *decided[i];
        bool const continues = i + 1 < decided.size() && decided[i + 1]->partition == o.partition &&
                               decided[i + 1]->first_offset.value() ==
                                   o.first_offset.value() + static_cast<std::int64_t>(o.entries.size());
        if (i == first && !continues) {
            apply(*views, o.partition, o.first_offset, o.entries); // a run of one: no copy
        } else {
            run.insert(run.end(), o.entries.begin(), o.entries.end());
            if (!continues) {
                apply(*views, decided[first]->partition, decided[first]->first_offset, run);
                run.clear();
            }
        }
        if (!continues) {
            first = i + 1;
        }
    }
}

void embedded_feed::apply(projections::queue_views& views, engine::partition_id p, engine::offset_t first,
                          std::span<engine::log_entry const> entries) {
    auto applied = views.apply(p, first, entries);
    if (!applied && applied.error().code == projections::errc::offset_ahead) {
        catch_up(); // entries committed before attach() and not yet read: the log has them, these included
    } else if (!applied) {
        log_.error("the queue views could not apply partition {} offset {}: {}", p.value(), first.value(),
                   applied.error().message);
    }
}

std::expected<void, projections::error> embedded_feed::attach(projections::queue_views& views,
                                                              engine::log::reader& events, http::live_hub& hub) {
    events_ = &events;
    subscription_ = publish_changes(views, hub);
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
