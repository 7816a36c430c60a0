#include "projections/store/queue_views.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/invalid_codec.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/log/keys.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/thread_role.hpp"
#include "engine/store/rocks_store.hpp"
#include "projections/queue/view_codec.hpp"
#include "projections/store/outcome_index.hpp"
#include "projections/store/told_index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace salonq::projections {
namespace {

using namespace salonq::engine;
namespace store = salonq::engine::store;

// The views live in the store's `state` family (key: salonId, value: encode_view); its `meta` family holds the
// partition count, each partition's next offset and the broken salons.
constexpr std::string_view partitions_key = "partitions";
constexpr std::string_view next_prefix = "next:";
constexpr std::string_view broken_prefix = "broken:";
constexpr std::string_view through_prefix = "through:"; // + salonId -> the partition's next offset its view reflects
constexpr std::size_t read_chunk = 1024;
constexpr std::size_t block_cache_bytes = std::size_t{16} << 20; // the views are read from RocksDB at open only
// Without a WAL the views reach the disk when RocksDB flushes its memtables, which a quiet server may not do for
// hours: a checkpoint (or a share of one) starts a flush when the last one is this many checkpoint intervals old (30
// seconds at 5), so a kill -9 costs at most that much catch-up, and the sweep under way (up to 7.5 seconds more).
constexpr int flush_every_checkpoints = 6;

std::string next_key(partition_id p) {
    std::string key{next_prefix};
    log::put_u32(key, static_cast<std::uint32_t>(p.value()));
    return key;
}

std::string broken_key(salon_id const& s) { return std::string{broken_prefix} + s.value(); }
std::string through_key(std::string_view salon) { return std::string{through_prefix}.append(salon); }

// Partition p's next offset into the batch.
void put_next(store::write_batch& batch, std::size_t p, std::int64_t next) {
    std::string value;
    log::put_u64(value, static_cast<std::uint64_t>(next));
    batch.put(store::family::meta, next_key(partition_id{static_cast<std::int32_t>(p)}), value);
}

// A salon's events in the store's `events` family, for GET .../events and .../priority-log: 'e' (every event) or
// 'p' (priority starts), the salonId, a 0 byte (never in an id), the seq big-endian, so a scan reads them in order.
std::string salon_event_key(char kind, salon_id const& s, std::uint64_t seq) {
    std::string key{kind};
    key += s.value();
    key.push_back('\0');
    for (int shift = 56; shift >= 0; shift -= 8) {
        key.push_back(static_cast<char>((seq >> static_cast<unsigned>(shift)) & 0xFFU));
    }
    return key;
}

std::string encode_broken(broken_salon const& b) {
    codec::json_writer w;
    w.begin_object()
        .field("salonId", b.salon.value())
        .field("lastApplied", b.last_applied.value())
        .field("seen", b.seen.value())
        .field("partition", b.partition.value())
        .field("offset", b.offset.value())
        .end_object();
    return w.str();
}

[[nodiscard]] std::expected<broken_salon, codec::error> decode_broken(std::string_view json) {
    try {
        auto o = codec::as_object(codec::parse_document(json, codec::limits::message), "");
        broken_salon b;
        b.salon = salon_id{std::string{o.id("salonId")}};
        b.last_applied = seq_t{static_cast<std::uint64_t>(o.integer("lastApplied", 0, INT64_MAX))};
        b.seen = seq_t{static_cast<std::uint64_t>(o.integer("seen", 0, INT64_MAX))};
        b.partition = partition_id{static_cast<std::int32_t>(o.integer("partition", 0, INT32_MAX))};
        b.offset = offset_t{o.integer("offset", 0, INT64_MAX)};
        o.finish();
        return b;
    } catch (codec::decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

error store_error(store::error const& e) {
    return error{e.code == store::errc::busy ? errc::busy : errc::local_store, e.message};
}

using detail::positioned;

// Changes to one partition queue here in apply order and are delivered by whichever applying thread finds nobody
// else delivering: callbacks run with no lock held, yet one at a time per partition.
struct pending_change {
    salon_id salon;
    std::shared_ptr<snapshot const> now;
    std::vector<event> events;
    std::vector<rejected_command> rejections;
};

struct partition_slot {
    std::mutex apply_mutex;            // serializes applies of the partition
    std::atomic<std::int64_t> next{0}; // written under apply_mutex
    // Salons whose view changed since the last checkpoint, and whether `next` moved: under apply_mutex.
    std::unordered_set<salon_id> dirty;
    bool next_dirty = false;
    // Storage to build a salon's next view in: the view of a snapshot it replaced that nobody held any more. Copying
    // the current view into it is an assignment that reuses its strings' and vectors' storage, where a fresh copy
    // allocates every ticket's again (at a thousand busy salons with long lines, the copy and the old snapshot's
    // destruction were ~10 % of serve's CPU per walk-in). A checkpoint drops the spares of salons that did not change
    // since the one before, so only busy salons keep one. Under apply_mutex.
    std::unordered_map<salon_id, queue_view> spares;
    std::mutex notify_mutex;
    std::deque<pending_change> pending; // under notify_mutex
    bool delivering = false;            // under notify_mutex
};

// What a walk-in was told at join time, to keep by its ticket (told_index.hpp).
struct told_entry {
    ticket_id ticket;
    told_wait told;
};

// One salon's work in one apply: its view as it goes, and what was applied to it.
struct salon_work {
    salon_id salon;
    std::shared_ptr<snapshot const> before;
    queue_view view;
    std::vector<event> events;
    std::vector<rejected_command> rejections;
    bool estimated = false; // the view's estimates are for its current state (its last event was a walk-in's)
    std::vector<told_entry> told;
};

} // namespace

struct queue_views::impl {
    // Readers that go to RocksDB outside the applying locks (salon_events, outcome_of) hold this shared; swap_with()
    // holds it exclusively while it swaps the store.
    mutable std::shared_mutex db_mutex;
    std::unique_ptr<store::rocks_store> db;
    std::unique_ptr<wait_estimator> estimator;
    std::shared_ptr<join_board> joins; // set before the first apply; not swapped
    bool index_outcomes = false;
    std::chrono::hours outcome_retention{}; // the engine's dedupe window, after which an outcome is forgotten
    std::vector<std::unique_ptr<partition_slot>> partitions;
    logging::logger log{"projections"};

    mutable std::shared_mutex views_mutex;
    std::unordered_map<salon_id, std::shared_ptr<snapshot const>> views;

    mutable std::mutex health_mutex;
    std::uint64_t duplicates = 0;
    std::uint64_t gaps = 0;
    std::uint64_t undecodable = 0;
    std::map<salon_id, broken_salon> broken;
    std::optional<std::string> checkpoint_failure; // the last checkpoint's error, until one succeeds

    // The stored views newer than their partition's stored offset (a checkpoint's sweep writes them before it writes
    // the offsets): the partition's next offset each reflects, as stored. An event below it that a catch-up reads
    // again is in the view already: skipped, not counted as a duplicate. Loaded at open; read by applies only (a
    // swap holds them all).
    std::unordered_map<salon_id, std::int64_t> stored_through;

    // How often the changed views and the offsets they reflect are written; docs/projections.md says why not every
    // second, and why a share at a time.
    std::chrono::milliseconds checkpoint_interval{std::chrono::seconds{5}};
    std::mutex checkpoint_mutex; // one checkpoint (or share of one) at a time; guards what follows
    std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point next_sweep = std::chrono::steady_clock::now(); // when the next one begins
    // Its salons, handed out by the clock, once the events applied since the last sweep pay for another.
    runtime::checkpoint_sweep sweep{checkpoint_interval, runtime::checkpoint_sweep::default_bytes_per_event};
    std::atomic<std::size_t> applied_events{0};                   // by the applies, for the sweep's budget
    std::unordered_map<std::string, std::size_t> sweep_partition; // each swept salon's partition
    std::vector<std::optional<std::int64_t>> sweep_offsets;       // per partition: its next offset when it began

    std::mutex subscribers_mutex;
    subscription_id next_subscription = 1;
    // Copied on write, so a delivery iterates a list nobody changes under it.
    std::shared_ptr<std::vector<std::pair<subscription_id, subscriber>> const> subscribers =
        std::make_shared<std::vector<std::pair<subscription_id, subscriber>>>();

    [[nodiscard]] std::shared_ptr<snapshot const> find(salon_id const& s) const {
        std::shared_lock lock{views_mutex};
        auto it = views.find(s);
        return it == views.end() ? nullptr : it->second;
    }

    [[nodiscard]] bool is_broken(salon_id const& s) const {
        std::scoped_lock lock{health_mutex};
        return broken.contains(s);
    }

    [[nodiscard]] std::expected<void, error> apply_positioned(partition_id p, partition_slot& slot,
                                                              std::span<positioned const> entries, offset_t new_next);
    void deliver(partition_slot& slot);
    // A copy of `before`'s view (an empty view without one), made in the salon's spare storage if it has one.
    [[nodiscard]] static queue_view copy_of(partition_slot& slot, salon_id const& s, snapshot const* before);
    // Keeps, as spares, the views of the snapshots this apply replaced that nobody holds any more.
    static void keep_spares(partition_slot& slot, std::vector<salon_work>& work);
    // Reads partition p from next_offset(p) up to `until` (or its end, if sooner), decodes and applies; tells
    // `progress` the records read after each chunk.
    [[nodiscard]] std::expected<void, error> catch_up_partition(log::reader& events, partition_id p, offset_t until,
                                                                catch_up_progress const& progress);
    // Swaps what this impl serves with `other`'s (store, views, estimator, health); the caller holds every lock.
    void swap_contents(impl& other);
    // Writes every view changed since the last checkpoint with their partitions' offsets, at once (a sweep under way
    // is given up: its salons are among them).
    [[nodiscard]] std::expected<void, error> checkpoint();
    // checkpoint's work, with checkpoint_mutex held.
    [[nodiscard]] std::expected<void, error> write_checkpoint(std::chrono::steady_clock::time_point now);
    // The checkpointer's turn, with checkpoint_mutex held: begins a sweep when one is due and writes its share that
    // is due; returns when to come back.
    [[nodiscard]] std::chrono::steady_clock::time_point sweep_turn(std::chrono::steady_clock::time_point now);
    // Takes each partition's changed salons and next offset into the sweep, a consistent cut under its apply lock.
    void begin_sweep();
    // Writes the share of the sweep due by `now`: those salons' latest views, and the offsets of its beginning with
    // its last share; true if it was the last.
    [[nodiscard]] std::expected<bool, error> write_share(std::chrono::steady_clock::time_point now);
    // Gives the sweep up: what it has not written is changed again in its partition.
    void give_up_sweep(std::chrono::steady_clock::time_point now);
    // Puts each view with the next offset it reflects into `batch`.
    static void put_views(store::write_batch& batch,
                          std::vector<std::pair<std::shared_ptr<snapshot const>, std::int64_t>> const& views);
    // Flushes the memtables when the last flush is flush_every_checkpoints intervals old.
    [[nodiscard]] std::expected<void, error> flush_if_due(std::chrono::steady_clock::time_point now);
    // Stops the checkpointer (once; later calls do nothing).
    void stop_checkpointer();
    // The checkpointer's loop: a sweep every checkpoint_interval, a share at a time, until stopped.
    void run_checkpointer(std::stop_token const& stop);

    // Writes a checkpoint every checkpoint_interval on a thread of its own, so that no apply waits while the changed
    // views are encoded (a thousand salons with long lines: tens of milliseconds each time, straight into the
    // answer time of the walk-ins behind it). Started by open(); stopped by the destructor before its last
    // checkpoint. Last, so that it stops before anything it uses goes.
    std::mutex checkpointer_mutex;
    std::condition_variable_any checkpointer_wake;
    std::jthread checkpointer;
};

namespace {

// What an apply found wrong with a salon's seqs, kept apart until the batch is written.
struct seq_findings {
    std::uint64_t duplicates = 0;
    std::uint64_t gaps = 0;
    std::vector<broken_salon> broken;
};

} // namespace

queue_view queue_views::impl::copy_of(partition_slot& slot, salon_id const& s, snapshot const* before) {
    if (before == nullptr) {
        return queue_view{};
    }
    auto spare = slot.spares.extract(s);
    if (spare.empty()) {
        return before->view;
    }
    auto& view = spare.mapped();
    catch_up_view(view, before->view); // an earlier view of the salon: the tickets both hold keep their cards
    assert(view == before->view);      // a field that changes while a ticket waits would break it (catch_up.cpp)
    return std::move(view);
}

void queue_views::impl::keep_spares(partition_slot& slot, std::vector<salon_work>& work) {
    for (auto& w : work) {
        if (w.events.empty() || w.before == nullptr || w.before.use_count() != 1) {
            continue; // unchanged, new, or still held by a reader, a live delivery or a checkpoint
        }
        // Nobody else holds it, and nobody can take it any more: the map has the new snapshot. The acquire fence
        // orders this thread's writes after whatever the last other holder did with it before letting it go.
        std::atomic_thread_fence(std::memory_order_acquire);
        // Made non-const (std::make_shared<snapshot>), so changing it through the const pointer is defined.
        auto& old = const_cast<snapshot&>(*w.before); // NOLINT(cppcoreguidelines-pro-type-const-cast)
        slot.spares.insert_or_assign(w.salon, std::move(old.view));
        w.before.reset();
    }
}

std::expected<void, error> queue_views::impl::apply_positioned(partition_id p, partition_slot& slot,
                                                               std::span<positioned const> entries, offset_t new_next) {
    std::vector<salon_work> work;
    // At most one per entry, and never reallocated (a reallocation would move every view taken so far).
    static_assert(std::is_nothrow_move_constructible_v<queue_view>);
    work.reserve(entries.size());
    std::unordered_map<salon_id, std::size_t> index;
    auto const work_of = [&](salon_id const& s) -> salon_work& {
        auto [it, added] = index.try_emplace(s, work.size());
        if (added) {
            auto before = find(s);
            work.push_back(salon_work{s, before, copy_of(slot, s, before.get()), {}, {}, false, {}});
        }
        return work[it->second];
    };
    seq_findings found;
    auto const broken_now = [&](salon_id const& s) {
        return is_broken(s) || std::any_of(found.broken.begin(), found.broken.end(),
                                           [&](broken_salon const& b) { return b.salon == s; });
    };
    for (auto const& [offset, entry] : entries) {
        if (auto const* r = std::get_if<rejected_command>(entry)) {
            work_of(r->salon).rejections.push_back(*r);
            continue;
        }
        auto const& e = std::get<event>(*entry);
        auto& w = work_of(e.salon);
        auto const last = w.view.seq.value();
        if (broken_now(e.salon)) {
            ++found.gaps;
        } else if (e.seq.value() <= last) {
            if (auto const t = stored_through.find(e.salon); t != stored_through.end() && offset.value() < t->second) {
                continue; // read again after a restart: the stored view has it (a checkpoint's sweep wrote it)
            }
            ++found.duplicates;
            log.log(logging::level::warn,
                    {logging::kv("salonId", e.salon.value()), logging::kv("partition", p.value())},
                    "duplicate event skipped: seq {} at offset {}, the view is at seq {}", e.seq.value(),
                    offset.value(), last);
        } else if (e.seq.value() > last + 1) {
            ++found.gaps;
            found.broken.push_back(broken_salon{e.salon, w.view.seq, e.seq, p, offset});
            log.log(logging::level::error,
                    {logging::kv("salonId", e.salon.value()), logging::kv("partition", p.value())},
                    "gap in the salon's events: seq {} at offset {} after seq {}; its view stops here", e.seq.value(),
                    offset.value(), last);
        } else {
            apply_and_record_join(w.view, e, *estimator);
            auto const* issued = std::get_if<evt::ticket_issued>(&e.body);
            w.estimated = issued != nullptr; // it estimated the view after it
            if (auto const* t = issued != nullptr ? w.view.find_waiting(issued->ticket) : nullptr; t != nullptr) {
                if (joins) {
                    joins->post(e.salon, e.seq.value(), t->join_wait);
                }
                if (t->join_wait) {
                    w.told.push_back(told_entry{t->id, *t->join_wait});
                }
            }
            w.events.push_back(e);
        }
    }
    applied_events.fetch_add(entries.size(), std::memory_order_relaxed);

    auto batch = db->make_batch();
    std::vector<std::shared_ptr<snapshot const>> made(work.size());
    for (std::size_t i = 0; i < work.size(); ++i) {
        auto& w = work[i];
        if (w.events.empty()) {
            made[i] = w.before;
            continue;
        }
        if (!w.estimated) {
            estimator->estimate(w.view);
        }
        slot.dirty.insert(w.salon); // the view itself is written at the next checkpoint
        for (auto const& e : w.events) {
            auto const encoded = codec::encode_event(e);
            batch.put(store::family::events, salon_event_key('e', e.salon, e.seq.value()), encoded);
            if (std::holds_alternative<evt::priority_started>(e.body)) {
                batch.put(store::family::events, salon_event_key('p', e.salon, e.seq.value()), encoded);
            }
        }
        for (auto const& t : w.told) {
            detail::put_told(batch, w.salon, t.ticket, t.told);
        }
        auto const seq = w.view.seq;
        made[i] = std::make_shared<snapshot>(std::move(w.view), seq); // not const: see keep_spares
    }
    for (auto const& b : found.broken) {
        batch.put(store::family::meta, broken_key(b.salon), encode_broken(b));
    }
    if (index_outcomes) {
        // Written now, beside the salons' events; the views and offsets are saved later (save_dirty). A crash in
        // between re-applies these entries from the saved offset, which rewrites the same index entries.
        if (auto indexed = detail::index_outcomes(*db, batch, p, entries); !indexed) {
            return std::unexpected(store_error(indexed.error()));
        }
    }
    slot.next_dirty = true;
    if (batch.count() > 0) {
        if (auto written = db->write(batch, false); !written) {
            return std::unexpected(store_error(written.error()));
        }
    }

    {
        std::unique_lock lock{views_mutex};
        for (std::size_t i = 0; i < work.size(); ++i) {
            if (!work[i].events.empty()) {
                views[work[i].salon] = made[i];
            }
        }
    }
    {
        std::scoped_lock lock{health_mutex};
        duplicates += found.duplicates;
        gaps += found.gaps;
        for (auto& b : found.broken) {
            broken.emplace(b.salon, std::move(b));
        }
    }
    keep_spares(slot, work);
    slot.next.store(new_next.value());
    std::scoped_lock lock{slot.notify_mutex};
    for (std::size_t i = 0; i < work.size(); ++i) {
        auto& w = work[i];
        if (!w.events.empty() || !w.rejections.empty()) {
            slot.pending.push_back(
                pending_change{std::move(w.salon), std::move(made[i]), std::move(w.events), std::move(w.rejections)});
        }
    }
    return {};
}

std::expected<void, error> queue_views::impl::checkpoint() {
    std::scoped_lock lock{checkpoint_mutex};
    auto const now = std::chrono::steady_clock::now();
    give_up_sweep(now);
    auto written = write_checkpoint(now);
    std::scoped_lock health{health_mutex};
    checkpoint_failure = written ? std::nullopt : std::optional{written.error().message};
    return written;
}

void queue_views::impl::put_views(store::write_batch& batch,
                                  std::vector<std::pair<std::shared_ptr<snapshot const>, std::int64_t>> const& views) {
    for (auto const& [snap, through] : views) {
        batch.put(store::family::state, snap->view.salon.value(), encode_view(snap->view)); // the stored form
        std::string value;
        log::put_u64(value, static_cast<std::uint64_t>(through));
        batch.put(store::family::meta, through_key(snap->view.salon.value()), value);
    }
}

std::expected<void, error> queue_views::impl::flush_if_due(std::chrono::steady_clock::time_point now) {
    if (now - last_flush < flush_every_checkpoints * checkpoint_interval) {
        return {};
    }
    if (auto flushed = db->flush(); !flushed) {
        return std::unexpected(store_error(flushed.error())); // tried again with the next write, until one succeeds
    }
    last_flush = now;
    return {};
}

std::expected<void, error> queue_views::impl::write_checkpoint(std::chrono::steady_clock::time_point now) {
    auto batch = db->make_batch();
    std::vector<std::pair<partition_slot*, std::vector<salon_id>>> taken;
    // The partitions' views as of their offsets: immutable snapshots, so encoding them after the partition's lock is
    // let go writes the same bytes, and applies go on meanwhile (a thousand long lines take tens of milliseconds).
    std::vector<std::pair<std::shared_ptr<snapshot const>, std::int64_t>> views_taken;
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        auto& slot = *partitions[i];
        std::scoped_lock applying{slot.apply_mutex}; // a consistent cut of the partition: its views and its offset
        // Spares only for the salons busy since the last checkpoint (a quiet partition's included).
        std::erase_if(slot.spares, [&](auto const& spare) { return !slot.dirty.contains(spare.first); });
        if (!slot.next_dirty && slot.dirty.empty()) {
            continue;
        }
        std::vector<salon_id> salons;
        for (auto const& salon : slot.dirty) {
            if (auto snap = find(salon)) {
                views_taken.emplace_back(std::move(snap), slot.next.load()); // encoded once no apply waits
            }
            salons.push_back(salon);
        }
        put_next(batch, i, slot.next.load());
        slot.dirty.clear();
        slot.next_dirty = false;
        taken.emplace_back(&slot, std::move(salons));
    }
    put_views(batch, views_taken);
    views_taken.clear(); // let go before the write: an apply may reuse their storage (partition_slot::spares)
    if (batch.count() == 0) {
        return {};
    }
    if (auto written = db->write(batch, false); !written) {
        for (auto& [slot, salons] : taken) { // still to be written: the next checkpoint tries again
            std::scoped_lock applying{slot->apply_mutex};
            slot->dirty.insert(salons.begin(), salons.end());
            slot->next_dirty = true;
        }
        return std::unexpected(store_error(written.error()));
    }
    return flush_if_due(now);
}

void queue_views::impl::begin_sweep() {
    sweep_offsets.resize(partitions.size()); // a partition taken before, for a sweep that has not begun, stays taken
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        auto& slot = *partitions[i];
        std::scoped_lock applying{slot.apply_mutex};
        std::erase_if(slot.spares, [&](auto const& spare) { return !slot.dirty.contains(spare.first); });
        if (!slot.next_dirty && slot.dirty.empty()) {
            continue;
        }
        for (auto const& salon : slot.dirty) {
            sweep.changed(salon.value());
            sweep_partition.insert_or_assign(salon.value(), i);
        }
        sweep_offsets[i] = slot.next.load();
        slot.dirty.clear();
        slot.next_dirty = false;
    }
}

