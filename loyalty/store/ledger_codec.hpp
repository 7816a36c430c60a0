#pragma once

// The loyalty store's keys and values. An entry's JSON is the same bytes the HTTP API shows (the customerId is in
// the key, not repeated). Keys sort a customer's entries in ledger order (loyalty/core/ledger.hpp), newest first:
// "e" + customerId + NUL + ~time + salonId + NUL + ~seq, the two numbers big-endian and inverted.

#include "engine/codec/json_writer.hpp"
#include "loyalty/core/ledger.hpp"

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::loyalty {

[[nodiscard]] std::string entry_key(engine::customer_id const& customer, cursor const& at);
// Every entry key of the customer lies in [customer_first(c), customer_end(c)).
[[nodiscard]] std::string customer_first(engine::customer_id const& customer);
[[nodiscard]] std::string customer_end(engine::customer_id const& customer);

// {"id","salonId","seq","ticketId","points","amountCents","at"}
void write_entry(engine::codec::json_writer& w, entry const& e);
[[nodiscard]] std::string encode_entry(entry const& e);
[[nodiscard]] std::expected<entry, std::string> decode_entry(engine::customer_id const& customer,
                                                             std::string_view json);

// {"centsPerPoint","seq"}
[[nodiscard]] std::string encode_fold(salon_fold const& f);
[[nodiscard]] std::expected<salon_fold, std::string> decode_fold(std::string_view json);

// {"salons":[{"salonId","points","entries"}]}: a customer's balance at each salon where it earned.
[[nodiscard]] std::string encode_balances(std::vector<salon_balance> const& salons);
[[nodiscard]] std::expected<std::vector<salon_balance>, std::string> decode_balances(std::string_view json);

} // namespace salonq::loyalty
