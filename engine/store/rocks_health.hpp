#pragma once

// Inside the store only (it includes RocksDB): what RocksDB says about itself, routed to salonq.

#include "engine/logging/logger.hpp"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/listener.h>

#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace salonq::engine::store {

// RocksDB's own log lines, warnings and errors, go to salonq's log (component "rocksdb", the store's path) instead
// of a LOG file in the store's directory. Why: that file is written through RocksDB's WritableFileWriter, which
// Debian's librocksdb (7.8) is built with assertions on: once a line could not be written (a full disk), the next
// one aborted the whole process (exit 134) although every store would have recovered once space was freed. And an
// operator reads one log, not one per store. Info lines (flushes, compactions, the options at open) are dropped;
// a line RocksDB repeats word for word (its recovery polls every 5 s while the disk is full) is written once a minute
// at most.
class forwarded_rocks_log final : public rocksdb::Logger {
public:
    explicit forwarded_rocks_log(logging::logger log);

    using rocksdb::Logger::Logv;
    void Logv(char const* format, va_list ap) override;
    void Logv(rocksdb::InfoLogLevel level, char const* format, va_list ap) override;

private:
    [[nodiscard]] bool repeated(std::string const& line);

    logging::logger log_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_written_; // by line, at most 256
};

// Whether the store can write now. RocksDB stops taking writes after a failed one (a WAL append on a full disk, a
// flush that could not write its file) and, for a full disk, takes them again by itself once space is freed (its
// SstFileManager polls). Its callbacks are hints, not the state: one comes before RocksDB decides whether the error
// stops anything (a full disk in a compaction does not), and an error and a recovery may be told in either order
// (both are called outside RocksDB's lock). So an error only makes the store suspect; failure() then asks RocksDB
// itself, with an empty write (refused with the stopping error while writes are stopped), and a suspicion that
// the answer clears is dropped unless another error came meanwhile. Readiness thus says "cannot write" before a
// command finds out, and no longer once RocksDB recovered.
class write_health final : public rocksdb::EventListener {
public:
    write_health(std::string path, logging::logger log);

    // The store's database, once open (before enlist), until it closes (after leave).
    void attach(rocksdb::DB* db) noexcept { db_ = db; }

    void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* bg_error) override;
    void OnErrorRecoveryEnd(rocksdb::BackgroundErrorRecoveryInfo const& info) override;

    // Why the store cannot write, if it cannot (asks RocksDB when an error made it suspect).
    [[nodiscard]] std::optional<std::string> failure();
    [[nodiscard]] std::string const& path() const noexcept { return path_; }

private:
    std::string path_;
    logging::logger log_;
    rocksdb::DB* db_ = nullptr;
    std::mutex mutex_;
    std::uint64_t errors_ = 0; // told since open
    bool suspect_ = false;
};

// The process's open writers, for unwritable_stores() (rocks_store.hpp): rocks_store::open enlists its store's
// health, the store's close leaves.
void enlist(write_health* health);
void leave(write_health* health);

} // namespace salonq::engine::store
