#include "api/http/handlers/notifications.hpp"

#include "api/http/error.hpp"
#include "api/http/handlers/queries.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "notify/deliver/address_policy.hpp"
#include "notify/deliver/payload.hpp"
#include "notify/deliver/webhook_client.hpp"
#include "notify/store/notify_store.hpp"

#include <charconv>

namespace salonq::api::http {
namespace {

using engine::codec::json_writer;
constexpr std::size_t longest_id = 300;     // a notification id: salon, seq, kind, ticket
constexpr std::size_t most_redriven = 1000; // dead letters one redrive request puts back (one fsynced batch)

// The notifier's store and the salon the path names, or the answer: 503 without a notifier, 400 for an invalid
// id, 404 for a salon the queue views do not know.
[[nodiscard]] std::expected<std::pair<notify::notify_store*, engine::salon_id>, response> salon_of(services& ports,
                                                                                                   request const& req) {
    if (ports.notifications == nullptr) {
        return std::unexpected(
            error_response(status::service_unavailable, "not_ready", "this process runs no notifier"));
    }
    auto const id = req.param("salonId");
    if (!engine::codec::is_valid_id(id)) {
        return std::unexpected(
            error_response(status::bad_request, "invalid_value", std::string{engine::codec::id_rule}, "salonId"));
    }
    auto salon = engine::salon_id{std::string{id}};
    if (ports.views != nullptr && !ports.views->view(salon)) {
        return std::unexpected(
            error_response(status::not_found, "salon_not_found", "no salon with this id", "salonId"));
    }
    return std::pair{ports.notifications, std::move(salon)};
}

response store_failure(std::string const& why) {
    return error_response(status::service_unavailable, "not_ready", "the notifier's store: " + why);
}

// Who may see the webhook's whole address: those who may set it (owners, managers, admin). Others who may read the
// settings (analysts) see the scheme and host only: hooks often carry a secret in their path or query.
[[nodiscard]] bool sees_whole_url(request const& req) {
    if (!req.who) {
        return false;
    }
    auto const r = req.who->role;
    return r == auth::role::owner || r == auth::role::manager || r == auth::role::admin;
}

// "https://hooks.example.com/…": the address up to its host and port, the rest replaced.
[[nodiscard]] std::string redacted_url(std::string_view url) {
    auto const scheme = url.find("://");
    auto const start = scheme == std::string_view::npos ? 0 : scheme + 3;
    auto const path = url.find_first_of("/?#", start);
    if (path == std::string_view::npos) {
        return std::string{url};
    }
    return std::string{url.substr(0, path)} + "/\u2026";
}

// The settings `s` as GET shows them: everything but the secret (the address whole or redacted), and the salon's
// counts from the store.
[[nodiscard]] std::expected<std::string, std::string> settings_json(notify::notify_store& store,
                                                                    engine::salon_id const& salon,
                                                                    std::optional<notify::salon_settings> const& s,
                                                                    bool whole_url) {
    auto const dead = store.dead_count(salon);
    if (!dead) {
        return std::unexpected(dead.error());
    }
    json_writer w;
    w.begin_object().field("salonId", salon.value());
    w.field("configured", s.has_value());
    if (s) {
        w.field("url", whole_url ? s->url : redacted_url(s->url))
            .field("secretSet", !s->secret.empty())
            .field("almostAt", s->rules.almost_at);
        w.field("called", s->rules.called).field("skipped", s->rules.skipped).field("restored", s->rules.restored);
        w.field("maxAttempts", s->max_attempts);
    }
    w.field("pending", store.pending(salon)).field("deadLetters", *dead).end_object();
    return w.str();
}

// `s`: the salon's settings to show (a PUT's are what it wrote, though a later PUT may have replaced them already).
void answer_settings(notify::notify_store& store, engine::salon_id const& salon,
                     std::optional<notify::salon_settings> const& s, bool whole_url, replier& reply) {
    auto body = settings_json(store, salon, s, whole_url);
    if (!body) {
        reply(store_failure(body.error()));
        return;
    }
    auto r = json_response(status::ok, std::move(*body));
    r.salon_id = salon.value();
    reply(std::move(r));
}

// ?limit=N, 1 to max_page (default_page without it).
[[nodiscard]] std::expected<std::size_t, response> limit_of(request const& req) {
    auto const text = req.query_param("limit");
    if (!text) {
        return default_page;
    }
    std::size_t n = 0;
    auto const [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc{} || end != text->data() + text->size() || n == 0 || n > max_page) {
        return std::unexpected(error_response(status::bad_request, "invalid_value",
                                              fmt::format("limit is a whole number from 1 to {}", max_page), "limit"));
    }
    return n;
}

// A notification id from the query (?after=, ?id=): printable, at most longest_id bytes.
[[nodiscard]] std::expected<std::optional<std::string>, response> id_param(request const& req, std::string_view name) {
    auto value = req.query_param(name);
    if (value && (value->empty() || value->size() > longest_id ||
                  !std::ranges::all_of(*value, [](char c) { return c > ' ' && c < '\x7f'; }))) {
        return std::unexpected(error_response(
            status::bad_request, "invalid_value",
            fmt::format("{} is a notification id (salon:seq:kind:ticket): 1 to {} printable ASCII characters", name,
                        longest_id),
            name));
    }
    return value;
}

void write_letter(json_writer& w, notify::delivery const& d) {
    w.begin_object().field("id", d.id);
    if (auto n = notify::decode_notification(d.body)) {
        w.field("kind", notify::to_string(n->kind)).field("ticketId", n->ticket.value()).field("token", n->token);
        w.field("seq", n->seq.value()).key("at").time(n->at);
    }
    // Only the coarse classes are shown: a system message (an older record's) could describe the server's network.
    auto const error = notify::is_coarse_reason(d.last_error) ? std::string_view{d.last_error} : "failed";
    w.field("attempts", d.attempts).field("lastError", error).key("lastAttemptAt").time(d.due);
    w.end_object();
}

// A redrive takes no body, or an empty object: anything else is refused by name.
std::optional<response> refuse_body(request const& req) {
    if (req.raw.body().empty()) {
        return std::nullopt;
    }
    try {
        engine::codec::as_object(engine::codec::parse_document(req.raw.body(), engine::codec::limits::message), "")
            .finish();
    } catch (engine::codec::decode_failure& f) {
        return codec_error_response(f.err);
    }
    return std::nullopt;
}

} // namespace

void put_notification_settings(services& ports, request const& req, replier reply) {
    auto target = salon_of(ports, req);
    if (!target) {
        reply(std::move(target.error()));
        return;
    }
    auto& [store, salon] = *target;
    auto settings = notify::read_settings(req.raw.body());
    if (!settings) {
        reply(codec_error_response(settings.error()));
        return;
    }
    if (auto const url = notify::parse_webhook_url(settings->url);
        url && !ports.webhook_allow_private && notify::is_private_literal(url->host)) {
        reply(error_response(status::unprocessable_entity, "invalid_value",
                             "a private, loopback or link-local address: this server does not deliver there", "url"));
        return;
    }
    auto stored = ports.publish_notification_settings ? ports.publish_notification_settings(salon, *settings)
                                                      : store->put_settings(salon, *settings);
    if (!stored) {
        reply(store_failure(stored.error()));
        return;
    }
    answer_settings(*store, salon, *settings, true, reply);
}

void get_notification_settings(services& ports, request const& req, replier reply) {
    auto target = salon_of(ports, req);
    if (!target) {
        reply(std::move(target.error()));
        return;
    }
    auto& [store, salon] = *target;
    answer_settings(*store, salon, store->settings(salon), sees_whole_url(req), reply);
}

void get_dead_letters(services& ports, request const& req, replier reply) {
    auto target = salon_of(ports, req);
    auto limit = limit_of(req);
    auto after = id_param(req, "after");
    if (!target || !limit || !after) {
        reply(std::move(!target ? target.error() : !limit ? limit.error() : after.error()));
        return;
    }
    auto& [store, salon] = *target;
    auto page = store->dead_letters(salon, after->value_or(""), *limit);
    if (!page) {
        reply(store_failure(page.error()));
        return;
    }
    json_writer w;
    w.begin_object().field("salonId", salon.value()).key("deadLetters").begin_array();
    for (auto const& d : *page) {
        write_letter(w, d);
    }
    w.end_array();
    if (page->size() == *limit) {
        w.field("nextAfter", page->back().id);
    }
    w.end_object();
    auto r = json_response(status::ok, w.str());
    r.salon_id = salon.value();
    reply(std::move(r));
}

void post_redrive(services& ports, request const& req, replier reply) {
    auto target = salon_of(ports, req);
    if (!target) {
        reply(std::move(target.error()));
        return;
    }
    auto one = id_param(req, "id");
    if (!one) {
        reply(std::move(one.error()));
        return;
    }
    if (auto refused = refuse_body(req)) {
        reply(std::move(*refused));
        return;
    }
    auto& [store, salon] = *target;
    json_writer w;
    w.begin_object().field("salonId", salon.value());
    if (std::optional<std::string> const& id = *one) {
        auto const done = store->redrive(salon, *id, ports.clock());
        if (!done) {
            reply(store_failure(done.error()));
            return;
        }
        if (!*done) {
            reply(error_response(status::not_found, "dead_letter_not_found",
                                 "this salon has no dead letter with this id", "id"));
            return;
        }
        w.field("redriven", 1);
    } else {
        auto const done = store->redrive_all(salon, ports.clock(), most_redriven);
        if (!done) {
            reply(store_failure(done.error()));
            return;
        }
        w.field("redriven", done->redriven).field("remaining", done->remaining);
    }
    w.end_object();
    auto r = json_response(status::ok, w.str());
    r.salon_id = salon.value();
    reply(std::move(r));
}

} // namespace salonq::api::http
