#pragma once

#include "engine/log/log.hpp"
#include "engine/runtime/rebuild.hpp"
#include "loyalty/core/ledger.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace salonq::loyalty {

// A page of one customer's ledger as a reader may see it: the balance at each salon in scope where the customer
// earned, their sum, the entries after the cursor (ledger order, newest first) and the cursor of the next page.
struct ledger_page {
    std::vector<salon_balance> salons;
    std::int64_t balance = 0;
    std::vector<entry> entries;
    std::optional<cursor> next;
};

// What the fold met besides the next seq of each salon (for logs and tests).
struct fold_counts {
    std::atomic<std::uint64_t> duplicates{0}; // events of a seq already folded: passed over
    std::atomic<std::uint64_t> gaps{0};       // events beyond a salon's next seq: folded, and logged as an error
    std::atomic<std::uint64_t> undecodable{0};
};

// The loyalty ledger in a RocksDB directory of its own (<data>/loyalty, private: customers' ids and what they paid):
// ledger entries by customer, each customer's balance per salon, each salon's fold (rate, last seq) and the
// events-log offsets they reflect. What is folded is saved in ONE WriteBatch (entries, balances, salon folds, every
// partition's offset): at once, fsynced, when someone earned; else within a second (a walk-in changes no balance),
// so after a crash the consumer reads on from the stored offsets and nothing is applied twice or missed; the
// per-salon seq makes a repeated event a no-op even if it is handed over again.
//
// Rebuilt beside itself like the queue views (engine::runtime::rebuild, docs/loyalty.md): a fresh store folds the
// log into the next generation, reaches this one's offsets under its exclusive lock and swaps contents with it, so
// the ledger a reader sees is the fold of the same log prefix before and after, and no point is earned twice.
//
// Thread rules: apply/catch_up from one thread (the consumer); a rebuild's fold_until and swap_with beside it (a
// run is folded under the exclusive lock from the partition's next offset on only); page/all from any number of
// request threads. A read sees a whole batch or none of it (a shared lock against the writer's exclusive one).
class loyalty_store final : public engine::runtime::rebuildable {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<loyalty_store>, std::string>
    open(std::filesystem::path const& dir, std::int32_t partition_count);
    ~loyalty_store() override;
    loyalty_store(loyalty_store const&) = delete;
    loyalty_store& operator=(loyalty_store const&) = delete;

    // Entries of events-log partition p at consecutive offsets from first_offset; those before next_offset(p) are
    // passed over, a first_offset beyond it is refused (read from a reader instead: catch_up).
    [[nodiscard]] std::expected<void, std::string> apply(engine::partition_id p, engine::offset_t first_offset,
                                                         std::span<engine::log_entry const> entries);
    // Reads every partition from next_offset(p) to its end and folds what it finds. True if anything was new.
    [[nodiscard]] std::expected<bool, std::string> catch_up(engine::log::reader& events);
    [[nodiscard]] engine::offset_t next_offset(engine::partition_id p) const;

    // The rebuild's side (engine::runtime::rebuildable): swap_with holds the exclusive lock (the consumer's folds and
    // the readers wait) while the fresh store reaches this one's offsets; persist saves what is folded and flushes,
    // waiting for it.
    [[nodiscard]] std::vector<engine::offset_t> next_offsets() const override;
    [[nodiscard]] std::expected<void, std::string> fold_until(engine::log::reader& events,
                                                              std::span<engine::offset_t const> until,
                                                              engine::runtime::fold_progress const& progress) override;
    [[nodiscard]] std::expected<void, std::string> swap_with(engine::runtime::rebuildable& fresh,
                                                             engine::runtime::reach_offsets const& reach) override;
    [[nodiscard]] std::expected<void, std::string> persist() override;

    // A page of the customer's ledger: the entries and balances of the salons in `scope` (every salon without
    // one) after `after`, at most `limit` entries. No salons when the customer earned nothing in scope.
    [[nodiscard]] std::expected<ledger_page, std::string> page(engine::customer_id const& customer,
                                                               std::optional<std::span<engine::salon_id const>> scope,
                                                               std::optional<cursor> const& after,
                                                               std::size_t limit) const;
    // Every customer's whole ledger (checks and tests: a rebuild from the log must equal it).
    [[nodiscard]] std::expected<ledger, std::string> all() const;
    // Each salon's fold as folded (saved within a second).
    [[nodiscard]] points_fold fold() const;
    [[nodiscard]] fold_counts const& counts() const noexcept;

private:
    struct impl;
    explicit loyalty_store(std::unique_ptr<impl> i);
    // Reads every partition from next_offset(p) up to until[p] (or its end, if sooner) and folds what it finds.
    [[nodiscard]] std::expected<bool, std::string> catch_up_until(engine::log::reader& events,
                                                                  std::span<engine::offset_t const> until,
                                                                  engine::runtime::fold_progress const& progress);
    std::unique_ptr<impl> impl_;
};

// The ledger folded from the whole events log from nothing, in memory: what the store must equal once it has
// caught up (rebuild == incremental).
[[nodiscard]] std::expected<ledger, std::string> rebuild(engine::log::reader& events);

} // namespace salonq::loyalty