std::expected<bool, error> queue_views::impl::write_share(std::chrono::steady_clock::time_point now) {
    auto const share = sweep.next_batch(now, runtime::checkpoint_sweep::idle_step);
    std::vector<std::pair<std::shared_ptr<snapshot const>, std::int64_t>> views_taken;
    for (auto const& salon : share.salons) {
        auto& slot = *partitions[sweep_partition.at(salon)];
        std::scoped_lock applying{slot.apply_mutex}; // the view and the offset it reflects, together
        if (auto snap = find(salon_id{salon})) {
            views_taken.emplace_back(std::move(snap), slot.next.load());
        }
    }
    auto batch = db->make_batch();
    put_views(batch, views_taken);
    views_taken.clear();
    sweep.wrote(batch.bytes());
    if (share.ends) {
        for (std::size_t i = 0; i < sweep_offsets.size(); ++i) {
            if (auto const& next = sweep_offsets[i]; next.has_value()) {
                put_next(batch, i, next.value());
            }
        }
    }
    if (batch.count() > 0) {
        if (auto written = db->write(batch, false); !written) {
            sweep.batch_failed();
            give_up_sweep(now);
            return std::unexpected(store_error(written.error()));
        }
    }
    sweep.batch_committed();
    if (share.ends) {
        sweep_partition.clear();
        sweep_offsets.clear();
    }
    if (auto flushed = flush_if_due(now); !flushed) { // mid-sweep too: a restart skips what a stored view holds
        return std::unexpected(std::move(flushed.error()));
    }
    return share.ends;
}

