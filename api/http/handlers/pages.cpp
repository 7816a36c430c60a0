#include "api/http/handlers/pages.hpp"

#include "api/http/error.hpp"
#include "api/http/gzip.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_reader.hpp"
#include "web/assets.hpp"
#include "web/qr.hpp"

#include <charconv>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace salonq::api::http {
namespace {

// The gzip form of every asset, made once on first use: the files never change while the process runs.
std::string const& gzipped(web::asset const& a) {
    static std::once_flag once;
    static std::vector<std::string> bodies;
    std::call_once(once, [] {
        for (auto const& each : web::all_assets()) {
            bodies.push_back(gzip(each.body));
        }
    });
    return bodies[static_cast<std::size_t>(&a - web::all_assets().data())];
}

response asset_response(request const& req, web::asset const& a) {
    response r;
    r.content_type = std::string{a.content_type};
    // The gzip form is another representation: its own strong ETag ("<hash>-gz").
    bool const gz = a.body.size() >= 1024 && accepts_gzip(req.header("Accept-Encoding"));
    auto const etag = gz ? std::string{a.etag.substr(0, a.etag.size() - 1)} + "-gz\"" : std::string{a.etag};
    r.header("ETag", etag).header("Cache-Control", "no-cache").header("Vary", "Accept-Encoding");
    r.header("Content-Security-Policy", std::string{page_policy});
    if (not_modified(req, etag)) {
        r.code = status::not_modified;
        return r;
    }
    if (gz) {
        r.body = gzipped(a);
        r.header("Content-Encoding", "gzip");
    } else {
        r.body = std::string{a.body};
    }
    return r;
}

void reply_file(request const& req, replier& reply, std::string_view path) {
    auto const* a = web::find_asset(path);
    if (a == nullptr) {
        reply(error_response(status::not_found, "not_found", "no such file"));
        return;
    }
    reply(asset_response(req, *a));
}

} // namespace

void get_page(services& /*ports*/, request const& req, replier reply) {
    auto const page = req.route == "/" ? std::string{"/index.html"} : std::string{req.route} + ".html";
    reply_file(req, reply, page);
}

void get_customer_page(services& /*ports*/, request const& req, replier reply) {
    reply_file(req, reply, "/customer.html");
}

namespace {

// A Host header that can go into a link as it is: a name or an address, and a port.
bool plain_host(std::string_view host) {
    return !host.empty() && host.size() <= 255 && std::ranges::all_of(host, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_' || c == ':' || c == '[' || c == ']';
    });
}

} // namespace

void get_customer_qr(services& ports, request const& req, replier reply) {
    auto const salon = req.param("salonId");
    auto const ticket_text = req.param("ticketId");
    std::uint64_t ticket = 0;
    auto const [end, ec] = std::from_chars(ticket_text.data(), ticket_text.data() + ticket_text.size(), ticket);
    if (ec != std::errc{} || end != ticket_text.data() + ticket_text.size() || ticket == 0 ||
        !engine::codec::is_valid_id(salon) ||
        !ports.auth.check_link(engine::salon_id{std::string{salon}}, engine::ticket_id{ticket}, req.param("code"))) {
        reply(error_response(status::not_found, "link_not_found", "this ticket link is not valid (or has ended)"));
        return;
    }
    std::string base = ports.options.public_url; // serve --public-url, else the address the console used
    if (base.empty()) {
        auto const host = req.header("Host");
        if (!plain_host(host)) {
            reply(error_response(status::bad_request, "invalid_host", "the Host header is not a plain host[:port]"));
            return;
        }
        base = (req.header("X-Forwarded-Proto") == "https" ? "https://" : "http://") + std::string{host};
    }
    auto const link =
        base + "/t/" + std::string{salon} + "/" + std::string{ticket_text} + "/" + std::string{req.param("code")};
    auto svg = web::qr_svg(link, "QR code of your ticket's page");
    if (!svg) {
        reply(error_response(status::bad_request, "invalid_value", svg.error()));
        return;
    }
    response r;
    r.content_type = "image/svg+xml";
    r.body = std::move(*svg);
    r.header("Cache-Control", "private, max-age=86400");
    r.header("Content-Security-Policy", std::string{page_policy});
    reply(std::move(r));
}

void get_asset(services& /*ports*/, request const& req, replier reply) {
    auto const name = req.param("file");
    // Pages are served at their routes; only the files they load are under /assets/.
    if (name.ends_with(".html")) {
        reply(error_response(status::not_found, "not_found", "no such file", "file"));
        return;
    }
    reply_file(req, reply, "/" + std::string{name});
}

} // namespace salonq::api::http
