#include "engine/log/kafka/admin.hpp"

#include "engine/log/kafka/client.hpp"
#include "engine/log/kafka/handles.hpp"

#include <fmt/format.h>

#include <cstring>
#include <vector>

namespace salonq::engine::log::kafka {
namespace {

using namespace detail;

[[nodiscard]] std::expected<topic_layout, error> describe(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    rd_kafka_metadata_t const* raw = nullptr;
    auto const err = rd_kafka_metadata(rk, 1, nullptr, &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{fmt::format("metadata request failed: {}", rd_kafka_err2str(err))});
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
        }
    }
    return layout;
}

// retention.ms of salonq.events (nullopt if the cluster does not say).
std::optional<std::int64_t> events_retention_ms(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
    config_resource_ptr resource{rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, events_topic)};
    auto* raw = resource.get();
    queue_ptr queue{rd_kafka_queue_new(rk)};
    rd_kafka_DescribeConfigs(rk, &raw, 1, nullptr, queue.get());
    event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000)};
    if (!ev || rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    std::size_t count = 0;
    auto const** resources =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &count);
    if (count != 1 || rd_kafka_ConfigResource_error(resources[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::nullopt;
    }
    std::size_t entries = 0;
    auto const** configs = rd_kafka_ConfigResource_configs(resources[0], &entries);
    for (std::size_t i = 0; i < entries; ++i) {
        if (std::strcmp(rd_kafka_ConfigEntry_name(configs[i]), "retention.ms") == 0) {
            if (char const* value = rd_kafka_ConfigEntry_value(configs[i])) {
                return std::strtoll(value, nullptr, 10);
            }
        }
    }
    return std::nullopt;
}

[[nodiscard]] std::expected<topic_layout, error> describe_with_retention(rd_kafka_t* rk,
                                                                         std::chrono::milliseconds timeout) {
    auto layout = describe(rk, timeout);
    if (layout && layout->events) {
        layout->events_retention_ms = events_retention_ms(rk, timeout);
    }
    return layout;
}

} // namespace

std::expected<topic_layout, error> describe_topics(settings const& s) {
    auto rk = make_client(s, RD_KAFKA_PRODUCER, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    return describe_with_retention(rk->get(), s.timeout);
}

std::expected<std::int32_t, error> check_layout(topic_layout const& layout) {
    if (!layout.commands || !layout.events) {
        return std::unexpected(
            error{fmt::format("topics {} and {} must exist (salonq topics create)", commands_topic, events_topic)});
    }
    if (*layout.commands != *layout.events) {
        return std::unexpected(error{fmt::format(
            "{} has {} partitions but {} has {}: they must be equal, a salon's events go to the partition number "
            "its commands came from",
            commands_topic, *layout.commands, events_topic, *layout.events)});
    }
    return *layout.commands;
}

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
    std::vector<wanted> topics{{commands_topic, before->commands, partitions, false, ""},
                               {events_topic, before->events, before->commands.value_or(partitions), false, kept},
                               {snapshots_topic, before->snapshots, partitions, true, ""}};
    std::vector<new_topic_ptr> create;
    char errstr[512];
    for (auto const& t : topics) {
        if (t.existing) {
            continue;
        }
        new_topic_ptr nt{rd_kafka_NewTopic_new(t.name, t.partitions, replication, errstr, sizeof errstr)};
        if (!nt) {
            return std::unexpected(error{fmt::format("topic {}: {}", t.name, errstr)});
        }
        if (t.compacted) {
            (void)rd_kafka_NewTopic_set_config(nt.get(), "cleanup.policy", "compact");
        }
        if (!t.retention_ms.empty()) {
            (void)rd_kafka_NewTopic_set_config(nt.get(), "retention.ms", t.retention_ms.c_str());
        }
        (void)rd_kafka_NewTopic_set_config(nt.get(), "min.insync.replicas", replication >= 3 ? "2" : "1");
        create.push_back(std::move(nt));
    }
    if (!create.empty()) {
        std::vector<rd_kafka_NewTopic_t*> raw;
        for (auto& nt : create) {
            raw.push_back(nt.get());
        }
        queue_ptr queue{rd_kafka_queue_new(rk->get())};
        admin_options_ptr options{rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS)};
        (void)rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(s.timeout.count()), errstr,
                                                          sizeof errstr);
        rd_kafka_CreateTopics(rk->get(), raw.data(), raw.size(), options.get(), queue.get());
        event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(s.timeout.count()) + 5000)};
        if (!ev) {
            return std::unexpected(error{"create topics: no answer from the cluster"});
        }
        if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{fmt::format("create topics: {}", rd_kafka_event_error_string(ev.get()))});
        }
        auto const* result = rd_kafka_event_CreateTopics_result(ev.get());
        std::size_t count = 0;
        auto const** results = rd_kafka_CreateTopics_result_topics(result, &count);
        for (std::size_t i = 0; i < count; ++i) {
            auto const err = rd_kafka_topic_result_error(results[i]);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                return std::unexpected(error{fmt::format("create topic {}: {}", rd_kafka_topic_result_name(results[i]),
                                                         rd_kafka_topic_result_error_string(results[i]))});
            }
        }
    }
    // Metadata can lag a moment behind creation: wait until every topic is visible.
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto after = describe_with_retention(rk->get(), s.timeout);
        if (!after) {
            return after;
        }
        if (after->commands && after->events && after->snapshots) {
            if (auto ok = check_layout(*after); !ok) {
                return std::unexpected(ok.error());
            }
            return after;
        }
        rd_kafka_poll(rk->get(), 100);
    }
    return std::unexpected(error{"topics were created but do not show in the metadata"});
}

std::expected<void, error> create_topic(settings const& s, char const* name, std::int32_t partitions,
                                        std::int16_t replication) {
    auto rk = make_client(s, RD_KAFKA_PRODUCER, {});
    if (!rk) {
        return std::unexpected(rk.error());
    }
    char errstr[512];
    new_topic_ptr nt{rd_kafka_NewTopic_new(name, partitions, replication, errstr, sizeof errstr)};
    if (!nt) {
        return std::unexpected(error{fmt::format("topic {}: {}", name, errstr)});
    }
    rd_kafka_NewTopic_t* raw = nt.get();
    queue_ptr queue{rd_kafka_queue_new(rk->get())};
    rd_kafka_CreateTopics(rk->get(), &raw, 1, nullptr, queue.get());
    event_ptr ev{rd_kafka_queue_poll(queue.get(), static_cast<int>(s.timeout.count()) + 5000)};
    if (!ev) {
        return std::unexpected(error{"create topic: no answer from the cluster"});
    }
    std::size_t count = 0;
    auto const** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        auto const err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            return std::unexpected(
                error{fmt::format("create topic {}: {}", name, rd_kafka_topic_result_error_string(results[i]))});
        }
    }
    return {};
}

} // namespace salonq::engine::log::kafka
