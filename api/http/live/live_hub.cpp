#include "api/http/live/live_hub.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace salonq::api::http {

frame_ptr make_frame(std::uint64_t seq, std::string_view view_json) {
    auto f = std::make_shared<live_frame>();
    f->seq = seq;
    f->ws = fmt::format(R"({{"type":"view","seq":{},"view":{}}})", seq, view_json);
    f->sse = fmt::format("id: {}\nevent: view\ndata: {}\n\n", seq, view_json);
    return f;
}

void live_hub::publish(std::string const& salon, std::uint64_t seq, std::function<frame_ptr()> const& make) {
    {
        std::lock_guard lock(mutex_);
        auto& feed = feeds_[salon]; // recorded even if nobody asked yet: a load under way may be older
        if (feed.subscribers.empty()) {
            feed.published = std::max(feed.published, seq);
            feed.latest = nullptr; // possibly older, or a view rebuilt at the same seq: latest() loads it
            return;
        }
    }
    publish(salon, make());
}

bool newer_frame(std::uint64_t seq, std::string_view text, std::uint64_t sent_seq, std::string const* sent) noexcept {
    return seq > sent_seq || (seq == sent_seq && sent != nullptr && *sent != text);
}

void live_hub::publish(std::string const& salon, frame_ptr const& frame) {
    std::vector<std::shared_ptr<live_subscriber>> targets;
    {
        std::lock_guard lock(mutex_);
        auto& feed = feeds_[salon];
        feed.published = std::max(feed.published, frame->seq);
        if (feed.latest && feed.latest->seq > frame->seq) {
            return; // a newer view is out (a loader raced the publisher): its own publish follows
        }
        // At the latest's seq it is handed on all the same: two screens that loaded at once may hold different
        // seqs (one before this change, one after it), and the sessions pass over what they sent already
        // (newer_frame). The same seq with another view is a rebuilt view (a new version of the views' code).
        if (!feed.latest || feed.latest->seq < frame->seq || feed.latest->ws != frame->ws) {
            feed.latest = frame;
        }
        targets.reserve(feed.subscribers.size());
        for (auto const& [id, sub] : feed.subscribers) {
            if (auto s = sub.session.lock()) {
                targets.push_back(std::move(s));
            }
        }
    }
    for (auto const& s : targets) {
        s->deliver(frame);
    }
}

frame_ptr live_hub::latest(std::string const& salon) {
    constexpr int attempts = 3;
    frame_ptr loaded;
    for (int attempt = 0; attempt < attempts; ++attempt) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = feeds_.find(salon);
                it != feeds_.end() && it->second.latest && it->second.latest->seq >= it->second.published) {
                return it->second.latest;
            }
        }
        loaded = load_ ? load_(salon) : nullptr; // outside the lock: it reads the store
        if (!loaded) {
            return nullptr;
        }
        std::lock_guard lock(mutex_);
        auto& feed = feeds_[salon];
        if (loaded->seq < feed.published) {
            continue; // a change was published while this loaded: load it
        }
        if (!feed.latest || feed.latest->seq < loaded->seq) {
            feed.latest = loaded;
        }
        return feed.latest;
    }
    return loaded; // changes keep coming: the newest this read; the next frame follows
}

live_hub::seat& live_hub::seat::operator=(seat&& other) noexcept {
    if (this != &other) {
        give_back();
        hub_ = std::exchange(other.hub_, nullptr);
    }
    return *this;
}

void live_hub::seat::give_back() noexcept {
    if (auto* hub = std::exchange(hub_, nullptr)) {
        std::lock_guard lock(hub->mutex_);
        --hub->connections_;
    }
}

live_hub::seat live_hub::take_seat(std::size_t most) {
    std::lock_guard lock(mutex_);
    if (connections_ >= most) {
        return {};
    }
    ++connections_;
    return seat{*this};
}

std::uint64_t live_hub::join(std::string const& salon, std::weak_ptr<live_subscriber> s, auth::token_lease lease,
                             seat taken) {
    std::shared_ptr<live_subscriber> late; // joined as the server stops: close_all() has gone by
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        id = next_id_++;
        if (closed_) {
            late = s.lock();
        }
        feeds_[salon].subscribers.emplace(id, subscriber{std::move(s), std::move(lease)});
        if (taken.hub_ == this) {
            taken.hub_ = nullptr; // the seat is the stream's now: leave() gives it back
        } else {
            ++connections_;
        }
    }
    if (late) {
        late->close();
    }
    return id;
}

std::uint64_t live_hub::join(std::string const& salon, std::weak_ptr<live_subscriber> s, auth::token_lease lease) {
    return join(salon, std::move(s), std::move(lease), seat{});
}

void live_hub::leave(std::string const& salon, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    if (auto it = feeds_.find(salon); it != feeds_.end() && it->second.subscribers.erase(id) > 0) {
        --connections_;
    }
}

std::size_t live_hub::connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
}

void live_hub::close_all() {
    std::vector<std::shared_ptr<live_subscriber>> all;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        for (auto const& [salon, feed] : feeds_) {
            for (auto const& [id, sub] : feed.subscribers) {
                if (auto s = sub.session.lock()) {
                    all.push_back(std::move(s));
                }
            }
        }
    }
    for (auto const& s : all) {
        s->close();
    }
}

live_hub::swept live_hub::sweep(std::function<bool(auth::token_lease const&)> const& lapsed,
                                std::chrono::steady_clock::time_point now) {
    std::vector<std::string> watched;
    {
        std::lock_guard lock(mutex_);
        for (auto const& [salon, feed] : feeds_) {
            if (!feed.subscribers.empty()) {
                watched.push_back(salon);
            }
        }
    }
    swept counts;
    std::vector<std::shared_ptr<live_subscriber>> ending;
    for (auto const& salon : watched) {
        // Each session asked is held until the lock is let go (declared before it): the last hold of one whose peer
        // left meanwhile destroys it, and its destructor leaves the hub, which takes the lock.
        std::vector<std::shared_ptr<live_subscriber>> asked;
        std::lock_guard lock(mutex_);
        auto const it = feeds_.find(salon);
        if (it == feeds_.end()) {
            continue;
        }
        asked.reserve(it->second.subscribers.size());
        for (auto& [id, sub] : it->second.subscribers) {
            auto s = sub.ending ? nullptr : sub.session.lock();
            if (!s) {
                continue;
            }
            bool const lapsed_now = lapsed(sub.lease);
            if (lapsed_now || s->stuck(now)) {
                ++(lapsed_now ? counts.lapsed : counts.stuck);
                sub.ending = true;
                ending.push_back(std::move(s));
            } else {
                asked.push_back(std::move(s));
            }
        }
    }
    for (auto const& s : ending) {
        s->close(); // it leaves the hub as it goes
    }
    return counts;
}

} // namespace salonq::api::http
