#include "api/http/handlers/pages.hpp"

#include "api/http/error.hpp"
#include "api/http/gzip.hpp"
#include "web/assets.hpp"

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
    r.header("ETag", std::string{a.etag}).header("Cache-Control", "no-cache").header("Vary", "Accept-Encoding");
    r.header("Content-Security-Policy", std::string{page_policy});
    if (not_modified(req, a.etag)) {
        r.code = status::not_modified;
        return r;
    }
    if (a.body.size() >= 1024 && accepts_gzip(req.header("Accept-Encoding"))) {
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
