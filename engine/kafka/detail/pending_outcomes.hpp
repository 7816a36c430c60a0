#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace salonq::engine::kafka::detail {

// The commands this worker has decided whose dedupe entries RocksDB does not hold yet: those of the open batch,
// of the batch the committer has (in flight), and of committed batches the storing thread has not written. A
// repeat of one of them is a duplicate, though RocksDB does not know it yet. A batch's keys move along with it:
// opened, submitted, committed (kept by batch number until stored), or abandoned (forgotten: the commands will be
// decided again). Deciding thread only.
class pending_outcomes {
public:
    [[nodiscard]] bool contains(std::string const& key) const { return keys_.contains(key); }
    // A command decided into the open batch.
    void decided(std::string key);
    // The open batch went to the committer as batch `number`.
    void submitted(std::uint64_t number);
    // The batch in flight committed: its keys wait for the storing thread.
    void committed();
    // The storing thread has written every batch up to `through`: RocksDB answers for their keys now.
    void stored_through(std::uint64_t through);
    // The open batch and the one in flight were given up: their commands are not decided.
    void abandoned();

private:
    std::unordered_set<std::string> keys_; // all of them
    std::vector<std::string> open_;
    std::vector<std::string> flight_;
    std::uint64_t flight_number_ = 0;
    std::deque<std::pair<std::uint64_t, std::vector<std::string>>> unstored_; // by batch number
};

} // namespace salonq::engine::kafka::detail
