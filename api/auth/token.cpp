#include "api/auth/token.hpp"

#include <jwt.h>

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <memory>

namespace salonq::api::auth {
namespace {

constexpr std::string_view algorithm = "HS256";
constexpr std::size_t longest_id = 64;
constexpr std::size_t most_salons = 1000;
constexpr std::size_t jti_bytes = 16;

// Ids as the codec takes them (salon, staff and actor ids): 1 to 64 of A-Z a-z 0-9 - _ . : @.
bool valid_id(std::string_view s) noexcept {
    return !s.empty() && s.size() <= longest_id && std::ranges::all_of(s, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' || c == ':' ||
               c == '@';
    });
}

std::string hex_of(std::string_view bytes) {
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto const c : bytes) {
        auto const b = static_cast<unsigned char>(c);
        out += digits[b >> 4U];
        out += digits[b & 0xFU];
    }
    return out;
}

error refuse(errc code, std::string message) { return error{code, std::move(message)}; }

// The rules on role, salons and staff that both issuing and verifying hold a token to.
std::optional<std::string> scope_problem(role r, bool all_salons, std::size_t salons, bool has_staff) {
    if (all_salons && r != role::admin) {
        return fmt::format("salons \"*\" is for role admin only, not {}", to_string(r));
    }
    // A monitor reads the process's counters only: a salon it named would mean nothing, and say it reached one.
    if (r == role::monitor && salons > 0) {
        return std::string{"role monitor reaches no salon: salons is []"};
    }
    if (r != role::monitor && !all_salons && salons == 0) {
        return std::string{"salons must name at least one salon"};
    }
    if (salons > most_salons) {
        return fmt::format("salons may name at most {}", most_salons);
    }
    if (acts_as_staff(r) && !has_staff) {
        return fmt::format("role {} acts as one of the salon's staff: the staff claim (--staff ID) is required",
                           to_string(r));
    }
    if (!acts_as_staff(r) && has_staff) {
        return fmt::format("role {} does not act as staff: no staff claim", to_string(r));
    }
    return std::nullopt;
}

struct jwt_deleter {
    void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;
struct c_string_deleter {
    void operator()(char* s) const noexcept { std::free(s); } // NOLINT(cppcoreguidelines-no-malloc): libjwt's malloc
};
using c_string = std::unique_ptr<char, c_string_deleter>;

// The header's kid, after checking it is JSON with alg HS256; libjwt checks it again with the signature.
[[nodiscard]] std::expected<std::string, error> header_kid(std::string_view encoded) {
    auto header = base64url_decode(encoded);
    if (!header) {
        return std::unexpected(refuse(errc::token_malformed, "the token's header is not base64url"));
    }
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(*header).get_object().get(object) != simdjson::SUCCESS) {
        return std::unexpected(refuse(errc::token_malformed, "the token's header is not a JSON object"));
    }
    std::string_view alg;
    if (object["alg"].get_string().get(alg) != simdjson::SUCCESS) {
        return std::unexpected(refuse(errc::token_malformed, "the token's header has no alg"));
    }
    if (alg != algorithm) {
        return std::unexpected(refuse(errc::token_unsupported_alg, "only HS256 tokens are accepted"));
    }
    std::string_view kid;
    if (object["kid"].get_string().get(kid) != simdjson::SUCCESS) {
        return std::unexpected(refuse(errc::unknown_key, "the token's header has no kid"));
    }
    return std::string{kid};
}

std::optional<std::int64_t> integer_claim(simdjson::dom::object const& claims, std::string_view name, bool& bad) {
    auto field = claims[name];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    if (field.type() != simdjson::dom::element_type::INT64 || field.get_int64().get(v) != simdjson::SUCCESS) {
        bad = true;
        return std::nullopt;
    }
    return v;
}

std::optional<std::string_view> string_claim(simdjson::dom::object const& claims, std::string_view name, bool& bad) {
    auto field = claims[name];
    if (field.error() == simdjson::NO_SUCH_FIELD) {
        return std::nullopt;
    }
    std::string_view v;
    if (field.get_string().get(v) != simdjson::SUCCESS) {
        bad = true;
        return std::nullopt;
    }
    return v;
}

