// engine::runtime::read_pacer: a read-side consumer's reads start at least a gap apart, and no wake() is lost.

#include "engine/runtime/read_pacer.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

namespace {

using salonq::engine::runtime::read_pacer;
using namespace std::chrono_literals;

auto since(read_pacer::clock::time_point t) { return read_pacer::clock::now() - t; }

} // namespace

TEST_CASE("read pacer: a wake after a quiet spell is read at once") {
    read_pacer pacer{10s, 25ms};
    auto const started = read_pacer::clock::now() - 1s; // the last read began long ago
    std::thread engine{[&] {
        std::this_thread::sleep_for(20ms);
        pacer.wake();
    }};
    auto const t = read_pacer::clock::now();
    CHECK(pacer.wait(started));
    CHECK(since(t) < 2s); // not the poll's 10 s
    engine.join();
}

TEST_CASE("read pacer: a wake during the gap is kept and read when the gap is over, not before") {
    read_pacer pacer{10s, 200ms};
    auto const started = read_pacer::clock::now();
    pacer.wake(); // a commit while the consumer reads
    CHECK(pacer.wait(started));
    CHECK(since(started) >= 200ms);
    CHECK(since(started) < 5s); // not lost: the poll would be 10 s

    // Many wakes during the next gap: one read.
    auto const next = read_pacer::clock::now();
    for (int i = 0; i < 100; ++i) {
        pacer.wake();
    }
    CHECK(pacer.wait(next));
    CHECK(since(next) >= 200ms);
}

TEST_CASE("read pacer: without a wake, the next read is at the poll") {
    read_pacer pacer{100ms, 0ms};
    auto const started = read_pacer::clock::now();
    CHECK(pacer.wait(started));
    CHECK(since(started) >= 100ms);
}

TEST_CASE("read pacer: stop ends the gap and the wait") {
    read_pacer pacer{10s, 10s};
    std::thread stopper{[&] {
        std::this_thread::sleep_for(20ms);
        pacer.stop();
    }};
    auto const started = read_pacer::clock::now();
    CHECK_FALSE(pacer.wait(started));
    CHECK(since(started) < 5s);
    CHECK(pacer.stopping());
    stopper.join();
    CHECK_FALSE(pacer.wait(read_pacer::clock::now())); // and every wait after it
}
