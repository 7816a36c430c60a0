#include "engine/kafka/detail/ownership.hpp"

#include "engine/kafka/settings.hpp"

namespace salonq::engine::kafka::detail {

partition_list_ptr partition_ownership::owned_list() const {
    partition_list_ptr list{rd_kafka_topic_partition_list_new(static_cast<int>(owned_.size()))};
    for (auto p : owned_) {
        rd_kafka_topic_partition_list_add(list.get(), kafka::commands_topic, p);
    }
    return list;
}

} // namespace salonq::engine::kafka::detail
