#pragma once

// Values pulled out of a log line or a /metrics text in tests, by plain search (JSON is read by test/support/json_at).
// std::regex did this until session 32, and GCC 12 at -O1 (the ASan build) warns that its compiled automaton "may be
// used uninitialized", an error under -Werror: the Kafka test programs could not be built with the sanitizers.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::test {

inline constexpr std::string_view digits = "0123456789";

// The run of `allowed` characters right after the first `key` in `text` that stands where wanted: the character
// before the key one of `before` (or the text's start) when `before` is given, the one after the run one of `after`
// when `after` is given. Nothing when there is no such key, or its run is empty.
inline std::optional<std::string> token_after(std::string_view text, std::string_view key, std::string_view allowed,
                                              std::string_view before = {}, std::string_view after = {}) {
    for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
        if (!before.empty() && at > 0 && before.find(text[at - 1]) == std::string_view::npos) {
            continue;
        }
        auto const from = at + key.size();
        auto const to = std::min(text.find_first_not_of(allowed, from), text.size());
        if (to == from || (!after.empty() && (to == text.size() || after.find(text[to]) == std::string_view::npos))) {
            continue;
        }
        return std::string{text.substr(from, to - from)};
    }
    return std::nullopt;
}

// `text` with every `from` replaced by `to` (unchanged when `from` is empty).
inline std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    if (from.empty()) {
        return text;
    }
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

} // namespace salonq::test
