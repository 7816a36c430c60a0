#pragma once

#include <span>
#include <string_view>

namespace salonq::web {

// One file of web/assets, built into the binary (web/embed.cmake): the screens need nothing but the salonq server
// (no CDN, no files to install beside the binary), and a page can never be out of step with the API it calls.
struct asset {
    std::string_view path;         // "/board.html"
    std::string_view content_type; // by extension
    std::string_view body;
    std::string_view etag; // a quoted prefix of the file's SHA-256
};

// The asset at `path` ("/board.html", "/app.css"), or null.
[[nodiscard]] asset const* find_asset(std::string_view path) noexcept;
[[nodiscard]] std::span<asset const> all_assets() noexcept;

} // namespace salonq::web
