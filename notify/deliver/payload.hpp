#pragma once

#include "notify/derive/notification.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace salonq::notify {

// The JSON body of a webhook:
// {"id","type","salonId","seq","at","ticket":{"ticketId","token","position"},"customer":{"name","phone",
// "customerId"},"staffId"}; customer fields and staffId only when known.
[[nodiscard]] std::string encode_notification(notification const& n);
[[nodiscard]] std::expected<notification, std::string> decode_notification(std::string_view json);

} // namespace salonq::notify
