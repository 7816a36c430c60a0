#include "api/http/handlers/commands.hpp"

#include "api/auth/access.hpp"
#include "api/http/decision_deadlines.hpp"
#include "api/http/error.hpp"
#include "api/http/handlers/outcome_response.hpp"
#include "api/http/services.hpp"
#include "engine/codec/command_codec.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/domain/names.hpp"

#include <algorithm>
#include <charconv>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>

namespace salonq::api::http {
namespace {

using engine::codec::json_writer;

// A request's fault, found before anything is submitted.
struct refusal {
    response answer;
};

[[nodiscard]] std::expected<engine::salon_id, refusal> salon_of(request const& req) {
    auto const id = req.param("salonId");
    if (!engine::codec::is_valid_id(id)) {
        return std::unexpected(refusal{
            error_response(status::bad_request, "invalid_value", std::string{engine::codec::id_rule}, "salonId")});
    }
    return engine::salon_id{std::string{id}};
}

[[nodiscard]] std::expected<engine::command_id, refusal> command_id_of(request const& req) {
    auto const key = req.header("Idempotency-Key");
    if (key.empty()) {
        return engine::command_id{random_id("api-")};
    }
    if (!engine::codec::is_valid_id(key)) {
        return std::unexpected(refusal{error_response(status::bad_request, "invalid_value",
                                                      std::string{engine::codec::id_rule}, "Idempotency-Key")});
    }
    return engine::command_id{std::string{key}};
}

// If-Match: "<seq>" (a strong ETag of the queue view) or the bare number, of at most 18 digits (or *, as none): every
// such seq is one the commands log holds (its expectedSeq is at most 2^63 - 1; a larger one would be written, then
// refused when the log is read back).
[[nodiscard]] std::expected<std::optional<engine::seq_t>, refusal> expected_seq_of(request const& req) {
    auto value = req.header("If-Match");
    if (value.empty() ||
        value == "*") { // *: any current view (RFC 9110): a salon that exists (else 404; 412 on a registration)
        return std::optional<engine::seq_t>{};
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }
    constexpr std::size_t max_digits = 18;
    std::uint64_t seq = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seq);
    if (ec != std::errc{} || end != value.data() + value.size() || value.empty() || value.size() > max_digits) {
        return std::unexpected(refusal{error_response(
            status::bad_request, "invalid_value",
            "If-Match takes the queue's ETag: a seq (at most 18 digits) in quotes, e.g. \"42\"", "If-Match")});
    }
    return std::optional{engine::seq_t{seq}};
}

// Digits only (the codec then answers a number out of range, however long, as out_of_range); the length bound only
// keeps what is spliced into the payload small.
bool is_ticket_number(std::string_view s) noexcept {
    return !s.empty() && s.size() <= 64 && (s[0] != '0' || s.size() == 1) &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A configuration change the engine would refuse for its numbers (or one that changes nothing), answered here with
// the field at fault and nothing written: the engine's own check (decide) stays the authority for every other way
// in (the CLI, Kafka producers), where the refusal is recorded.
[[nodiscard]] std::optional<response> config_problem(engine::cmd::configure_salon const& c) {
    if (!c.priority_daily_limit && !c.max_waiting && !c.services && !c.loyalty_cents_per_point) {
        // It would change nothing, yet append an event: a new seq (every If-Match stale) and a frame to every screen.
        return error_response(status::unprocessable_entity, "missing_field",
                              "a configuration change names at least one of "
                              "priorityDailyLimit, maxWaiting, services, loyaltyCentsPerPoint");
    }
    struct range {
        std::optional<std::int32_t> value;
        std::int32_t least, most;
        char const* field;
    };
    for (auto const& [value, least, most, field] :
         {range{c.priority_daily_limit, 0, engine::salon_config::max_priority_limit, "priorityDailyLimit"},
          range{c.max_waiting, 1, engine::token::pool_size, "maxWaiting"},
          range{c.loyalty_cents_per_point, 1, engine::salon_config::max_loyalty_cents_per_point,
                "loyaltyCentsPerPoint"}}) {
        if (value && (*value < least || *value > most)) {
            return error_response(status::unprocessable_entity, "invalid_value",
                                  fmt::format("{}: from {} to {}", field, least, most), field);
        }
    }
    return std::nullopt;
}

// The payload: the body's object, with the path's id put in front when the route has one. A body that names it
// too is refused by name (rather than as a field given twice).
[[nodiscard]] std::expected<engine::command_body, refusal> payload_of(request const& req, std::string_view type,
                                                                      std::string_view path_field) {
    std::string_view body = req.raw.body();
    auto const first = body.find_first_not_of(" \t\r\n");
    std::string spliced;
    if (!path_field.empty()) {
        auto const value = req.param(path_field);
        if (path_field == "ticketId" && !is_ticket_number(value)) {
            return std::unexpected(refusal{error_response(status::bad_request, "invalid_value",
                                                          "ticketId: a ticket number, e.g. 12", "ticketId")});
        }
        json_writer w;
        w.begin_object().key(path_field);
        if (path_field == "ticketId") {
            w.raw(value);
        } else {
            w.string(value);
        }
        spliced = w.end_object().str(); // {"ticketId":12}
        if (first != std::string_view::npos && body[first] == '{') {
            auto const rest = body.substr(first + 1);
            auto const next = rest.find_first_not_of(" \t\r\n");
            spliced.pop_back(); // the closing brace: the body's fields follow
            spliced += (next != std::string_view::npos && rest[next] == '}') ? "" : ",";
            spliced.append(rest);
        } else if (first != std::string_view::npos) {
            spliced = std::string{body}; // not an object: the codec says so
        }
        body = spliced;
    } else if (first == std::string_view::npos) {
        body = "{}";
    }
    auto decoded = engine::codec::decode_payload(type, body);
    if (auto const* config = decoded ? std::get_if<engine::cmd::configure_salon>(&*decoded) : nullptr) {
        if (auto problem = config_problem(*config)) {
            return std::unexpected(refusal{std::move(*problem)});
        }
    }
    if (!decoded) {
        auto e = std::move(decoded.error());
        if (!path_field.empty() && e.path == path_field && e.code == engine::codec::errc::duplicate_field) {
            e.code = engine::codec::errc::unknown_field;
            e.message = "comes from the path, not the body";
        }
        return std::unexpected(refusal{codec_error_response(e)});
    }
    return std::move(*decoded);
}

[[nodiscard]] std::expected<engine::command, refusal> command_of(services& ports, request const& req,
                                                                 std::string_view type, std::string_view path_field) {
    auto by = req.who ? auth::actor_of(*req.who) : std::nullopt;
    if (!by) {
        return std::unexpected(refusal{
            error_response(status::forbidden, "forbidden_action", "this token only reads: it cannot send commands")});
    }
    auto salon = salon_of(req);
    auto id = salon ? command_id_of(req) : std::unexpected(salon.error());
    if (id && type == "register_salon" && req.header("If-Match") == "*") {
        // *: a current view must exist (RFC 9110), and a salon being registered has none: 412, nothing written.
        return std::unexpected(refusal{error_response(status::precondition_failed, "seq_conflict",
                                                      "If-Match: * asks for an existing salon; this one is being "
                                                      "registered",
                                                      "If-Match")});
    }
    auto seq = id ? expected_seq_of(req) : std::unexpected(id.error());
    auto body = seq ? payload_of(req, type, path_field) : std::unexpected(seq.error());
    if (!body) {
        return std::unexpected(body.error());
    }
    engine::command c;
    c.id = std::move(*id);
    c.salon = std::move(*salon);
    c.expected_seq = *seq;
    c.by = std::move(*by); // from the token, never from the body
    c.received_at = ports.clock();
    c.body = std::move(*body);
    return c;
}

response pending_response(std::string_view salon, std::string_view command) {
    json_writer w;
    w.begin_object().field("commandId", command).field("salonId", salon).field("status", "pending").end_object();
    auto r = json_response(status::accepted, w.str());
    r.header("Location", fmt::format("/v1/salons/{}/commands/{}", salon, command));
    r.header("Retry-After", "1");
    r.salon_id = salon;
    r.command_id = command;
    return r;
}

response gateway_failure(gateway_error const& e) {
    if (e.retryable) {
        return error_response(status::service_unavailable, "unavailable",
                              "the command was not decided: " + e.message +
                                  "; send it again with the same "
                                  "Idempotency-Key")
            .header("Retry-After", "1");
    }
    return error_response(status::internal_server_error, "internal", "the command was not decided: " + e.message);
}

// Who sent the command an outcome decided (its first entry says); none for an outcome without entries.
std::optional<engine::actor> sender_of(engine::runtime::outcome const& o) {
    if (o.entries.empty()) {
        return std::nullopt;
    }
    if (auto const* r = std::get_if<engine::rejected_command>(&o.entries.front())) {
        return r->by;
    }
    return std::get<engine::event>(o.entries.front()).by;
}

// The 422 for an outcome that is not the decision of this request's command (another type, or another actor); none
// when it is. A commandId is an Idempotency-Key, and a key sent again for another command (a cancel with a walk-in's
// key, another terminal's key) would otherwise be answered with the first command's success, and nothing done. Each
// outcome's first entry names its command: a refusal its type, an event by its kind (engine::command_type_of).
std::optional<response> reused_key(engine::runtime::outcome const& o, std::string_view type, engine::actor const& by) {
    if (o.entries.empty()) {
        return std::nullopt; // nothing to tell by (an outcome always has an entry)
    }
    auto const* r = std::get_if<engine::rejected_command>(&o.entries.front());
    auto const first_type = r != nullptr ? std::string_view{r->command_type}
                                         : engine::command_type_of(std::get<engine::event>(o.entries.front()).body);
    auto const first_by = sender_of(o);
    if (first_type == type && first_by == by) {
        return std::nullopt;
    }
    // Who sent the other one stays unsaid: another terminal's or person's id is not this sender's to learn.
    return error_response(status::unprocessable_entity, "idempotency_key_reused",
                          fmt::format("this Idempotency-Key was used for another command (a {}{}); send a new "
                                      "command with a new key",
                                      first_type, first_by == by ? "" : " sent by someone else"),
                          "Idempotency-Key");
}

// Whichever comes first answers: the engine's decision (from its side: the views' or the engine's thread), or the
// decision_wait deadline (202, from an HTTP thread). The first one takes the replier under the lock; the other finds
// it gone. A decision after a 202 settles the command for GET .../commands/{id}.
class decision_race final : public decision_deadlines::waiter, public std::enable_shared_from_this<decision_race> {
public:
    decision_race(services& ports, replier reply, std::string_view type, engine::command const& c)
        : reply_(std::move(reply)), ports_(ports), type_(type), sent_type_(engine::type_name(c.body)), sent_by_(c.by),
          salon_(c.salon.value()), command_(c.id.value()) {}

    void start(std::chrono::milliseconds wait) {
        ports_.deadlines->watch(weak_from_this(), decision_deadlines::clock::now() + wait);
    }
    void deadline_passed() override {
        std::unique_lock lock{mutex_};
        if (!reply_) {
            return;
        }
        ports_.unsettled.pending(salon_, command_, unsettled_commands::clock::now());
        answered_pending_ = true;
        answer(lock, pending_response(salon_, command_));
    }
    void decided(std::expected<engine::runtime::outcome, gateway_error> const& result) {
        if (result && !result->duplicate) {
            auto const* refused = std::get_if<engine::rejected_command>(&result->entries.front());
            ports_.metrics.command_decided(type_, refused != nullptr ? engine::to_string(refused->why.code) : "");
        }
        // Every outcome, not only a duplicate's: in Kafka mode two requests with one key in flight at once are both
        // completed by the first one's events, neither marked a duplicate.
        auto reused = result ? reused_key(*result, sent_type_, sent_by_) : std::nullopt;
        auto r = !result  ? gateway_failure(result.error())
                 : reused ? std::move(*reused)
                          : outcome_response(*result, ports_);
        if (result && !reused && result->duplicate) {
            // A retry's answer: the same bytes, and a header that says so (as Stripe's API does), so that a till that
            // sent a corrected body under the same key sees it was not decided again.
            r.header("Idempotent-Replayed", "true");
        }
        std::unique_lock lock{mutex_};
        if (answered_pending_) { // its terminal polls GET .../commands/{id}: tell it how this ended
            ports_.unsettled.settled(salon_, command_,
                                     result ? std::nullopt : std::optional<gateway_error>{result.error()},
                                     unsettled_commands::clock::now());
            return;
        }
        answer(lock, std::move(r));
    }

private:
    // Takes the replier and answers outside the lock (the replier posts to the session's own executor).
    void answer(std::unique_lock<std::mutex>& lock, response r) {
        if (!reply_) {
            return;
        }
        auto reply = std::move(*reply_);
        reply_.reset();
        lock.unlock();
        reply(std::move(r));
    }

    std::mutex mutex_;
    std::optional<replier> reply_;  // under mutex_: until the first answer
    bool answered_pending_ = false; // under mutex_: the 202 went out
    services& ports_;
    std::string_view type_;      // the route's command type (static storage)
    std::string_view sent_type_; // what was sent: type_name's
    engine::actor sent_by_;
    std::string salon_;
    std::string command_;
};

} // namespace

void submit_command(services& ports, request const& req, replier reply, std::string_view type,
                    std::string_view path_field) {
    auto c = command_of(ports, req, type, path_field);
    if (!c) {
        reply(std::move(c.error().answer));
        return;
    }
    auto race = std::make_shared<decision_race>(ports, std::move(reply), type, *c);
    race->start(ports.options.decision_wait);
    ports.commands.submit(std::move(*c), [race](auto const& result) { race->decided(result); });
}

namespace {

// GET .../commands/{id} of a command without an outcome: pending or failed if this process answered it 202 (see
// unsettled_commands), else not found.
response no_outcome(services& ports, engine::salon_id const& salon, std::string_view id) {
    auto const known = ports.unsettled.find(salon.value(), id, unsettled_commands::clock::now());
    if (!known) {
        return error_response(status::not_found, "command_not_found",
                              "no decided command with this id (not received here, still pending on another "
                              "instance, or older than the dedupe window)",
                              "commandId");
    }
    if (known->failure) {
        return gateway_failure(*known->failure);
    }
    return pending_response(salon.value(), id);
}

} // namespace

void get_command(services& ports, request const& req, replier reply) {
    auto salon = salon_of(req);
    auto const id = req.param("commandId");
    if (!salon || !engine::codec::is_valid_id(id)) {
        reply(salon ? error_response(status::bad_request, "invalid_value", std::string{engine::codec::id_rule},
                                     "commandId")
                    : std::move(salon.error().answer));
        return;
    }
    auto found = ports.commands.outcome_of(*salon, engine::command_id{std::string{id}});
    // A token that may not read the salon's events (pos, staff, dashboard) reads its own commands' outcomes only:
    // another's would show what it did (a priority start's reason, a completion's amount). Theirs are not found.
    auto const reads_events = req.who && auth::allowed(req.who->role, auth::action::read_events);
    auto const asker = req.who ? auth::actor_of(*req.who) : std::nullopt;
    auto const mine = [&](engine::runtime::outcome const& o) {
        return reads_events || (asker && sender_of(o) == asker);
    };
    if (!found) {
        reply(gateway_failure(found.error()));
    } else if (auto const& o = *found; !o || !mine(*o)) {
        reply(no_outcome(ports, *salon, id));
    } else {
        reply(
            outcome_response(*o, ports, reads_events ? outcome_reader::with_contact : outcome_reader::without_contact));
    }
}

} // namespace salonq::api::http
