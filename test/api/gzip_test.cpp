// Whether a client's Accept-Encoding takes gzip (RFC 9110, 12.5.3): case-insensitive codings, qvalues of zero in
// any spelling, "*" and its precedence below a named coding.
#include "api/http/gzip.hpp"

#include <doctest/doctest.h>

#include <string_view>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace gzip_test {

TEST_CASE("http: Accept-Encoding takes gzip unless it is refused by a zero qvalue") {
    using salonq::api::http::accepts_gzip;
    struct row {
        std::string_view header;
        bool gzip;
    };
    for (auto const& [header, gzip] : {
             row{"", false},
             row{"gzip", true},
             row{"GZIP", true},
             row{"br, gzip", true},
             row{"gzip;q=1.0", true},
             row{"gzip; q=0.5", true},
             row{"gzip;q=0.001", true},
             row{"x-gzip", true},
             row{"gzip;q=0", false},
             row{"gzip;q=0.0", false},
             row{"gzip;q=0.00", false},
             row{"gzip;Q=0", false},
             row{"gzip ; q = 0.000", false},
             row{"br", false},
             row{"identity", false},
             row{"*", true},
             row{"*;q=0", false},
             row{"*;q=0, gzip", true},
             row{"gzip;q=0, *", false},
             row{"deflate, gzipped", false},
         }) {
        CAPTURE(header);
        CHECK(accepts_gzip(header) == gzip);
    }
}

} // namespace gzip_test
