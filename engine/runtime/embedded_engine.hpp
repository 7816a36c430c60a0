#pragma once

#include "engine/domain/commands.hpp"
#include "engine/domain/state.hpp"
#include "engine/log/embedded_log.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/outcome.hpp"
#include "engine/store/rocks_store.hpp"

#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace salonq::engine::runtime {

enum class durability : std::uint8_t {
    sync,    // an outcome is reported only after its WriteBatch is fsynced (the default)
    relaxed, // reported after the write reaches the WAL in the OS page cache: survives a process crash,
             // not a power loss
};

struct engine_options {
    // Partition count of a new log; an existing log keeps its own and refuses a different explicit value.
    std::optional<std::int32_t> partitions;
    std::int32_t workers = 1;
    durability mode = durability::sync;
    std::size_t max_batch = 4096;
    std::chrono::hours dedupe_retention{24 * 7};
    // The engine's clock: stamps received_at on commands that have none. Injected for tests.
    std::function<instant()> clock;
    // Called with each WriteBatch after it is durable (benchmarks replay them against raw RocksDB).
    std::function<void(std::string_view serialized_batch)> on_batch_written;
    // Called on the worker's thread with the outcomes of each batch once it is durable (in partition-offset order;
    // repeats of earlier commandIds left out), before their completions run: a read model fed from here is up to
    // date when a submitter hears its outcome. It must not block for long: the worker waits for it.
    std::function<void(std::span<outcome const* const> decided)> on_committed;
    // How often each worker's changed salon states catch up with the log in RocksDB (a checkpoint, spread over a
    // few batches; docs/design.md, "Checkpointed states"). The log itself is written with every batch, as durable
    // as `mode` says; a restart after a crash folds the events after the last checkpoint into the states.
    std::chrono::milliseconds state_checkpoint_interval{1000};
    // And no more often than the log pays for: a sweep of the states begins only once the commands since the last one
    // began number at least the bytes it wrote / this (checkpoint_sweep's budget; 0: the interval alone).
    std::size_t state_checkpoint_bytes_per_command = checkpoint_sweep::default_bytes_per_event;
    // Tests only: every Nth batch write of each worker fails as a RocksDB write would (nothing of it is written).
    std::uint64_t inject_write_failure_every = 0;
    // Tests only: called on the worker's thread with the number of salon states each share of a checkpoint that an
    // idle worker wrote (between batches) held.
    std::function<void(std::size_t salons)> on_idle_share;
};

using completion = std::function<void(std::expected<outcome, error>)>;

// The whole engine in one process over the embedded log: single-writer workers, each owning the partitions
// p with p % workers == index, decide and fold commands and make each batch durable in one RocksDB
// WriteBatch (commands, events, dedupe index and offsets), so the embedded mode is exactly-once by
// construction. The salon states are a checkpoint of the events log, written every state_checkpoint_interval and
// at stop; open folds the events after the last one. Thread-safe: submit from any thread; completions run on the
// owning worker's thread.
class embedded_engine {
public:
    static constexpr std::int32_t default_partitions = 12;

    [[nodiscard]] static std::expected<std::unique_ptr<embedded_engine>, error> open(std::filesystem::path const& dir,
                                                                                     engine_options options = {});
    ~embedded_engine(); // finishes what was submitted, writes a last checkpoint, then stops the workers

    embedded_engine(embedded_engine const&) = delete;
    embedded_engine& operator=(embedded_engine const&) = delete;

    // Queues a decoded command. Stamps received_at from the engine clock if it is unset.
    void submit(command c, completion done);
    [[nodiscard]] std::expected<outcome, error> submit_sync(command c);

    // The outcome of an earlier command (decided within the dedupe retention), without deciding anything; none if
    // the engine has no record of it.
    [[nodiscard]] std::expected<std::optional<outcome>, error> outcome_of(salon_id const& salon,
                                                                          command_id const& command) const;

    [[nodiscard]] std::int32_t partition_count() const noexcept;
    // The committed state of a salon (none if it was never registered): the stored checkpoint with the salon's
    // events after it folded in.
    [[nodiscard]] std::expected<std::optional<salon_state>, error> state(salon_id const& id) const;
    // Writes every changed salon state and the offsets they reflect now; returns once every worker has (each after
    // the batch it is deciding, however many commands keep coming). Not from a completion or on_committed: they run
    // on a worker's thread, which would wait for itself; there it fails at once (misconfigured).
    [[nodiscard]] std::expected<void, error> checkpoint();
    [[nodiscard]] log::reader& events() noexcept;
    [[nodiscard]] log::reader& commands() noexcept;
    [[nodiscard]] store::rocks_store& db() noexcept;

    // Commands decided and made durable since open (for benchmarks and tests).
    [[nodiscard]] std::uint64_t committed_commands() const noexcept;
    [[nodiscard]] std::uint64_t committed_batches() const noexcept;
    [[nodiscard]] std::uint64_t committed_bytes() const noexcept; // WriteBatch payload bytes written
    // Events open folded into the states: those after the last checkpoint of a run that did not stop cleanly.
    [[nodiscard]] std::uint64_t recovered_events() const noexcept;

private:
    struct impl;
    explicit embedded_engine(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

// Meta keys of the embedded log.
[[nodiscard]] std::string meta_partition_key(partition_id p);
inline constexpr std::string_view meta_layout_key = "layout";

} // namespace salonq::engine::runtime