void queue_views::impl::give_up_sweep(std::chrono::steady_clock::time_point now) {
    for (auto const& salon : sweep.take_all()) {
        auto& slot = *partitions[sweep_partition.at(salon)];
        std::scoped_lock applying{slot.apply_mutex};
        slot.dirty.insert(salon_id{salon});
    }
    for (std::size_t i = 0; i < sweep_offsets.size(); ++i) {
        if (sweep_offsets[i]) {
            std::scoped_lock applying{partitions[i]->apply_mutex};
            partitions[i]->next_dirty = true;
        }
    }
    sweep.checkpointed(now); // its bookkeeping emptied: the partitions hold what is still to write
    next_sweep = now + checkpoint_interval;
    sweep_partition.clear();
    sweep_offsets.clear();
}

std::chrono::steady_clock::time_point queue_views::impl::sweep_turn(std::chrono::steady_clock::time_point now) {
    if (!sweep.sweeping()) {
        if (now < next_sweep) {
            return next_sweep;
        }
        sweep.logged(applied_events.exchange(0, std::memory_order_relaxed));
        bool failed = false;
        {
            std::scoped_lock health{health_mutex};
            failed = checkpoint_failure.has_value();
        }
        // The log since the last sweep has not paid for another yet (after a failure the next one is due all the
        // same: only a sweep that ends clears it): look again soon. The memtables still reach the disk as often as
        // flush_every_checkpoints says, a quiet server's too.
        if (!failed && !sweep.affordable()) {
            if (auto flushed = flush_if_due(now); !flushed) {
                std::scoped_lock health{health_mutex};
                checkpoint_failure = flushed.error().message;
            }
            next_sweep = now + checkpoint_interval / 5;
            return next_sweep;
        }
        next_sweep = now + checkpoint_interval;
        begin_sweep();
    }
    auto written = write_share(now);
    {
        std::scoped_lock health{health_mutex};
        if (!written) {
            checkpoint_failure = written.error().message;
        } else if (*written) { // a sweep ended: everything before its beginning is stored
            checkpoint_failure.reset();
        }
    }
    if (!written) {
        log.error("the queue views' checkpoint failed (the next one writes its views again): {}",
                  written.error().message);
    }
    return sweep.sweeping() ? sweep.share_due() : next_sweep;
}