// Reads the salons claim into p: "*" or a list of ids.
std::optional<std::string> read_salons(simdjson::dom::object const& claims, principal& p) {
    auto field = claims["salons"];
    std::string_view star;
    if (field.get_string().get(star) == simdjson::SUCCESS) {
        if (star != "*") {
            return std::string{"salons is a list of salon ids or \"*\""};
        }
        p.all_salons = true;
        return std::nullopt;
    }
    simdjson::dom::array list;
    if (field.get_array().get(list) != simdjson::SUCCESS) {
        return std::string{"salons (a list of salon ids, or \"*\") is missing or of the wrong type"};
    }
    for (auto element : list) {
        std::string_view id;
        if (element.get_string().get(id) != simdjson::SUCCESS || !valid_id(id)) {
            return std::string{"salons holds something other than a salon id"};
        }
        if (p.salons.size() >= most_salons) {
            return fmt::format("salons may name at most {}", most_salons);
        }
        p.salons.emplace_back(std::string{id});
    }
    return std::nullopt;
}

// A verified token's claims: the principal, and the times it is valid from.
struct claims {
    principal who;
    std::optional<std::int64_t> iat;
    std::optional<std::int64_t> nbf;
};

// The claims, or claims_invalid naming the first claim at fault.
[[nodiscard]] std::expected<claims, error> read_claims(std::string_view json) {
    auto bad = [](std::string message) { return std::unexpected(refuse(errc::claims_invalid, std::move(message))); };
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(json).get_object().get(object) != simdjson::SUCCESS) {
        return bad("the token's payload is not a JSON object");
    }
    bool wrong = false;
    auto const sub = string_claim(object, "sub", wrong);
    auto const role_name = string_claim(object, "role", wrong);
    auto const staff = string_claim(object, "staff", wrong);
    auto const jti = string_claim(object, "jti", wrong);
    auto const exp = integer_claim(object, "exp", wrong);
    claims out;
    out.iat = integer_claim(object, "iat", wrong);
    out.nbf = integer_claim(object, "nbf", wrong);
    if (wrong) {
        return bad("a claim has the wrong type (sub, role, staff, jti: strings; exp, iat, nbf: integer seconds)");
    }
    if (!sub || !valid_id(*sub)) {
        return bad("sub is missing or not an id");
    }
    if (!role_name) {
        return bad("role is missing");
    }
    auto const r = parse_role(*role_name);
    if (!r) {
        return bad("unknown role");
    }
    if (!jti || !valid_jti(*jti)) {
        return bad("jti is missing or not a token id");
    }
    if (!exp) {
        return bad("exp is missing");
    }
    if (staff && !valid_id(*staff)) {
        return bad("staff is not an id");
    }
    auto& p = out.who;
    p.subject = std::string{*sub};
    p.role = *r;
    p.jti = std::string{*jti};
    p.expires = std::chrono::sys_seconds{std::chrono::seconds{*exp}};
    if (staff) {
        p.staff = engine::staff_id{std::string{*staff}};
    }
    if (auto problem = read_salons(object, p)) {
        return bad(std::move(*problem));
    }
    if (auto problem = scope_problem(p.role, p.all_salons, p.salons.size(), p.staff.has_value())) {
        return bad(std::move(*problem));
    }
    return out;
}

// exp, nbf and iat against now, with the leeway.
[[nodiscard]] std::expected<void, error> check_times(claims const& c, std::chrono::sys_seconds now,
                                                     std::chrono::seconds leeway) {
    if (now > c.who.expires + leeway) {
        return std::unexpected(refuse(errc::token_expired, "the token has expired"));
    }
    auto const future = [&](std::optional<std::int64_t> t) {
        return t && std::chrono::sys_seconds{std::chrono::seconds{*t}} > now + leeway;
    };
    if (future(c.nbf) || future(c.iat)) {
        return std::unexpected(refuse(errc::token_not_yet_valid, "the token is not valid yet (nbf or iat is ahead)"));
    }
    return {};
}

} // namespace

