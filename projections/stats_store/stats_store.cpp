#include "projections/stats_store/stats_store.hpp"

#include "engine/logging/logger.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/consumer_offsets.hpp"
#include "engine/store/rocks_store.hpp"
#include "projections/queue/view_codec.hpp"
#include "projections/stats_store/join_estimates.hpp"
#include "projections/stats_store/record_codec.hpp"
#include "projections/stats_store/stats_log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace salonq::projections::stats_store {
namespace {

using engine::store::family;

// Which of rocks_store's families holds what (the names are the engine's; the stats' own meanings here).
constexpr family offsets_family = family::meta;    // "o" + partition (4 bytes, big-endian) -> next offset
constexpr family format_family = family::meta;     // format_key -> store_format
constexpr family salons_family = family::state;    // "s" + salon -> fold state and open visits (salon_record)
                                                   // "v" + salon -> its queue view (the predictor's, stored form)
constexpr family counts_family = family::commands; // salon + '\0' + day -> the day's counts
constexpr family visits_family = family::events;   // salon + '\0' + day + ticket -> an ended visit
constexpr std::size_t read_batch = 4096;
// The store's format: 2 added each visit's join-time estimates, the salons' queue views and the days' staff time per
// hour; 3 books a service's staff work on the day it started (was: completed) and keeps the leave bands' `entered`
// in the queue views; 4 keeps the likely range each walk-in was told; 5 the chance of a start today it was told. A
// store of another format is emptied at open and folded again from the log (docs/stats.md).
constexpr std::string_view format_key = "format";
constexpr std::string_view store_format = "5";
constexpr std::array all_families{family::commands, family::events, family::state, family::meta};

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>((v >> (8U * static_cast<unsigned>(i))) & 0xFFU));
    }
}

