// A cluster that does not answer DescribeConfigs: salonq.snapshots' record limit stays unknown, and a worker
// refuses to start (retryable) rather than run unchecked. The cluster is librdkafka's mock cluster, in this
// process: it answers Metadata, but librdkafka 2.0's mock names no controller, so DescribeConfigs times out
// ("Failed while waiting for controller"), as it can on a cluster under load.

#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/kafka.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace {

using namespace salonq::engine::kafka;
using salonq::test::temp_dir;

// A mock cluster of one broker holding salonq's three topics, reachable at bootstrap().
class unanswering_cluster {
public:
    unanswering_cluster() {
        char errstr[512];
        detail::conf_ptr conf{rd_kafka_conf_new()};
        REQUIRE(rd_kafka_conf_set(conf.get(), "test.mock.num.brokers", "1", errstr, sizeof errstr) == RD_KAFKA_CONF_OK);
        (void)rd_kafka_conf_set(conf.get(), "log_level", "3", errstr, sizeof errstr);
        rk_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), errstr, sizeof errstr));
        REQUIRE(rk_);
        auto* cluster = rd_kafka_handle_mock_cluster(rk_.get());
        REQUIRE(cluster != nullptr);
        for (char const* topic : {commands_topic, events_topic, snapshots_topic}) {
            REQUIRE(rd_kafka_mock_topic_create(cluster, topic, 2, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
        }
        bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster);
    }
    [[nodiscard]] std::string const& bootstrap() const { return bootstrap_; }

private:
    detail::handle_ptr rk_;
    std::string bootstrap_;
};

} // namespace

TEST_CASE("kafka topics: a snapshots topic whose record limit the cluster does not tell is not accepted") {
    unanswering_cluster cluster;
    settings s;
    s.brokers = cluster.bootstrap();
    s.timeout = std::chrono::milliseconds{500}; // each DescribeConfigs gives up after 0.5 s

    auto const layout = describe_topics(s);
    REQUIRE(layout);
    CHECK(layout->commands == 2);
    CHECK(layout->events == 2);
    CHECK(layout->snapshots == 2);
    CHECK_FALSE(layout->snapshots_max_message_bytes);
    CHECK_MESSAGE(layout->snapshots_limit_unknown_because.find("tried 4 times") != std::string::npos,
                  layout->snapshots_limit_unknown_because);
    auto const fits = check_snapshot_record_limit(*layout);
    REQUIRE_FALSE(fits);
    CHECK(fits.error().code == errc::retryable);

    // worker::open refuses before it opens its store or joins the group.
    temp_dir dir;
    worker_options options;
    options.kafka = s;
    options.data = dir / "w";
    auto const worker = worker::open(options);
    REQUIRE_FALSE(worker);
    CHECK(worker.error().code == errc::retryable);
    CHECK_MESSAGE(worker.error().message.find("salonq.snapshots: the cluster did not tell its max.message.bytes") !=
                      std::string::npos,
                  worker.error().message);
    CHECK_FALSE(std::filesystem::exists(options.data));

    // topics create does not report the topics ready either.
    auto const ensured = ensure_topics(s, 2, 1);
    REQUIRE_FALSE(ensured);
    CHECK(ensured.error().code == errc::retryable);
}