bool is_issued_jti(std::string_view jti) noexcept {
    constexpr std::size_t hex_digits = jti_bytes * 2;
    constexpr std::size_t base64url_chars = 22; // 16 bytes, unpadded
    auto const hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    auto const base64url = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    };
    return (jti.size() == hex_digits && std::ranges::all_of(jti, hex)) ||
           (jti.size() == base64url_chars && std::ranges::all_of(jti, base64url));
}

std::expected<issued_token, error> issue_token(keyring const& keys, token_request const& request,
                                               std::chrono::sys_seconds now) {
    auto invalid = [](std::string message) {
        return std::unexpected(refuse(errc::invalid_request, std::move(message)));
    };
    if (!valid_id(request.subject)) {
        return invalid("the subject (--sub) is 1 to 64 characters of A-Z a-z 0-9 - _ . : @");
    }
    if (request.ttl <= std::chrono::seconds{0} || request.ttl > longest_token_life) {
        return invalid(fmt::format("the lifetime (--ttl) must be more than 0 and at most {} days",
                                   std::chrono::duration_cast<std::chrono::days>(longest_token_life).count()));
    }
    for (auto const& s : request.salons) {
        if (!valid_id(s.value())) {
            return invalid(fmt::format("salon id '{}' is not 1 to 64 characters of A-Z a-z 0-9 - _ . : @", s.value()));
        }
    }
    if (request.staff && !valid_id(request.staff->value())) {
        return invalid("the staff id (--staff) is not 1 to 64 characters of A-Z a-z 0-9 - _ . : @");
    }
    if (auto problem =
            scope_problem(request.role, request.all_salons, request.salons.size(), request.staff.has_value())) {
        return invalid(std::move(*problem));
    }
    auto id = random_secret(jti_bytes);
    if (!id) {
        return std::unexpected(id.error());
    }
    issued_token out;
    // Hex, not base64url: a jti that began with '-' would read as an option to `salonq token revoke`.
    out.jti = hex_of(id->bytes());
    out.kid = keys.current().kid;
    out.expires = now + request.ttl;

    // Every string is an id (checked above): nothing in it that JSON would escape.
    std::string salons = "\"*\"";
    if (!request.all_salons) {
        salons = "[";
        for (auto const& s : request.salons) {
            salons += fmt::format("{}\"{}\"", salons.size() > 1 ? "," : "", s.value());
        }
        salons += "]";
    }
    auto const claims = fmt::format(R"({{"sub":"{}","role":"{}","salons":{},{}"iat":{},"exp":{},"jti":"{}"}})",
                                    request.subject, to_string(request.role), salons,
                                    request.staff ? fmt::format(R"("staff":"{}",)", request.staff->value()) : "",
                                    now.time_since_epoch().count(), out.expires.time_since_epoch().count(), out.jti);

    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        return std::unexpected(refuse(errc::io_error, "libjwt could not make a token"));
    }
    jwt_ptr jwt{raw};
    auto const secret = keys.current().secret.bytes();
    if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<unsigned char const*>(secret.data()),
                    static_cast<int>(secret.size())) != 0 ||
        jwt_add_header(jwt.get(), "kid", out.kid.c_str()) != 0 || jwt_add_grants_json(jwt.get(), claims.c_str()) != 0) {
        return std::unexpected(refuse(errc::io_error, "libjwt could not build the token"));
    }
    c_string encoded{jwt_encode_str(jwt.get())};
    if (!encoded) {
        return std::unexpected(refuse(errc::io_error, "libjwt could not sign the token"));
    }
    out.token = encoded.get();
    return out;
}

std::expected<std::chrono::seconds, error> parse_ttl(std::string_view text) {
    auto bad = [&] {
        return std::unexpected(
            refuse(errc::invalid_request, fmt::format("'{}' is not a lifetime: a whole number and a unit, s, m, h or d "
                                                      "(e.g. 8h, 30m, 7d)",
                                                      text)));
    };
    if (text.size() < 2) {
        return bad();
    }
    std::int64_t n = 0;
    auto const digits = text.substr(0, text.size() - 1);
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || n <= 0 || n > 1'000'000) {
        return bad();
    }
    switch (text.back()) {
    case 's':
        return std::chrono::seconds{n};
    case 'm':
        return std::chrono::minutes{n};
    case 'h':
        return std::chrono::hours{n};
    case 'd':
        return std::chrono::days{n};
    default:
        return bad();
    }
}

