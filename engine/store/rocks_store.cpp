#include "engine/store/rocks_store.hpp"

#include "engine/store/rocks_health.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace salonq::engine::store {
namespace {

// Where ingest() writes its SST files before RocksDB moves them in (emptied at open).
constexpr char const* ingest_dir = "ingest";

constexpr std::array<char const*, family_count> family_names{"commands", "events", "state", "meta", "dedupe"};

error to_error(rocksdb::Status const& s) {
    auto code = errc::io_error;
    if (s.IsCorruption()) {
        code = errc::corruption;
    } else if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
        code = errc::busy;
    } else if (s.IsInvalidArgument()) {
        code = errc::invalid_argument;
    }
    return error{code, s.ToString()};
}

// Drops dedupe entries older than the retention window. A dedupe value starts with the command's receive time
// in milliseconds since the epoch (8 bytes, little-endian); see engine/runtime/dedupe.hpp.
class dedupe_retention_filter : public rocksdb::CompactionFilter {
public:
    explicit dedupe_retention_filter(std::chrono::milliseconds retention) : retention_(retention) {}

    bool Filter(int, rocksdb::Slice const&, rocksdb::Slice const& value, std::string*, bool*) const override {
        if (value.size() < sizeof(std::int64_t)) {
            return false;
        }
        std::int64_t received_ms = 0;
        std::memcpy(&received_ms, value.data(), sizeof received_ms);
        auto const now_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        return now_ms - received_ms > retention_.count();
    }
    char const* Name() const override { return "salonq.dedupe_retention"; }

private:
    std::chrono::milliseconds retention_;
};

// The queue views' copies of the events are keyed a kind, the salon and a NUL, then the salon's seq (8 bytes, big
// endian): each salon's are appended in order under the key without its last 8 bytes. A memtable insert hint per salon
// starts each insert where the salon's last one ended instead of searching the skip list from the top; the 4-byte
// prefix of the log's keys put the 1,000 salons b0001.. under ten prefixes, whose hints were almost never where the
// next insert went (open_options::salon_streams). Only there: in the other stores' families a key's last 8 bytes are
// no position, and a hint per distinct prefix (~250 bytes of the memtable each) would be one per key.
class stream_of_key final : public rocksdb::SliceTransform {
public:
    static constexpr std::size_t position_bytes = 8;

    [[nodiscard]] char const* Name() const override { return "salonq.stream_of_key"; }
    [[nodiscard]] rocksdb::Slice Transform(rocksdb::Slice const& key) const override {
        return {key.data(), key.size() - position_bytes};
    }
    [[nodiscard]] bool InDomain(rocksdb::Slice const& key) const override { return key.size() > position_bytes; }
};

// RocksDB's flushes and compactions run at the lowest CPU priority (nice 19), process-wide and once: they are
// bursts of a whole core (a 64 MB memtable's flush with its compression, ~0.2-0.3 s), and on a machine as busy as its
// cores, answers waited behind them (walk-ins at half load: p99 11-12 ms with them at the process's priority, 8-9
// ms without; docs/checkpoint-budget.md). They only need the CPU the request path leaves: a flush that falls behind
// stalls the writes, which frees the CPU it needs.
void lower_background_priority() {
    static std::once_flag once;
    std::call_once(once, [] {
        auto* env = rocksdb::Env::Default();
        for (auto const pool : {rocksdb::Env::Priority::HIGH, rocksdb::Env::Priority::LOW}) {
            (void)env->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow); // best effort: a nice value
        }
    });
}

rocksdb::Options db_options(open_options const& options, logging::logger const& log,
                            std::shared_ptr<write_health> const& health) {
    lower_background_priority();
    rocksdb::Options o;
    o.info_log = std::make_shared<forwarded_rocks_log>(log);
    o.listeners.push_back(health);
    o.create_if_missing = options.create_if_missing;
    o.create_missing_column_families = true;
    o.IncreaseParallelism(2);
    o.max_total_wal_size = 256 << 20;
    o.keep_log_file_num = 3;
    o.atomic_flush = options.cache_of_log; // without a WAL, the only way the families stay consistent
    // Every table file is opened at open (RocksDB's default, spelled out): a read-only store keeps reading the
    // files it started with even after a writer in another process compacts them away.
    o.max_open_files = -1;
    return o;
}

