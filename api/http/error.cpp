#include "api/http/error.hpp"

#include "engine/codec/json_writer.hpp"

namespace salonq::api::http {

std::string error_body(std::string_view code, std::string_view message, std::string_view field) {
    engine::codec::json_writer w;
    w.begin_object().key("error").begin_object().field("code", code).field("message", message);
    if (!field.empty()) {
        w.field("field", field);
    }
    w.end_object().end_object();
    return std::string{w.view()};
}

response error_response(status code, std::string_view error_code, std::string_view message, std::string_view field) {
    return json_response(code, error_body(error_code, message, field));
}

response codec_error_response(engine::codec::error const& e) {
    using engine::codec::errc;
    auto code = status::unprocessable_entity;
    if (e.code == errc::malformed_json || e.code == errc::invalid_utf8) {
        code = status::bad_request;
    } else if (e.code == errc::too_large) {
        code = status::payload_too_large;
    }
    // The message names the field too, so it reads alone ("customer.phone: must be at most 32 bytes").
    auto const message = e.path.empty() ? e.message : e.path + ": " + e.message;
    return error_response(code, engine::codec::to_string(e.code), message, e.path);
}

status status_of(engine::rejection_code c) noexcept {
    using engine::rejection_code;
    switch (c) {
    case rejection_code::salon_not_found:
    case rejection_code::ticket_not_found:
    case rejection_code::unknown_staff:
        return status::not_found;
    case rejection_code::forbidden_role:
        return status::forbidden;
    case rejection_code::seq_conflict:
        return status::precondition_failed;
    case rejection_code::invalid_timezone:
    case rejection_code::invalid_config:
    case rejection_code::unknown_service:
    case rejection_code::duplicate_service:
    case rejection_code::invalid_customer:
    case rejection_code::invalid_amount:
    case rejection_code::invalid_reason:
        return status::unprocessable_entity;
    default:
        return status::conflict;
    }
}

} // namespace salonq::api::http
