#include "engine/runtime/engine_worker.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/runtime/dedupe.hpp"
#include "engine/runtime/state_checkpoint.hpp"
#include "engine/runtime/thread_role.hpp"

#include <fmt/format.h>

namespace salonq::engine::runtime {
namespace {

std::string encode_offsets(partition_offsets const& o) {
    std::string out;
    log::put_u64(out, static_cast<std::uint64_t>(o.next_command));
    log::put_u64(out, static_cast<std::uint64_t>(o.next_event));
    return out;
}

void put_entry(store::write_batch& wb, codec::json_writer& w, partition_id part, std::int64_t offset,
               log_entry const& entry) {
    w.clear();
    std::visit(
        [&](auto const& e) {
            if constexpr (std::is_same_v<std::decay_t<decltype(e)>, event>) {
                codec::write_event(w, e);
            } else {
                codec::write_rejected(w, e);
            }
        },
        entry);
    wb.put(store::family::events, log::record_key(part, offset_t{offset}), w.view());
}

} // namespace

engine_worker::engine_worker(worker_shared const& shared, std::int32_t index, state_cache states)
    : shared_(shared), index_(index), states_(std::move(states)),
      sweep_(shared.options.state_checkpoint_interval, shared.options.state_checkpoint_bytes_per_command),
      log_("engine", {logging::kv("worker", index)}) {
    thread_ = std::thread([this] {
        set_thread_role("salonq-engine", thread_role::request_path);
        run();
    });
}

engine_worker::~engine_worker() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void engine_worker::enqueue(pending p) {
    {
        std::lock_guard lock{mutex_};
        queue_.push_back(std::move(p));
    }
    wake_.notify_one();
}

std::expected<void, error> engine_worker::checkpoint() {
    std::future<std::expected<void, error>> done;
    {
        std::lock_guard lock{mutex_};
        done = asked_.emplace_back().get_future();
    }
    wake_.notify_one();
    return done.get();
}

bool engine_worker::on_its_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

void engine_worker::answer(std::vector<std::promise<std::expected<void, error>>>& asked,
                           std::expected<void, error> const& written) {
    for (auto& a : asked) {
        a.set_value(written);
    }
}

std::optional<engine_worker::clock::time_point> engine_worker::idle_due() const {
    if (sweep_.sweeping()) {
        return std::max(sweep_.share_due(), retry_idle_); // a sweep under way goes on between batches, by the clock
    }
    auto const due = sweep_.idle_due();
    if (!due) {
        return std::nullopt;
    }
    return std::max(*due, retry_idle_);
}

void engine_worker::run() {
    std::vector<pending> batch;
    for (;;) {
        std::vector<std::promise<std::expected<void, error>>> asked;
        bool stop = false;
        {
            std::unique_lock lock{mutex_};
            auto const ready = [&] { return stopping_ || !queue_.empty() || !asked_.empty(); };
            if (auto const due = idle_due()) {
                wake_.wait_until(lock, *due, ready);
            } else {
                wake_.wait(lock, ready);
            }
            // Checkpoints asked for are written after the batch taken with them (at once if there is none): a
            // steady stream of commands does not keep them waiting.
            asked = std::exchange(asked_, {});
            if (queue_.empty()) {
                stop = stopping_;
            } else {
                // Group commit: take everything that queued up while the last batch was being synced.
                auto const n = std::min(queue_.size(), shared_.options.max_batch);
                batch.assign(std::make_move_iterator(queue_.begin()),
                             std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
            }
        }
        if (!batch.empty()) {
            process(batch);
            batch.clear();
            if (!asked.empty()) {
                answer(asked, write_checkpoint());
            }
            continue;
        }
        // Idle: a checkpoint asked for or the last one, whole; one due (RocksDB's states are behind the log) or under
        // way, a share of it.
        auto const due = idle_due();
        if (stop || !asked.empty()) {
            answer(asked, write_checkpoint());
        } else if (due && clock::now() >= *due) {
            write_idle_share();
        }
        if (stop) {
            return; // everything submitted is decided, and the states are written
        }
    }
}

std::expected<std::optional<outcome>, error> engine_worker::previous(command const& c, std::string const& dkey) {
    return stored_outcome(shared_.db, c.salon, c.id, dkey, c.received_at, shared_.options.dedupe_retention);
}

std::expected<salon_state*, error> engine_worker::state_of(salon_id const& id) {
    if (!stale_.contains(id.value())) {
        return load_state(shared_.db, states_, id);
    }
    auto exact = current_state(shared_.db, id, shared_.partitions);
    if (!exact) {
        return std::unexpected(std::move(exact.error()));
    }
    stale_.erase(id.value());
    auto& found = *exact;
    if (!found) {
        return nullptr;
    }
    return &states_.insert_or_assign(id.value(), std::move(*found)).first->second;
}

std::optional<engine_worker::unfolded> engine_worker::load_all(std::vector<std::string> const& salons) {
    std::optional<unfolded> first;
    for (auto const& salon : salons) {
        if (!stale_.contains(salon)) {
            continue;
        }
        if (auto loaded = state_of(salon_id{salon}); !loaded) {
            sweep_.changed(salon); // still to be written: the next checkpoint tries again
            if (!first) {
                first = unfolded{salon, std::move(loaded.error().message)};
            }
        }
    }
    return first;
}

// A checkpoint that cannot fold a stale salon again leaves the states offsets where they are: the tail that every
// read and the next open fold grows until it can. Said at most once a minute, naming the salon.
void engine_worker::warn_offsets_held(unfolded const& missed) {
    auto const now = clock::now();
    if (warned_ && now < *warned_ + std::chrono::minutes{1}) {
        return;
    }
    warned_ = now;
    log_.warn("salon {}: its state cannot be folded again from the store and the log ({}); until it can, the "
              "checkpoints of this worker's partitions do not move their states offsets, and every state read and "
              "the next open fold the log from there (said at most once a minute)",
              missed.salon, missed.why);
}

engine_worker::decided_batch engine_worker::decide(std::vector<pending>& batch, store::write_batch& wb) {
    decided_batch d;
    d.results.reserve(batch.size());
    std::unordered_map<std::string, std::size_t> seen; // dedupe key -> index of its result in this batch
    codec::json_writer w;
    for (auto& p : batch) {
        auto const& c = p.cmd;
        auto const part = partition_id{log::partition_for(c.salon.value(), shared_.partitions)};
        auto dkey = log::dedupe_key(c.salon, c.id);
        if (auto it = seen.find(dkey); it != seen.end()) {
            auto copy = d.results[it->second];
            if (copy) {
                copy->duplicate = true;
            }
            d.results.push_back(std::move(copy));
            continue;
        }
        auto prior = previous(c, dkey);
        if (!prior) {
            d.results.push_back(std::unexpected(prior.error()));
            continue;
        }
        if (auto& decided = *prior) { // decided before: the same outcome again
            d.results.push_back(std::move(*decided));
            continue;
        }
        auto loaded = state_of(c.salon);
        if (!loaded) {
            d.results.push_back(std::unexpected(loaded.error()));
            continue;
        }
        salon_state* state = *loaded;
        std::optional<salon_state> unregistered; // a salon not in the log yet: decided against a fresh state
        if (state == nullptr) {
            state = &unregistered.emplace();
            state->id = c.salon;
        }

        auto& offsets = shared_.offsets[static_cast<std::size_t>(part.value())];
        d.before.try_emplace(part.value(), offsets);
        wb.put(store::family::commands, log::record_key(part, offset_t{offsets.next_command++}),
               codec::encode_command(c));

        outcome out{c.id, c.salon, false, part, offset_t{offsets.next_event}, {}};
        out.entries = decide_and_apply(*state, c);
        if (out.accepted()) {
            if (unregistered) {
                // A registration: from now on the salon lives in the cache.
                states_.insert_or_assign(c.salon.value(), std::move(*unregistered));
            }
            d.dirty.insert(c.salon.value());
        }
        for (auto const& entry : out.entries) {
            put_entry(wb, w, part, offsets.next_event++, entry);
        }
        wb.put(store::family::dedupe, dkey,
               dedupe_entry{c.received_at, part, out.first_offset, static_cast<std::uint32_t>(out.entries.size())}
                   .encode());
        seen.emplace(std::move(dkey), d.results.size());
        d.results.push_back(std::move(out));
        ++d.count;
    }
    return d;
}

std::map<std::int32_t, std::int64_t> engine_worker::events_ends() const {
    std::map<std::int32_t, std::int64_t> ends;
    auto const workers = std::max(1, shared_.options.workers);
    for (auto p = index_; p < shared_.partitions; p += workers) {
        ends.emplace(p, shared_.offsets[static_cast<std::size_t>(p)].next_event);
    }
    return ends;
}

void engine_worker::put_states(store::write_batch& wb, std::vector<std::string> const& salons) const {
    for (auto const& [salon, state] : encoded_states(states_, salons)) {
        wb.put(store::family::state, salon, state);
    }
}

void engine_worker::put_offsets(store::write_batch& wb, std::map<std::int32_t, std::int64_t> const& ends) const {
    for (auto const& [p, end] : ends) {
        put_states_offset(wb, partition_id{p}, end);
    }
}

// The batch's share of the checkpoint: the salons it changed join the sweep; the batch that begins one takes the
// offsets it will end with (this batch's events included), the one that ends it writes them, if every salon of the
// sweep could be written.
std::size_t engine_worker::put_share(store::write_batch& wb, std::unordered_set<std::string> const& dirty,
                                     std::size_t most) {
    for (auto const& salon : dirty) {
        sweep_.changed(salon);
    }
    auto const before = wb.bytes();
    auto const share = sweep_.next_batch(clock::now(), most);
    if (share.begins) {
        sweep_ends_ = events_ends();
        sweep_missed_.reset();
    }
    if (share.salons.empty() && !share.ends) {
        return 0;
    }
    if (auto missed = load_all(share.salons); missed && !sweep_missed_) {
        sweep_missed_ = std::move(missed);
    }
    put_states(wb, share.salons);
    sweep_.wrote(wb.bytes() - before);
    if (share.ends && sweep_missed_) {
        warn_offsets_held(*sweep_missed_);
    } else if (share.ends) {
        put_offsets(wb, sweep_ends_);
    }
    return share.salons.size();
}

std::expected<void, error> engine_worker::write(store::write_batch& wb) {
    auto const every = shared_.options.inject_write_failure_every;
    if (every > 0 && ++writes_ % every == 0) {
        return std::unexpected(error{errc::local_store, "injected write failure"});
    }
    auto written = shared_.db.write(wb, shared_.options.mode == durability::sync);
    if (!written) {
        return std::unexpected(storage_error(written.error()));
    }
    return {};
}

// Nothing of a failed batch happened: its offsets are rewound, and the salons it changed leave the cache (their
// states there hold its decisions) to be folded again from the log, whose end is where it was before the batch.
void engine_worker::forget(decided_batch const& d) {
    sweep_.batch_failed();
    for (auto const& salon : d.dirty) {
        states_.erase(salon);
        stale_.insert(salon);
    }
    for (auto const& [part, old] : d.before) {
        shared_.offsets[static_cast<std::size_t>(part)] = old;
    }
}

void engine_worker::process(std::vector<pending>& batch) {
    auto wb = shared_.db.make_batch();
    auto d = decide(batch, wb);
    sweep_.logged(d.count);
    for (auto const& [part, old] : d.before) {
        wb.put(store::family::meta, meta_partition_key(partition_id{part}),
               encode_offsets(shared_.offsets[static_cast<std::size_t>(part)]));
    }
    (void)put_share(wb, d.dirty);

    if (wb.count() > 0) {
        if (auto written = write(wb); !written) {
            forget(d);
            for (auto& r : d.results) {
                r = std::unexpected(written.error());
            }
        } else {
            sweep_.batch_committed();
            shared_.committed_commands.fetch_add(d.count, std::memory_order_relaxed);
            shared_.committed_batches.fetch_add(1, std::memory_order_relaxed);
            shared_.committed_bytes.fetch_add(wb.bytes(), std::memory_order_relaxed);
            if (shared_.options.on_batch_written) {
                shared_.options.on_batch_written(wb.data());
            }
            report_committed(d.results);
        }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].done) {
            batch[i].done(std::move(d.results[i]));
        }
    }
}