std::vector<rocksdb::ColumnFamilyDescriptor> family_descriptors(open_options const& options,
                                                                rocksdb::CompactionFilter const* dedupe_filter) {
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // RocksDB's default is 8 MB. A Kafka worker's snapshot rounds read every salon state (~1-2 kB each): with
    // 20,000 salons they re-read and decompressed the blocks of the whole family each time, 65 % of the
    // committing thread at 25,000 commands/s.
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_options.compression = rocksdb::kLZ4Compression;

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
    // The logs' keys are a 4-byte partition then its offset (log::record_key), and each partition's records are
    // appended in order: a memtable insert hint per partition starts each insert where the last one of its partition
    // ended instead of searching the skip list from the top (memtable inserts: 7.7 -> 5.4 % of serve in walk-ins).
    // The queue views' events: one per salon (stream_of_key; their memtable inserts 5.7 -> 2.3 %, session 30).
    std::shared_ptr<rocksdb::SliceTransform const> const by_partition{rocksdb::NewFixedPrefixTransform(4)};
    std::shared_ptr<rocksdb::SliceTransform const> const by_salon = std::make_shared<stream_of_key>();
    for (std::size_t i = 0; i < family_count; ++i) {
        auto opts = cf_options;
        if (auto const f = static_cast<family>(i); f == family::commands || f == family::events) {
            opts.memtable_insert_with_hint_prefix_extractor =
                f == family::events && options.salon_streams ? by_salon : by_partition;
        }
        if (static_cast<family>(i) == family::dedupe) {
            // Nearly every lookup is a miss (a new commandId): a memtable bloom filter answers it cheaply.
            opts.compaction_filter = dedupe_filter;
            opts.memtable_prefix_bloom_size_ratio = 0.05;
            opts.memtable_whole_key_filtering = true;
        }
        descriptors.emplace_back(family_names[i], opts);
    }
    return descriptors;
}

// A read-only open creates nothing, so a mistyped path is an error rather than an empty database.
std::optional<error> no_database(std::filesystem::path const& path) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
        bool const there = std::filesystem::exists(path, ec);
        return error{errc::not_found, there ? fmt::format("{} is not a directory", path.string())
                                            : fmt::format("{} does not exist", path.string())};
    }
    if (!std::filesystem::exists(path / "CURRENT", ec)) {
        return error{errc::not_found,
                     fmt::format("{} is not a salonq data directory (it has no RocksDB CURRENT file)", path.string())};
    }
    return std::nullopt;
}

void close_handles(rocksdb::DB*& db, std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
    for (auto* h : handles) {
        (void)db->DestroyColumnFamilyHandle(h); // explicit ignore: a handle of a database being dropped
    }
    handles.clear();
    delete db;
    db = nullptr;
}

rocksdb::Status open_writer(rocksdb::Options const& options, std::filesystem::path const& path,
                            std::vector<rocksdb::ColumnFamilyDescriptor> const& descriptors,
                            std::vector<rocksdb::ColumnFamilyHandle*>& handles, rocksdb::DB*& db) {
    std::error_code made;
    std::filesystem::create_directories(path, made); // if it fails, so does the open, with RocksDB's reason
    return rocksdb::DB::Open(options, path.string(), descriptors, &handles, &db);
}

// CURRENT names the MANIFEST, which grows by a record each time a flush or compaction commits: this changes
// whenever the set of files that make up the database does.
std::string manifest_mark(std::filesystem::path const& path) {
    std::ifstream current{path / "CURRENT"};
    std::string manifest;
    std::getline(current, manifest);
    std::error_code ec;
    auto const size = std::filesystem::file_size(path / manifest, ec);
    return fmt::format("{}:{}", manifest, ec ? 0 : size);
}

// A read-only open takes no lock, so it works beside a writer in another process, and sees what that writer
// wrote up to the open (it replays the WAL). It reads the MANIFEST first and then the WAL files it finds: a
// writer that flushes in between deletes a WAL whose writes the MANIFEST read does not include yet, and the view
// would lack them while holding later writes. A flush or compaction commits to the MANIFEST before it deletes a
// file, so an open during which the MANIFEST did not change saw one consistent point; otherwise it is tried again
// (a failed one too: a file it needed may have been compacted away meanwhile).
rocksdb::Status open_read_only(rocksdb::Options const& options, std::filesystem::path const& path,
                               std::vector<rocksdb::ColumnFamilyDescriptor> const& descriptors,
                               std::vector<rocksdb::ColumnFamilyHandle*>& handles, rocksdb::DB*& db) {
    constexpr auto patience = std::chrono::seconds{10}; // a writer flushes every few seconds at most
    auto const deadline = std::chrono::steady_clock::now() + patience;
    for (int attempt = 0; std::chrono::steady_clock::now() < deadline; ++attempt) {
        auto const before = manifest_mark(path);
        auto status = rocksdb::DB::OpenForReadOnly(options, path.string(), descriptors, &handles, &db);
        if (manifest_mark(path) == before) {
            return status;
        }
        if (status.ok()) {
            close_handles(db, handles);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{std::min(attempt, 20)});
    }
    return rocksdb::Status::Busy("the database kept changing while it was opened read-only");
}

