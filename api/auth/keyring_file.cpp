#include "api/auth/keyring_file.hpp"

#include "api/auth/files.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api::auth {
namespace {

constexpr std::int64_t file_version = 1;
constexpr std::size_t largest_file = std::size_t{64} * 1024;

std::filesystem::path lock_path(std::filesystem::path const& file) { return file.string() + ".lock"; }

std::string encode(keyring const& ring) {
    std::string out = fmt::format("{{\n  \"version\": {},\n  \"keys\": [\n", file_version);
    auto const keys = ring.keys();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        // kids are checked by keyring::make (no character that JSON would escape)
        out += fmt::format(R"(    {{"kid": "{}", "secret": "{}", "created": {}}}{})", keys[i].kid,
                           base64url_encode(keys[i].secret.bytes()), keys[i].created.time_since_epoch().count(),
                           i + 1 < keys.size() ? ",\n" : "\n");
    }
    out += fmt::format("  ],\n  \"linkSecret\": \"{}\"\n}}\n", base64url_encode(ring.link_secret().bytes()));
    return out;
}

[[nodiscard]] std::expected<keyring, error> decode(std::filesystem::path const& file, std::string_view text) {
    auto bad = [&](std::string_view why) {
        return std::unexpected(error{errc::keyring_invalid, fmt::format("{}: {}", file.string(), why)});
    };
    if (text.size() > largest_file) {
        return bad("larger than a keyring can be");
    }
    simdjson::dom::parser parser;
    simdjson::dom::object root;
    if (parser.parse(text.data(), text.size(), true).get_object().get(root) != simdjson::SUCCESS) {
        return bad("not a JSON object");
    }
    std::int64_t version = 0;
    simdjson::dom::array keys_json;
    std::string_view link_text;
    if (root["version"].get_int64().get(version) != simdjson::SUCCESS || version != file_version) {
        return bad(fmt::format("\"version\" must be {}", file_version));
    }
    if (root["keys"].get_array().get(keys_json) != simdjson::SUCCESS) {
        return bad("\"keys\" must be an array");
    }
    if (root["linkSecret"].get_string().get(link_text) != simdjson::SUCCESS) {
        return bad("\"linkSecret\" must be a string");
    }
    std::vector<key> keys;
    for (auto element : keys_json) {
        std::string_view kid;
        std::string_view secret_text;
        std::int64_t created = 0;
        if (element["kid"].get_string().get(kid) != simdjson::SUCCESS ||
            element["secret"].get_string().get(secret_text) != simdjson::SUCCESS ||
            element["created"].get_int64().get(created) != simdjson::SUCCESS) {
            return bad(fmt::format("key {}: needs \"kid\" and \"secret\" (strings) and \"created\" (seconds)",
                                   keys.size() + 1));
        }
        auto bytes = base64url_decode(secret_text);
        if (!bytes) {
            return bad(fmt::format("key {}: its secret is not base64url", kid));
        }
        keys.push_back(
            key{std::string{kid}, secret{std::move(*bytes)}, std::chrono::sys_seconds{std::chrono::seconds{created}}});
    }
    auto link = base64url_decode(link_text);
    if (!link) {
        return bad("the link secret is not base64url");
    }
    auto ring = keyring::make(std::move(keys), secret{std::move(*link)});
    if (!ring) {
        return bad(ring.error().message);
    }
    return std::move(*ring);
}

// The keyring in the file, if there is one.
[[nodiscard]] std::expected<std::optional<keyring>, error> read(std::filesystem::path const& file) {
    auto text = files::read_private(file);
    if (!text) {
        return std::unexpected(std::move(text.error()));
    }
    auto& content = *text;
    if (!content) {
        return std::optional<keyring>{};
    }
    secret const wiped{std::move(*content)}; // the file's text holds the secrets: wiped once decoded
    auto ring = decode(file, wiped.bytes());
    if (!ring) {
        return std::unexpected(std::move(ring.error()));
    }
    return std::optional<keyring>{std::move(*ring)};
}

// Reads, changes and writes back the keyring under the lock; change gets the one in the file, if any.
template <typename Change>
[[nodiscard]] std::expected<keyring, error> update(std::filesystem::path const& file, Change&& change) {
    if (auto dir = files::ensure_private_dir(file.has_parent_path() ? file.parent_path() : "."); !dir) {
        return std::unexpected(std::move(dir.error()));
    }
    auto held = files::lock::take(lock_path(file));
    if (!held) {
        return std::unexpected(std::move(held.error()));
    }
    auto current = read(file);
    if (!current) {
        return std::unexpected(std::move(current.error()));
    }
    std::expected<keyring, error> next = change(*current);
    if (!next) {
        return next;
    }
    secret const text{encode(*next)}; // holds the secrets: wiped once written
    if (auto written = files::replace(file, text.bytes()); !written) {
        return std::unexpected(std::move(written.error()));
    }
    return next;
}

} // namespace

std::filesystem::path default_keyring_path(std::filesystem::path const& data_dir) {
    return data_dir / "auth" / "keyring.json";
}

std::expected<keyring, error> load_keyring(std::filesystem::path const& file) {
    auto ring = read(file);
    if (!ring) {
        return std::unexpected(std::move(ring.error()));
    }
    auto& found = *ring;
    if (!found) {
        return std::unexpected(
            error{errc::io_error, fmt::format("no keyring at {} (`salonq keys rotate` makes one)", file.string())});
    }
    return std::move(*found);
}

std::expected<keyring, error> load_or_create_keyring(std::filesystem::path const& file, std::chrono::sys_seconds now) {
    auto ring = read(file);
    if (!ring) {
        return std::unexpected(std::move(ring.error()));
    }
    if (auto& found = *ring) {
        return std::move(*found);
    }
    return update(file, [now](std::optional<keyring> const& found) -> std::expected<keyring, error> {
        if (found) {
            return *found; // another process made it meanwhile
        }
        return keyring::generate(now);
    });
}

std::expected<keyring, error> rotate_keyring(std::filesystem::path const& file, std::chrono::sys_seconds now) {
    return update(file, [now](std::optional<keyring> const& found) -> std::expected<keyring, error> {
        if (!found) {
            return keyring::generate(now);
        }
        return found->rotated(now);
    });
}

std::expected<keyring, error> retire_key(std::filesystem::path const& file, std::string_view kid) {
    return update(file, [kid, &file](std::optional<keyring> const& found) -> std::expected<keyring, error> {
        if (!found) {
            return std::unexpected(error{errc::io_error, fmt::format("no keyring at {}", file.string())});
        }
        return found->without(kid);
    });
}

} // namespace salonq::api::auth
