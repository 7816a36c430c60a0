// `salonq token issue --sign-in`: the sign-in link, and the QR code drawn as text (libqrencode's matrix).
#include "web/qr.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace salonq::web {
namespace {

// The module matrix back from the drawn text: true = dark (a space or the dark half of a half block).
std::vector<std::vector<bool>> modules_of(std::string const& text) {
    std::vector<std::vector<bool>> rows;
    std::size_t start = 0;
    while (start < text.size()) {
        auto const end = text.find('\n', start);
        std::vector<bool> top;
        std::vector<bool> bottom;
        for (std::size_t i = start; i < end;) {
            if (text[i] == ' ') {
                top.push_back(true);
                bottom.push_back(true);
                ++i;
                continue;
            }
            auto const glyph = text.substr(i, 3); // U+2580, U+2584 and U+2588 are three bytes each
            top.push_back(glyph == "\u2584");
            bottom.push_back(glyph == "\u2580");
            i += 3;
        }
        rows.push_back(top);
        rows.push_back(bottom);
        start = end + 1;
    }
    return rows;
}

// A finder pattern (7x7: a dark ring, a light ring, a dark 3x3 core) with its top-left corner at (r, c).
bool finder_at(std::vector<std::vector<bool>> const& m, std::size_t r, std::size_t c) {
    for (std::size_t i = 0; i < 7; ++i) {
        for (std::size_t j = 0; j < 7; ++j) {
            bool const ring = i == 0 || i == 6 || j == 0 || j == 6;
            bool const core = i >= 2 && i <= 4 && j >= 2 && j <= 4;
            if (m[r + i][c + j] != (ring || core)) {
                return false;
            }
        }
    }
    return true;
}

TEST_CASE("a sign-in link carries the salon and the token in the fragment, which no server sees") {
    CHECK(sign_in_link("http://h:8080/console", "demo", "a.b.c") == "http://h:8080/console?salon=demo#token=a.b.c");
    CHECK(sign_in_link("http://h/board?tv=1", "s1", "t") == "http://h/board?tv=1&salon=s1#token=t");
    CHECK(sign_in_link("http://h/console#old", "", "t") == "http://h/console#token=t");
}

TEST_CASE("the QR code is square, has its quiet zone and its three finder patterns") {
    auto const text = qr_text(sign_in_link("http://127.0.0.1:8080/console", "demo", std::string(300, 'x')));
    REQUIRE(text.has_value());
    auto const m = modules_of(*text);
    auto const size = m.front().size();
    REQUIRE(m.size() >= size);  // the last line's lower half is the quiet zone's padding
    CHECK((size - 4) % 4 == 1); // a QR code is 17 + 4v modules wide, plus two quiet modules on each side
    for (std::size_t i = 0; i < size; ++i) {
        for (std::size_t q = 0; q < 4; ++q) {
            CHECK_FALSE(m[q][i]);
            CHECK_FALSE(m[i][q]);
        }
    }
    auto const last = size - 4 - 7; // where the other two finder patterns start
    CHECK(finder_at(m, 4, 4));
    CHECK(finder_at(m, 4, last));
    CHECK(finder_at(m, last, 4));
    CHECK_FALSE(finder_at(m, last, last));
}

TEST_CASE("a link too long for any QR code is an error, not a broken code") {
    auto const text = qr_text(std::string(8000, 'x'));
    REQUIRE_FALSE(text.has_value());
    CHECK(text.error() == "the link is too long for a QR code");
}

} // namespace
} // namespace salonq::web
