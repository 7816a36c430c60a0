#include "api/traffic/demo_salons.hpp"

#include "engine/sim/customer_model.hpp"

#include <algorithm>
#include <stdexcept>

namespace salonq::api::traffic {

std::vector<staff_spec> salon_spec::stylists() const {
    std::vector<staff_spec> out;
    std::ranges::copy_if(staff, std::back_inserter(out), [](staff_spec const& s) { return s.role == "staff"; });
    return out;
}

staff_spec const& salon_spec::manager() const {
    for (auto const* role : {"manager", "owner"}) {
        if (auto it = std::ranges::find(staff, std::string{role}, &staff_spec::role); it != staff.end()) {
            return *it;
        }
    }
    throw std::logic_error("a demo salon without a manager or an owner");
}

salon_spec demo_salon(std::string const& id) {
    salon_spec s;
    s.id = id;
    s.catalogue = engine::sim::standard_catalogue();
    if (id == "demo") {
        // ana, max and sam are the staff ops/run.sh has always set up; lee and kim join them.
        s.name = "Demo Cuts";
        s.zone = "Europe/London";
        s.staff = {{"ana", "Ana", "owner"},
                   {"max", "Max", "manager"},
                   {"sam", "Sam", "staff"},
                   {"lee", "Lee", "staff"},
                   {"kim", "Kim", "staff"}};
    } else if (id == "north") {
        s.name = "North Street Barbers";
        s.zone = "Europe/Dublin";
        s.staff = {{"olu", "Olu", "owner"},
                   {"mia", "Mia", "manager"},
                   {"raj", "Raj", "staff"},
                   {"eve", "Eve", "staff"},
                   {"tom", "Tom", "staff"}};
    } else if (id == "riverside") {
        s.name = "Riverside Hair & Beauty";
        s.zone = "Europe/Berlin";
        s.staff = {
            {"zoe", "Zoe", "owner"}, {"ian", "Ian", "manager"}, {"ada", "Ada", "staff"}, {"kai", "Kai", "staff"}};
    } else {
        s.name = "Salon " + id;
        s.zone = "Europe/London";
        s.staff = {{"owner", "Olivia Owner", "owner"},
                   {"manager", "Marco Manager", "manager"},
                   {"s1", "Stylist 1", "staff"},
                   {"s2", "Stylist 2", "staff"},
                   {"s3", "Stylist 3", "staff"}};
    }
    return s;
}

} // namespace salonq::api::traffic
