#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::projections {

// What went wrong in the projection runtime, named by what the caller does about it.
enum class errc : std::uint8_t {
    local_store,    // RocksDB failed to read or write: fix the store; nothing of the failed call was applied
    corrupt_record, // a stored view or offset does not decode: remove the directory and rebuild from the log
    misconfigured,  // the directory was made for another partition count, or a partition is out of range
    offset_ahead,   // apply got entries beyond a partition's next offset: catch_up from a log reader first
    log_read,       // the log reader failed; what was read before it is applied
    busy,           // another process has the store open (a running serve): ask that process
    cancelled,      // the caller asked to stop (a rebuild when the server stops); what was applied stays
};

[[nodiscard]] std::string_view to_string(errc c) noexcept;

struct error {
    errc code = errc::local_store;
    std::string message;
};

} // namespace salonq::projections
