#pragma once

#include "engine/domain/values.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::api::traffic {

// What the driver reads of a salon's queue view (GET /v1/salons/{id}/queue, schemas/views/queue_view.schema.json):
// the catalogue, the staff, and the tickets waiting (in line order), being served and skipped. The view is the
// truth the driver acts on each round, so leftovers of an earlier run or of another client are simply part of it.
struct snapshot_staff {
    std::string id;
    std::string role; // owner, manager, staff
    bool on_duty = false;
    std::optional<std::uint64_t> serving;
};

struct snapshot_ticket {
    std::uint64_t id = 0;
    std::vector<std::string> services;
    std::int32_t duration_min = 0;
    std::string staff; // serving only
};

struct queue_snapshot {
    std::vector<engine::service_def> services;
    std::vector<snapshot_staff> staff;
    std::vector<snapshot_ticket> waiting; // by position
    std::vector<snapshot_ticket> serving;
    std::vector<snapshot_ticket> skipped;

    [[nodiscard]] snapshot_staff const* find_staff(std::string_view id) const;
    // The catalogue price of a ticket's services (the amount a completion charges).
    [[nodiscard]] std::int64_t price_of(snapshot_ticket const& t) const;
};

// Reads a queue view; a message naming what is missing when the body is not one.
[[nodiscard]] std::expected<queue_snapshot, std::string> parse_queue(std::string_view json);

// Fields of a command's answer: the ticket a walk-in issued (its id and the customer's link), the error code of a
// refusal. Empty when absent.
struct command_answer {
    std::optional<std::uint64_t> ticket;
    std::string link;
    std::string error_code;
};
[[nodiscard]] command_answer parse_answer(std::string_view json);

} // namespace salonq::api::traffic