// RocksDB's words when the LOCK file is taken: "While lock file: <dir>/LOCK: Resource temporarily unavailable"
// (by another process) or "lock hold by current process" (by this one).
error open_error(rocksdb::Status const& s, std::filesystem::path const& path) {
    auto const text = s.ToString();
    if (s.IsIOError() && text.find("While lock file") != std::string::npos) {
        return error{
            errc::busy,
            fmt::format("another salonq process holds the log at {} (its RocksDB LOCK file is taken)", path.string())};
    }
    if (s.IsIOError() && text.find("lock hold by current process") != std::string::npos) {
        return error{errc::busy, fmt::format("this process already has the log at {} open", path.string())};
    }
    return to_error(s);
}

} // namespace

std::string_view to_string(errc c) noexcept {
    switch (c) {
    case errc::io_error:
        return "io_error";
    case errc::corruption:
        return "corruption";
    case errc::busy:
        return "busy";
    case errc::invalid_argument:
        return "invalid_argument";
    case errc::not_found:
        return "not_found";
    }
    return "io_error";
}

struct write_batch::impl {
    rocksdb::WriteBatch batch;
    std::array<rocksdb::ColumnFamilyHandle*, family_count> families{};
};

struct rocks_store::impl {
    std::filesystem::path path;
    std::unique_ptr<dedupe_retention_filter> filter;
    std::unique_ptr<rocksdb::DB> db;
    std::array<rocksdb::ColumnFamilyHandle*, family_count> families{};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    bool cache_of_log = false;
    std::shared_ptr<write_health> health;
    bool enlisted = false;

    ~impl() {
        if (enlisted) {
            leave(health.get());
        }
        for (auto* h : handles) {
            if (db && h != nullptr) {
                (void)db->DestroyColumnFamilyHandle(h); // explicit ignore: nothing to do on close failure
            }
        }
        if (db) {
            (void)db->Close();
        }
    }
    rocksdb::ColumnFamilyHandle* cf(family f) const { return families[static_cast<std::size_t>(f)]; }
};

write_batch::write_batch(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
write_batch::~write_batch() = default;
write_batch::write_batch(write_batch&&) noexcept = default;
write_batch& write_batch::operator=(write_batch&&) noexcept = default;

void write_batch::put(family f, std::string_view key, std::string_view value) {
    (void)impl_->batch.Put(impl_->families[static_cast<std::size_t>(f)], rocksdb::Slice{key.data(), key.size()},
                           rocksdb::Slice{value.data(), value.size()}); // only fails past 4 GiB
}

void write_batch::erase(family f, std::string_view key) {
    (void)impl_->batch.Delete(impl_->families[static_cast<std::size_t>(f)], rocksdb::Slice{key.data(), key.size()});
}

std::size_t write_batch::count() const noexcept { return static_cast<std::size_t>(impl_->batch.Count()); }
std::size_t write_batch::bytes() const noexcept { return impl_->batch.GetDataSize(); }
void write_batch::clear() noexcept { impl_->batch.Clear(); }
std::string_view write_batch::data() const noexcept { return impl_->batch.Data(); }

rocks_store::rocks_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
rocks_store::~rocks_store() = default;

std::filesystem::path const& rocks_store::path() const noexcept { return impl_->path; }

write_batch rocks_store::make_batch() const {
    auto b = std::make_unique<write_batch::impl>();
    b->families = impl_->families;
    return write_batch{std::move(b)};
}

std::expected<std::unique_ptr<rocks_store>, error> rocks_store::open(std::filesystem::path const& path,
                                                                     open_options const& options) {
    if (options.read_only) {
        if (auto missing = no_database(path)) {
            return std::unexpected(*missing);
        }
    } else {
        std::error_code ignored;
        std::filesystem::remove_all(path / ingest_dir, ignored); // files of a load a crash interrupted
    }
    auto state = std::make_unique<impl>();
    state->path = path;
    state->cache_of_log = options.cache_of_log;
    state->filter = std::make_unique<dedupe_retention_filter>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options.dedupe_retention));
    auto const descriptors = family_descriptors(options, state->filter.get());
    auto const log = logging::logger{"rocksdb", {logging::kv("store", path.string())}};
    state->health = std::make_shared<write_health>(path.string(), log);
    auto const rocks_options = db_options(options, log, state->health);
    rocksdb::DB* raw = nullptr;
    auto const status = options.read_only ? open_read_only(rocks_options, path, descriptors, state->handles, raw)
                                          : open_writer(rocks_options, path, descriptors, state->handles, raw);
    if (!status.ok()) {
        return std::unexpected(open_error(status, path));
    }
    state->db.reset(raw);
    if (!options.read_only) {
        state->health->attach(raw);
        enlist(state->health.get());
        state->enlisted = true;
    }
    for (std::size_t i = 0; i < family_count; ++i) {
        state->families[i] = state->handles[i + 1];
    }
    return std::unique_ptr<rocks_store>(new rocks_store(std::move(state)));
}

