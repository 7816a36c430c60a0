#include "api/http/request.hpp"

#include <algorithm>

namespace salonq::api::http {
namespace {

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char const c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) {
                return std::nullopt;
            }
            int const hi = hex_digit(s[i + 1]);
            int const lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string_view request::param(std::string_view name) const noexcept {
    auto it = std::find_if(params.begin(), params.end(), [&](auto const& p) { return p.first == name; });
    return it == params.end() ? std::string_view{} : std::string_view{it->second};
}

std::optional<std::string> request::query_param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        auto const amp = rest.find('&');
        auto const pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        auto const eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            auto const raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            // A malformed escape is kept as it came, so the handler's own check refuses it by name.
            return percent_decode(raw_value, true).value_or(std::string{raw_value});
        }
    }
    return std::nullopt;
}

std::string_view request::header(std::string_view name) const {
    auto it = raw.find(boost::beast::string_view{name.data(), name.size()});
    if (it == raw.end()) {
        return {};
    }
    auto v = it->value();
    return {v.data(), v.size()};
}

bool not_modified(request const& req, std::string_view etag) {
    auto const header = req.header("If-None-Match");
    return header == "*" || header.find(etag) != std::string_view::npos;
}

} // namespace salonq::api::http
