#include "engine/store/rocks_health.hpp"

#include "engine/store/rocks_store.hpp"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::engine::store {
namespace {

std::string formatted(char const* format, va_list ap) {
    std::array<char, 1024> line{};
    va_list copy;
    va_copy(copy, ap);
    auto const n = std::vsnprintf(line.data(), line.size(), format, copy); // NOLINT(cert-*): RocksDB's printf API
    va_end(copy);
    if (n <= 0) {
        return {};
    }
    std::string text{line.data(), std::min(static_cast<std::size_t>(n), line.size() - 1)};
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back(); // RocksDB ends some lines with a newline: salonq's log adds its own
    }
    return text;
}

std::string_view reason_of(rocksdb::BackgroundErrorReason reason) {
    switch (reason) {
    case rocksdb::BackgroundErrorReason::kFlush:
    case rocksdb::BackgroundErrorReason::kFlushNoWAL:
        return "a flush";
    case rocksdb::BackgroundErrorReason::kCompaction:
        return "a compaction";
    case rocksdb::BackgroundErrorReason::kWriteCallback:
        return "a write";
    case rocksdb::BackgroundErrorReason::kMemTable:
        return "a memtable";
    case rocksdb::BackgroundErrorReason::kManifestWrite:
    case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
        return "the manifest";
    }
    return "a background job";
}

} // namespace

forwarded_rocks_log::forwarded_rocks_log(logging::logger log)
    : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), log_(std::move(log)) {}

void forwarded_rocks_log::Logv(char const* format, va_list ap) { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

void forwarded_rocks_log::Logv(rocksdb::InfoLogLevel level, char const* format, va_list ap) {
    // HEADER_LEVEL is the options dump at open (hundreds of lines), above FATAL in the enum but no problem.
    if (level < GetInfoLogLevel() || level == rocksdb::InfoLogLevel::HEADER_LEVEL) {
        return;
    }
    auto const line = formatted(format, ap);
    if (repeated(line)) {
        return;
    }
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
        log_.error("{}", line);
    } else {
        log_.warn("{}", line);
    }
}

bool forwarded_rocks_log::repeated(std::string const& line) {
    constexpr auto quiet = std::chrono::minutes{1};
    constexpr std::size_t most_lines = 256; // lines name files and numbers: the map forgets rather than grows
    auto const now = std::chrono::steady_clock::now();
    std::lock_guard lock{mutex_};
    if (last_written_.size() >= most_lines && !last_written_.contains(line)) {
        last_written_.clear();
    }
    auto [at, first] = last_written_.try_emplace(line, now);
    if (!first && now - at->second < quiet) {
        return true;
    }
    at->second = now;
    return false;
}

write_health::write_health(std::string path, logging::logger log) : path_(std::move(path)), log_(std::move(log)) {}

void write_health::OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* bg_error) {
    if (bg_error == nullptr || bg_error->ok()) {
        return;
    }
    {
        std::lock_guard lock{mutex_};
        ++errors_;
        suspect_ = true;
    }
    log_.error("{} failed: {}", reason_of(reason), bg_error->ToString());
}

void write_health::OnErrorRecoveryEnd(rocksdb::BackgroundErrorRecoveryInfo const& info) {
    if (info.new_bg_error.IsShutdownInProgress()) {
        return; // the store is closing: its recovery ends with it
    }
    if (!info.new_bg_error.ok()) {
        log_.error("the store did not recover: {}", info.new_bg_error.ToString());
        return;
    }
    log_.warn("the store takes writes again (recovered from: {})", info.old_bg_error.ToString());
}

std::optional<std::string> write_health::failure() {
    std::uint64_t seen = 0;
    {
        std::lock_guard lock{mutex_};
        if (!suspect_ || db_ == nullptr) {
            return std::nullopt;
        }
        seen = errors_;
    }
    rocksdb::WriteBatch empty;
    rocksdb::WriteOptions probe;
    probe.disableWAL = true;  // writes nothing anywhere: only asks whether writes are stopped
    probe.no_slowdown = true; // a stall (compactions behind) answers Incomplete at once instead of waiting
    auto const status = db_->Write(probe, &empty);
    if (status.IsIncomplete()) {
        return std::nullopt; // slowed, not stopped; still suspect
    }
    if (!status.ok()) {
        return status.ToString();
    }
    std::lock_guard lock{mutex_};
    if (errors_ == seen) {
        suspect_ = false;
    }
    return std::nullopt;
}

namespace {

struct registry {
    std::mutex mutex;
    std::vector<write_health*> open;
};

registry& writers() {
    static registry r;
    return r;
}

} // namespace

void enlist(write_health* health) {
    auto& r = writers();
    std::lock_guard lock{r.mutex};
    r.open.push_back(health);
}

void leave(write_health* health) {
    auto& r = writers();
    std::lock_guard lock{r.mutex};
    std::erase(r.open, health);
}

std::vector<unwritable_store> unwritable_stores() {
    auto& r = writers();
    std::lock_guard lock{r.mutex};
    std::vector<unwritable_store> found;
    for (auto* h : r.open) {
        if (auto why = h->failure()) {
            found.push_back(unwritable_store{h->path(), std::move(*why)});
        }
    }
    return found;
}

} // namespace salonq::engine::store
