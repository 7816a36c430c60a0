#pragma once

// gzip for responses (zlib), and whether a client's Accept-Encoding takes it.

#include <string>
#include <string_view>

namespace salonq::api::http {

[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding) noexcept;
[[nodiscard]] std::string gzip(std::string_view data);

} // namespace salonq::api::http
