#include "engine/runtime/embedded_engine.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/runtime/dedupe.hpp"
#include "engine/runtime/stored.hpp"
#include "engine/runtime/thread_role.hpp"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace salonq::engine::runtime {
namespace {

error storage_error(store::error const& e) { return error{errc::local_store, e.message}; }

struct pending {
    command cmd;
    completion done;
};

struct partition_offsets {
    std::int64_t next_command = 0;
    std::int64_t next_event = 0;
};

std::string encode_offsets(partition_offsets const& o) {
    std::string out;
    log::put_u64(out, static_cast<std::uint64_t>(o.next_command));
    log::put_u64(out, static_cast<std::uint64_t>(o.next_event));
    return out;
}

} // namespace

std::string meta_partition_key(partition_id p) { return "p/" + log::partition_prefix(p); }

// One single writer: owns a set of partitions, their offsets and the cached states of their salons. Runs on
// its own thread; the queue is the only shared part.
class worker {
public:
    worker(store::rocks_store& db, engine_options const& options, std::int32_t partitions,
           std::vector<partition_offsets>& offsets, std::atomic<std::uint64_t>& commands,
           std::atomic<std::uint64_t>& batches, std::atomic<std::uint64_t>& bytes)
        : db_(db), options_(options), partitions_(partitions), offsets_(offsets), committed_commands_(commands),
          committed_batches_(batches), committed_bytes_(bytes) {
        thread_ = std::thread([this] {
            set_thread_role("salonq-engine", thread_role::request_path);
            run();
        });
    }

