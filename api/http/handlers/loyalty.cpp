#include "api/http/handlers/loyalty.hpp"

#include "api/http/error.hpp"
#include "api/http/handlers/queries.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "loyalty/store/ledger_codec.hpp"
#include "loyalty/store/loyalty_store.hpp"

#include <charconv>

namespace salonq::api::http {
namespace {

constexpr std::string_view salons_note =
    "balance and entries at the salons this token reaches only; points earned elsewhere are not shown";

// What the request asks for, checked: the customer, the page size and where the page starts.
struct loyalty_query {
    engine::customer_id customer;
    std::size_t limit = default_page;
    std::optional<loyalty::cursor> after;
};

[[nodiscard]] std::expected<loyalty_query, response> query_of(request const& req) {
    auto const customer = req.param("customerId");
    if (!engine::codec::is_valid_id(customer)) {
        return std::unexpected(
            error_response(status::bad_request, "invalid_value", std::string{engine::codec::id_rule}, "customerId"));
    }
    loyalty_query q{engine::customer_id{std::string{customer}}, default_page, std::nullopt};
    if (auto const text = req.query_param("limit")) {
        auto const [end, ec] = std::from_chars(text->data(), text->data() + text->size(), q.limit);
        if (ec != std::errc{} || end != text->data() + text->size() || q.limit < 1 || q.limit > max_page) {
            return std::unexpected(error_response(status::bad_request, "invalid_value",
                                                  fmt::format("limit is a whole number from 1 to {}", max_page),
                                                  "limit"));
        }
    }
    if (auto const text = req.query_param("after")) {
        q.after = loyalty::parse_cursor(*text);
        if (!q.after) {
            return std::unexpected(error_response(status::bad_request, "invalid_value",
                                                  "after is the nextAfter of an earlier page", "after"));
        }
    }
    return q;
}

std::string page_json(loyalty_query const& q, loyalty::ledger_page const& page, bool every_salon) {
    engine::codec::json_writer w;
    w.begin_object().field("customerId", q.customer.value()).field("scope", every_salon ? "all" : "token_salons");
    if (!every_salon) {
        w.field("note", salons_note);
    }
    w.field("balance", page.balance).key("salons").begin_array();
    for (auto const& s : page.salons) {
        w.begin_object().field("salonId", s.salon.value()).field("points", s.points).field("entries", s.entries);
        w.end_object();
    }
    w.end_array().key("entries").begin_array();
    for (auto const& e : page.entries) {
        loyalty::write_entry(w, e);
    }
    w.end_array();
    if (auto const& next = page.next) {
        w.field("nextAfter", loyalty::format_cursor(*next));
    }
    w.end_object();
    return w.str();
}

} // namespace

void get_customer_loyalty(services& ports, request const& req, replier reply) {
    auto q = query_of(req);
    if (!q) {
        reply(std::move(q.error()));
        return;
    }
    if (ports.loyalty == nullptr) {
        reply(error_response(status::service_unavailable, "not_ready", "this process keeps no loyalty ledger"));
        return;
    }
    if (!req.who) { // admission gave this route a bearer; without one it shows nothing
        reply(error_response(status::unauthorized, "token_missing", "this needs a token", "Authorization"));
        return;
    }
    auto const every_salon = req.who->all_salons;
    auto const scope =
        every_salon ? std::nullopt : std::optional<std::span<engine::salon_id const>>{std::span{req.who->salons}};
    auto page = ports.loyalty->page(q->customer, scope, q->after, q->limit);
    if (!page) {
        ports.log.error("loyalty of {}: {}", q->customer.value(), page.error());
        reply(error_response(status::service_unavailable, "not_ready", "the loyalty ledger could not be read"));
        return;
    }
    if (page->salons.empty()) {
        reply(error_response(status::not_found, "customer_not_found",
                             every_salon ? "no loyalty points for this customer"
                                         : "no loyalty points for this customer at this token's salons",
                             "customerId"));
        return;
    }
    auto r = json_response(status::ok, page_json(*q, *page, every_salon));
    r.header("Cache-Control", "no-store");
    if (auto const& next = page->next) {
        r.header("Link", fmt::format("<{}?after={}&limit={}>; rel=\"next\"", req.path, loyalty::format_cursor(*next),
                                     q->limit));
    }
    reply(std::move(r));
}

} // namespace salonq::api::http
