#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::engine::runtime {

// What went wrong in the embedded engine, named by what the caller does about it. A command that fails with one
// of these was not decided (nothing of its batch was written): it may be submitted again, as is, once the cause is
// gone. A decided command's refusal is not an error: it is an outcome (a command_rejected).
enum class errc : std::uint8_t {
    local_store,    // RocksDB failed to read or write (a full disk, an I/O error): fix the store, submit again
    corrupt_record, // a stored record (a state, an event, a dedupe entry) does not decode: stop and investigate
    misconfigured,  // the data directory does not fit the request (another partition count, not a salonq log), or
                    // a call the engine cannot serve where it was made (checkpoint() from a completion)
};

[[nodiscard]] std::string_view to_string(errc c) noexcept;

struct error {
    errc code = errc::local_store;
    std::string message;
};

} // namespace salonq::engine::runtime
