// The Kafka worker deciding one command message into the open batch.

#include "engine/kafka/detail/worker_impl.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/invalid_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/kafka/detail/admit.hpp"
#include "engine/log/keys.hpp"

namespace salonq::engine::kafka {
namespace {

namespace kd = detail;
using kd::steady;
using kd::us_since;

} // namespace

std::string worker::impl::invalid_record(rd_kafka_message_t const* m, codec::error const& e, instant at) {
    auto const ids = codec::peek_ids({static_cast<char const*>(m->payload), m->len});
    return codec::encode_command_invalid({m->partition, m->offset, at, ids.command, ids.salon, e});
}

std::expected<void, error> worker::impl::decide(rd_kafka_message_t const* m) {
    auto const started = steady::now();
    auto decided = decide_into(pipeline.open(), m);
    if (!decided) {
        return decided;
    }
    pipeline.count(m->partition, m->offset, started);
    stats.commands.fetch_add(1, std::memory_order_relaxed);
    stats.decide_us.fetch_add(us_since(started), std::memory_order_relaxed);
    return {};
}

error worker::impl::local_store_error(runtime::error const& e) {
    auto out = kd::from_runtime(e);
    out.message = "local store: " + out.message;
    return out;
}

std::expected<void, error> worker::impl::decide_into(kd::kafka_batch& batch, rd_kafka_message_t const* m) {
    auto const at = options.clock();
    auto const key = m->key ? std::string_view{static_cast<char const*>(m->key), m->key_len} : std::string_view{};
    auto decoded = kd::admit_command(key, {static_cast<char const*>(m->payload), m->len}, m->partition, partitions);
    if (!decoded) {
        batch.add(m->partition, key, invalid_record(m, decoded.error(), at), "command_invalid");
        return {};
    }
    auto& c = *decoded;
    c.received_at = at;
    auto dkey = log::dedupe_key(c.salon, c.id);
    if (pending.contains(dkey)) {
        stats.duplicates.fetch_add(1, std::memory_order_relaxed);
        return {};
    }
    auto prior = recent_outcome(*db, dkey, c.received_at, options.dedupe_retention);
    if (!prior) {
        return std::unexpected(local_store_error(prior.error()));
    }
    if (*prior) {
        stats.duplicates.fetch_add(1, std::memory_order_relaxed);
        return {};
    }
    auto loaded = load_state(*db, states, c.salon);
    if (!loaded) {
        return std::unexpected(local_store_error(loaded.error()));
    }
    pipeline.keep_prior(c.salon.value(), *loaded);
    salon_state fresh;
    fresh.id = c.salon;
    salon_state& state = *loaded ? **loaded : fresh;
    kd::decided_command d{dkey, c.received_at, batch.records.size(), 0};
    auto entries = decide_and_apply(state, c);
    if (&state == &fresh && state.registered) {
        states.emplace(c.salon.value(), std::move(fresh));
    }
    for (auto const& entry : entries) {
        writer.clear();
        std::string_view type;
        if (auto const* e = std::get_if<event>(&entry)) {
            codec::write_event(writer, *e);
            type = type_name(e->body);
        } else {
            codec::write_rejected(writer, std::get<rejected_command>(entry));
            type = "command_rejected";
        }
        batch.add(m->partition, c.salon.value(), writer.view(), type);
        ++d.count;
    }
    batch.decided.push_back(std::move(d));
    pending.decided(std::move(dkey));
    return {};
}

} // namespace salonq::engine::kafka
