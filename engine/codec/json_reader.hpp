#pragma once

#include "engine/codec/errc.hpp"
#include "engine/domain/time.hpp"

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::engine::codec {

// Thrown inside the decoders to unwind to the public decode function, which turns it into an error value.
struct decode_failure {
    error err;
};

[[noreturn]] void fail(errc code, std::string path, std::string message);

// Limits on string fields, in bytes of UTF-8.
struct limits {
    static constexpr std::size_t id = 64;
    static constexpr std::size_t name = 200;
    static constexpr std::size_t text = 500;
    static constexpr std::size_t phone = 32;
    // What a client may send: a command from a POS, the CLI or the commands topic.
    static constexpr std::size_t message = std::size_t{64} * 1024;
    // What the engine writes itself and must always read back: log-form commands, events, states, snapshots.
    // Sized well above the largest record the domain allows (docs/design.md, "Record sizes"; measured by
    // test/engine/largest_salon_test.cpp), so that nothing the engine accepted can become unreadable.
    static constexpr std::size_t record = std::size_t{16} * 1024 * 1024;
};

// A strict view of one JSON object: every field must be read exactly once (finish() reports the rest as
// unknown), duplicates are refused, and each getter checks type and range and names the path on error.
class object_view {
public:
    object_view(simdjson::dom::element e, std::string path);

    [[nodiscard]] bool has(std::string_view key) const noexcept;
    [[nodiscard]] std::string_view string(std::string_view key, std::size_t max_len);
    [[nodiscard]] std::optional<std::string_view> opt_string(std::string_view key, std::size_t max_len);
    [[nodiscard]] std::string_view id(std::string_view key);
    [[nodiscard]] std::optional<std::string_view> opt_id(std::string_view key);
    [[nodiscard]] std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
    [[nodiscard]] std::optional<std::int64_t> opt_integer(std::string_view key, std::int64_t min, std::int64_t max);
    [[nodiscard]] bool boolean(std::string_view key);
    [[nodiscard]] instant time(std::string_view key);
    [[nodiscard]] std::optional<instant> opt_time(std::string_view key);
    [[nodiscard]] local_day day(std::string_view key);
    [[nodiscard]] object_view object(std::string_view key);
    [[nodiscard]] std::optional<object_view> opt_object(std::string_view key);
    [[nodiscard]] simdjson::dom::array array(std::string_view key, std::size_t max_items);
    [[nodiscard]] std::optional<simdjson::dom::array> opt_array(std::string_view key, std::size_t max_items);
    // Refuses any field that no getter asked for.
    void finish() const;

    [[nodiscard]] std::string path_of(std::string_view key) const;
    [[nodiscard]] std::string const& path() const noexcept { return path_; }

private:
    struct field {
        std::string_view key;
        simdjson::dom::element value;
        bool used = false;
    };
    field* find(std::string_view key);
    simdjson::dom::element require(std::string_view key);

    std::vector<field> fields_;
    std::string path_;
};

// Whether s is a valid id (a salonId, commandId, ticketId, staffId...): 1 to 64 of A-Z a-z 0-9 - _ . : @.
[[nodiscard]] bool is_valid_id(std::string_view s) noexcept;
inline constexpr std::string_view id_rule = "an id is 1 to 64 characters of A-Z a-z 0-9 - _ . : @";

// Checks an element is a string within limits and returns it.
[[nodiscard]] std::string_view as_string(simdjson::dom::element e, std::string const& path, std::size_t max_len);
[[nodiscard]] std::string_view as_id(simdjson::dom::element e, std::string const& path);
[[nodiscard]] std::int64_t as_integer(simdjson::dom::element e, std::string const& path, std::int64_t min,
                                      std::int64_t max);
[[nodiscard]] object_view as_object(simdjson::dom::element e, std::string path);

[[nodiscard]] std::optional<instant> parse_time(std::string_view s) noexcept;
[[nodiscard]] std::optional<local_day> parse_day(std::string_view s) noexcept;

// Parses a whole message of at most max_size bytes with a per-thread parser, mapping simdjson failures to codec
// errors.
[[nodiscard]] simdjson::dom::element parse_document(std::string_view json, std::size_t max_size);

} // namespace salonq::engine::codec
