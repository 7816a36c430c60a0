#include "api/http/gzip.hpp"

#include <zlib.h>

#include <stdexcept>

namespace salonq::api::http {

bool accepts_gzip(std::string_view accept_encoding) noexcept {
    // "gzip", "gzip;q=1.0", "br, gzip"; a "gzip;q=0" refuses it.
    auto const at = accept_encoding.find("gzip");
    if (at == std::string_view::npos) {
        return false;
    }
    auto const rest = accept_encoding.substr(at + 4);
    auto const params = rest.substr(0, rest.find(','));
    return params.find("q=0") == std::string_view::npos || params.find("q=0.") != std::string_view::npos;
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
