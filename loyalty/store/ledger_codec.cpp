#include "loyalty/store/ledger_codec.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/log/keys.hpp"

#include <limits>

namespace salonq::loyalty {
namespace {

namespace codec = engine::codec;

constexpr std::int64_t max_points = std::numeric_limits<std::int64_t>::max();

// Larger numbers first: a signed time flipped into unsigned order, then inverted.
std::uint64_t descending(std::int64_t v) { return ~(static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63U)); }

template <typename Decode>
[[nodiscard]] auto decoded(Decode&& decode) -> std::expected<decltype(decode()), std::string> {
    try {
        return decode();
    } catch (codec::decode_failure& f) {
        return std::unexpected(f.err.path + ": " + f.err.message);
    }
}

} // namespace

std::string customer_first(engine::customer_id const& customer) { return "e" + customer.value() + '\0'; }
std::string customer_end(engine::customer_id const& customer) { return "e" + customer.value() + '\1'; }

std::string entry_key(engine::customer_id const& customer, cursor const& at) {
    auto key = customer_first(customer);
    engine::log::put_u64(key, descending(engine::to_unix_ms(at.at)));
    key += at.salon.value();
    key += '\0';
    engine::log::put_u64(key, ~at.seq.value());
    return key;
}

void write_entry(codec::json_writer& w, entry const& e) {
    w.begin_object().field("id", e.id()).field("salonId", e.salon.value()).field("seq", e.seq.value());
    w.field("ticketId", e.ticket.value()).field("points", e.points).field("amountCents", e.amount_cents);
    w.key("at").time(e.at).end_object();
}

std::string encode_entry(entry const& e) {
    codec::json_writer w;
    write_entry(w, e);
    return w.str();
}

std::expected<entry, std::string> decode_entry(engine::customer_id const& customer, std::string_view json) {
    return decoded([&] {
        auto o = codec::as_object(codec::parse_document(json, codec::limits::record), "");
        entry e;
        e.customer = customer;
        auto const id = std::string{o.string("id", 2 * codec::limits::id)};
        e.salon = engine::salon_id{std::string{o.id("salonId")}};
        e.seq = engine::seq_t{static_cast<std::uint64_t>(o.integer("seq", 1, max_points))};
        e.ticket = engine::ticket_id{static_cast<std::uint64_t>(o.integer("ticketId", 1, max_points))};
        e.points = o.integer("points", 0, max_points);
        e.amount_cents = o.integer("amountCents", 0, max_points);
        e.at = o.time("at");
        o.finish();
        if (id != e.id()) {
            codec::fail(codec::errc::invalid_value, "id", "is not salonId:seq");
        }
        return e;
    });
}

std::string encode_fold(salon_fold const& f) {
    codec::json_writer w;
    w.begin_object().field("centsPerPoint", f.cents_per_point).field("seq", f.seq.value()).end_object();
    return w.str();
}

std::expected<salon_fold, std::string> decode_fold(std::string_view json) {
    return decoded([&] {
        auto o = codec::as_object(codec::parse_document(json, codec::limits::record), "");
        salon_fold f;
        f.cents_per_point =
            static_cast<std::int32_t>(o.integer("centsPerPoint", 1, engine::salon_config::max_loyalty_cents_per_point));
        f.seq = engine::seq_t{static_cast<std::uint64_t>(o.integer("seq", 0, max_points))};
        o.finish();
        return f;
    });
}

std::string encode_balances(std::vector<salon_balance> const& salons) {
    codec::json_writer w;
    w.begin_object().key("salons").begin_array();
    for (auto const& s : salons) {
        w.begin_object().field("salonId", s.salon.value()).field("points", s.points).field("entries", s.entries);
        w.end_object();
    }
    w.end_array().end_object();
    return w.str();
}

std::expected<std::vector<salon_balance>, std::string> decode_balances(std::string_view json) {
    return decoded([&] {
        auto o = codec::as_object(codec::parse_document(json, codec::limits::record), "");
        std::vector<salon_balance> out;
        for (auto e : o.array("salons", 1'000'000)) {
            auto s = codec::as_object(e, "salons[]");
            salon_balance b;
            b.salon = engine::salon_id{std::string{s.id("salonId")}};
            b.points = s.integer("points", 0, max_points);
            b.entries = static_cast<std::uint64_t>(s.integer("entries", 0, max_points));
            s.finish();
            out.push_back(std::move(b));
        }
        o.finish();
        return out;
    });
}

} // namespace salonq::loyalty
