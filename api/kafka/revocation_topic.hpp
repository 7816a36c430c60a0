#pragma once

// Revocations across api instances in Kafka mode: salonq.revocations is a compacted topic of one partition, key =
// a revoked token's jti, value = when its entry may go (the token's expiry, seconds since the epoch, as in the
// revocation file). `salonq token revoke --brokers` produces to it (produce_revocation); every api instance reads
// it from the beginning, with no consumer group (topic_revocations), so each one learns every revocation, within
// a poll period, whatever the others do. An entry whose time has passed is dropped on reading: its token has
// expired anyway.

#include "api/auth/revocation.hpp"
#include "engine/kafka/settings.hpp"

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

namespace salonq::api::kafka {

// Sends one revocation and waits until the cluster has it.
[[nodiscard]] std::expected<void, std::string> produce_revocation(engine::kafka::settings const& s,
                                                                  std::string_view jti, std::chrono::sys_seconds until);

// The list every api instance asks, filled by a thread of its own that follows salonq.revocations. revoked() from
// any thread; refresh() reports the reader's trouble, if any (the reading goes on by itself).
class topic_revocations final : public auth::revocation_list {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<topic_revocations>, std::string>
    open(engine::kafka::settings const& s);
    ~topic_revocations() override;
    topic_revocations(topic_revocations const&) = delete;
    topic_revocations& operator=(topic_revocations const&) = delete;

    [[nodiscard]] bool revoked(std::string_view jti) const override;
    [[nodiscard]] std::expected<void, auth::error> refresh() override;

private:
    struct impl;
    explicit topic_revocations(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::api::kafka
