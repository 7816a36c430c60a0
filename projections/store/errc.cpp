#include "projections/store/errc.hpp"

namespace salonq::projections {

std::string_view to_string(errc c) noexcept {
    switch (c) {
    case errc::local_store:
        return "local_store";
    case errc::corrupt_record:
        return "corrupt_record";
    case errc::misconfigured:
        return "misconfigured";
    case errc::offset_ahead:
        return "offset_ahead";
    case errc::log_read:
        return "log_read";
    }
    return "local_store";
}

} // namespace salonq::projections
