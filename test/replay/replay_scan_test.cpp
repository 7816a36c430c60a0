// `salonq replay`'s scan over a real embedded log filled by the day simulator: it hands over exactly the entries
// asked for, in partition and offset order (so each salon's in seq order), bytes as stored, and stops at the end
// the log had when it started.

#include "engine/codec/event_codec.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/sim/day_simulator.hpp"
#include "replay/run/scan.hpp"
#include "replay/write/csv_sink.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

namespace salonq::test {
namespace {

using namespace salonq::replay;
using engine::runtime::embedded_engine;

constexpr std::int32_t partitions = 4;

// A capturing sink: what the scan handed over, in order.
class kept final : public sink {
public:
    explicit kept(bool decoded) : decoded_(decoded) {}
    [[nodiscard]] bool needs_entry() const noexcept override { return decoded_; }
    void take(replayed const& r, engine::log_entry const* entry) override {
        CHECK((entry != nullptr) == decoded_);
        items.push_back({r.partition, r.offset, std::string{r.json}});
    }
    [[nodiscard]] bool finish() override { return true; }

    struct item {
        std::int32_t partition;
        std::int64_t offset;
        std::string json;
    };
    std::vector<item> items;

private:
    bool decoded_;
};

std::unique_ptr<embedded_engine> filled_engine(std::string const& dir) {
    engine::runtime::engine_options options;
    options.partitions = partitions;
    options.mode = engine::runtime::durability::relaxed;
    auto engine = embedded_engine::open(dir, options);
    REQUIRE_MESSAGE(engine.has_value(), engine.error().message);
    engine::sim::sim_options day;
    day.salons = 6;
    day.days = 1;
    day.seed = 11;
    engine::sim::day_simulator{day}.run([&](std::vector<engine::command> const& batch) {
        std::vector<std::vector<engine::log_entry>> out;
        for (auto const& c : batch) {
            auto done = (*engine)->submit_sync(c);
            REQUIRE(done.has_value());
            out.push_back(done->entries);
        }
        return out;
    });
    return std::move(*engine);
}

// Every record of the log, in partition and offset order.
std::vector<engine::log::record> whole_log(engine::log::reader& log) {
    std::vector<engine::log::record> out;
    for (std::int32_t p = 0; p < log.partition_count(); ++p) {
        auto records = log.read(engine::partition_id{p}, engine::offset_t{0}, 10'000'000);
        REQUIRE(records.has_value());
        out.insert(out.end(), records->begin(), records->end());
    }
    return out;
}

std::vector<kept::item> run(engine::log::reader& log, selection_builder& b, bool decoded = false) {
    auto s = b.build(log.partition_count());
    REQUIRE(s.has_value());
    auto plan = plan_scan(log, *s);
    REQUIRE(plan.has_value());
    kept out{decoded};
    progress quiet{progress::style::quiet, plan->total()};
    auto result = scan(log, *plan, *s, out, quiet);
    REQUIRE(result.has_value());
    CHECK(result->written == out.items.size());
    CHECK(result->undecodable == 0);
    return out.items;
}

engine::log_entry decoded(std::string const& json) {
    auto e = engine::codec::decode_entry(json);
    REQUIRE(e.has_value());
    return *e;
}

std::string salon_of(engine::log_entry const& e) {
    return std::visit([](auto const& x) { return x.salon.value(); }, e);
}

} // namespace

TEST_CASE("replay scan: everything, then by salon, type, time and offset, as stored and in order") {
    temp_dir dir;
    auto engine = filled_engine(dir / "data");
    auto& log = engine->events();
    auto const all = whole_log(log);
    REQUIRE(all.size() > 500);

    SUBCASE("everything, rejections included: the log's bytes in partition and offset order") {
        selection_builder b;
        b.include_rejections(true);
        auto const got = run(log, b);
        REQUIRE(got.size() == all.size());
        for (std::size_t i = 0; i < all.size(); ++i) {
            CHECK(got[i].partition == all[i].partition.value());
            CHECK(got[i].offset == all[i].offset.value());
            CHECK(got[i].json == all[i].value);
        }
    }

    SUBCASE("one salon: its events only, seq 1, 2, 3, ... without a gap") {
        auto const salon = salon_of(decoded(all.front().value));
        selection_builder b;
        b.salons({salon});
        auto const got = run(log, b, true);
        REQUIRE(!got.empty());
        std::uint64_t seq = 0;
        for (auto const& item : got) {
            auto const e = decoded(item.json);
            REQUIRE(std::holds_alternative<engine::event>(e));
            CHECK(std::get<engine::event>(e).salon.value() == salon);
            CHECK(std::get<engine::event>(e).seq.value() == ++seq);
        }
    }

    SUBCASE("by type and by a time window: exactly the entries that match, counted by hand") {
        auto const middle = std::get<engine::event>(decoded(all[all.size() / 2].value)).at;
        auto const from = engine::codec::format_time(middle - std::chrono::minutes{30});
        auto const to = engine::codec::format_time(middle + std::chrono::minutes{30});
        std::size_t expected = 0;
        for (auto const& r : all) {
            auto const e = decoded(r.value);
            auto const* ev = std::get_if<engine::event>(&e);
            if (ev != nullptr && std::holds_alternative<engine::evt::ticket_issued>(ev->body) &&
                engine::codec::format_time(ev->at) >= from && engine::codec::format_time(ev->at) < to) {
                ++expected;
            }
        }
        REQUIRE(expected > 0);
        selection_builder b;
        b.types({"ticket_issued"}).from_time(from).to_time(to);
        CHECK(run(log, b).size() == expected);
    }

    SUBCASE("offsets: [from, to) of one partition; the end is where the log ended at the start") {
        std::map<std::int32_t, std::int64_t> ends; // partitions that hold entries, and their end offsets
        for (auto const& r : all) {
            ends[r.partition.value()] = r.offset.value() + 1;
        }
        REQUIRE(ends.size() >= 2);
        auto const one = ends.begin()->first;
        auto const other = std::next(ends.begin())->first;
        selection_builder b;
        b.include_rejections(true)
            .from_offsets({"10", fmt::format("{}:20", one)})
            .to_offsets({fmt::format("{}:30", one)});
        auto const got = run(log, b);
        std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> seen; // first, last per partition
        for (auto const& item : got) {
            auto [it, fresh] = seen.try_emplace(item.partition, item.offset, item.offset);
            it->second.second = item.offset;
        }
        CHECK(seen.at(one) == std::pair<std::int64_t, std::int64_t>{20, 29});
        CHECK(seen.at(other) == std::pair<std::int64_t, std::int64_t>{10, ends.at(other) - 1});
    }
}

TEST_CASE("replay scan: the CSV has a header and one row per entry; commas, quotes and line breaks are quoted") {
    temp_dir dir;
    auto const path = dir / "out.csv";
    {
        int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        REQUIRE(fd >= 0);
        {
            output out{fd};
            csv_sink csv{out};
            engine::event e;
            e.salon = engine::salon_id{"s1"};
            e.seq = engine::seq_t{9};
            e.cause = engine::command_id{"c-9"};
            e.by = engine::actor{"pos-1", engine::actor_kind::terminal};
            e.at = engine::from_unix_ms(1'795'000'000'000);
            engine::evt::ticket_issued issued;
            issued.ticket = engine::ticket_id{4};
            issued.tok = engine::token{104};
            issued.who = engine::customer{"Ana \"The Blade\", Jr.\nII", "", engine::customer_id{"cust-1"}};
            issued.services = {"HC", "BT"};
            e.body = issued;
            engine::log_entry const entry = e;
            csv.take(replayed{2, 77, ""}, &entry);
            CHECK(csv.finish());
        }
        ::close(fd);
    }
    std::ifstream in{path};
    std::stringstream text;
    text << in.rdbuf();
    auto const csv = text.str();
    CHECK(csv.starts_with("partition,offset,type,salonId,seq,"));
    CHECK(csv.find("2,77,ticket_issued,s1,9,,2026-11-18T") != std::string::npos);
    CHECK(csv.find(",B04,") != std::string::npos);
    CHECK(csv.find(R"("Ana ""The Blade"", Jr.)"
                   "\nII\"") != std::string::npos);
    CHECK(csv.find(",cust-1,HC+BT,") != std::string::npos);
    CHECK(std::ranges::count(csv, '\r') == 2); // two rows (header, entry), each ended by CRLF
}

} // namespace salonq::test