std::expected<std::string_view, error> bearer_token(std::string_view authorization) {
    while (!authorization.empty() && (authorization.back() == ' ' || authorization.back() == '\t')) {
        authorization.remove_suffix(1);
    }
    if (authorization.empty()) {
        return std::unexpected(refuse(errc::token_missing, "this needs a token: Authorization: Bearer <token>"));
    }
    constexpr std::string_view scheme = "bearer";
    bool const is_bearer =
        authorization.size() >= scheme.size() &&
        std::ranges::equal(authorization.substr(0, scheme.size()), scheme,
                           [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }) &&
        (authorization.size() == scheme.size() || authorization[scheme.size()] == ' ');
    if (!is_bearer) {
        return std::unexpected(refuse(errc::token_malformed, "the Authorization header is not Bearer <token>"));
    }
    auto token = authorization.substr(scheme.size());
    while (!token.empty() && token.front() == ' ') {
        token.remove_prefix(1);
    }
    if (token.empty()) {
        return std::unexpected(refuse(errc::token_missing, "this needs a token: Authorization: Bearer <token>"));
    }
    return token;
}

verifier::verifier(keyring keys, revocation_list const& revocations, verify_options options)
    : keys_(std::make_shared<keyring const>(std::move(keys))), revocations_(revocations), options_(options) {}

void verifier::replace_keys(keyring keys) { keys_.store(std::make_shared<keyring const>(std::move(keys))); }

std::expected<principal, error> verifier::verify(std::string_view token, std::chrono::sys_seconds now) const {
    if (token.empty()) {
        return std::unexpected(refuse(errc::token_missing, "this needs a token"));
    }
    if (token.size() > options_.longest_token) {
        return std::unexpected(refuse(errc::token_malformed, "the token is too long"));
    }
    auto const first_dot = token.find('.');
    auto const second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos ||
        token.find('\0') != std::string_view::npos) {
        return std::unexpected(refuse(errc::token_malformed, "a token is three base64url parts joined by dots"));
    }
    auto kid = header_kid(token.substr(0, first_dot));
    if (!kid) {
        return std::unexpected(std::move(kid.error()));
    }
    auto const keys = keys_.load();
    auto const* k = keys->find(*kid);
    if (k == nullptr) {
        return std::unexpected(refuse(errc::unknown_key, "the token's key (kid) is not one this server holds"));
    }

    // The signature, by libjwt: with a key given it refuses alg none; the algorithm it verified with is checked
    // again below, so an HS512 token signed with the same secret is refused too.
    std::string const text{token};
    jwt_t* raw = nullptr;
    auto const secret = k->secret.bytes();
    int const rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<unsigned char const*>(secret.data()),
                              static_cast<int>(secret.size()));
    jwt_ptr jwt{raw};
    if (rc != 0 || !jwt) {
        return std::unexpected(refuse(errc::token_invalid, "the token's signature does not verify"));
    }
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
        return std::unexpected(refuse(errc::token_unsupported_alg, "only HS256 tokens are accepted"));
    }
    c_string claims_json{jwt_get_grants_json(jwt.get(), nullptr)};
    if (!claims_json) {
        return std::unexpected(refuse(errc::claims_invalid, "the token has no claims"));
    }
    auto c = read_claims(claims_json.get());
    if (!c) {
        return std::unexpected(std::move(c.error()));
    }
    if (auto in_time = check_times(*c, now, options_.leeway); !in_time) {
        return std::unexpected(std::move(in_time.error()));
    }
    if (revocations_.revoked(c->who.jti)) {
        return std::unexpected(refuse(errc::token_revoked, "the token has been revoked"));
    }
    c->who.kid = std::move(*kid);
    return std::move(c->who);
}

bool verifier::still_valid(token_lease const& lease, std::chrono::sys_seconds now) const {
    return now <= lease.expires + options_.leeway && !revocations_.revoked(lease.jti) &&
           keys_.load()->find(lease.kid) != nullptr;
}

} // namespace salonq::api::auth
