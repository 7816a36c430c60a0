#pragma once

#include "engine/log/log.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "notify/derive/notifier.hpp"
#include "notify/store/settings.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace salonq::notify {

// A notification on its way to a salon's webhook: the body as it is sent (signed anew at each attempt), how
// often it was tried, when to try next, and why the last attempt failed.
struct delivery {
    std::string id;
    engine::salon_id salon;
    std::string body;
    std::uint32_t attempts = 0;
    engine::instant due{};
    std::string last_error;
    friend bool operator==(delivery const&, delivery const&) = default;
};

// The notifier's durable state in a RocksDB directory of its own (<data>/notify, private): each salon's notifier
// (derive state), each salon's settings, the outbox of pending deliveries, the dead letters, and the events-log
// offsets they reflect. apply() writes the new deliveries of its entries at once (fsynced) and the notifiers with
// the offsets at a checkpoint every 5 seconds (a notifier holds the whole line: writing it per commit was the largest
// cost of a walk-in; docs/notify.md says why 5), a share at a time: the changed notifiers handed out by the clock
// over 2.5 seconds, the offsets of the sweep's beginning with its last share. After a crash, entries are folded again
// from the stored offsets: those a stored notifier holds are passed over by seq, and a notification derived again is
// not queued again if it is pending or was done (delivered or dead) since its notifier was stored, by its id. A
// delivery is removed once its webhook said 2xx; a crash between the two sends it again with the same id (the
// receiver's idempotency key), the one repeat that is not on purpose.
//
// Thread rules: apply/catch_up from one thread (the consumer); the delivery calls (due, delivered, failed) from any
// number of sender threads; settings and dead letters from request threads. Each call takes the store's mutex.
class notify_store {
public:
    // Where the deliveries come from. events: derived here by folding the events log (apply, catch_up), with the
    // done markers a fold from the checkpoint needs. taken_in: derived elsewhere and taken in (Kafka mode's
    // take_in, whose offsets are those of salonq.notifications): no fold here, so no done markers.
    enum class feed { events, taken_in };
    [[nodiscard]] static std::expected<std::unique_ptr<notify_store>, std::string>
    open(std::filesystem::path const& dir, std::int32_t partition_count, feed from = feed::events,
         std::chrono::milliseconds checkpoint_interval = std::chrono::seconds{5},
         std::size_t checkpoint_bytes_per_event = engine::runtime::checkpoint_sweep::default_bytes_per_event);
    ~notify_store();
    notify_store(notify_store const&) = delete;
    notify_store& operator=(notify_store const&) = delete;

    // Settings: a salon without settings is folded (its queue kept) but gets no deliveries.
    [[nodiscard]] std::expected<void, std::string> put_settings(engine::salon_id const& salon, salon_settings const& s);
    [[nodiscard]] std::optional<salon_settings> settings(engine::salon_id const& salon) const;
    // Tests only (kafka_notify_tests): while on, put_settings fails, writing nothing, as a failed RocksDB write would.
    void inject_settings_write_failure(bool on);

    // Entries of events-log partition p from first_offset on (consecutive); those before next_offset(p) are skipped,
    // a first_offset beyond it is refused (read from a reader instead: catch_up).
    [[nodiscard]] std::expected<void, std::string> apply(engine::partition_id p, engine::offset_t first_offset,
                                                         std::span<engine::log_entry const> entries,
                                                         engine::instant now);
    // Reads every partition from next_offset(p) to its end and applies what it finds. True if anything was new.
    [[nodiscard]] std::expected<bool, std::string> catch_up(engine::log::reader& events, engine::instant now);
    [[nodiscard]] engine::offset_t next_offset(engine::partition_id p) const;
    // The partitions whose offsets it keeps (0 .. count-1).
    [[nodiscard]] std::int32_t partition_count() const;

    // Kafka mode, where the notifications come derived (salonq.notifications) instead of folded here: deliveries
    // read from the topic join the outbox, each id once (one already pending or a dead letter is passed over), with
    // each partition's next offset, in one fsynced batch. The offsets are then the topic's (a store is fed from one
    // log or the other, never both). How many joined.
    [[nodiscard]] std::expected<std::size_t, std::string>
    take_in(std::span<delivery const> incoming, std::map<std::int32_t, std::int64_t> const& next_offsets);

    // Deliveries due at `now` (at most max; oldest due first, then in event order) that a sender may take: one per
    // salon, and none of a salon that has one held (a salon whose receiver is slow or down keeps one sender busy,
    // never all of them from the other salons). Each is held until delivered() or failed() is called with its id.
    [[nodiscard]] std::vector<delivery> take_due(engine::instant now, std::size_t max);
    // When the first delivery take_due could take falls due (none while every salon with some has one held).
    [[nodiscard]] std::optional<engine::instant> next_due() const;
    [[nodiscard]] std::expected<void, std::string> delivered(std::string const& id);
    // A failed attempt: tried again at `retry_at`, or moved to the dead letters when there is none.
    [[nodiscard]] std::expected<void, std::string> failed(std::string const& id, std::string const& why,
                                                          std::optional<engine::instant> retry_at);
    [[nodiscard]] std::size_t pending() const;
    [[nodiscard]] std::size_t pending(engine::salon_id const& salon) const;

    // A page of the salon's dead letters in id order: at most `limit`, those whose id is after `after`.
    [[nodiscard]] std::expected<std::vector<delivery>, std::string>
    dead_letters(engine::salon_id const& salon, std::string_view after, std::size_t limit) const;
    [[nodiscard]] std::expected<std::size_t, std::string> dead_count(engine::salon_id const& salon) const;
    // Puts a dead letter back in the outbox, due now, its attempts reset; false if the salon has no such letter.
    [[nodiscard]] std::expected<bool, std::string> redrive(engine::salon_id const& salon, std::string const& id,
                                                           engine::instant now);
    // Puts the salon's first `limit` dead letters (id order) back in the outbox in one fsynced batch; how many were
    // re-driven and how many are left (re-drive again while any are).
    struct redrive_count {
        std::size_t redriven = 0;
        std::size_t remaining = 0;
    };
    [[nodiscard]] std::expected<redrive_count, std::string> redrive_all(engine::salon_id const& salon,
                                                                        engine::instant now, std::size_t limit);

private:
    struct impl;
    explicit notify_store(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::notify
