#pragma once

#include "engine/domain/events.hpp"

#include <cstdint>
#include <string_view>

namespace salonq::replay {

// One entry of the events log as the replay reads it: where it is and its JSON (the codec's, as stored).
struct replayed {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string_view json;
};

// Where selected entries go: a format (JSONL, CSV) or a report. The scan decodes an entry only for a sink that
// needs it, so a pass-through never pays for decoding.
class sink {
public:
    virtual ~sink() = default;
    [[nodiscard]] virtual bool needs_entry() const noexcept = 0;
    // `entry` is the decoded entry when needs_entry(), else null.
    virtual void take(replayed const& r, engine::log_entry const* entry) = 0;
    // After the last entry: write what is left (a report's tables). False if the output failed.
    [[nodiscard]] virtual bool finish() = 0;
};

} // namespace salonq::replay
