#include "engine/runtime/errc.hpp"

namespace salonq::engine::runtime {

std::string_view to_string(errc c) noexcept {
    switch (c) {
    case errc::local_store:
        return "local_store";
    case errc::corrupt_record:
        return "corrupt_record";
    case errc::misconfigured:
        return "misconfigured";
    }
    return "local_store";
}

} // namespace salonq::engine::runtime