void queue_views::impl::stop_checkpointer() {
    if (checkpointer.joinable()) {
        checkpointer.request_stop();
        checkpointer.join();
    }
}

void queue_views::impl::run_checkpointer(std::stop_token const& stop) {
    runtime::set_thread_role("salonq-viewsave", runtime::thread_role::request_path); // it holds apply locks briefly
    auto next = std::chrono::steady_clock::now() + checkpoint_interval;
    std::unique_lock lock{checkpointer_mutex};
    while (!stop.stop_requested()) {
        (void)checkpointer_wake.wait_until(lock, stop, next, [] { return false; });
        if (stop.stop_requested()) {
            return;
        }
        lock.unlock();
        {
            std::scoped_lock checkpointing{checkpoint_mutex};
            next = sweep_turn(std::chrono::steady_clock::now());
        }
        lock.lock();
    }
}

void queue_views::impl::deliver(partition_slot& slot) {
    std::unique_lock lock{slot.notify_mutex};
    if (slot.delivering) {
        return; // the thread delivering will see what was queued
    }
    slot.delivering = true;
    while (!slot.pending.empty()) {
        auto next = std::move(slot.pending.front());
        slot.pending.pop_front();
        lock.unlock();
        std::shared_ptr<std::vector<std::pair<subscription_id, subscriber>> const> list;
        {
            std::scoped_lock subscribers_lock{subscribers_mutex};
            list = subscribers;
        }
        change const c{next.salon, next.now ? next.now->seq : seq_t{0}, next.now, next.events, next.rejections};
        for (auto const& [id, callback] : *list) {
            try {
                callback(c);
            } catch (std::exception const& e) { // a subscriber's failure must not stop the others, or the feed
                log.log(logging::level::error, {logging::kv("salonId", c.salon.value())},
                        "subscriber {} failed on seq {}: {}", id, c.seq.value(), e.what());
            }
        }
        lock.lock();
    }
    slot.delivering = false;
}

