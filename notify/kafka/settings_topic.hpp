#pragma once

#include "engine/kafka/settings.hpp"
#include "notify/store/notify_store.hpp"

#include <expected>
#include <memory>
#include <optional>
#include <string>

namespace salonq::notify {

// Salons' webhook settings shared by every api instance in Kafka mode, as revocations are (docs/auth.md):
// salonq.notify-settings is a compacted topic of one partition, key = salonId, value = the settings' stored JSON
// (secret included). A PUT on any instance produces to it (publish); every instance reads it from the beginning with
// no consumer group and puts what it reads into its own notify_store, so the instance that derives a salon's
// notifications and the one that delivers them both know where and how. Neither a record's value nor a secret is
// ever logged. publish() from any thread: it blocks until this instance's store holds the record's settings or a
// later record's of the same salon (by the offset the delivery report tells; without one, until the store holds the
// settings written), so a GET after the PUT shows it or a later PUT's, and fails when the reader passed the record but
// the store could not take it (settings_reads). A thread of its own follows the topic until the object goes.
class settings_topic {
public:
    // Opens the reader and reads up to the topic's end before answering (what was set before this instance started
    // is known before it derives or delivers anything).
    [[nodiscard]] static std::expected<std::unique_ptr<settings_topic>, std::string>
    open(engine::kafka::settings const& s, notify_store& store);
    ~settings_topic();
    settings_topic(settings_topic const&) = delete;
    settings_topic& operator=(settings_topic const&) = delete;

    [[nodiscard]] std::expected<void, std::string> publish(engine::salon_id const& salon, salon_settings const& s);
    // Why the topic may not be read now; none when fine.
    [[nodiscard]] std::optional<std::string> problem() const;

private:
    struct impl;
    explicit settings_topic(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::notify
