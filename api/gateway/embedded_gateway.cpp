#include "api/gateway/embedded_gateway.hpp"

namespace salonq::api {
namespace {

gateway_error from_engine(engine::runtime::error const& e) {
    using engine::runtime::errc;
    // A local-store failure may pass (a full disk freed); a corrupt record or a misconfiguration will not. Its
    // message names files of the server's (RocksDB's): the client is told what it means, the log has the rest (the
    // store's own line when it stopped taking writes).
    if (e.code == errc::local_store) {
        return gateway_error{true, "the server's store is failing now (a full disk?); the details are in the "
                                   "server's log"};
    }
    return gateway_error{false, std::string{engine::runtime::to_string(e.code)} + ": " + e.message};
}

} // namespace

void embedded_gateway::submit(engine::command c, completion done) {
    engine_.submit(std::move(c), [feed = feed_, done = std::move(done)](
                                     std::expected<engine::runtime::outcome, engine::runtime::error> r) mutable {
        if (!r) {
            done(std::unexpected(from_engine(r.error())));
            return;
        }
        if (feed == nullptr) {
            done(std::move(*r));
            return;
        }
        // Its entries (a repeat's too: decided in an earlier batch, maybe still on its way to the views) must be in
        // the views before anyone hears of it.
        auto const p = r->partition;
        auto const end = engine::offset_t{r->first_offset.value() + static_cast<std::int64_t>(r->entries.size())};
        feed->when_applied(p, end, [done = std::move(done), o = std::move(*r)]() mutable { done(std::move(o)); });
    });
}

std::expected<std::optional<engine::runtime::outcome>, gateway_error>
embedded_gateway::outcome_of(engine::salon_id const& salon, engine::command_id const& command) {
    auto found = engine_.outcome_of(salon, command);
    if (!found) {
        return std::unexpected(from_engine(found.error()));
    }
    // Decided but not yet in the views (a POST that answered 202 because they lag): not visible yet either, or a
    // client polling here would be told of a ticket that GET .../queue does not show.
    if (auto const& o = *found;
        o && feed_ != nullptr &&
        !feed_->applied(o->partition,
                        engine::offset_t{o->first_offset.value() + static_cast<std::int64_t>(o->entries.size())})) {
        return std::optional<engine::runtime::outcome>{};
    }
    return std::move(*found);
}

std::optional<std::string> embedded_gateway::not_ready() {
    // The engine is open (it would not exist otherwise); a store that stopped taking writes shows in
    // store::unwritable_stores() (asked by /readyz first), one that cannot be read shows in a read.
    if (auto probe = engine_.db().get(engine::store::family::meta, engine::runtime::meta_layout_key); !probe) {
        return "the local store cannot be read: " + probe.error().message;
    }
    return std::nullopt;
}

} // namespace salonq::api
