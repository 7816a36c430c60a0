#include "engine/kafka/admin.hpp"

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/handles.hpp"

#include <fmt/format.h>

#include <cstring>
#include <thread>
#include <vector>

namespace salonq::engine::kafka {

namespace {

using namespace detail;

[[nodiscard]] std::expected<topic_layout, error> describe(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    rd_kafka_metadata_t const* raw = nullptr;
    auto const err = rd_kafka_metadata(rk, 1, nullptr, &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(
            error{errc::retryable, fmt::format("metadata request failed: {}", rd_kafka_err2str(err))});
    }
    metadata_ptr md{raw};
    topic_layout layout;
    for (int i = 0; i < md->topic_cnt; ++i) {
        auto const& t = md->topics[i];
        if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        std::optional<std::int32_t> count{t.partition_cnt};
        if (std::strcmp(t.topic, commands_topic) == 0) {
            layout.commands = count;
        } else if (std::strcmp(t.topic, events_topic) == 0) {
            layout.events = count;
        } else if (std::strcmp(t.topic, snapshots_topic) == 0) {
            layout.snapshots = count;
        } else if (std::strcmp(t.topic, notifications_topic) == 0) {
            layout.notifications = count;
        }
    }
    return layout;
}

// One setting of a topic as the cluster reports it.
struct config_entry {
    std::string name;
    std::optional<std::string> value; // nullopt: not told (a sensitive value)
    bool set_on_topic = false;        // a dynamic topic setting, not a broker or default value
};

// A topic's settings, or why the cluster did not tell them.
[[nodiscard]] std::expected<std::vector<config_entry>, std::string> topic_config(rd_kafka_t* rk, char const* topic,
                                                                                 std::chrono::milliseconds timeout) {
    config_resource_ptr resource{rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)};
    auto* raw = resource.get();
    queue_ptr queue{rd_kafka_queue_new(rk)};
    // librdkafka gives up on the request after `timeout` (by default only after socket.timeout.ms, 60 s).
    admin_options_ptr options{rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)};
    char errstr[512];
    (void)rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), errstr,
                                                    sizeof errstr);
    rd_kafka_DescribeConfigs(rk, &raw, 1, options.get(), queue.get());
    event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000)};
    if (!ev) {
        return std::unexpected(std::string{"no answer to DescribeConfigs"});
    }
    if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(fmt::format("DescribeConfigs failed: {}", rd_kafka_event_error_string(ev.get())));
    }
    std::size_t count = 0;
    auto const** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &count);
    if (count != 1) {
        return std::unexpected(fmt::format("DescribeConfigs answered for {} topics, not 1", count));
    }
    if (rd_kafka_ConfigResource_error(resources[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(
            fmt::format("DescribeConfigs failed: {}", rd_kafka_ConfigResource_error_string(resources[0])));
    }
    std::size_t entries = 0;
    auto const** configs = rd_kafka_ConfigResource_configs(resources[0], &entries);
    std::vector<config_entry> out;
    for (std::size_t i = 0; i < entries; ++i) {
        char const* value = rd_kafka_ConfigEntry_value(configs[i]);
        out.push_back({rd_kafka_ConfigEntry_name(configs[i]),
                       value != nullptr ? std::optional<std::string>{value} : std::nullopt,
                       rd_kafka_ConfigEntry_source(configs[i]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG});
    }
    return out;
}

// One numeric setting of a topic, or why it is unknown. DescribeConfigs fails now and then on a cluster under
// load or on a topic just created, so a failed request is tried again up to `attempts` times in all, after 200,
// 400, 800 ms...
[[nodiscard]] std::expected<std::int64_t, std::string> number_setting(rd_kafka_t* rk, char const* topic,
                                                                      std::string_view name,
                                                                      std::chrono::milliseconds timeout, int attempts) {
    auto config = topic_config(rk, topic, timeout);
    for (int attempt = 1; attempt < attempts && !config; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds{100 << attempt});
        config = topic_config(rk, topic, timeout);
    }
    if (!config) {
        return std::unexpected(fmt::format("{} (tried {} times)", config.error(), attempts));
    }
    for (auto const& e : *config) {
        if (e.name == name && e.value) {
            return std::strtoll(e.value->c_str(), nullptr, 10);
        }
    }
    return std::unexpected(fmt::format("the cluster reports no value of {}", name));
}

[[nodiscard]] std::expected<topic_layout, error> describe_with_configs(rd_kafka_t* rk,
                                                                       std::chrono::milliseconds timeout) {
    auto layout = describe(rk, timeout);
    if (layout && layout->events) {
        // Only a warning depends on the retention: one try.
        if (auto retention = number_setting(rk, events_topic, "retention.ms", timeout, 1)) {
            layout->events_retention_ms = *retention;
        }
    }
    if (layout && layout->snapshots) {
        // A worker refuses to start without the limit: a few tries (at most 4 timeouts and 1.4 s).
        if (auto limit = number_setting(rk, snapshots_topic, "max.message.bytes", timeout, 4)) {
            layout->snapshots_max_message_bytes = *limit;
        } else {
            layout->snapshots_limit_unknown_because = std::move(limit.error());
        }
    }
    return layout;
}

// Sets max.message.bytes of an existing topic. AlterConfigs (the only kind librdkafka 2.0 has) replaces the
// topic's whole dynamic configuration, so every setting made on the topic is sent again with it.
[[nodiscard]] std::expected<void, error> raise_record_limit(rd_kafka_t* rk, char const* topic,
                                                            std::chrono::milliseconds timeout) {
    auto const config = topic_config(rk, topic, timeout);
    if (!config) {
        return std::unexpected(error{
            errc::retryable, fmt::format("{}: the cluster does not describe its settings: {}", topic, config.error())});
    }
    config_resource_ptr resource{rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)};
    for (auto const& e : *config) {
        if (!e.set_on_topic || e.name == "max.message.bytes") {
            continue;
        }
        if (!e.value) {
            return std::unexpected(error{
                errc::misconfigured,
                fmt::format(
                    "{}: cannot raise max.message.bytes without resetting its setting {}, whose value the cluster does "
                    "not tell; raise it to {} by hand",
                    topic, e.name, max_record_bytes)});
        }
        (void)rd_kafka_ConfigResource_set_config(resource.get(), e.name.c_str(), e.value->c_str());
    }
    auto const limit = std::to_string(max_record_bytes);
    (void)rd_kafka_ConfigResource_set_config(resource.get(), "max.message.bytes", limit.c_str());
    auto* raw = resource.get();
    queue_ptr queue{rd_kafka_queue_new(rk)};
    rd_kafka_AlterConfigs(rk, &raw, 1, nullptr, queue.get());
    event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000)};
    if (!ev) {
        return std::unexpected(error{errc::retryable, fmt::format("{}: no answer to the settings change", topic)});
    }
    std::size_t count = 0;
    auto const** resources =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev.get()), &count);
    if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR || count != 1 ||
        rd_kafka_ConfigResource_error(resources[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(
            error{errc::retryable, fmt::format("{}: raising max.message.bytes failed: {}", topic,
                                               count == 1 ? rd_kafka_ConfigResource_error_string(resources[0])
                                                          : rd_kafka_event_error_string(ev.get()))});
    }
    return {};
}

} // namespace

