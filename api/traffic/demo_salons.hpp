#pragma once

#include "engine/domain/values.hpp"

#include <string>
#include <vector>

namespace salonq::api::traffic {

struct staff_spec {
    std::string id;
    std::string name;
    std::string role; // owner, manager, staff
};

// A salon the driver sets up when it is missing: its name, time zone, staff and the standard catalogue of the
// simulator (engine/sim/customer_model.hpp).
struct salon_spec {
    std::string id;
    std::string name;
    std::string zone;
    std::vector<staff_spec> staff;
    std::vector<engine::service_def> catalogue;

    [[nodiscard]] std::vector<staff_spec> stylists() const; // role staff: the ones who serve
    [[nodiscard]] staff_spec const& manager() const;        // the first manager (else owner): skips, priority
};

// The three demo salons (demo, north, riverside) by id; any other id gets a small salon of its own (an owner, a
// manager, three stylists). ops/run.sh's page links name the same staff ids (ana, max, sam).
[[nodiscard]] salon_spec demo_salon(std::string const& id);

} // namespace salonq::api::traffic