    ~worker() {
        {
            std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    void enqueue(pending p) {
        {
            std::lock_guard lock{mutex_};
            queue_.push_back(std::move(p));
        }
        wake_.notify_one();
    }

private:
    void run() {
        std::vector<pending> batch;
        for (;;) {
            {
                std::unique_lock lock{mutex_};
                wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return; // stopping, and everything submitted is done
                }
                // Group commit: take everything that queued up while the last batch was being synced.
                auto const n = std::min(queue_.size(), options_.max_batch);
                batch.assign(std::make_move_iterator(queue_.begin()),
                             std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
            }
            process(batch);
            batch.clear();
        }
    }

    // A previous outcome of this commandId, if it is still within the retention window.
    [[nodiscard]] std::expected<std::optional<outcome>, error> previous(command const& c, std::string const& dkey) {
        return stored_outcome(db_, c.salon, c.id, dkey, c.received_at, options_.dedupe_retention);
    }

    void process(std::vector<pending>& batch) {
        auto wb = db_.make_batch();
        std::vector<std::expected<outcome, error>> results;
        results.reserve(batch.size());
        std::unordered_map<std::string, std::size_t> seen;          // dedupe key -> index of its result in this batch
        std::unordered_set<std::string> dirty;                      // salons whose state changed
        std::unordered_map<std::int32_t, partition_offsets> before; // offsets to restore if the write fails
        codec::json_writer w;
        std::uint64_t decided_count = 0;

        for (auto& p : batch) {
            auto const& c = p.cmd;
            auto const part = partition_id{log::partition_for(c.salon.value(), partitions_)};
            auto dkey = log::dedupe_key(c.salon, c.id);
            if (auto it = seen.find(dkey); it != seen.end()) {
                auto copy = results[it->second];
                if (copy) {
                    copy->duplicate = true;
                }
                results.push_back(std::move(copy));
                continue;
            }
            auto prior = previous(c, dkey);
            if (!prior) {
                results.push_back(std::unexpected(prior.error()));
                continue;
            }
            if (auto& decided = *prior) { // decided before: the same outcome again
                results.push_back(std::move(*decided));
                continue;
            }
            auto loaded = load_state(db_, states_, c.salon);
            if (!loaded) {
                results.push_back(std::unexpected(loaded.error()));
                continue;
            }
            salon_state* state = *loaded;
            std::optional<salon_state> unregistered; // a salon not in the log yet: decided against a fresh state
            if (state == nullptr) {
                state = &unregistered.emplace();
                state->id = c.salon;
            }

            auto& offsets = offsets_[static_cast<std::size_t>(part.value())];
            before.try_emplace(part.value(), offsets);
            wb.put(store::family::commands, log::record_key(part, offset_t{offsets.next_command++}),
                   codec::encode_command(c));

            outcome out{c.id, c.salon, false, part, offset_t{offsets.next_event}, {}};
            out.entries = decide_and_apply(*state, c);
            if (out.accepted()) {
                if (unregistered) {
                    // A registration: from now on the salon lives in the cache.
                    state = &states_.insert_or_assign(c.salon.value(), std::move(*unregistered)).first->second;
                }
                dirty.insert(c.salon.value());
            }
            for (auto const& entry : out.entries) {
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
                wb.put(store::family::events, log::record_key(part, offset_t{offsets.next_event++}), w.view());
            }
            wb.put(store::family::dedupe, dkey,
                   dedupe_entry{c.received_at, part, out.first_offset, static_cast<std::uint32_t>(out.entries.size())}
                       .encode());
            seen.emplace(std::move(dkey), results.size());
            results.push_back(std::move(out));
            ++decided_count;
        }

        for (auto const& salon : dirty) {
            wb.put(store::family::state, salon, codec::encode_state(states_.at(salon)));
        }
        for (auto const& [part, old] : before) {
            wb.put(store::family::meta, meta_partition_key(partition_id{part}),
                   encode_offsets(offsets_[static_cast<std::size_t>(part)]));
        }

        if (wb.count() > 0) {
            auto written = db_.write(wb, options_.mode == durability::sync);
            if (!written) {
                // Nothing of this batch happened: forget the folded states and rewind the offsets.
                for (auto const& salon : dirty) {
                    states_.erase(salon);
                }
                for (auto const& [part, old] : before) {
                    offsets_[static_cast<std::size_t>(part)] = old;
                }
                for (auto& r : results) {
                    r = std::unexpected(storage_error(written.error()));
                }
            } else {
                committed_commands_.fetch_add(decided_count, std::memory_order_relaxed);
                committed_batches_.fetch_add(1, std::memory_order_relaxed);
                committed_bytes_.fetch_add(wb.bytes(), std::memory_order_relaxed);
                if (options_.on_batch_written) {
                    options_.on_batch_written(wb.data());
                }
                report_committed(results);
            }
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (batch[i].done) {
                batch[i].done(std::move(results[i]));
            }
        }
    }

    // Hands the outcomes this batch decided (not the repeats) to the on_committed hook, before any completion runs.
    void report_committed(std::vector<std::expected<outcome, error>> const& results) const {
        if (!options_.on_committed) {
            return;
        }
        std::vector<outcome const*> fresh;
        for (auto const& r : results) {
            if (r && !r->duplicate) {
                fresh.push_back(&*r);
            }
        }
        if (!fresh.empty()) {
            options_.on_committed(fresh);
        }
    }

    store::rocks_store& db_;
    engine_options const& options_;
    std::int32_t partitions_;
    std::vector<partition_offsets>& offsets_; // shared vector; this worker touches only its own partitions
    std::atomic<std::uint64_t>& committed_commands_;
    std::atomic<std::uint64_t>& committed_batches_;
    std::atomic<std::uint64_t>& committed_bytes_;
    state_cache states_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<pending> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

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
    std::vector<std::unique_ptr<worker>> workers;
};

embedded_engine::embedded_engine(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

embedded_engine::~embedded_engine() {
    impl_->workers.clear(); // each worker drains its queue before its thread ends
}

std::expected<std::unique_ptr<embedded_engine>, error> embedded_engine::open(std::filesystem::path const& dir,
                                                                             engine_options options) {
    auto state = std::make_unique<impl>();
    if (!options.clock) {
        options.clock = [] {
            return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
        };
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

    state->events = std::make_unique<log::embedded_reader>(*state->db, store::family::events, state->partitions);
    state->commands = std::make_unique<log::embedded_reader>(*state->db, store::family::commands, state->partitions);
    for (std::int32_t i = 0; i < state->options.workers; ++i) {
        state->workers.push_back(std::make_unique<worker>(*state->db, state->options, state->partitions, state->offsets,
                                                          state->committed_commands, state->committed_batches,
                                                          state->committed_bytes));
    }
    return std::unique_ptr<embedded_engine>(new embedded_engine(std::move(state)));
}

void embedded_engine::submit(command c, completion done) {
    if (c.received_at == instant{}) {
        c.received_at = impl_->options.clock();
    }
    auto const part = log::partition_for(c.salon.value(), impl_->partitions);
    auto& w = *impl_->workers[static_cast<std::size_t>(part % impl_->options.workers)];
    w.enqueue(pending{std::move(c), std::move(done)});
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
    return read_state(*impl_->db, id);
}

log::reader& embedded_engine::events() noexcept { return *impl_->events; }
log::reader& embedded_engine::commands() noexcept { return *impl_->commands; }
store::rocks_store& embedded_engine::db() noexcept { return *impl_->db; }
std::uint64_t embedded_engine::committed_commands() const noexcept { return impl_->committed_commands.load(); }
std::uint64_t embedded_engine::committed_batches() const noexcept { return impl_->committed_batches.load(); }
std::uint64_t embedded_engine::committed_bytes() const noexcept { return impl_->committed_bytes.load(); }

} // namespace salonq::engine::runtime
