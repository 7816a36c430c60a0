#include "web/qr.hpp"

#include <qrencode.h>

#include <memory>
#include <string>

namespace salonq::web {

std::string sign_in_link(std::string_view page, std::string_view salon, std::string_view token) {
    std::string link{page.substr(0, page.find('#'))};
    if (!salon.empty()) {
        link += link.find('?') == std::string::npos ? '?' : '&';
        link += "salon=";
        link += salon;
    }
    link += "#token=";
    link += token;
    return link;
}

namespace {

using qr_ptr = std::unique_ptr<QRcode, decltype(&QRcode_free)>;

[[nodiscard]] std::expected<qr_ptr, std::string> encode(std::string_view text, QRecLevel level) {
    std::string const input{text};
    qr_ptr code{QRcode_encodeString(input.c_str(), 0, level, QR_MODE_8, 1), &QRcode_free};
    if (!code) {
        return std::unexpected("the link is too long for a QR code");
    }
    return code;
}

// Whether the module at (row, col) is dark; outside the code (the quiet zone) is light.
bool dark(QRcode const& code, int row, int col) {
    auto const width = code.width;
    return row >= 0 && col >= 0 && row < width && col < width &&
           (code.data[static_cast<std::size_t>(row) * static_cast<std::size_t>(width) + static_cast<std::size_t>(col)] &
            1U) != 0;
}

void append_escaped(std::string& out, std::string_view text) {
    for (char const c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
}

} // namespace

std::expected<std::string, std::string> qr_svg(std::string_view text, std::string_view label) {
    auto code = encode(text, QR_ECLEVEL_M);
    if (!code) {
        return std::unexpected(code.error());
    }
    constexpr int quiet = 4;
    int const width = (*code)->width;
    int const size = width + 2 * quiet;
    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(size) + " " +
                      std::to_string(size) + "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"";
    append_escaped(out, label);
    out += "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    for (int row = 0; row < width; ++row) {
        for (int col = 0; col < width; ++col) {
            if (dark(**code, row, col)) {
                out += "M" + std::to_string(col + quiet) + " " + std::to_string(row + quiet) + "h1v1h-1z";
            }
        }
    }
    out += "\"/></svg>\n";
    return out;
}

std::expected<std::string, std::string> qr_text(std::string_view text) {
    auto code = encode(text, QR_ECLEVEL_L);
    if (!code) {
        return std::unexpected(code.error());
    }
    constexpr int quiet = 4; // the margin the QR standard asks for: phones read it off a busy terminal
    int const width = (*code)->width;
    auto const is_dark = [&](int row, int col) { return dark(**code, row, col); };
    std::string out;
    for (int row = -quiet; row < width + quiet; row += 2) {
        for (int col = -quiet; col < width + quiet; ++col) {
            bool const top = !is_dark(row, col);
            bool const bottom = row + 1 < width + quiet && !is_dark(row + 1, col);
            out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        out += '\n';
    }
    return out;
}

} // namespace salonq::web
