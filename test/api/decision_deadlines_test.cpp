// The POSTs' decision deadlines on a real io_context: a waiter is told once its deadline has passed (not before), in
// the order the deadlines come, and not at all if it has gone (answered) or the line was stopped.

#include "api/http/decision_deadlines.hpp"

#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace decision_deadlines_test {

namespace {

using salonq::api::http::decision_deadlines;
using clock = decision_deadlines::clock;
using std::chrono::milliseconds;

struct told_log {
    std::vector<std::string> names;
    std::vector<clock::time_point> at;
};

class post final : public decision_deadlines::waiter {
public:
    post(std::string name, told_log& log) : name_(std::move(name)), log_(log) {}
    void deadline_passed() override {
        log_.names.push_back(name_);
        log_.at.push_back(clock::now());
    }

private:
    std::string name_;
    told_log& log_;
};

} // namespace

TEST_CASE("decision deadlines: told after the deadline, in order; an answered one is not told; stop forgets") {
    boost::asio::io_context ioc;
    decision_deadlines line{ioc.get_executor(), milliseconds{5}};
    told_log log;
    auto const start = clock::now();
    auto a = std::make_shared<post>("a", log);
    auto b = std::make_shared<post>("b", log);
    auto c = std::make_shared<post>("c", log);
    line.watch(a, start + milliseconds{20});
    line.watch(b, start + milliseconds{40});
    line.watch(c, start + milliseconds{60});
    b.reset(); // answered before its deadline: gone
    ioc.run(); // returns once the line is empty
    REQUIRE(log.names == std::vector<std::string>{"a", "c"});
    CHECK(log.at[0] >= start + milliseconds{20});
    CHECK(log.at[1] >= start + milliseconds{60});

    // Stopped with a waiter in line: nobody is told, and the timer holds the io_context no longer.
    log = {};
    auto d = std::make_shared<post>("d", log);
    line.watch(d, clock::now() + std::chrono::hours{1});
    line.stop();
    ioc.restart();
    auto const ran_from = clock::now();
    ioc.run();
    CHECK(log.names.empty());
    CHECK(clock::now() - ran_from < std::chrono::seconds{5});
}

} // namespace decision_deadlines_test
