#include "api/http/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace salonq::api::http {

namespace {

constexpr auto npos = std::string_view::npos;

std::string_view trimmed(std::string_view s) noexcept {
    auto const first = s.find_first_not_of(" \t");
    return first == npos ? std::string_view{} : s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool same_letters(std::string_view a, std::string_view b) noexcept {
    auto const lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// Whether a coding's parameters (after its first ';') leave it acceptable: a qvalue of zero ("0", "0.0", "0.000";
// RFC 9110, 12.4.2) refuses it; no q, or any other, accepts it.
bool acceptable(std::string_view params) noexcept {
    while (!params.empty()) {
        auto const semi = params.find(';');
        auto const param = trimmed(params.substr(0, semi));
        params = semi == npos ? std::string_view{} : params.substr(semi + 1);
        auto const eq = param.find('=');
        if (eq != npos && same_letters(trimmed(param.substr(0, eq)), "q")) {
            auto const value = trimmed(param.substr(eq + 1));
            return value.find_first_of("123456789") != npos;
        }
    }
    return true;
}

} // namespace

bool accepts_gzip(std::string_view accept_encoding) noexcept {
    // "gzip", "GZIP;q=1.0", "br, gzip", "*"; "gzip;q=0" (or 0.0, 0.00...) refuses it, and so does "*;q=0" unless
    // gzip is named. Codings are case-insensitive.
    std::optional<bool> gzip;
    std::optional<bool> any;
    while (!accept_encoding.empty()) {
        auto const comma = accept_encoding.find(',');
        auto const item = accept_encoding.substr(0, comma);
        accept_encoding = comma == npos ? std::string_view{} : accept_encoding.substr(comma + 1);
        auto const semi = item.find(';');
        auto const coding = trimmed(item.substr(0, semi));
        auto const ok = semi == npos || acceptable(item.substr(semi + 1));
        if (same_letters(coding, "gzip") || same_letters(coding, "x-gzip")) {
            gzip = ok;
        } else if (coding == "*") {
            any = ok;
        }
    }
    return gzip.value_or(any.value_or(false));
}

std::string gzip(std::string_view data) {
    z_stream z{};
    // 15 + 16: a gzip wrapper (not raw zlib); level 6 is zlib's balance of size and time.
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib: deflateInit2 failed");
    }
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data())); // NOLINT: zlib's API is not const
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    auto const rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        throw std::runtime_error("zlib: deflate did not finish");
    }
    return out;
}

} // namespace salonq::api::http
