#pragma once

// A salon opened over the HTTP API, as the HTTP tests need one: registered, one service (HC, 30 min), one owner
// (ana) on duty. `salon` is its path, /v1/salons/{salonId}; the client's token must be admin's.

#include "engine/domain/calendar.hpp"
#include "test/support/http_client.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

namespace salonq::test {

// Today in London, the test salons' time zone, as they count their days.
inline engine::local_day london_today() {
    auto const now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    return engine::local_day_of("Europe/London", now);
}

// GET `target` of a read model that follows the log a little behind the queue views (stats): it answers 503
// (not_ready) until it has folded a new salon's first events. The first answer that is not 503, or the 503 after
// two seconds.
inline http_answer get_when_folded(http_client& c, std::string const& target) {
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    for (;;) {
        auto answer = c.get(target);
        if (answer.status != 503 || std::chrono::steady_clock::now() > until) {
            return answer;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
}

inline void open_salon_over_http(http_client& c, std::string const& salon) {
    namespace bhttp = boost::beast::http;
    REQUIRE(c.request(bhttp::verb::put, salon, R"({"name":"Cuts","timezone":"Europe/London"})").status == 201);
    REQUIRE(c.request(bhttp::verb::patch, salon + "/config",
                      R"({"services":[{"code":"HC","name":"Haircut","priceCents":2000,"durationMin":30}]})")
                .status == 200);
    REQUIRE(c.post(salon + "/staff", R"({"staffId":"ana","name":"Ana","role":"owner"})").status == 201);
    REQUIRE(c.post(salon + "/staff/ana/clock-in", "").status == 200);
}

} // namespace salonq::test
