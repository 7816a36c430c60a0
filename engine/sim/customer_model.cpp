#include "engine/sim/customer_model.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace salonq::engine::sim {
namespace {

constexpr std::array<char const*, 16> first_names{"Ana",  "Ben",   "Chloe", "Dev",  "Emma", "Farid", "Grace", "Hiro",
                                                  "Isla", "Jonas", "Kemi",  "Liam", "Maya", "Noah",  "Olu",   "Priya"};
constexpr std::array<char const*, 5> codes{"HC", "BT", "SH", "CL", "KC"};

double uniform(random_engine& rng) { return std::uniform_real_distribution<double>{0.0, 1.0}(rng); }
int between(random_engine& rng, int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); }

} // namespace

std::vector<service_def> standard_catalogue() {
    return {{"HC", "Haircut", 2500, 30},
            {"BT", "Beard trim", 1200, 15},
            {"SH", "Hot towel shave", 1500, 20},
            {"CL", "Colour", 6000, 60},
            {"KC", "Kids cut", 1800, 20}};
}

customer draw_customer(random_engine& rng, std::uint64_t n) {
    customer who;
    who.name = fmt::format("{} {}.", first_names[n % first_names.size()], static_cast<char>('A' + n % 26));
    if (uniform(rng) < 0.7) {
        who.phone = fmt::format("+44 7700 9{:05}", n % 100000);
    }
    if (uniform(rng) < 0.1) {
        who.id = customer_id{fmt::format("cust-{}", n % 5000)};
    }
    return who;
}

std::vector<std::string> draw_services(random_engine& rng) {
    std::vector<std::string> services;
    services.emplace_back(codes[static_cast<std::size_t>(between(rng, 0, 4))]);
    if (uniform(rng) < 0.25) {
        services.emplace_back(codes[static_cast<std::size_t>(between(rng, 0, 2))]);
        if (services[0] == services[1]) {
            services.pop_back();
        }
    }
    return services;
}

customer_traits draw_traits(random_engine& rng) {
    customer_traits t;
    t.absent = uniform(rng) < 0.04;
    t.wants_priority = uniform(rng) < 0.03;
    if (uniform(rng) < 0.15) {
        t.patience = std::chrono::minutes{between(rng, 30, 60)};
    }
    return t;
}

std::optional<std::chrono::minutes> draw_comeback(random_engine& rng) {
    if (uniform(rng) < 0.6) {
        return std::chrono::minutes{between(rng, 5, 20)};
    }
    return std::nullopt;
}

double service_minutes(random_engine& rng, std::int32_t planned_min) {
    auto const planned = static_cast<double>(std::max(5, planned_min));
    return std::max(3.0, std::normal_distribution<double>{planned, planned * 0.2}(rng));
}

char const* priority_reason(std::uint64_t ticket) {
    constexpr std::array<char const*, 3> reasons{"senior_citizen", "child", "medical_urgency"};
    return reasons[ticket % reasons.size()];
}

} // namespace salonq::engine::sim