std::string const& snapshot::json() const {
    std::call_once(encoded_, [this] { json_ = encode_view(view, view_form::served); });
    return json_;
}

queue_views::queue_views(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

queue_views::~queue_views() {
    impl_->stop_checkpointer();
    if (auto written = impl_->checkpoint(); !written) {
        impl_->log.error(
            "the queue views' last checkpoint failed (the next start catches up from the previous one): {}",
            written.error().message);
    }
}

std::expected<void, error> queue_views::checkpoint() { return impl_->checkpoint(); }

std::expected<std::unique_ptr<queue_views>, error>
queue_views::open(std::filesystem::path const& dir, std::int32_t partition_count,
                  std::unique_ptr<wait_estimator> estimator, bool index_outcomes,
                  std::chrono::milliseconds checkpoint_interval, std::size_t checkpoint_bytes_per_event) {
    if (partition_count < 1) {
        return std::unexpected(error{errc::misconfigured, "the events log has at least one partition"});
    }
    store::open_options options;
    options.block_cache_bytes = block_cache_bytes;
    // A cache of the events log: no WAL (it was 8 % of the views' thread under walk-in load), the families flushed
    // together, so a crash leaves an earlier consistent point and catch_up folds the log forward from there.
    options.cache_of_log = true;
    options.salon_streams = true; // the events family: each salon's events by seq (salon_event_key)
    auto db = store::rocks_store::open(dir, options);
    if (!db) {
        return std::unexpected(store_error(db.error()));
    }
    auto i = std::make_unique<impl>();
    i->db = std::move(*db);
    i->estimator = std::move(estimator);
    i->index_outcomes = index_outcomes;
    i->outcome_retention = options.dedupe_retention;
    auto const now = std::chrono::steady_clock::now();
    i->checkpoint_interval = checkpoint_interval;
    i->sweep = runtime::checkpoint_sweep{checkpoint_interval, checkpoint_bytes_per_event, now};
    i->next_sweep = now + checkpoint_interval;

    auto stored_count = i->db->get(store::family::meta, partitions_key);
    if (!stored_count) {
        return std::unexpected(store_error(stored_count.error()));
    }
    auto const count_text = std::to_string(partition_count);
    if (std::optional<std::string> const& count = *stored_count; !count) {
        auto batch = i->db->make_batch();
        batch.put(store::family::meta, partitions_key, count_text);
        if (auto written = i->db->write(batch, true); !written) {
            return std::unexpected(store_error(written.error()));
        }
    } else if (*count != count_text) {
        return std::unexpected(
            error{errc::misconfigured, fmt::format("{} holds the views of an events log of {} partitions, not {}",
                                                   dir.string(), *count, partition_count)});
    }

    for (std::int32_t p = 0; p < partition_count; ++p) {
        auto& slot = i->partitions.emplace_back(std::make_unique<partition_slot>());
        auto stored = i->db->get(store::family::meta, next_key(partition_id{p}));
        if (!stored) {
            return std::unexpected(store_error(stored.error()));
        }
        if (std::optional<std::string> const& next = *stored; next) {
            slot->next.store(static_cast<std::int64_t>(log::get_u64(*next)));
        }
    }

    std::optional<error> bad;
    auto loaded = i->db->scan(store::family::state, "", "", [&](std::string_view key, std::string_view value) {
        auto v = decode_view(value);
        if (!v) {
            bad = error{errc::corrupt_record,
                        fmt::format("the stored view of {} does not decode: {} at {}: {}", key,
                                    codec::to_string(v.error().code), v.error().path, v.error().message)};
            return false;
        }
        auto salon = v->salon;
        auto const seq = v->seq;
        i->views.emplace(std::move(salon), std::make_shared<snapshot>(std::move(*v), seq));
        return true;
    });
    if (!loaded) {
        return std::unexpected(store_error(loaded.error()));
    }
    std::string broken_end{broken_prefix};
    broken_end.back() += 1;
    auto marks =
        i->db->scan(store::family::meta, broken_prefix, broken_end, [&](std::string_view, std::string_view value) {
            auto b = decode_broken(value);
            if (!b) {
                bad = error{errc::corrupt_record,
                            fmt::format("a stored broken-salon mark does not decode: {}", b.error().message)};
                return false;
            }
            i->broken.emplace(b->salon, std::move(*b));
            return true;
        });
    if (!marks) {
        return std::unexpected(store_error(marks.error()));
    }
    std::string through_end{through_prefix};
    through_end.back() += 1;
    auto throughs = i->db->scan(
        store::family::meta, through_prefix, through_end, [&](std::string_view key, std::string_view value) {
            if (value.size() != sizeof(std::uint64_t)) {
                return true; // not one of ours: the duplicate it would excuse is counted, nothing worse
            }
            i->stored_through.insert_or_assign(salon_id{std::string{key.substr(through_prefix.size())}},
                                               static_cast<std::int64_t>(log::get_u64(value)));
            return true;
        });
    if (!throughs) {
        return std::unexpected(store_error(throughs.error()));
    }
    if (bad) {
        return std::unexpected(std::move(*bad));
    }
    i->checkpointer = std::jthread{[self = i.get()](std::stop_token const& stop) { self->run_checkpointer(stop); }};
    return std::unique_ptr<queue_views>(new queue_views(std::move(i)));
}

std::expected<void, error> queue_views::apply(partition_id p, offset_t first_offset,
                                              std::span<log_entry const> entries) {
    if (p.value() < 0 || p.value() >= partition_count()) {
        return std::unexpected(error{errc::misconfigured, fmt::format("no partition {}", p.value())});
    }
    auto& slot = *impl_->partitions[static_cast<std::size_t>(p.value())];
    {
        std::scoped_lock lock{slot.apply_mutex};
        auto const next = slot.next.load();
        if (first_offset.value() > next) {
            return std::unexpected(error{
                errc::offset_ahead, fmt::format("partition {}: entries from offset {}, but the next to apply is {}",
                                                p.value(), first_offset.value(), next)});
        }
        auto const end = first_offset.value() + static_cast<std::int64_t>(entries.size());
        if (end <= next) {
            return {};
        }
        std::vector<positioned> todo;
        for (auto o = next; o < end; ++o) {
            todo.push_back(positioned{offset_t{o}, &entries[static_cast<std::size_t>(o - first_offset.value())]});
        }
        if (auto applied = impl_->apply_positioned(p, slot, todo, offset_t{end}); !applied) {
            return applied;
        }
    }
    impl_->deliver(slot);
    return {}; // the changed views are written by the checkpointer, off the applying thread
}

std::expected<void, error> queue_views::impl::catch_up_partition(log::reader& events, partition_id p, offset_t until,
                                                                 catch_up_progress const& progress) {
    auto& slot = *partitions[static_cast<std::size_t>(p.value())];
    while (slot.next.load() < until.value()) {
        auto const from = offset_t{slot.next.load()};
        auto const chunk = std::min(read_chunk, static_cast<std::size_t>(until.value() - from.value()));
        auto records = log::read_before(events, p, from, until, chunk);
        if (!records) {
            return std::unexpected(error{errc::log_read, records.error().message});
        }
        if (records->empty()) {
            break;
        }
        std::vector<log_entry> decoded;
        std::vector<offset_t> offsets;
        decoded.reserve(records->size());
        for (auto const& r : *records) {
            auto entry = codec::decode_entry(r.value);
            if (entry) {
                decoded.push_back(std::move(*entry));
                offsets.push_back(r.offset);
            } else if (!codec::decode_command_invalid(r.value)) {
                // A command_invalid (Kafka mode) is no salon's entry; anything else should never be there.
                std::scoped_lock lock{health_mutex};
                ++undecodable;
                log.log(logging::level::error, {logging::kv("partition", p.value())},
                        "the record at offset {} does not decode: {} at {}: {}", r.offset.value(),
                        codec::to_string(entry.error().code), entry.error().path, entry.error().message);
            }
        }
        {
            std::scoped_lock lock{slot.apply_mutex};
            auto const next = slot.next.load();
            std::vector<positioned> todo;
            for (std::size_t k = 0; k < decoded.size(); ++k) {
                if (offsets[k].value() >= next) {
                    todo.push_back(positioned{offsets[k], &decoded[k]});
                }
            }
            auto const new_next = std::max(next, records->back().offset.value() + 1);
            if (auto applied = apply_positioned(p, slot, todo, offset_t{new_next}); !applied) {
                return applied;
            }
        }
        deliver(slot);
        if (progress && !progress(static_cast<std::size_t>(records->back().offset.value() + 1 - from.value()))) {
            return std::unexpected(error{errc::cancelled, "the catch-up was stopped"});
        }
    }
    return {};
}

std::expected<void, error> queue_views::catch_up(log::reader& events) {
    std::vector<offset_t> ends;
    for (std::int32_t i = 0; i < events.partition_count(); ++i) {
        auto end = events.end_offset(partition_id{i});
        if (!end) {
            return std::unexpected(error{errc::log_read, end.error().message});
        }
        ends.push_back(*end);
    }
    return catch_up(events, ends, {});
}

std::expected<void, error> queue_views::catch_up(log::reader& events, std::span<offset_t const> until,
                                                 catch_up_progress const& progress) {
    if (events.partition_count() != partition_count() || until.size() != impl_->partitions.size()) {
        return std::unexpected(error{errc::misconfigured, fmt::format("the log has {} partitions, the views {}",
                                                                      events.partition_count(), partition_count())});
    }
    for (std::int32_t i = 0; i < partition_count(); ++i) {
        auto const p = partition_id{i};
        if (auto caught = impl_->catch_up_partition(events, p, until[static_cast<std::size_t>(i)], progress); !caught) {
            return caught;
        }
    }
    return {};
}

std::vector<offset_t> queue_views::next_offsets() const {
    std::vector<offset_t> out;
    out.reserve(impl_->partitions.size());
    for (auto const& slot : impl_->partitions) {
        out.push_back(offset_t{slot->next.load()});
    }
    return out;
}

std::expected<void, std::string> queue_views::fold_until(log::reader& events, std::span<offset_t const> until,
                                                         runtime::fold_progress const& progress) {
    auto caught = catch_up(events, until, progress);
    return caught ? std::expected<void, std::string>{} : std::unexpected(std::move(caught.error().message));
}

void queue_views::impl::swap_contents(impl& other) {
    // A sweep under way belongs with the store and the partitions' changed salons it was taken from.
    std::swap(sweep, other.sweep);
    std::swap(next_sweep, other.next_sweep);
    std::swap(sweep_partition, other.sweep_partition);
    std::swap(sweep_offsets, other.sweep_offsets);
    std::swap(stored_through, other.stored_through);
    {
        std::scoped_lock lock{db_mutex, other.db_mutex};
        std::swap(db, other.db);
    }
    std::swap(estimator, other.estimator);
    {
        std::scoped_lock lock{views_mutex, other.views_mutex};
        std::swap(views, other.views);
    }
    {
        std::scoped_lock lock{health_mutex, other.health_mutex};
        std::swap(duplicates, other.duplicates);
        std::swap(gaps, other.gaps);
        std::swap(undecodable, other.undecodable);
        std::swap(broken, other.broken);
        std::swap(checkpoint_failure, other.checkpoint_failure);
    }
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        auto& mine = *partitions[i];
        auto& theirs = *other.partitions[i];
        auto const next = mine.next.load();
        mine.next.store(theirs.next.load());
        theirs.next.store(next);
        std::swap(mine.dirty, theirs.dirty);
        std::swap(mine.next_dirty, theirs.next_dirty);
        // A spare is caught up on the assumption that its tickets' cards are the view's (catch_up_view): not so
        // across generations (a rebuild may have told the same tickets other join-time estimates).
        mine.spares.clear();
        theirs.spares.clear();
    }
}

