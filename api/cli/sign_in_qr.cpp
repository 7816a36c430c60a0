#include "api/cli/sign_in_qr.hpp"

#include <qrencode.h>

#include <memory>
#include <string>

namespace salonq::api {

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

std::expected<std::string, std::string> qr_text(std::string_view text) {
    std::string const input{text};
    std::unique_ptr<QRcode, decltype(&QRcode_free)> const code{
        QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1), &QRcode_free};
    if (!code) {
        return std::unexpected("the link is too long for a QR code");
    }
    constexpr int quiet = 2;
    int const width = code->width;
    auto const dark = [&](int row, int col) {
        return row >= 0 && col >= 0 && row < width && col < width &&
               (code->data[static_cast<std::size_t>(row) * static_cast<std::size_t>(width) +
                           static_cast<std::size_t>(col)] &
                1U) != 0;
    };
    std::string out;
    for (int row = -quiet; row < width + quiet; row += 2) {
        for (int col = -quiet; col < width + quiet; ++col) {
            bool const top = !dark(row, col);
            bool const bottom = row + 1 < width + quiet && !dark(row + 1, col);
            out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
        }
        out += '\n';
    }
    return out;
}

} // namespace salonq::api
