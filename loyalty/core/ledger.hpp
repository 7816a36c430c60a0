#pragma once

#include "loyalty/core/fold.hpp"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::loyalty {

// Where a page of a ledger stops: the last entry shown, by its place in ledger order. Written "<atMs>.<seq>.<salon>"
// (a salon id holds no character that would make it ambiguous: it comes last and may contain '.').
struct cursor {
    engine::instant at{};
    engine::seq_t seq;
    engine::salon_id salon;
    friend bool operator==(cursor const&, cursor const&) = default;
};
[[nodiscard]] cursor cursor_of(entry const& e);
[[nodiscard]] std::string format_cursor(cursor const& c);
[[nodiscard]] std::optional<cursor> parse_cursor(std::string_view text);

// Ledger order, newest first: by time descending, then salon id, then seq descending. A total order that is a pure
// function of the entries, so a ledger rebuilt from the log lists them exactly as the one folded as it came.
[[nodiscard]] bool before(cursor const& a, cursor const& b) noexcept;

// A customer's standing at one salon: the points earned there and how many entries earned them.
struct salon_balance {
    engine::salon_id salon;
    std::int64_t points = 0;
    std::uint64_t entries = 0;
    friend bool operator==(salon_balance const&, salon_balance const&) = default;
};

// Customers' ledgers in memory: what the fold of a whole log gives (tests, and the reference a stored ledger is
// compared with). Each customer's entries are kept in ledger order; the balance is their sum.
class ledger {
public:
    void add(entry e);
    [[nodiscard]] std::vector<entry> const& entries(engine::customer_id const& customer) const;
    [[nodiscard]] std::int64_t balance(engine::customer_id const& customer) const;
    [[nodiscard]] std::map<std::string, std::vector<entry>, std::less<>> const& customers() const noexcept {
        return customers_;
    }
    friend bool operator==(ledger const&, ledger const&) = default;

private:
    std::map<std::string, std::vector<entry>, std::less<>> customers_;
};

// Folds events (each salon's in seq order) into a ledger from nothing.
[[nodiscard]] ledger fold_ledger(std::span<engine::event const> events);

} // namespace salonq::loyalty
