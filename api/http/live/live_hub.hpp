#pragma once

// Fans a salon's queue view out to its live connections (WebSocket and Server-Sent Events). Each change is one
// frame holding the whole view at a seq, encoded once and shared by every connection that sends it, so a frame
// costs the same whatever the number of screens, and a connection that falls behind can skip to the latest
// frame without losing anything (a frame is complete on its own). Thread-safe: the read model publishes from
// its thread; connections subscribe and leave from theirs; delivery happens outside the lock.

#include "api/auth/principal.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace salonq::api::http {

// One change of a salon's view, in the two wire forms.
struct live_frame {
    std::uint64_t seq = 0;
    std::string ws;  // {"type":"view","seq":N,"view":{...}}
    std::string sse; // "id: N\nevent: view\ndata: {...}\n\n"
};
using frame_ptr = std::shared_ptr<live_frame const>;

[[nodiscard]] frame_ptr make_frame(std::uint64_t seq, std::string_view view_json);

// Whether a connection that sent `sent` (at `sent_seq`; none at its resume point) sends a frame of `seq` with `text`:
// a later seq, or the same seq with another view (a rebuilt one). The hub may hand a connection a frame it has, at
// its seq, when screens loading at once raced a change (live_hub::publish).
[[nodiscard]] bool newer_frame(std::uint64_t seq, std::string_view text, std::uint64_t sent_seq,
                               std::string const* sent) noexcept;

// What a live connection does with a frame: called on the publisher's thread, so it only queues (posts).
class live_subscriber {
public:
    virtual ~live_subscriber() = default;
    virtual void deliver(frame_ptr const& frame) = 0;
    // The server is stopping, or the sweep ends it: end the stream (from any thread).
    virtual void close() = 0;
    // Whether a frame has been in writing since before now minus the write timeout: a peer that does not read
    // (from any thread). A stream that times its writes itself says no.
    [[nodiscard]] virtual bool stuck(std::chrono::steady_clock::time_point /*now*/) const noexcept { return false; }
};

class live_hub {
public:
    // Loads a salon's current frame on first use (from the read model); none: no such salon.
    using loader = std::function<frame_ptr(std::string const& salon)>;

    // A place among the live streams, taken when a stream is asked for, before it opens (a WebSocket's handshake
    // takes a round trip), so that streams asked for at once cannot pass the cap together. It becomes the stream's
    // when the stream joins, and is given back if it never does (a failed handshake). Move-only.
    class seat {
    public:
        seat() = default; // none
        seat(seat&& other) noexcept : hub_(std::exchange(other.hub_, nullptr)) {}
        seat& operator=(seat&& other) noexcept;
        seat(seat const&) = delete;
        seat& operator=(seat const&) = delete;
        ~seat() { give_back(); }
        [[nodiscard]] explicit operator bool() const noexcept { return hub_ != nullptr; }

    private:
        friend class live_hub;
        explicit seat(live_hub& hub) : hub_(&hub) {}
        void give_back() noexcept;
        live_hub* hub_ = nullptr;
    };

    explicit live_hub(loader load) : load_(std::move(load)) {}

    // A salon's view changed: keep it as the latest and hand it to every subscriber of the salon.
    void publish(std::string const& salon, frame_ptr const& frame);
    // The same, with the frame made by `make` only if the salon has subscribers: a change nobody watches costs no
    // frame (latest() loads one when a screen joins). `seq` is the change's.
    void publish(std::string const& salon, std::uint64_t seq, std::function<frame_ptr()> const& make);
    // The latest frame of a salon, loaded if need be; none if there is no such salon.
    [[nodiscard]] frame_ptr latest(std::string const& salon);
    // A seat if fewer than `most` streams are open or opening; none otherwise.
    [[nodiscard]] seat take_seat(std::size_t most);
    // Registers a connection opened with a token whose lease it keeps, in the seat taken for it; returns its id for
    // leave().
    [[nodiscard]] std::uint64_t join(std::string const& salon, std::weak_ptr<live_subscriber> s,
                                     auth::token_lease lease, seat taken);
    // The same without a seat taken before: it is counted now.
    [[nodiscard]] std::uint64_t join(std::string const& salon, std::weak_ptr<live_subscriber> s,
                                     auth::token_lease lease);
    void leave(std::string const& salon, std::uint64_t id);
    // The streams open and opening (seats taken).
    [[nodiscard]] std::size_t connections() const;
    // Ends every live connection (a graceful stop), and any that joins after.
    void close_all();
    // What a sweep ended.
    struct swept {
        std::size_t lapsed = 0; // their token no longer holds
        std::size_t stuck = 0;  // their peer stopped reading
    };
    // Ends the connections whose token `lapsed` says no longer holds (revoked, expired, its key retired) and those
    // stuck in a write at `now`: the server sweeps about every second, as every request is checked, and so that a
    // peer that stopped reading in a salon that went quiet does not hold its place for ever. Salon by salon, so a
    // publish waits for one salon's screens at most. A connection is ended (and counted) once, though it stays
    // until its session has gone.
    swept sweep(std::function<bool(auth::token_lease const&)> const& lapsed, std::chrono::steady_clock::time_point now);

private:
    struct subscriber {
        std::weak_ptr<live_subscriber> session;
        auth::token_lease lease;
        bool ending = false; // a sweep closed it: its session leaves as it goes
    };
    struct salon_feed {
        frame_ptr latest;
        std::uint64_t published = 0; // the last seq published, with a frame or not: a latest below it is stale
        std::unordered_map<std::uint64_t, subscriber> subscribers;
    };
    loader load_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, salon_feed> feeds_;
    std::uint64_t next_id_ = 1;
    std::size_t connections_ = 0; // joined, and seats taken for streams that have not joined yet
    bool closed_ = false;         // close_all() was called: the server is stopping
};

} // namespace salonq::api::http
