#include "api/http/live/live_socket.hpp"

#include <unistd.h>

namespace salonq::api::http {

namespace net = boost::asio;

void live_socket_options(net::ip::tcp::socket& socket) {
    boost::system::error_code ignored;
    (void)socket.set_option(net::ip::tcp::no_delay(true), ignored); // the error is in `ignored`
}

std::optional<uring::socket> into_rings(net::ip::tcp::socket& socket, uring::rings* rings) {
    if (rings == nullptr) {
        return std::nullopt;
    }
    auto executor = socket.get_executor();
    boost::system::error_code ec;
    auto const protocol = socket.local_endpoint(ec).protocol();
    if (ec) {
        return std::nullopt;
    }
    int const fd = socket.release(ec);
    if (ec) {
        return std::nullopt;
    }
    if (auto where = rings->adopt(fd)) {
        return uring::socket{executor, std::move(*where)};
    }
    socket = net::ip::tcp::socket{executor}; // no ring took it: back to a descriptor of its own
    if ((void)socket.assign(protocol, fd, ec); ec) {
        (void)::close(fd); // never seen: the connection ends
    }
    return std::nullopt;
}

} // namespace salonq::api::http
