// The tests' own text search (test/support/text_scan.hpp): the Kafka tests read their figures through it, so a value
// it misreads would pass or fail them for the wrong reason.
#include "test/support/text_scan.hpp"

#include <doctest/doctest.h>

using salonq::test::digits;
using salonq::test::number_field;
using salonq::test::quoted_field;
using salonq::test::replace_all;
using salonq::test::token_after;

TEST_CASE("token_after: the first key that stands where wanted, with a non-empty run") {
    std::string_view const log = "snapshot round (salons=12) wrote salons=x bytes=2048 lag=7)";
    CHECK(token_after(log, "salons=", digits, " (", " )") == "12");
    CHECK(token_after(log, "bytes=", digits, " (", " )") == "2048");
    CHECK(token_after(log, "lag=", digits, " (", " )") == "7");
    CHECK_FALSE(token_after("xlag=7 ", "lag=", digits, " (", " )")); // "lag" inside another word
    CHECK_FALSE(token_after(" lag=7", "lag=", digits, " (", " )"));  // no character after the run
    CHECK_FALSE(token_after(" lag= 7 ", "lag=", digits));            // an empty run
    CHECK(token_after("\nsalonq_lag -1.5e+2\n", "\nsalonq_lag ", "-0123456789.e+") == "-1.5e+2");
    CHECK(token_after("xlag=1 (lag=7)", "lag=", digits, " (", " )") == "7"); // a later key when the first is not
    CHECK(token_after("lag=3 ", "lag=", digits, " (", " )") == "3");         // at the text's start
}

TEST_CASE("JSON fields by name") {
    std::string_view const line = R"({"salonId":"b0001","seq":42,"eventsOffset":7,"note":""})";
    CHECK(quoted_field(line, "salonId") == "b0001");
    CHECK(quoted_field(line, "note") == "");
    CHECK_FALSE(quoted_field(line, "ticketId"));
    CHECK(number_field(line, "seq") == "42");
    CHECK(number_field(line, "eventsOffset") == "7");
    CHECK_FALSE(number_field(line, "salonId"));                  // a string, not a number
    CHECK(number_field(R"({"atSeq":1,"seq":2})", "seq") == "2"); // whole names only
    CHECK_FALSE(quoted_field(R"({"salonId":"b"})", "Id"));
}

TEST_CASE("replace_all replaces every one, and not in what it wrote") {
    CHECK(replace_all("late-1 then late-1", "late-1", "late-2") == "late-2 then late-2");
    CHECK(replace_all("aa", "a", "aa") == "aaaa");
    CHECK(replace_all("none here", "late-1", "late-2") == "none here");
    CHECK(replace_all("abc", "", "x") == "abc");
}