std::expected<topic_layout, error> describe_topics(settings const& s) {
    auto rk = make_client(s, RD_KAFKA_PRODUCER, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    return describe_with_configs(rk->get(), s.timeout);
}

std::expected<std::int32_t, error> partitions_of(settings const& s, std::string const& topic) {
    auto rk = make_client(s, RD_KAFKA_PRODUCER, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    return detail::topic_partitions(rk->get(), topic, s.timeout);
}

std::expected<std::int32_t, error> check_layout(topic_layout const& layout) {
    if (!layout.commands || !layout.events) {
        return std::unexpected(
            error{errc::misconfigured,
                  fmt::format("topics {} and {} must exist (salonq topics create)", commands_topic, events_topic)});
    }
    if (*layout.commands != *layout.events) {
        return std::unexpected(error{
            errc::misconfigured,
            fmt::format(
                "{} has {} partitions but {} has {}: they must be equal, a salon's events go to the partition number "
                "its commands came from",
                commands_topic, *layout.commands, events_topic, *layout.events)});
    }
    return *layout.commands;
}

std::expected<void, error> check_snapshot_record_limit(topic_layout const& layout) {
    if (!layout.snapshots) {
        return {};
    }
    auto const limit = layout.snapshots_max_message_bytes;
    if (!limit) {
        return std::unexpected(error{
            errc::retryable,
            fmt::format("{}: the cluster did not tell its max.message.bytes ({}), so whether it takes a salon's "
                        "snapshot of up to {} bytes is unknown: nothing is known to be misconfigured, start again "
                        "when the cluster answers",
                        snapshots_topic,
                        layout.snapshots_limit_unknown_because.empty() ? std::string_view{"no reason given"}
                                                                       : layout.snapshots_limit_unknown_because,
                        max_record_bytes)});
    }
    if (*limit < max_record_bytes) {
        return std::unexpected(error{
            errc::misconfigured,
            fmt::format("{} takes records of up to {} bytes, but a salon's snapshot can be up to {}: run `salonq "
                        "topics create` "
                        "(it raises the topic's max.message.bytes and keeps its other settings), then start again",
                        snapshots_topic, *limit, max_record_bytes)});
    }
    return {};
}

namespace {

// The topic specifications of salonq's topics that `before` lacks: commands and snapshots with `partitions`, events
// with as many as commands has, snapshots compacted, events kept `events_retention` (0: forever).
[[nodiscard]] std::expected<std::vector<new_topic_ptr>, error> missing_topics(topic_layout const& before,
                                                                              std::int32_t partitions,
                                                                              std::int16_t replication,
                                                                              std::chrono::hours events_retention) {
    struct wanted {
        char const* name;
        std::optional<std::int32_t> existing;
        std::int32_t partitions;
        bool compacted;
        std::string retention_ms; // empty: the cluster's default
    };
    auto const kept =
        events_retention.count() > 0
            ? std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(events_retention).count())
            : std::string{"-1"};
    std::vector<wanted> topics{{commands_topic, before.commands, partitions, false, ""},
                               {events_topic, before.events, before.commands.value_or(partitions), false, kept},
                               {snapshots_topic, before.snapshots, partitions, true, ""}};
    std::vector<new_topic_ptr> create;
    char errstr[512];
    for (auto const& t : topics) {
        if (t.existing) {
            continue;
        }
        new_topic_ptr nt{rd_kafka_NewTopic_new(t.name, t.partitions, replication, errstr, sizeof errstr)};
        if (!nt) {
            return std::unexpected(error{errc::misconfigured, fmt::format("topic {}: {}", t.name, errstr)});
        }
        if (t.compacted) {
            (void)rd_kafka_NewTopic_set_config(nt.get(), "cleanup.policy", "compact");
            (void)rd_kafka_NewTopic_set_config(nt.get(), "max.message.bytes", std::to_string(max_record_bytes).c_str());
        }
        if (!t.retention_ms.empty()) {
            (void)rd_kafka_NewTopic_set_config(nt.get(), "retention.ms", t.retention_ms.c_str());
        }
        (void)rd_kafka_NewTopic_set_config(nt.get(), "min.insync.replicas", replication >= 3 ? "2" : "1");
        create.push_back(std::move(nt));
    }
    return create;
}

// Creates the topics in one request; one that another process created meanwhile counts as created.
[[nodiscard]] std::expected<void, error> create_all(rd_kafka_t* rk, std::vector<new_topic_ptr> const& create,
                                                    std::chrono::milliseconds timeout) {
    std::vector<rd_kafka_NewTopic_t*> raw;
    raw.reserve(create.size());
    for (auto const& nt : create) {
        raw.push_back(nt.get());
    }
    char errstr[512];
    queue_ptr queue{rd_kafka_queue_new(rk)};
    admin_options_ptr options{rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)};
    (void)rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), errstr,
                                                      sizeof errstr);
    rd_kafka_CreateTopics(rk, raw.data(), raw.size(), options.get(), queue.get());
    event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000)};
    if (!ev) {
        return std::unexpected(error{errc::retryable, "create topics: no answer from the cluster"});
    }
    if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(
            error{errc::retryable, fmt::format("create topics: {}", rd_kafka_event_error_string(ev.get()))});
    }
    auto const* result = rd_kafka_event_CreateTopics_result(ev.get());
    std::size_t count = 0;
    auto const** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (std::size_t i = 0; i < count; ++i) {
        auto const err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            return std::unexpected(
                error{errc::retryable, fmt::format("create topic {}: {}", rd_kafka_topic_result_name(results[i]),
                                                   rd_kafka_topic_result_error_string(results[i]))});
        }
    }
    return {};
}

