#include "engine/domain/state.hpp"

#include <algorithm>
#include <functional>

namespace salonq::engine {

std::uint32_t token_set::size() const noexcept {
    std::uint32_t n = 0;
    for (auto w : words_) {
        n += static_cast<std::uint32_t>(std::popcount(w));
    }
    return n;
}

token token_set::nth_free(std::uint32_t n) const noexcept {
    for (std::size_t w = 0; w < word_count; ++w) {
        std::uint64_t free_bits = ~words_[w];
        if (w == word_count - 1) {
            free_bits &= (std::uint64_t{1} << (token::pool_size % 64)) - 1;
        }
        auto const count = static_cast<std::uint32_t>(std::popcount(free_bits));
        if (n < count) {
            for (; n > 0; --n) {
                free_bits &= free_bits - 1; // drop the lowest set bit
            }
            return token{static_cast<std::uint16_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(free_bits)))};
        }
        n -= count;
    }
    return token{0};
}

ticket const* salon_state::find_ticket(ticket_id wanted) const noexcept {
    auto it = std::lower_bound(tickets.begin(), tickets.end(), wanted,
                               [](ticket const& t, ticket_id const& v) { return t.id < v; });
    return it != tickets.end() && it->id == wanted ? &*it : nullptr;
}

ticket* salon_state::find_ticket(ticket_id wanted) noexcept {
    return const_cast<ticket*>(std::as_const(*this).find_ticket(wanted));
}

staff_member const* salon_state::find_staff(staff_id const& wanted) const noexcept {
    auto it = std::find_if(staff.begin(), staff.end(), [&](staff_member const& s) { return s.id == wanted; });
    return it != staff.end() ? &*it : nullptr;
}

staff_member* salon_state::find_staff(staff_id const& wanted) noexcept {
    return const_cast<staff_member*>(std::as_const(*this).find_staff(wanted));
}

service_def const* salon_state::find_service(std::string_view code) const noexcept {
    auto it = std::find_if(services.begin(), services.end(), [&](service_def const& s) { return s.code == code; });
    return it != services.end() ? &*it : nullptr;
}

std::vector<ticket const*> salon_state::waiting_line() const {
    std::vector<ticket const*> line;
    for (auto const& t : tickets) {
        if (t.status == ticket_status::waiting) {
            line.push_back(&t);
        }
    }
    // By place; equal places keep their order in `tickets`, which is their order in memory (std::sort, not
    // std::stable_sort: the same order, without libstdc++'s deprecated temporary buffer).
    std::sort(line.begin(), line.end(), [](ticket const* a, ticket const* b) {
        return a->place != b->place ? a->place < b->place : std::less<>{}(a, b);
    });
    return line;
}

std::uint32_t salon_state::waiting_count() const noexcept {
    return static_cast<std::uint32_t>(std::count_if(
        tickets.begin(), tickets.end(), [](ticket const& t) { return t.status == ticket_status::waiting; }));
}

std::uint32_t salon_state::position_of(std::uint64_t place) const noexcept {
    std::uint32_t ahead = 0;
    for (auto const& t : tickets) {
        if (t.status == ticket_status::waiting && t.place < place) {
            ++ahead;
        }
    }
    return ahead + 1;
}

void salon_state::rebuild_derived() noexcept {
    tokens = token_set{};
    for (auto const& t : tickets) {
        tokens.insert(t.tok);
    }
}

} // namespace salonq::engine