std::expected<void, std::string> queue_views::swap_with(runtime::rebuildable& other,
                                                        runtime::reach_offsets const& reach) {
    auto* fresh = dynamic_cast<queue_views*>(&other);
    if (fresh == nullptr || fresh->partition_count() != partition_count() ||
        fresh->impl_->index_outcomes != impl_->index_outcomes) {
        return std::unexpected("the fresh views are not made like these");
    }
    // The fresh views' own checkpointer would write them while their contents are swapped with these (and with no lock
    // of theirs held): stop it; from the swap on, these views' checkpointer writes what they had.
    fresh->impl_->stop_checkpointer();
    {
        // The rest with every apply of these views held: the fresh ones reach exactly the same offsets.
        std::scoped_lock checkpointing{impl_->checkpoint_mutex};
        std::vector<std::unique_lock<std::mutex>> applying;
        for (auto& slot : impl_->partitions) {
            applying.emplace_back(slot->apply_mutex);
        }
        if (auto reached = reach(next_offsets()); !reached) {
            return reached;
        }
        if (auto written = fresh->checkpoint(); !written) {
            return std::unexpected(std::move(written.error().message));
        }
        impl_->swap_contents(*fresh->impl_);
    }
    republish();
    return {};
}

void queue_views::republish() {
    std::vector<std::shared_ptr<snapshot const>> all;
    {
        std::shared_lock lock{impl_->views_mutex};
        all.reserve(impl_->views.size());
        for (auto const& [salon, snap] : impl_->views) {
            all.push_back(snap);
        }
    }
    std::shared_ptr<std::vector<std::pair<subscription_id, subscriber>> const> list;
    {
        std::scoped_lock lock{impl_->subscribers_mutex};
        list = impl_->subscribers;
    }
    for (auto const& snap : all) {
        change const c{snap->view.salon, snap->seq, snap, {}, {}};
        for (auto const& [id, callback] : *list) {
            try {
                callback(c);
            } catch (std::exception const& e) {
                impl_->log.log(logging::level::error, {logging::kv("salonId", c.salon.value())},
                               "subscriber {} failed on the rebuilt view: {}", id, e.what());
            }
        }
    }
}

