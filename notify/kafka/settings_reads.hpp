#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace salonq::notify {

// What a settings PUT in Kafka mode waits for (settings_topic::publish): how far this instance's reader of
// salonq.notify-settings went, and per salon the offset of the last record whose settings it has in its store (put
// there, or already equal). A record whose settings the store did not take (its write failed) leaves its salon's offset
// where it was: the reader passing it is not enough, a GET there would show the old settings. Not thread-safe
// (settings_topic keeps it under its mutex); header-only, so kafka_unit_tests checks it without a broker or a store.
class settings_reads {
public:
    enum class outcome : std::uint8_t {
        waiting,   // the reader has not reached the record yet
        stored,    // the store holds its settings, or those of a later record of the same salon
        not_stored // the reader passed it, and the store holds neither its settings nor a later record's
    };

    // The record of `salon` at `offset` was read; `stored`: its settings are in the store now.
    void read(std::string const& salon, std::int64_t offset, bool stored) {
        if (!stored) {
            return;
        }
        auto [it, inserted] = stored_.try_emplace(salon, offset);
        if (!inserted) {
            it->second = std::max(it->second, offset);
        }
    }

    // Every record before `next` has been read (and read() told of each of them first).
    void passed(std::int64_t next) { next_ = std::max(next_, next); }

    // Where a PUT of `salon` stands whose record is at `offset`; none when the delivery report gave no offset (see
    // engine::kafka::record_producer): then only `held`, whether the store holds the settings the PUT wrote, tells.
    [[nodiscard]] outcome of(std::string const& salon, std::optional<std::int64_t> offset, bool held) const {
        if (!offset) {
            return held ? outcome::stored : outcome::waiting;
        }
        if (auto const it = stored_.find(salon); it != stored_.end() && it->second >= *offset) {
            return outcome::stored;
        }
        return next_ > *offset ? outcome::not_stored : outcome::waiting;
    }

private:
    std::unordered_map<std::string, std::int64_t> stored_; // salon -> the offset of its last record stored
    std::int64_t next_ = 0;                                // the offset after the last record read
};

} // namespace salonq::notify
