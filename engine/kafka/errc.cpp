#include "engine/kafka/errc.hpp"

namespace salonq::engine::kafka {

std::string_view to_string(errc c) noexcept {
    switch (c) {
    case errc::retryable:
        return "retryable";
    case errc::fenced:
        return "fenced";
    case errc::local_store:
        return "local_store";
    case errc::corrupt_record:
        return "corrupt_record";
    case errc::misconfigured:
        return "misconfigured";
    }
    return "retryable";
}

} // namespace salonq::engine::kafka