std::expected<void, std::string> queue_views::persist() {
    if (auto written = impl_->checkpoint(); !written) {
        return std::unexpected(std::move(written.error().message));
    }
    std::shared_lock lock{impl_->db_mutex};
    if (auto flushed = impl_->db->flush(true); !flushed) {
        return std::unexpected(std::move(flushed.error().message));
    }
    return {};
}

std::shared_ptr<snapshot const> queue_views::view(salon_id const& salon) const { return impl_->find(salon); }

namespace {

// The ticket's join-time estimate as the view has it (none inside: it had none); none outside if the view no longer
// has the ticket.
std::optional<std::optional<told_wait>> told_in_view(queue_view const& v, ticket_id ticket) {
    if (auto const* t = v.find_waiting(ticket)) {
        return t->join_wait;
    }
    if (auto const* t = v.find_serving(ticket)) {
        return t->join_wait;
    }
    if (auto const* t = v.find_skipped(ticket)) {
        return t->join_wait;
    }
    if (auto const* t = v.find_ended(ticket)) {
        return t->join_wait;
    }
    return std::nullopt;
}

} // namespace

std::expected<std::optional<told_wait>, error> queue_views::told_at_join(salon_id const& salon,
                                                                         ticket_id ticket) const {
    if (auto const v = impl_->find(salon)) {
        if (auto told = told_in_view(v->view, ticket)) {
            return *told;
        }
    }
    std::shared_lock lock{impl_->db_mutex};
    auto stored = detail::stored_told(*impl_->db, salon, ticket);
    if (!stored) {
        return std::unexpected(store_error(stored.error()));
    }
    return *stored;
}

