#pragma once

// What the stats store's tests share: an events log in memory, a temporary directory, the whole history's stats to
// compare a store's answer with, and salons' histories in the domain's style (stats_store_test, stats_rebuild_test).

#include "engine/codec/event_codec.hpp"
#include "projections/stats_store/join_estimates.hpp"
#include "projections/stats_store/stats_json.hpp"
#include "projections/stats_store/stats_store.hpp"
#include "test/engine/scenario.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace salonq::test::stats_fixture {

namespace st = projections::stats;
using projections::stats_store::stats_store;
using std::chrono::minutes;

// An events log in memory (one partition): what catch_up reads. Appends and reads may come from several threads.
// With a stride of 2 the offsets have gaps as a Kafka topic's do: a commit marker after each record (record i at
// offset 2i, the end after the last marker).
class memory_log final : public log::reader {
public:
    explicit memory_log(std::int64_t stride = 1) : stride_(stride) {}
    void append(event const& e) {
        std::scoped_lock lock{mutex_};
        values_.push_back(codec::encode_event(e));
    }
    [[nodiscard]] std::int32_t partition_count() const override { return 1; }
    std::expected<std::vector<log::record>, log::error> read(partition_id p, offset_t from, std::size_t max) override {
        std::scoped_lock lock{mutex_};
        std::vector<log::record> out;
        auto const first = (from.value() + stride_ - 1) / stride_;
        for (auto i = static_cast<std::size_t>(first); i < values_.size() && out.size() < max; ++i) {
            out.push_back({p, offset_t{static_cast<std::int64_t>(i) * stride_}, "s1", values_[i]});
        }
        return out;
    }
    std::expected<offset_t, log::error> end_offset(partition_id /*p*/) override {
        std::scoped_lock lock{mutex_};
        return offset_t{static_cast<std::int64_t>(values_.size()) * stride_};
    }

private:
    std::int64_t stride_;
    std::mutex mutex_;
    std::vector<std::string> values_;
};

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::random_device r;
        path = std::filesystem::temp_directory_path() / ("salonq-stats-store-" + std::to_string(r()));
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;
};

// The whole history at once, folded as the store folds it (with the predictor's join-time estimates).
inline st::salon_history history_of(std::vector<event> const& events, std::string const& salon = "s1") {
    st::salon_history h{salon_id{salon}};
    projections::queue_view view;
    for (auto const& e : events) {
        projections::stats_store::apply_with_estimates(h, view, e);
    }
    return h;
}

// The store's answer for [first, last] in JSON, and the whole history's, summarized at once and cut to the range.
inline std::string stored(stats_store const& store, local_day first, local_day last, std::string const& salon = "s1") {
    auto s = store.stats(salon_id{salon}, first, last);
    REQUIRE(s);
    REQUIRE(*s);
    return projections::stats_store::encode_stats(**s);
}
inline std::string expected(std::vector<event> const& events, local_day first, local_day last,
                            std::string const& salon = "s1") {
    auto h = history_of(events, salon);
    h.close_open_shifts(); // as the store's answers: the shifts still open count until the latest event
    projections::stats_store::salon_stats s{salon_id{salon}, h.timezone(), first, last, {}, {}, {}};
    auto const all = st::summarize_days(h);
    for (auto d = first; d <= last; ++d) {
        auto it = std::ranges::find(all, d, &st::day_summary::day);
        st::day_summary empty;
        empty.day = d;
        s.days.push_back(it == all.end() ? empty : *it);
    }
    for (auto const& x : st::summarize_staff(h)) {
        if (x.day >= first && x.day <= last) {
            s.staff.push_back(x);
        }
    }
    for (auto const& x : st::summarize_services(h)) {
        if (x.day >= first && x.day <= last) {
            s.services.push_back(x);
        }
    }
    return projections::stats_store::encode_stats(s);
}

// Two days in London (BST): a full first day, a customer who joins at 23:50 and is served after midnight, a
// skip, a priority start, a cancel and a no-show; the second day's shift, and a visit still open at the end.
inline std::vector<event> two_days() {
    auto s = open_salon(); // 2024-06-03 08:00Z = 09:00 local, st1 and st2 on duty
    auto const manager = staff_actor("mgr");
    s.given(walk_in("c1"), start("st1"));                       // t1
    s.after(minutes{10}).given(walk_in("c2"), walk_in("c3"));   // t2, t3
    s.after(minutes{20}).given(complete(1), start("st1"));      // t1 30 min; t2 starts
    s.by(manager).given(skip(3));                               // t3 skipped
    s.after(minutes{5}).by(manager).given(undo_skip(3));        // back
    s.after(minutes{5}).by(manager).given(priority(3, "st2"));  // t3 out of turn
    s.after(minutes{40}).given(complete(2, 3000), complete(3)); // 09:20Z
    s.given(walk_in("c4"));                                     // t4
    s.after(minutes{5}).given(cancel(4));                       //
    s.given(walk_in("c5"));                                     // t5: a no-show
    s.at(utc(2024, 6, 3, 16, 0)).given(clock_out("st2"));       // 17:00 local
    s.by(manager).given(close_day());                           //
    s.at(utc(2024, 6, 3, 22, 50)).given(walk_in("c6"));         // 23:50 local
    s.at(utc(2024, 6, 3, 23, 10)).given(start("st1"));          // 00:10 local, the next day
    s.at(utc(2024, 6, 3, 23, 50)).given(complete(6));           // 40 min
    s.at(utc(2024, 6, 4, 1, 0)).given(clock_out("st1"));        // a shift over midnight
    s.at(utc(2024, 6, 4, 8, 0)).given(clock_in("st2"), walk_in("c7"), start("st2"));
    s.after(minutes{25}).given(complete(7), walk_in("c8")); // t8 still waiting at the end
    return s.history();
}

inline local_day const june3 = day_number(2024, 6, 3);
inline local_day const june4 = day_number(2024, 6, 4);

// Two weeks of a steady salon: every day from 09:00 to 17:00 London time one person on duty (st1) and one walk-in
// at the start of each hour, served at once for 20 minutes.
inline std::vector<event> steady_fortnight() {
    auto s = open_salon(); // 2024-06-03 08:00Z (09:00 BST), a Monday; st1 and st2 clocked in
    s.given(clock_out("st2"));
    for (unsigned d = 0; d < 14; ++d) {
        if (d > 0) {
            s.at(utc(2024, 6, 3 + d, 8, 0)).given(clock_in("st1"));
        }
        for (int h = 0; h < 8; ++h) {
            s.at(utc(2024, 6, 3 + d, 8 + h, 0)).given(walk_in("c"), start("st1"));
            s.after(minutes{20}).given(complete(s.state().next_ticket - 1));
        }
        s.at(utc(2024, 6, 3 + d, 16, 0)).given(clock_out("st1"));
    }
    return s.history();
}

} // namespace salonq::test::stats_fixture
