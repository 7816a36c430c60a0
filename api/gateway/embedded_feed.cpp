#include "api/gateway/embedded_feed.hpp"

#include "api/gateway/live_bridge.hpp"
#include "engine/runtime/thread_role.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

namespace salonq::api {

embedded_feed::~embedded_feed() { detach(); }

void embedded_feed::on_committed(std::span<engine::runtime::outcome const* const> batch) {
    if (views_.load(std::memory_order_acquire) == nullptr) {
        return; // not attached yet: attach() catches up from the log
    }
    // A batch interleaves the worker's partitions; by partition and offset, each partition's outcomes are runs.
    std::vector<engine::runtime::outcome const*> decided(batch.begin(), batch.end());
    std::ranges::sort(decided, [](auto const* a, auto const* b) {
        return std::pair{a->partition.value(), a->first_offset.value()} <
               std::pair{b->partition.value(), b->first_offset.value()};
    });
    // One run per stretch of outcomes at consecutive offsets of one partition (a batch of a busy partition is one
    // run): the views write each changed salon once per apply, not once per command.
    std::vector<run> runs;
    for (auto const* o : decided) {
        if (runs.empty() || runs.back().partition != o->partition ||
            runs.back().first.value() + static_cast<std::int64_t>(runs.back().entries.size()) !=
                o->first_offset.value()) {
            runs.push_back(run{o->partition, o->first_offset, {}});
        }
        auto& entries = runs.back().entries;
        entries.insert(entries.end(), o->entries.begin(), o->entries.end());
    }
    {
        std::scoped_lock lock{mutex_};
        std::ranges::move(runs, std::back_inserter(queue_));
    }
    wake_.notify_one();
}

std::expected<void, projections::error> embedded_feed::attach(projections::queue_views& views,
                                                              engine::log::reader& events, http::live_hub& hub,
                                                              apply_hook before_apply, apply_hook after_apply) {
    events_ = &events;
    before_apply_ = std::move(before_apply);
    after_apply_ = std::move(after_apply);
    subscription_ = publish_changes(views, hub);
    auto const partitions = static_cast<std::size_t>(views.partition_count());
    {
        std::scoped_lock lock{mutex_};
        applied_.assign(partitions, 0);
        waiters_.resize(partitions);
        attached_ = true;
        stopping_ = false;
    }
    views_.store(&views, std::memory_order_release);
    auto caught = views.catch_up(events);
    for (std::size_t p = 0; p < partitions; ++p) {
        engine::partition_id const id{static_cast<std::int32_t>(p)};
        handled(id, views.next_offset(id).value());
    }
    thread_ = std::thread([this] {
        engine::runtime::set_thread_role("salonq-views", engine::runtime::thread_role::request_path);
        feed_loop();
    });
    return caught;
}

void embedded_feed::detach() {
    {
        std::scoped_lock lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
        thread_.join(); // it applies what was queued first
    }
    if (auto* views = views_.exchange(nullptr)) {
        views->unsubscribe(subscription_);
    }
    std::vector<std::vector<waiter>> left;
    {
        std::scoped_lock lock{mutex_};
        attached_ = false;
        left.swap(waiters_);
        applied_.clear(); // handled() after this finds no partition, rather than waiters_ it no longer has
        queue_.clear();   // committed after the thread stopped: the next start's catch_up applies them
    }
    for (auto& list : left) {
        for (auto& w : list) {
            w.then();
        }
    }
}

void embedded_feed::when_applied(engine::partition_id p, engine::offset_t end, std::move_only_function<void()> then) {
    {
        std::scoped_lock lock{mutex_};
        auto const i = static_cast<std::size_t>(p.value());
        if (attached_ && i < applied_.size() && applied_[i] < end.value()) {
            waiters_[i].push_back(waiter{end.value(), std::move(then)});
            return;
        }
    }
    then();
}

bool embedded_feed::applied(engine::partition_id p, engine::offset_t end) {
    std::scoped_lock lock{mutex_};
    auto const i = static_cast<std::size_t>(p.value());
    return !attached_ || i >= applied_.size() || applied_[i] >= end.value();
}

void embedded_feed::feed_loop() {
    std::deque<run> todo;
    for (;;) {
        {
            std::unique_lock lock{mutex_};
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return; // stopping, and everything queued is applied
            }
            todo.swap(queue_);
        }
        // When the views fall behind, several batches wait here: a partition's consecutive runs become one apply
        // (each changed salon is encoded and written once for all of them), in offset order per partition.
        std::map<std::int32_t, std::vector<run>> merged;
        for (auto& r : todo) {
            auto& list = merged[r.partition.value()];
            if (!list.empty() &&
                list.back().first.value() + static_cast<std::int64_t>(list.back().entries.size()) == r.first.value()) {
                std::ranges::move(r.entries, std::back_inserter(list.back().entries));
            } else {
                list.push_back(std::move(r));
            }
        }
        todo.clear();
        for (auto& [p, list] : merged) {
            for (auto& r : list) {
                apply(r);
                if (tail_ != nullptr) {
                    tail_->append(r.partition, r.first, std::move(r.entries));
                }
            }
        }
        if (after_apply_) {
            after_apply_();
        }
    }
}

void embedded_feed::apply(run const& r) {
    auto* views = views_.load(std::memory_order_acquire);
    if (views == nullptr) {
        return;
    }
    if (before_apply_) {
        before_apply_();
    }
    auto const end = r.first.value() + static_cast<std::int64_t>(r.entries.size());
    auto applied = views->apply(r.partition, r.first, r.entries);
    if (!applied && applied.error().code == projections::errc::offset_ahead) {
        catch_up(); // entries committed before attach() and not yet read: the log has them, these included
    } else if (!applied) {
        log_.throttled(logging::level::error, failing_, applied.error().message,
                       fmt::format("the queue views could not apply partition {} offset {}: {}", r.partition.value(),
                                   r.first.value(), applied.error().message));
    }
    // On a failure the run's waiters are released all the same (holding a decided command's answer would not bring
    // the view back), but what counts as applied stays what the views hold: a later retry of one of these commands
    // must not be told the views have it.
    handled(r.partition, views->next_offset(r.partition).value(), end);
}

void embedded_feed::catch_up() {
    auto* views = views_.load(std::memory_order_acquire);
    if (views == nullptr || events_ == nullptr) {
        return;
    }
    if (auto caught = views->catch_up(*events_); !caught) {
        log_.throttled(logging::level::error, failing_, caught.error().message,
                       "the queue views could not catch up with the events log: " + caught.error().message);
    }
    for (std::int32_t p = 0; p < views->partition_count(); ++p) {
        handled(engine::partition_id{p}, views->next_offset(engine::partition_id{p}).value());
    }
}

void embedded_feed::handled(engine::partition_id p, std::int64_t end, std::int64_t release_to) {
    std::vector<waiter> ready;
    {
        std::scoped_lock lock{mutex_};
        auto const i = static_cast<std::size_t>(p.value());
        if (i >= applied_.size()) {
            return;
        }
        applied_[i] = std::max(applied_[i], end);
        auto const release = std::max(applied_[i], release_to);
        auto& list = waiters_[i];
        auto const first_ready =
            std::partition(list.begin(), list.end(), [&](waiter const& w) { return w.end > release; });
        std::move(first_ready, list.end(), std::back_inserter(ready));
        list.erase(first_ready, list.end());
    }
    for (auto& w : ready) {
        w.then();
    }
}

} // namespace salonq::api
