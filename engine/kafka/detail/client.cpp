#include "engine/kafka/detail/client.hpp"

#include <fmt/format.h>

namespace salonq::engine::kafka {

std::expected<detail::handle_ptr, error> make_client(settings const& s, rd_kafka_type_t type,
                                                     std::map<std::string, std::string> const& properties,
                                                     void (*configure)(rd_kafka_conf_t*, void*), void* opaque) {
    detail::conf_ptr conf{rd_kafka_conf_new()};
    char errstr[512];
    auto set = [&](std::string const& k, std::string const& v) -> std::expected<void, error> {
        if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            // librdkafka quotes a rejected value; it may be a secret (a password), so it is cut out.
            std::string message = errstr;
            for (auto at = v.empty() ? std::string::npos : message.find(v); at != std::string::npos;
                 at = message.find(v, at)) {
                message.replace(at, v.size(), "(value hidden)");
            }
            return std::unexpected(error{errc::misconfigured, fmt::format("kafka setting {}: {}", k, message)});
        }
        return {};
    };
    std::map<std::string, std::string> all{{"bootstrap.servers", s.brokers}, {"client.id", s.client_id}};
    for (auto const& [k, v] : s.extra) {
        all[k] = v;
    }
    for (auto const& [k, v] : properties) {
        all[k] = v;
    }
    for (auto const& [k, v] : all) {
        if (auto ok = set(k, v); !ok) {
            return std::unexpected(ok.error());
        }
    }
    if (configure != nullptr) {
        configure(conf.get(), opaque);
    }
    // rd_kafka_new takes ownership of conf on success only.
    auto* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
    if (rk == nullptr) {
        return std::unexpected(error{errc::misconfigured, fmt::format("kafka client: {}", errstr)});
    }
    (void)conf.release();
    return detail::handle_ptr{rk};
}

} // namespace salonq::engine::kafka
