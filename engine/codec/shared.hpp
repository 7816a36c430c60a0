#pragma once

// Encoders and decoders for the value types that commands, events and state share.

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/domain/state.hpp"
#include "engine/domain/values.hpp"

#include <string>
#include <vector>

namespace salonq::engine::codec {

constexpr std::int64_t schema_version = 1;
constexpr std::size_t max_services = salon_limits::services;
constexpr std::size_t max_ticket_services = salon_limits::ticket_services;
constexpr std::int64_t max_ticket = 1'000'000'000'000;
constexpr std::int64_t max_cents = 10'000'000'000;

void write_customer(json_writer& w, customer const& c);
void write_services(json_writer& w, std::vector<service_def> const& services);
void write_codes(json_writer& w, std::vector<std::string> const& codes);
void write_actor(json_writer& w, actor const& a);
void write_config(json_writer& w, salon_config const& c);
// A salon's staff list, as the state and the queue view hold it.
void write_staff(json_writer& w, std::vector<staff_member> const& staff);

[[nodiscard]] customer read_customer(object_view o);
[[nodiscard]] std::vector<service_def> read_services(object_view& parent, std::string_view key);
[[nodiscard]] std::vector<std::string> read_codes(object_view& parent, std::string_view key, std::size_t max_items);
[[nodiscard]] actor read_actor(object_view o);
[[nodiscard]] salon_config read_config(object_view o);
[[nodiscard]] std::vector<staff_member> read_staff(object_view& parent, std::string_view key);
[[nodiscard]] role read_role(object_view& o, std::string_view key);
[[nodiscard]] ticket_id read_ticket(object_view& o, std::string_view key);
[[nodiscard]] token read_token(object_view& o, std::string_view key);
// Refuses a `v` other than the supported schema version.
void read_version(object_view& o);
// A salon's state as an object of its own or inside another record (a snapshot).
[[nodiscard]] salon_state read_state(object_view o);

// What a salon's state and its queue view both describe, in the same fields: name, timezone, config, services,
// staff. Salon is any type with those members (salon_state, projections::queue_view).
template <typename Salon>
void write_salon_profile(json_writer& w, Salon const& s) {
    w.field("name", s.name).field("timezone", s.timezone).key("config");
    write_config(w, s.config);
    w.key("services");
    write_services(w, s.services);
    w.key("staff");
    write_staff(w, s.staff);
}

template <typename Salon>
void read_salon_profile(object_view& o, Salon& s) {
    s.name = std::string{o.string("name", limits::name)};
    s.timezone = std::string{o.string("timezone", 64)};
    s.config = read_config(o.object("config"));
    s.services = read_services(o, "services");
    s.staff = read_staff(o, "staff");
}

} // namespace salonq::engine::codec
