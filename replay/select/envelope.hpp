#pragma once

#include <optional>
#include <string_view>

#include <simdjson.h>

namespace salonq::replay {

// The envelope fields a selection looks at: what kind of entry, whose, when. Views into the reader's buffers,
// valid until its next peek.
struct envelope {
    std::string_view type; // an event type, or "command_rejected"
    std::string_view salon;
    std::string_view at; // RFC 3339 UTC with milliseconds, as the codec writes it: compares as text
};

// Reads an entry's envelope without decoding its payload (simdjson on-demand, no allocation per entry once warm),
// so a replay that filters by salon, type or time touches each entry once and cheaply. One per thread.
class envelope_reader {
public:
    // None if the entry is not a JSON object with those three fields as strings.
    [[nodiscard]] std::optional<envelope> peek(std::string_view json);

private:
    simdjson::ondemand::parser parser_;
    simdjson::padded_string buffer_;
};

} // namespace salonq::replay