// The layout once every topic shows in the metadata (it can lag a moment behind creation), checked, with the
// snapshots topic's record limit raised where it is too low.
[[nodiscard]] std::expected<topic_layout, error> when_visible(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto after = describe_with_configs(rk, timeout);
        if (!after) {
            return after;
        }
        if (after->commands && after->events && after->snapshots) {
            if (auto ok = check_layout(*after); !ok) {
                return std::unexpected(ok.error());
            }
            auto const limit = after->snapshots_max_message_bytes;
            if (!limit) {
                // Whether the limit needs raising is unknown: the topics are not reported ready (retryable).
                return std::unexpected(check_snapshot_record_limit(*after).error());
            }
            if (*limit < max_record_bytes) {
                if (auto raised = raise_record_limit(rk, snapshots_topic, timeout); !raised) {
                    return std::unexpected(raised.error());
                }
                after->snapshots_max_message_bytes = max_record_bytes;
            }
            return after;
        }
        rd_kafka_poll(rk, 100);
    }
    return std::unexpected(error{errc::retryable, "topics were created but do not show in the metadata"});
}

} // namespace

std::expected<topic_layout, error> ensure_topics(settings const& s, std::int32_t partitions, std::int16_t replication,
                                                 std::chrono::hours events_retention) {
    auto rk = make_client(s, RD_KAFKA_PRODUCER, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    auto before = describe(rk->get(), s.timeout);
    if (!before) {
        return before;
    }
    auto create = missing_topics(*before, partitions, replication, events_retention);
    if (!create) {
        return std::unexpected(create.error());
    }
    if (!create->empty()) {
        if (auto created = create_all(rk->get(), *create, s.timeout); !created) {
            return std::unexpected(created.error());
        }
    }
    return when_visible(rk->get(), s.timeout);
}

std::expected<void, error> create_topic(settings const& s, char const* name, std::int32_t partitions,
                                        std::int16_t replication, bool compacted) {
    auto rk = make_client(s, RD_KAFKA_PRODUCER, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    char errstr[512];
    new_topic_ptr nt{rd_kafka_NewTopic_new(name, partitions, replication, errstr, sizeof errstr)};
    if (!nt) {
        return std::unexpected(error{errc::misconfigured, fmt::format("topic {}: {}", name, errstr)});
    }
    if (compacted) {
        (void)rd_kafka_NewTopic_set_config(nt.get(), "cleanup.policy", "compact");
    }
    rd_kafka_NewTopic_t* raw = nt.get();
    queue_ptr queue{rd_kafka_queue_new(rk->get())};
    rd_kafka_CreateTopics(rk->get(), &raw, 1, nullptr, queue.get());
    event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(s.timeout.count()) + 5000)};
    if (!ev) {
        return std::unexpected(error{errc::retryable, "create topic: no answer from the cluster"});
    }
    std::size_t count = 0;
    auto const** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        auto const err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            return std::unexpected(error{errc::retryable, fmt::format("create topic {}: {}", name,
                                                                      rd_kafka_topic_result_error_string(results[i]))});
        }
    }
    return {};
}

} // namespace salonq::engine::kafka
