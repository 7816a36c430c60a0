#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace salonq::engine::store {

// busy: another process holds the database (or it kept changing under a read-only open); not_found: a read-only
// open found no database at the path.
enum class errc : std::uint8_t { io_error, corruption, busy, invalid_argument, not_found };
[[nodiscard]] std::string_view to_string(errc c) noexcept;

struct error {
    errc code = errc::io_error;
    std::string message;
};

// The column families of the embedded database. Commands and events are the durable log (keyed by partition
// and offset); state holds each salon's folded state; meta the per-partition offsets; dedupe the recent
// commandIds with where their outcome lives.
enum class family : std::uint8_t { commands, events, state, meta, dedupe };
constexpr std::size_t family_count = 5;

// A set of writes applied atomically by rocks_store::write. Made by rocks_store::make_batch (it is bound to
// that store's column families).
class write_batch {
public:
    ~write_batch();
    write_batch(write_batch&&) noexcept;
    write_batch& operator=(write_batch&&) noexcept;

    void put(family f, std::string_view key, std::string_view value);
    void erase(family f, std::string_view key);
    [[nodiscard]] std::size_t count() const noexcept;
    [[nodiscard]] std::size_t bytes() const noexcept;
    // The batch's serialized form (RocksDB's WriteBatch representation), for benchmarks that replay it.
    [[nodiscard]] std::string_view data() const noexcept;
    void clear() noexcept;

private:
    friend class rocks_store;
    struct impl;
    explicit write_batch(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

struct open_options {
    bool create_if_missing = true;
    // Opens without taking the lock, beside a writer in another process, as of the open (see rocks_store::open);
    // creates nothing: no database at the path is errc::not_found.
    bool read_only = false;
    // How long a dedupe entry is kept before compaction may drop it (commandId retention window).
    std::chrono::hours dedupe_retention{24 * 7};
    // The store is a cache of a log kept elsewhere (Kafka mode: the events topic is the record): writes skip the
    // WAL, and the column families flush together, so a crash leaves a consistent earlier point (states, dedupe
    // entries and events offsets of the same batch) from which the owner folds the log forward again.
    bool cache_of_log = false;
    // RocksDB's block cache (uncompressed blocks), shared by the families.
    std::size_t block_cache_bytes = std::size_t{256} << 20;
    // The events family holds each salon's events in seq order under its own prefix (the queue views' copies: kind,
    // salon, NUL, 8-byte seq): a memtable insert hint per salon instead of per 4-byte prefix (rocks_store.cpp).
    bool salon_streams = false;
};

// A store of this process that takes no writes now: RocksDB stopped them after a failed one (a full disk, an I/O
// error) and has not recovered (for a full disk it does by itself within seconds of space being freed).
struct unwritable_store {
    std::string path;
    std::string why;
};
// Every open writer store of this process that takes no writes now: readiness is the process's, and one full disk
// under any of its stores (the log, the views, the stats, ...) makes it unready. A registry, not a list threaded
// through each store's owner: the projections swap their store at a rebuild, and this is asked from any thread.
[[nodiscard]] std::vector<unwritable_store> unwritable_stores();

// RAII owner of the RocksDB instance. Thread-safe as RocksDB is: concurrent readers and writers are fine;
// single-writer-per-partition is the runtime's rule, not the store's. RocksDB types stay out of this header.
class rocks_store {
public:
    // A writer takes the directory's LOCK file: while another process holds it, open fails with errc::busy and
    // says so. A read-only open takes no lock and sees a consistent point as of the open.
    [[nodiscard]] static std::expected<std::unique_ptr<rocks_store>, error> open(std::filesystem::path const& path,
                                                                                 open_options const& options = {});
    ~rocks_store();
    rocks_store(rocks_store const&) = delete;
    rocks_store& operator=(rocks_store const&) = delete;

    [[nodiscard]] write_batch make_batch() const;
    // Applies the batch atomically; with sync the WAL is fsynced before returning (acknowledged = durable). A
    // cache_of_log store has no WAL: the batch is durable once RocksDB flushes it, or at close.
    [[nodiscard]] std::expected<void, error> write(write_batch& batch, bool sync);
    // Writes a serialized batch taken from write_batch::data() of a store with the same column families.
    [[nodiscard]] std::expected<void, error> write_serialized(std::string_view data, bool sync);
    [[nodiscard]] std::expected<std::optional<std::string>, error> get(family f, std::string_view key) const;
    // Bulk load: writes key/value pairs, keys strictly ascending, into an SST file and ingests it into a family
    // (no memtable inserts: a million dedupe entries at a take-over). Durable once it returns; a later write of the
    // same key wins.
    [[nodiscard]] std::expected<void, error>
    ingest(family f, std::span<std::pair<std::string_view, std::string_view> const> sorted);
    // Flushes every family's memtable to disk (together, for a cache_of_log store): what a store without a WAL does
    // to bound what a crash takes back. Starts it and returns, or with `wait` returns once it is on disk.
    [[nodiscard]] std::expected<void, error> flush(bool wait = false);
    // An integer property of a family's RocksDB column family (e.g. "rocksdb.num-immutable-mem-table",
    // "rocksdb.estimate-num-keys"), if RocksDB knows it.
    [[nodiscard]] std::optional<std::uint64_t> int_property(family f, std::string const& name) const;
    // Visits keys in [from, to) in order (to empty = to the end) until the visitor returns false.
    [[nodiscard]] std::expected<void, error>
    scan(family f, std::string_view from, std::string_view to,
         std::function<bool(std::string_view key, std::string_view value)> const& visit) const;
    // The last key in [from, to), if any.
    [[nodiscard]] std::expected<std::optional<std::string>, error> last_key(family f, std::string_view from,
                                                                            std::string_view to) const;
    [[nodiscard]] std::filesystem::path const& path() const noexcept;

private:
    struct impl;
    explicit rocks_store(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::store
