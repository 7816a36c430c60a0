// The tests' own text search (test/support/text_scan.hpp): the Kafka tests read their figures through it, so a value
// it misreads would pass or fail them for the wrong reason.
#include "test/support/json_at.hpp"
#include "test/support/text_scan.hpp"

#include <doctest/doctest.h>

using salonq::test::digits;
using salonq::test::int_at;
using salonq::test::replace_all;
using salonq::test::text_at;
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

TEST_CASE("JSON fields by name (json_at, as the Kafka tests read records)") {
    std::string const line = R"({"salonId":"b0001","seq":42,"eventsOffset":7,"note":""})";
    CHECK(text_at(line, "/salonId") == "b0001");
    CHECK(text_at(line, "/note").empty());
    CHECK(text_at(line, "/ticketId") == "<none>");
    CHECK(int_at(line, "/seq") == 42);
    CHECK(int_at(line, "/eventsOffset") == 7);
    CHECK(int_at(line, "/salonId") == -1);                // a string, not a number
    CHECK(int_at(R"({"atSeq":1,"seq":2})", "/seq") == 2); // whole names only
    CHECK(text_at(R"({"salonId":"b"})", "/Id") == "<none>");
}

TEST_CASE("replace_all replaces every one, and not in what it wrote") {
    CHECK(replace_all("late-1 then late-1", "late-1", "late-2") == "late-2 then late-2");
    CHECK(replace_all("aa", "a", "aa") == "aaaa");
    CHECK(replace_all("none here", "late-1", "late-2") == "none here");
    CHECK(replace_all("abc", "", "x") == "abc");
}
