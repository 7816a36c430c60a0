// The RocksDB store opened read-only beside a writer in another process (what `salonq events`, `state` and
// `verify` do while `salonq submit` runs): every open sees one consistent, recent point even while the writer
// flushes and compacts; a second writer is refused in words; and a read-only open of a path with no database
// fails and creates nothing.

#include "engine/store/rocks_store.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace salonq::engine;
using salonq::test::temp_dir;

store::open_options read_only() {
    store::open_options o;
    o.create_if_missing = false;
    o.read_only = true;
    return o;
}

// Write i: the salon's state and the partition's offset both say i, and command i is added; so a consistent
// point with state i holds exactly i commands.
void write_one(store::rocks_store& db, int i) {
    auto wb = db.make_batch();
    wb.put(store::family::state, "salon-1", std::to_string(i));
    wb.put(store::family::meta, "offset/0", std::to_string(i));
    wb.put(store::family::commands, "cmd-" + std::to_string(i), std::string(200, 'c'));
    REQUIRE(db.write(wb, false));
}

struct point {
    int state = 0;
    int commands = 0;
    std::string offset;
};

point read_point(store::rocks_store const& db) {
    point p;
    p.state = std::stoi(db.get(store::family::state, "salon-1").value().value_or("0"));
    p.offset = db.get(store::family::meta, "offset/0").value().value_or("0");
    REQUIRE(db.scan(store::family::commands, "", "", [&](std::string_view, std::string_view) {
        ++p.commands;
        return true;
    }));
    return p;
}

} // namespace

// The writer of the test below, in a process of its own: writes for up to a minute, flushing every 200 writes (tens
// of ms apart, where salonq's 64 MB memtables flush seconds apart) so that flushes and the compactions they bring keep
// happening while the test opens read-only views. (Every 20 writes, a few ms apart, left a loaded machine no quiet
// window for a read-only open within its 10 s of patience.)
TEST_CASE("store: (child of the read-only test) holds the database and keeps writing") {
    char const* dir = std::getenv("SALONQ_STORE_WRITER_DIR");
    if (dir == nullptr) {
        return;
    }
    auto db = store::rocks_store::open(dir);
    if (!db) {
        ::_exit(2);
    }
    auto const until = std::chrono::steady_clock::now() + std::chrono::minutes{1};
    for (int i = 1; std::chrono::steady_clock::now() < until; ++i) {
        write_one(**db, i);
        if (i % 200 == 0) {
            (void)(*db)->flush(); // explicit ignore: a flush that fails only means fewer flushes
        }
        // Now and then a quiet moment, as a real engine has between flushes seconds apart, in which an open that
        // takes long (under a sanitizer, or on a loaded machine) fits. (150 ms was too short once: ASan on a machine
        // at load 5 kept every open of 10 s overlapping a flush.)
        if (i % 1000 == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds{500});
        }
        std::this_thread::sleep_for(std::chrono::microseconds{100}); // a busy salon engine, not a bulk load
    }
    ::_exit(0);
}

TEST_CASE("store: beside a writer in another process, read-only opens see consistent recent points") {
    temp_dir dir;
    auto const path = dir / "db";
    salonq::test::child_process writer({"/usr/bin/env", "SALONQ_STORE_WRITER_DIR=" + path,
                                        std::filesystem::read_symlink("/proc/self/exe").string(),
                                        "--test-case=store: (child of the read-only test)*"},
                                       dir / "writer.log", true);
    REQUIRE(writer.started());
    int first = 0;
    for (int i = 0; i < 2000 && first < 100; ++i) { // the writer has started and written a little
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
        if (auto db = store::rocks_store::open(path, read_only())) {
            first = read_point(**db).state;
        }
    }
    REQUIRE(first >= 100);

    SUBCASE("a second writer is refused, in words") {
        auto refused = store::rocks_store::open(path);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == store::errc::busy);
        CHECK(refused.error().message ==
              "another salonq process holds the log at " + path + " (its RocksDB LOCK file is taken)");
    }
    SUBCASE("every read-only open is one write's point, and a later open sees later writes") {
        point last;
        for (int view = 0; view < 60; ++view) {
            auto db = store::rocks_store::open(path, read_only());
            REQUIRE_MESSAGE(db, db.error().message);
            auto const p = read_point(**db);
            CAPTURE(view);
            CHECK(p.commands == p.state); // no write missing under the latest one
            CHECK(p.offset == std::to_string(p.state));
            CHECK(p.state >= last.state);
            last = p;
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        CHECK(last.state > first);
    }
    writer.kill();
}

TEST_CASE("store: a read-only open where there is no database fails and creates nothing") {
    temp_dir dir;
    auto missing = store::rocks_store::open(dir / "nope", read_only());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == store::errc::not_found);
    CHECK(missing.error().message == dir / "nope" + " does not exist");
    CHECK_FALSE(std::filesystem::exists(dir / "nope"));

    std::filesystem::create_directory(dir / "empty");
    auto empty = store::rocks_store::open(dir / "empty", read_only());
    REQUIRE_FALSE(empty);
    CHECK(empty.error().code == store::errc::not_found);
    CHECK(empty.error().message == dir / "empty" + " is not a salonq data directory (it has no RocksDB CURRENT file)");
    CHECK(std::filesystem::is_empty(dir / "empty"));
}