// Hands the outcomes this batch decided (not the repeats) to the on_committed hook, before any completion runs.
void engine_worker::report_committed(std::vector<std::expected<outcome, error>> const& results) const {
    if (!shared_.options.on_committed) {
        return;
    }
    std::vector<outcome const*> fresh;
    for (auto const& r : results) {
        if (r && !r->duplicate) {
            fresh.push_back(&*r);
        }
    }
    if (!fresh.empty()) {
        shared_.options.on_committed(fresh);
    }
}

// Idle with a checkpoint due or under way: its next share, as a batch of no commands. Written whole, a checkpoint
// encodes every salon changed in the interval (1,000 salons: ~30 ms) while the commands arriving meanwhile wait; a
// share at a time, between batches, they wait for one share at most. Not synced: the next batch's sync covers it.
void engine_worker::write_idle_share() {
    auto wb = shared_.db.make_batch();
    auto const salons = put_share(wb, {}, checkpoint_sweep::idle_step);
    if (wb.count() == 0) { // the share that begins a sweep: none of its salons are due yet
        sweep_.batch_committed();
        return;
    }
    if (auto written = shared_.db.write(wb, false); !written) {
        sweep_.batch_failed();
        retry_idle_ = clock::now() + shared_.options.state_checkpoint_interval;
        log_.warn("checkpoint: writing the salon states failed (tried again in {} ms): {}",
                  shared_.options.state_checkpoint_interval.count(), written.error().message);
        return;
    }
    sweep_.batch_committed();
    if (shared_.options.on_idle_share) {
        shared_.options.on_idle_share(salons);
    }
}

// A whole checkpoint at once (asked for, or at stop): every changed salon and the offsets of every committed
// batch. A sweep under way is given up: what it has not written yet is among the changed salons.
std::expected<void, error> engine_worker::write_checkpoint() {
    auto const salons = sweep_.take_all();
    if (auto missed = load_all(salons)) {
        warn_offsets_held(*missed);
        retry_idle_ = clock::now() + shared_.options.state_checkpoint_interval;
        return std::unexpected(
            error{errc::local_store, fmt::format("checkpoint: the state of salon {} could not be folded again: {}",
                                                 missed->salon, missed->why)});
    }
    auto wb = shared_.db.make_batch();
    put_states(wb, salons);
    put_offsets(wb, events_ends());
    if (auto written = shared_.db.write(wb, false); !written) {
        retry_idle_ = clock::now() + shared_.options.state_checkpoint_interval;
        return std::unexpected(storage_error(written.error()));
    }
    sweep_.checkpointed(clock::now());
    return {};
}

} // namespace salonq::engine::runtime