std::expected<std::optional<runtime::outcome>, error>
queue_views::outcome_of(salon_id const& salon, command_id const& command, instant now) const {
    if (!impl_->index_outcomes) {
        return std::unexpected(error{errc::misconfigured, "these views keep no outcome index"});
    }
    std::shared_lock lock{impl_->db_mutex};
    auto found = detail::stored_outcome(*impl_->db, salon, command, now, impl_->outcome_retention);
    if (!found) {
        return std::unexpected(error{errc::corrupt_record, std::move(found.error())});
    }
    return std::move(*found);
}

std::expected<std::vector<std::string>, error> queue_views::salon_events(salon_id const& salon, seq_t after,
                                                                         std::size_t limit, bool priority_only) const {
    char const kind = priority_only ? 'p' : 'e';
    std::vector<std::string> out;
    if (limit == 0 || after.value() == std::numeric_limits<std::uint64_t>::max()) {
        return out;
    }
    auto const from = salon_event_key(kind, salon, after.value() + 1);
    std::string to{kind};
    to += salon.value();
    to.push_back('\1');
    std::shared_lock lock{impl_->db_mutex};
    auto scanned = impl_->db->scan(store::family::events, from, to, [&](std::string_view, std::string_view value) {
        out.emplace_back(value);
        return out.size() < limit;
    });
    if (!scanned) {
        return std::unexpected(store_error(scanned.error()));
    }
    return out;
}

projection_health queue_views::health() const {
    std::scoped_lock lock{impl_->health_mutex};
    projection_health h{impl_->duplicates, impl_->gaps, impl_->undecodable, {}, impl_->checkpoint_failure};
    for (auto const& [salon, b] : impl_->broken) {
        h.broken.push_back(b);
    }
    return h;
}

std::size_t queue_views::spare_views() const {
    std::size_t n = 0;
    for (auto const& slot : impl_->partitions) {
        std::scoped_lock lock{slot->apply_mutex};
        n += slot->spares.size();
    }
    return n;
}

offset_t queue_views::next_offset(partition_id p) const {
    return offset_t{impl_->partitions.at(static_cast<std::size_t>(p.value()))->next.load()};
}

std::int32_t queue_views::partition_count() const noexcept {
    return static_cast<std::int32_t>(impl_->partitions.size());
}

bool queue_views::indexes_outcomes() const noexcept { return impl_->index_outcomes; }

void queue_views::post_joins_to(std::shared_ptr<join_board> board) { impl_->joins = std::move(board); }

subscription_id queue_views::subscribe(subscriber callback) {
    std::scoped_lock lock{impl_->subscribers_mutex};
    auto list = std::make_shared<std::vector<std::pair<subscription_id, subscriber>>>(*impl_->subscribers);
    auto const id = impl_->next_subscription++;
    list->emplace_back(id, std::move(callback));
    impl_->subscribers = std::move(list);
    return id;
}

void queue_views::unsubscribe(subscription_id id) {
    std::scoped_lock lock{impl_->subscribers_mutex};
    auto list = std::make_shared<std::vector<std::pair<subscription_id, subscriber>>>(*impl_->subscribers);
    std::erase_if(*list, [&](auto const& entry) { return entry.first == id; });
    impl_->subscribers = std::move(list);
}

} // namespace salonq::projections
