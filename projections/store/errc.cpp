#include "projections/store/errc.hpp"

#include <array>

namespace salonq::projections {

std::string_view to_string(errc c) noexcept {
    // In the order of the enum.
    constexpr std::array<std::string_view, 7> names{"local_store", "corrupt_record", "misconfigured", "offset_ahead",
                                                    "log_read",    "busy",           "cancelled"};
    auto const i = static_cast<std::size_t>(c);
    return i < names.size() ? names[i] : names[0];
}

} // namespace salonq::projections