std::expected<void, error> rocks_store::write(write_batch& batch, bool sync) {
    rocksdb::WriteOptions options;
    options.sync = sync && !impl_->cache_of_log;
    options.disableWAL = impl_->cache_of_log;
    auto status = impl_->db->Write(options, &batch.impl_->batch);
    if (!status.ok()) {
        return std::unexpected(to_error(status));
    }
    return {};
}

std::expected<void, error> rocks_store::ingest(family f,
                                               std::span<std::pair<std::string_view, std::string_view> const> sorted) {
    if (sorted.empty()) {
        return {};
    }
    static std::atomic<std::uint64_t> files{0};
    std::error_code made;
    std::filesystem::create_directories(impl_->path / ingest_dir, made);
    auto const file = impl_->path / ingest_dir / (std::to_string(++files) + ".sst");
    rocksdb::SstFileWriter writer{rocksdb::EnvOptions{}, impl_->db->GetOptions(impl_->cf(f)), impl_->cf(f)};
    auto status = writer.Open(file.string());
    for (auto it = sorted.begin(); status.ok() && it != sorted.end(); ++it) {
        status = writer.Put(it->first, it->second);
    }
    if (status.ok()) {
        status = writer.Finish();
    }
    if (status.ok()) {
        rocksdb::IngestExternalFileOptions options;
        options.move_files = true;
        status = impl_->db->IngestExternalFile(impl_->cf(f), {file.string()}, options);
    }
    std::error_code ignored;
    std::filesystem::remove(file, ignored); // moved in on success
    if (!status.ok()) {
        return std::unexpected(to_error(status));
    }
    return {};
}

std::expected<void, error> rocks_store::flush(bool wait) {
    rocksdb::FlushOptions options;
    options.wait = wait;
    std::vector<rocksdb::ColumnFamilyHandle*> all(impl_->families.begin(), impl_->families.end());
    if (auto status = impl_->db->Flush(options, all); !status.ok()) {
        return std::unexpected(to_error(status));
    }
    return {};
}

std::optional<std::uint64_t> rocks_store::int_property(family f, std::string const& name) const {
    std::uint64_t value = 0;
    if (!impl_->db->GetIntProperty(impl_->cf(f), name, &value)) {
        return std::nullopt;
    }
    return value;
}

std::expected<void, error> rocks_store::write_serialized(std::string_view data, bool sync) {
    rocksdb::WriteBatch batch{std::string{data}};
    rocksdb::WriteOptions options;
    options.sync = sync && !impl_->cache_of_log;
    options.disableWAL = impl_->cache_of_log;
    auto status = impl_->db->Write(options, &batch);
    if (!status.ok()) {
        return std::unexpected(to_error(status));
    }
    return {};
}

std::expected<std::optional<std::string>, error> rocks_store::get(family f, std::string_view key) const {
    std::string value;
    auto status = impl_->db->Get(rocksdb::ReadOptions{}, impl_->cf(f), rocksdb::Slice{key.data(), key.size()}, &value);
    if (status.IsNotFound()) {
        return std::optional<std::string>{};
    }
    if (!status.ok()) {
        return std::unexpected(to_error(status));
    }
    return std::optional<std::string>{std::move(value)};
}

std::expected<void, error>
rocks_store::scan(family f, std::string_view from, std::string_view to,
                  std::function<bool(std::string_view key, std::string_view value)> const& visit) const {
    rocksdb::ReadOptions options;
    rocksdb::Slice upper{to.data(), to.size()};
    if (!to.empty()) {
        options.iterate_upper_bound = &upper;
    }
    std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(options, impl_->cf(f))};
    for (it->Seek(rocksdb::Slice{from.data(), from.size()}); it->Valid(); it->Next()) {
        if (!visit(it->key().ToStringView(), it->value().ToStringView())) {
            break;
        }
    }
    if (!it->status().ok()) {
        return std::unexpected(to_error(it->status()));
    }
    return {};
}

std::expected<std::optional<std::string>, error> rocks_store::last_key(family f, std::string_view from,
                                                                       std::string_view to) const {
    rocksdb::ReadOptions options;
    rocksdb::Slice lower{from.data(), from.size()};
    rocksdb::Slice upper{to.data(), to.size()};
    options.iterate_lower_bound = &lower;
    if (!to.empty()) {
        options.iterate_upper_bound = &upper;
    }
    std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(options, impl_->cf(f))};
    if (to.empty()) {
        it->SeekToLast();
    } else {
        it->SeekForPrev(upper);
        if (it->Valid() && it->key() == upper) {
            it->Prev();
        }
    }
    if (!it->status().ok()) {
        return std::unexpected(to_error(it->status()));
    }
    if (!it->Valid()) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>{it->key().ToString()};
}

} // namespace salonq::engine::store
