#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::engine::kafka {

// What went wrong in Kafka mode, named by what the caller does about it. Every function of the module that can
// fail returns one (std::expected<T, error>); the worker retries only `retryable`.
enum class errc : std::uint8_t {
    retryable,      // the cluster did not answer or refused for now (a broker down, a leader election, a timeout):
                    // abort what is open and try again
    fenced,         // the transactional producer can no longer be used: a newer owner fenced it, or a fatal
                    // transaction error; stop deciding (a restarted worker initialises a new one)
    local_store,    // the worker's RocksDB failed to read or write: stop; the local cache needs attention
    corrupt_record, // a record (in a topic, or a state in the local store) does not decode or does not add up: stop
                    // and investigate, nothing is decided on it
    misconfigured,  // topics or settings are wrong (partition counts, record limit, a librdkafka property): fix
                    // the configuration and start again
};

[[nodiscard]] std::string_view to_string(errc c) noexcept;

struct error {
    errc code = errc::retryable;
    std::string message;
};

} // namespace salonq::engine::kafka
