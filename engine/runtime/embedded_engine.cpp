#include "engine/runtime/embedded_engine.hpp"

#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/runtime/engine_worker.hpp"
#include "engine/runtime/state_checkpoint.hpp"
#include "engine/runtime/stored.hpp"

#include <fmt/format.h>

#include <atomic>
#include <future>

namespace salonq::engine::runtime {

std::string meta_partition_key(partition_id p) { return "p/" + log::partition_prefix(p); }

struct embedded_engine::impl {
    engine_options options;
    std::unique_ptr<store::rocks_store> db;
    std::int32_t partitions = default_partitions;
    std::vector<partition_offsets> offsets;
    std::atomic<std::uint64_t> committed_commands{0};
    std::atomic<std::uint64_t> committed_batches{0};
    std::atomic<std::uint64_t> committed_bytes{0};
    std::unique_ptr<log::embedded_reader> events;
    std::unique_ptr<log::embedded_reader> commands;
    std::uint64_t recovered_events = 0;
    std::vector<std::unique_ptr<engine_worker>> workers;
};

embedded_engine::embedded_engine(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

embedded_engine::~embedded_engine() {
    impl_->workers.clear(); // each worker drains its queue and writes a last checkpoint before its thread ends
}

std::expected<std::unique_ptr<embedded_engine>, error> embedded_engine::open(std::filesystem::path const& dir,
                                                                             engine_options options) {
    auto state = std::make_unique<impl>();
    if (!options.clock) {
        options.clock = wall_now;
    }
    options.workers = std::max(1, options.workers);
    options.max_batch = std::max<std::size_t>(1, options.max_batch);
    state->options = std::move(options);

    auto db = store::rocks_store::open(dir, store::open_options{true, false, state->options.dedupe_retention});
    if (!db) {
        return std::unexpected(storage_error(db.error()));
    }
    state->db = std::move(*db);

    // The partition count is part of the log's layout: fixed when the log is created.
    auto layout = stored_partition_count(*state->db);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    if (auto const& found = *layout) {
        auto const stored = *found;
        if (auto const& asked = state->options.partitions; asked && *asked != stored) {
            return std::unexpected(error{errc::misconfigured, fmt::format("the log at {} has {} partitions, not {}",
                                                                          dir.string(), stored, *asked)});
        }
        state->partitions = stored;
    } else {
        state->partitions = state->options.partitions.value_or(default_partitions);
        if (state->partitions < 1 || state->partitions > 4096) {
            return std::unexpected(error{errc::misconfigured, "partitions must be between 1 and 4096"});
        }
        auto wb = state->db->make_batch();
        std::string value;
        log::put_u32(value, static_cast<std::uint32_t>(state->partitions));
        wb.put(store::family::meta, meta_layout_key, value);
        if (auto written = state->db->write(wb, true); !written) {
            return std::unexpected(storage_error(written.error()));
        }
    }

    // Recovery: the offsets were written in the same WriteBatch as the records they count, so they are exact.
    state->offsets.resize(static_cast<std::size_t>(state->partitions));
    for (std::int32_t p = 0; p < state->partitions; ++p) {
        auto stored = state->db->get(store::family::meta, meta_partition_key(partition_id{p}));
        if (!stored) {
            return std::unexpected(storage_error(stored.error()));
        }
        if (auto const& value = *stored) {
            auto& o = state->offsets[static_cast<std::size_t>(p)];
            o.next_command = static_cast<std::int64_t>(log::get_u64(*value));
            o.next_event = static_cast<std::int64_t>(log::get_u64(std::string_view{*value}.substr(8)));
        }
    }

    // The states are a checkpoint: fold what the log holds past it (a run that did not stop cleanly), so that each
    // worker starts with exact states.
    state_cache recovered;
    std::vector<std::int64_t> ends;
    for (auto const& o : state->offsets) {
        ends.push_back(o.next_event);
    }
    auto folded = recover_states(*state->db, ends, recovered);
    if (!folded) {
        return std::unexpected(folded.error());
    }
    state->recovered_events = *folded;

    state->events = std::make_unique<log::embedded_reader>(*state->db, store::family::events, state->partitions);
    state->commands = std::make_unique<log::embedded_reader>(*state->db, store::family::commands, state->partitions);
    worker_shared const shared{*state->db,
                               state->options,
                               state->partitions,
                               state->offsets,
                               state->committed_commands,
                               state->committed_batches,
                               state->committed_bytes};
    std::vector<state_cache> caches(static_cast<std::size_t>(state->options.workers));
    for (auto& [salon, s] : recovered) {
        auto const p = log::partition_for(salon, state->partitions);
        caches[static_cast<std::size_t>(p % state->options.workers)].emplace(salon, std::move(s));
    }
    for (std::int32_t i = 0; i < state->options.workers; ++i) {
        state->workers.push_back(
            std::make_unique<engine_worker>(shared, i, std::move(caches[static_cast<std::size_t>(i)])));
    }
    return std::unique_ptr<embedded_engine>(new embedded_engine(std::move(state)));
}

void embedded_engine::submit(command c, completion done) {
    if (c.received_at == instant{}) {
        c.received_at = impl_->options.clock();
    }
    auto const part = log::partition_for(c.salon.value(), impl_->partitions);
    auto& w = *impl_->workers[static_cast<std::size_t>(part % impl_->options.workers)];
    w.enqueue(engine_worker::pending{std::move(c), std::move(done)});
}

std::expected<outcome, error> embedded_engine::submit_sync(command c) {
    std::promise<std::expected<outcome, error>> promise;
    auto future = promise.get_future();
    submit(std::move(c), [&promise](std::expected<outcome, error> r) { promise.set_value(std::move(r)); });
    return future.get();
}

std::expected<std::optional<outcome>, error> embedded_engine::outcome_of(salon_id const& salon,
                                                                         command_id const& command) const {
    return stored_outcome(*impl_->db, salon, command, log::dedupe_key(salon, command), impl_->options.clock(),
                          impl_->options.dedupe_retention);
}

std::int32_t embedded_engine::partition_count() const noexcept { return impl_->partitions; }

std::expected<std::optional<salon_state>, error> embedded_engine::state(salon_id const& id) const {
    return current_state(*impl_->db, id, impl_->partitions);
}

std::expected<void, error> embedded_engine::checkpoint() {
    // A worker serves a checkpoint between two batches: asked on a worker's thread (a completion), it would wait for
    // itself, or for a worker waiting for it.
    for (auto const& w : impl_->workers) {
        if (w->on_its_thread()) {
            return std::unexpected(error{errc::misconfigured,
                                         "checkpoint() called from a completion or on_committed "
                                         "(on an engine worker's thread): it would wait for itself"});
        }
    }
    for (auto& w : impl_->workers) {
        if (auto written = w->checkpoint(); !written) {
            return written;
        }
    }
    return {};
}

log::reader& embedded_engine::events() noexcept { return *impl_->events; }
log::reader& embedded_engine::commands() noexcept { return *impl_->commands; }
store::rocks_store& embedded_engine::db() noexcept { return *impl_->db; }
std::uint64_t embedded_engine::committed_commands() const noexcept { return impl_->committed_commands.load(); }
std::uint64_t embedded_engine::committed_batches() const noexcept { return impl_->committed_batches.load(); }
std::uint64_t embedded_engine::committed_bytes() const noexcept { return impl_->committed_bytes.load(); }
std::uint64_t embedded_engine::recovered_events() const noexcept { return impl_->recovered_events; }

} // namespace salonq::engine::runtime
