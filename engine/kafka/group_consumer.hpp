#pragma once

#include "engine/kafka/settings.hpp"
#include "engine/log/log.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace salonq::engine::kafka {

// What a group_consumer's owner is told when the group moves partitions: on the polling thread, inside poll().
class partition_listener {
public:
    virtual ~partition_listener() = default;
    // Partition p is this member's now; `committed` is the group's committed offset of p (0: none yet), read once
    // no open transaction holds it (stable). The answer is where reading starts (the committed offset, or further on
    // if the owner stored more itself). An error is returned by poll(), once: p is then assigned but not read (the
    // owner should leave the group, destroying the consumer, so that the partition moves on).
    [[nodiscard]] virtual std::expected<std::int64_t, error> assigned(std::int32_t p, std::int64_t committed) = 0;
    // Partition p is no longer this member's (handed over or lost): forget what was kept for it. Not told while the
    // consumer is being destroyed (everything goes then).
    virtual void revoked(std::int32_t p) = 0;
};

struct group_consumer_options {
    kafka::settings kafka;
    std::string group;
    std::string topic;
    std::chrono::milliseconds session_timeout{6000};
    // How the group moves a partition. cooperative (cooperative-sticky): only the partitions that move stop; for
    // owners whose offsets go with their transactions. eager (range): every member gives all its partitions back,
    // inside its poll, before the group forms again: the moment a commit() of what was handled is sure to be taken,
    // for owners that commit() (librdkafka 2.0.2 drops a cooperative member's assignment when a commit meets a
    // rebalance, librdkafka#4059, and the next owner then reads again what this one had handled).
    enum class handover : std::uint8_t { cooperative, eager };
    handover moves = handover::cooperative;
    // Asked to stop: a take-over waiting for the committed offsets gives up (poll() then fails) instead of waiting
    // out a coordinator that does not answer.
    std::stop_token stop;
};

// A member of a consumer group on one topic (read_committed, nothing committed by itself): the group gives it
// partitions, its owner reads them and commits offsets itself: with commit() once what it read is durable elsewhere,
// or inside a transaction (transactional_producer::commit, exactly once). Offsets commit() could not commit are
// owed: committed with the next commit(), and before their partition is given back. The rebalance callbacks
// run inside poll(), on the owner's thread, so a partition is never moved while the owner works on a batch. Not
// thread-safe: one thread calls everything; the destructor leaves the group (bounded in time).
class group_consumer {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<group_consumer>, error> open(group_consumer_options options,
                                                                                    partition_listener& listener);
    ~group_consumer();
    group_consumer(group_consumer const&) = delete;
    group_consumer& operator=(group_consumer const&) = delete;

    [[nodiscard]] std::int32_t partition_count() const noexcept;
    [[nodiscard]] std::string const& topic() const noexcept;
    // Up to `max` records of the partitions this member owns, each partition's in offset order: waits up to `wait`
    // for the first, then takes what has arrived. Records of a partition the group moved during the call are left
    // out (they are read again by whoever owns it).
    [[nodiscard]] std::expected<std::vector<log::record>, error> poll(std::size_t max, std::chrono::milliseconds wait);
    // Commits each partition's next offset (the one after the last record handled), synchronously, with any owed
    // before. On an error they are owed: the next commit() tries again, and so does the revoke that takes their
    // partition away (with handover::eager, where it is taken), so that the next owner reads on from them.
    [[nodiscard]] std::expected<void, error> commit(std::map<std::int32_t, std::int64_t> const& next);
    // Reads the owned partitions again from the group's committed offsets (after an aborted transaction).
    [[nodiscard]] std::expected<void, error> rewind();

    struct impl;

private:
    friend class transactional_producer; // sends offsets with the group's metadata
    explicit group_consumer(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::kafka