std::string offset_key(engine::partition_id p) {
    std::string k{"o"};
    put_be(k, static_cast<std::uint32_t>(p.value()), 4);
    return k;
}
// A salon's key of a local day: days sort in order (biased, so a day before 1970 sorts first too).
std::string day_key(std::string_view salon, engine::local_day day) {
    std::string k{salon};
    k.push_back('\0');
    put_be(k, static_cast<std::uint32_t>(day) ^ 0x8000'0000U, 4);
    return k;
}
std::string visit_key(std::string_view salon, engine::local_day day, std::uint64_t ticket) {
    auto k = day_key(salon, day);
    put_be(k, ticket, 8);
    return k;
}
engine::local_day day_of_key(std::string_view key) {
    std::uint32_t v = 0;
    for (auto const c : key.substr(key.find('\0') + 1, 4)) {
        v = (v << 8U) | static_cast<std::uint8_t>(c);
    }
    return static_cast<engine::local_day>(v ^ 0x8000'0000U);
}

// One salon in memory: its history as far as it is still open, its applied seq, its days' counts as stored, and
// the queue view the predictor runs on (the same fold and predictor as the queue views', so a visit's estimate at
// join is what its walk-in was told).
struct salon_entry {
    stats::salon_history history;
    std::uint64_t seq = 0;
    std::map<engine::local_day, std::string> stored_counts; // the encoded counts the store holds
    projections::queue_view view;
};

// The first local day of the salon's stored visits, if any.
std::optional<engine::local_day> first_stored_day(engine::store::rocks_store const& db, std::string const& salon) {
    std::optional<engine::local_day> first;
    auto const scanned = db.scan(visits_family, day_key(salon, std::numeric_limits<engine::local_day>::min()),
                                 day_key(salon, std::numeric_limits<engine::local_day>::max()),
                                 [&](std::string_view key, std::string_view) {
                                     first = day_of_key(key);
                                     return false;
                                 });
    return scanned ? first : std::nullopt;
}

} // namespace

logging::logger const& stats_log() {
    static logging::logger const l{"stats"};
    return l;
}

struct stats_store::impl {
    std::unique_ptr<engine::store::rocks_store> db;
    std::int32_t partitions = 0;
    // Held shared by a read from its first look at memory to its last read of db, exclusively by swap_with.
    mutable std::shared_mutex generation_mutex;
    mutable std::mutex mutex;
    std::vector<std::int64_t> next; // per partition, under mutex
    std::map<std::string, salon_entry, std::less<>> salons;
    std::shared_ptr<join_board> joins;                           // set before the first catch_up; not swapped
    std::function<engine::offset_t(engine::partition_id)> limit; // likewise
    std::chrono::milliseconds checkpoint_interval;
    std::size_t checkpoint_bytes_per_event; // the sweeps' budget (checkpoint_sweep; 0: the clock alone)
    // Which changed salons the next writes take: handed out by the clock, evenly over half the interval, so that a
    // checkpoint of a thousand busy salons is a few salons every read instead of one burst (docs/stats.md).
    engine::runtime::checkpoint_sweep sweep;
    std::vector<std::int64_t> sweep_next; // each partition's next offset when the sweep under way began
    bool offsets_changed = false;         // folded since the last sweep began (or whole checkpoint)

    impl(std::chrono::milliseconds interval, std::size_t bytes_per_event)
        : checkpoint_interval(interval), checkpoint_bytes_per_event(bytes_per_event), sweep(new_sweep()) {}

    // Budgeted by the log (checkpoint_sweep): each salon's stored form holds its queue view and its open visits.
    [[nodiscard]] engine::runtime::checkpoint_sweep new_sweep() const {
        return engine::runtime::checkpoint_sweep{checkpoint_interval, checkpoint_bytes_per_event};
    }

    void fold(engine::event const& e) {
        auto it = salons.find(e.salon.value());
        if (it == salons.end()) {
            it = salons.emplace(e.salon.value(), salon_entry{stats::salon_history{e.salon}, 0, {}, {}}).first;
        }
        auto& s = it->second;
        if (e.seq.value() <= s.seq) {
            return; // folded before (a duplicate in the log)
        }
        if (e.seq.value() != s.seq + 1) {
            stats_log().warn("salon {}: seq {} follows {} (a gap in its events); the stats go on", e.salon.value(),
                             e.seq.value(), s.seq);
        }
        apply_with_estimates(s.history, s.view, e, joins.get());
        s.seq = e.seq.value();
        sweep.changed(e.salon.value());
    }

    // A run of partition p's entries (engine::runtime::read_decoded): those below its next offset were folded before.
    void fold_run(engine::runtime::decoded_run const& run) {
        auto& next_offset = next.at(static_cast<std::size_t>(run.partition.value()));
        for (auto const& [offset, entry] : run.entries) {
            if (offset.value() < next_offset) {
                continue;
            }
            if (auto const* e = std::get_if<engine::event>(&entry)) {
                fold(*e);
            }
            sweep.logged(1);
        }
        if (run.end.value() > next_offset) {
            next_offset = run.end.value(); // past a record that did not decode too (read_decoded logs it)
            offsets_changed = true;
        }
    }

    void put_salon(engine::store::write_batch& batch, std::string const& id, salon_entry& s,
                   std::vector<std::pair<engine::local_day, std::string>>& counts_written) {
        for (auto const& v : s.history.retire_ended()) {
            auto const json = encode_visit(v);
            batch.put(visits_family, visit_key(id, v.joined_local.day, v.ticket.value()), json);
            if (v.started) { // the staff's figures count it on the day it started
                auto const started = engine::local_day_of(s.history.timezone(), *v.started);
                if (started != v.joined_local.day) {
                    batch.put(visits_family, visit_key(id, started, v.ticket.value()), json);
                }
            }
        }
        for (auto const& [day, counts] : s.history.days()) {
            auto json = encode_counts(counts);
            if (auto it = s.stored_counts.find(day); it == s.stored_counts.end() || it->second != json) {
                batch.put(counts_family, day_key(id, day), json);
                counts_written.emplace_back(day, std::move(json));
            }
        }
        batch.put(salons_family, "s" + id, encode_salon(s.history, s.seq));
        batch.put(salons_family, "v" + id, projections::encode_view(s.view));
    }

    // Writes the salons' states as they stand and, if given, each partition's next offset, in one WriteBatch, and
    // returns its bytes. A failed write reloads the store (the ended visits left memory with the batch).
    [[nodiscard]] std::expected<std::size_t, std::string> write_salons(std::vector<std::string> const& ids,
                                                                       std::vector<std::int64_t> const* offsets) {
        auto batch = db->make_batch();
        std::map<std::string, std::vector<std::pair<engine::local_day, std::string>>> counts_written;
        for (auto const& id : ids) {
            if (auto it = salons.find(id); it != salons.end()) {
                put_salon(batch, id, it->second, counts_written[id]);
            }
        }
        if (offsets != nullptr) {
            for (std::int32_t p = 0; p < partitions; ++p) {
                batch.put(offsets_family, offset_key(engine::partition_id{p}),
                          std::to_string(offsets->at(static_cast<std::size_t>(p))));
            }
        }
        if (auto written = db->write(batch, false); !written) {
            auto const why = "writing the stats checkpoint: " + written.error().message;
            if (auto reloaded = load(); !reloaded) {
                return std::unexpected(why + "; then reloading: " + reloaded.error());
            }
            return std::unexpected(why);
        }
        for (auto& [id, written] : counts_written) {
            auto& s = salons.at(id);
            for (auto& [day, json] : written) {
                s.stored_counts.insert_or_assign(day, std::move(json));
            }
        }
        return batch.bytes();
    }

    // Every changed salon and the offsets now, at once (closing, a rebuild's persist, checkpoint()).
    [[nodiscard]] std::expected<void, std::string> write_checkpoint() {
        if (auto written = write_salons(sweep.take_all(), &next); !written) {
            return std::unexpected(written.error());
        }
        sweep.checkpointed(std::chrono::steady_clock::now());
        offsets_changed = false;
        return {};
    }

    // The share of the sweep that is due by now. A sweep begins once the interval has passed since the last one
    // began, with every salon changed so far; its last share writes the offsets of that moment, so that each salon
    // stored since holds at least what they reflect: a restart folds again from there and skips by seq what a
    // salon's stored state already has (docs/stats.md).
    [[nodiscard]] std::expected<void, std::string> write_share() {
        if (!offsets_changed && !sweep.sweeping()) {
            return {};
        }
        auto const share = sweep.next_batch(std::chrono::steady_clock::now());
        if (share.begins) {
            sweep_next = next;
            offsets_changed = false;
        }
        if (share.salons.empty() && !share.ends) {
            sweep.batch_committed();
            return {};
        }
        auto written = write_salons(share.salons, share.ends ? &sweep_next : nullptr);
        if (!written) {
            return std::unexpected(written.error());
        }
        sweep.wrote(*written);
        sweep.batch_committed();
        return {};
    }

    [[nodiscard]] std::expected<void, std::string> load_offsets() {
        next.assign(static_cast<std::size_t>(partitions), 0);
        for (std::int32_t p = 0; p < partitions; ++p) {
            auto v = db->get(offsets_family, offset_key(engine::partition_id{p}));
            if (!v) {
                return std::unexpected("reading an offset: " + v.error().message);
            }
            std::optional<std::string> const& stored = *v;
            next.at(static_cast<std::size_t>(p)) = stored ? std::stoll(*stored) : 0;
        }
        return {};
    }

    [[nodiscard]] std::expected<void, std::string> load_salons() {
        std::string problem;
        std::map<std::string, projections::queue_view> views;
        auto views_scanned = db->scan(salons_family, "v", "w", [&](std::string_view key, std::string_view value) {
            auto v = projections::decode_view(value);
            if (!v) {
                problem = fmt::format("the stored queue view of {}: {}", key.substr(1), v.error().message);
                return false;
            }
            views.insert_or_assign(std::string{key.substr(1)}, std::move(*v));
            return true;
        });
        if (!views_scanned || !problem.empty()) {
            return std::unexpected(!problem.empty() ? problem : "loading the stats: " + views_scanned.error().message);
        }
        std::map<std::string, std::map<engine::local_day, std::string>> counts;
        auto scanned = db->scan(counts_family, "", "", [&](std::string_view key, std::string_view value) {
            counts[std::string{key.substr(0, key.find('\0'))}].emplace(day_of_key(key), value);
            return true;
        });
        auto salons_scanned = db->scan(salons_family, "s", "t", [&](std::string_view key, std::string_view value) {
            auto r = decode_salon(value);
            if (!r) {
                problem = fmt::format("the stored stats of {}: {}", key.substr(1), r.error());
                return false;
            }
            auto const id = std::string{key.substr(1)};
            std::map<engine::local_day, stats::day_counts> days;
            for (auto const& [day, json] : counts[id]) {
                auto c = decode_counts(json);
                if (!c) {
                    problem = fmt::format("the stored counts of {}: {}", id, c.error());
                    return false;
                }
                days.emplace(day, std::move(*c));
            }
            salons.insert_or_assign(id, salon_entry{stats::salon_history{engine::salon_id{id}, std::move(r->state),
                                                                         std::move(r->open), std::move(days)},
                                                    r->seq, std::move(counts[id]), std::move(views[id])});
            return true;
        });
        if (!scanned || !salons_scanned) {
            return std::unexpected("loading the stats: " +
                                   (!scanned ? scanned.error() : salons_scanned.error()).message);
        }
        return problem.empty() ? std::expected<void, std::string>{} : std::unexpected(problem);
    }

    // A store of another format (or none yet) is emptied: catch_up folds the log again from the start.
    [[nodiscard]] std::expected<void, std::string> check_format() {
        auto const stored = db->get(format_family, std::string{format_key});
        if (!stored) {
            return std::unexpected("reading the stats format: " + stored.error().message);
        }
        if (*stored == std::optional<std::string>{store_format}) {
            return {};
        }
        auto batch = db->make_batch();
        for (auto const f : all_families) {
            auto const scanned = db->scan(f, "", "", [&](std::string_view key, std::string_view) {
                batch.erase(f, key);
                return true;
            });
            if (!scanned) {
                return std::unexpected("emptying the stats of an older format: " + scanned.error().message);
            }
        }
        if (batch.count() > 0) {
            stats_log().warn("the stats store in {} has an older format: folding the events log again from the start",
                             db->path().string());
        }
        batch.put(format_family, format_key, store_format);
        if (auto written = db->write(batch, true); !written) {
            return std::unexpected("writing the stats format: " + written.error().message);
        }
        return {};
    }

    [[nodiscard]] std::expected<void, std::string> load() {
        salons.clear();
        sweep = new_sweep();
        offsets_changed = false;
        if (auto offsets = load_offsets(); !offsets) {
            return offsets;
        }
        return load_salons();
    }

    // Reads partition p from its next offset up to `until` (or its end, if sooner) and folds what it reads,
    // writing the checkpoint's share that is due; true if anything was read.
    [[nodiscard]] std::expected<bool, std::string> fold_partition(engine::log::reader& events, engine::partition_id p,
                                                                  std::int64_t until,
                                                                  engine::runtime::fold_progress const& progress) {
        bool any = false;
        for (;;) {
            std::int64_t from = 0;
            {
                std::lock_guard lock{mutex};
                from = next.at(static_cast<std::size_t>(p.value()));
            }
            if (from >= until) {
                return any;
            }
            auto const max = std::min(read_batch, static_cast<std::size_t>(until - from));
            auto run = engine::runtime::read_decoded(events, p, engine::offset_t{from}, engine::offset_t{until}, max,
                                                     passed_over);
            if (!run) {
                return std::unexpected("reading the events log: " + run.error().message);
            }
            if (run->end.value() == from) {
                return any;
            }
            {
                std::lock_guard lock{mutex};
                fold_run(*run);
                if (auto written = write_share(); !written) {
                    return std::unexpected(written.error());
                }
            }
            any = true;
            if (progress && !progress(static_cast<std::size_t>(run->end.value() - from))) {
                return std::unexpected("the stats' fold was stopped");
            }
        }
    }

    // A record of the log that does not decode: logged, and passed over (one bad record stops no salon).
    static void passed_over(engine::partition_id p, engine::offset_t at, std::string const& why) {
        stats_log().error("the events log's record at partition {} offset {} does not decode and is passed over: {}",
                          p.value(), at.value(), why);
    }

    // Each partition's next offset; under mutex.
    [[nodiscard]] std::vector<engine::offset_t> offsets() const {
        std::vector<engine::offset_t> out;
        out.reserve(next.size());
        for (auto const n : next) {
            out.emplace_back(n);
        }
        return out;
    }

    // What this store serves, exchanged with `other`'s; the caller holds both mutexes and this generation lock.
    void swap_contents(impl& other) noexcept {
        std::swap(db, other.db);
        std::swap(next, other.next);
        std::swap(salons, other.salons);
        std::swap(sweep, other.sweep);
        std::swap(sweep_next, other.sweep_next);
        std::swap(offsets_changed, other.offsets_changed);
    }

    // The ended visits stored under the salon's days [first, last], into `visits` (what is there already wins).
    [[nodiscard]] std::expected<void, std::string> read_visits(std::string const& salon, engine::local_day first,
                                                               engine::local_day last,
                                                               std::map<std::uint64_t, stats::visit>& visits) const {
        std::string problem;
        auto scanned = db->scan(visits_family, day_key(salon, first), day_key(salon, last + 1),
                                [&](std::string_view, std::string_view value) {
                                    auto v = decode_visit(value);
                                    if (!v) {
                                        problem = fmt::format("a stored visit of {}: {}", salon, v.error());
                                        return false;
                                    }
                                    visits.try_emplace(v->ticket.value(), std::move(*v));
                                    return true;
                                });
        if (!scanned) {
            return std::unexpected("reading the stats: " + scanned.error().message);
        }
        return problem.empty() ? std::expected<void, std::string>{} : std::unexpected(problem);
    }
};

stats_store::stats_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
stats_store::~stats_store() {
    if (auto done = checkpoint(); !done) {
        stats_log().error("the last stats checkpoint failed (the next start folds the log from the one before): {}",
                          done.error());
    }
}

std::expected<std::unique_ptr<stats_store>, std::string>
stats_store::open(std::filesystem::path const& dir, std::int32_t partition_count,
                  std::chrono::milliseconds checkpoint_interval, std::size_t checkpoint_bytes_per_event) {
    auto i = std::make_unique<impl>(checkpoint_interval, checkpoint_bytes_per_event);
    auto db = engine::store::rocks_store::open(dir, engine::store::open_options{});
    if (!db) {
        return std::unexpected(fmt::format("opening {}: {}", dir.string(), db.error().message));
    }
    i->db = std::move(*db);
    i->partitions = partition_count;
    if (auto format = i->check_format(); !format) {
        return std::unexpected(format.error());
    }
    if (auto loaded = i->load(); !loaded) {
        return std::unexpected(loaded.error());
    }
    return std::unique_ptr<stats_store>{new stats_store(std::move(i))};
}

std::expected<bool, std::string> stats_store::catch_up(engine::log::reader& events) {
    bool any = false;
    for (std::int32_t p = 0; p < impl_->partitions; ++p) {
        auto const partition = engine::partition_id{p};
        auto const until = impl_->limit ? impl_->limit(partition).value() : std::numeric_limits<std::int64_t>::max();
        auto read = impl_->fold_partition(events, partition, until, {});
        if (!read) {
            return read;
        }
        any = any || *read;
    }
    std::lock_guard lock{impl_->mutex};
    if (auto written = impl_->write_share(); !written) {
        return std::unexpected(written.error());
    }
    return any;
}

std::expected<void, std::string> stats_store::fold_until(engine::log::reader& events,
                                                         std::span<engine::offset_t const> until,
                                                         engine::runtime::fold_progress const& progress) {
    if (until.size() != static_cast<std::size_t>(impl_->partitions)) {
        return std::unexpected(fmt::format("the log has {} partitions, the stats {}", until.size(), impl_->partitions));
    }
    for (std::int32_t p = 0; p < impl_->partitions; ++p) {
        auto const end = until[static_cast<std::size_t>(p)].value();
        if (auto read = impl_->fold_partition(events, engine::partition_id{p}, end, progress); !read) {
            return std::unexpected(read.error());
        }
    }
    return {};
}

std::vector<engine::offset_t> stats_store::next_offsets() const {
    std::lock_guard lock{impl_->mutex};
    return impl_->offsets();
}

void stats_store::take_joins_from(std::shared_ptr<join_board> board) { impl_->joins = std::move(board); }

void stats_store::fold_behind(std::function<engine::offset_t(engine::partition_id)> limit) {
    impl_->limit = std::move(limit);
}

std::expected<void, std::string> stats_store::swap_with(engine::runtime::rebuildable& other,
                                                        engine::runtime::reach_offsets const& reach) {
    auto* fresh = dynamic_cast<stats_store*>(&other);
    if (fresh == nullptr || fresh->impl_->partitions != impl_->partitions) {
        return std::unexpected("the fresh stats are not made like these");
    }
    std::unique_lock readers{impl_->generation_mutex};
    std::scoped_lock folds{impl_->mutex};
    if (auto reached = reach(impl_->offsets()); !reached) {
        return reached;
    }
    std::scoped_lock theirs{fresh->impl_->mutex};
    impl_->swap_contents(*fresh->impl_);
    return {};
}

std::expected<void, std::string> stats_store::persist() {
    std::lock_guard lock{impl_->mutex};
    if (auto written = impl_->write_checkpoint(); !written) {
        return written;
    }
    if (auto flushed = impl_->db->flush(true); !flushed) {
        return std::unexpected("flushing the stats: " + flushed.error().message);
    }
    return {};
}

std::expected<void, std::string> stats_store::checkpoint() {
    std::lock_guard lock{impl_->mutex};
    return impl_->offsets_changed || impl_->sweep.sweeping() ? impl_->write_checkpoint()
                                                             : std::expected<void, std::string>{};
}

std::optional<salon_calendar> stats_store::calendar(engine::salon_id const& salon) const {
    std::shared_lock generation{impl_->generation_mutex};
    salon_calendar c;
    {
        std::lock_guard lock{impl_->mutex};
        auto it = impl_->salons.find(salon.value());
        if (it == impl_->salons.end()) {
            return std::nullopt;
        }
        auto const& h = it->second.history;
        c.timezone = h.timezone();
        if (!h.days().empty()) {
            c.first_day = h.days().begin()->first;
        }
        for (auto const& [id, v] : h.visits()) {
            c.first_day = std::min(c.first_day.value_or(v.joined_local.day), v.joined_local.day);
        }
    }
    if (auto const stored = first_stored_day(*impl_->db, salon.value())) {
        c.first_day = std::min(c.first_day.value_or(*stored), *stored);
    }
    return c;
}

std::expected<std::optional<stats::salon_history>, std::string>
stats_store::history(engine::salon_id const& salon, engine::local_day first, engine::local_day last) const {
    std::shared_lock generation{impl_->generation_mutex};
    stats::fold_state state;
    std::map<std::uint64_t, stats::visit> visits;
    std::map<engine::local_day, stats::day_counts> days;
    {
        // Memory first, then the store: a visit a checkpoint moves in between is found in one or both.
        std::lock_guard lock{impl_->mutex};
        auto it = impl_->salons.find(salon.value());
        if (it == impl_->salons.end()) {
            return std::nullopt;
        }
        auto const& h = it->second.history;
        state = h.state();
        visits = h.visits();
        days.insert(h.days().lower_bound(first), h.days().upper_bound(last));
    }
    if (auto read = impl_->read_visits(salon.value(), first, last, visits); !read) {
        return std::unexpected(read.error());
    }
    return stats::salon_history{salon, std::move(state), std::move(visits), std::move(days)};
}

std::expected<std::optional<salon_stats>, std::string>
stats_store::stats(engine::salon_id const& salon, engine::local_day first, engine::local_day last) const {
    auto ranged = history(salon, first, last);
    if (!ranged) {
        return std::unexpected(ranged.error());
    }
    std::optional<stats::salon_history>& found = *ranged;
    if (!found) {
        return std::nullopt;
    }
    stats::salon_history& h = *found;
    h.close_open_shifts();
    salon_stats out{salon, h.timezone(), first, last, {}, {}, {}};
    auto const in_range = [&](engine::local_day d) { return d >= first && d <= last; };
    auto summaries = stats::summarize_days(h);
    auto s = std::ranges::find_if(summaries, [&](auto const& d) { return d.day >= first; });
    for (auto d = first; d <= last; ++d) {
        if (s != summaries.end() && s->day == d) {
            out.days.push_back(*s++);
        } else {
            stats::day_summary empty;
            empty.day = d;
            out.days.push_back(empty);
        }
    }
    std::ranges::copy_if(stats::summarize_staff(h), std::back_inserter(out.staff),
                         [&](auto const& x) { return in_range(x.day); });
    std::ranges::copy_if(stats::summarize_services(h), std::back_inserter(out.services),
                         [&](auto const& x) { return in_range(x.day); });
    return out;
}

engine::offset_t stats_store::next_offset(engine::partition_id p) const {
    std::lock_guard lock{impl_->mutex};
    return engine::offset_t{impl_->next.at(static_cast<std::size_t>(p.value()))};
}

} // namespace salonq::projections::stats_store
