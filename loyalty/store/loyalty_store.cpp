#include "loyalty/store/loyalty_store.hpp"

#include "engine/logging/logger.hpp"
#include "engine/runtime/consumer_offsets.hpp"
#include "engine/store/rocks_store.hpp"
#include "loyalty/store/ledger_codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace salonq::loyalty {
namespace {

using engine::store::family;

// Which of rocks_store's families holds what (the names are the engine's; loyalty's own meanings here).
constexpr family offsets_family = family::meta;  // "o" + partition -> next offset (engine::runtime::consumer_offsets)
constexpr family state_family = family::state;   // "s" + salon -> its fold; "b" + customer -> balances per salon
constexpr family ledger_family = family::events; // entry_key(customer, place) -> the entry's JSON
constexpr std::size_t read_batch = 4096;
// How long what was folded without earning may stay unsaved: a walk-in or a start changes only its salon's seq, so
// writing each read of the log would cost a write per event for nothing a reader sees. A crash folds at most this
// much again from the events log (docs/loyalty.md).
constexpr std::chrono::seconds save_every{1};

std::string failure(std::string_view what, std::string const& why) { return fmt::format("{}: {}", what, why); }

logging::logger const& log() {
    static logging::logger const l{"loyalty"};
    return l;
}

bool in_scope(std::optional<std::span<engine::salon_id const>> scope, engine::salon_id const& salon) {
    return !scope || std::ranges::find(*scope, salon) != scope->end();
}

} // namespace

struct loyalty_store::impl {
    std::unique_ptr<engine::store::rocks_store> db;
    engine::runtime::consumer_offsets offsets; // what is folded, in memory
    points_fold folds;
    fold_counts counts;
    mutable std::shared_mutex mutex;
    // What the store holds: the offsets of the last save, and for each salon folded since, its fold as stored (none:
    // never stored). A save writes those salons' folds with every partition's offset; a failed one puts them back.
    engine::runtime::consumer_offsets saved_offsets;
    std::map<std::string, std::optional<salon_fold>, std::less<>> unsaved;
    std::chrono::steady_clock::time_point saved_at = std::chrono::steady_clock::now();

    // What one read of the log earns, before it is written.
    struct batch_state {
        std::vector<entry> earned;
        std::map<std::string, std::vector<salon_balance>> balances; // by customer, read from the store on first use
    };

    [[nodiscard]] std::expected<std::vector<salon_balance>, std::string>
    stored_balances(engine::customer_id const& c) const {
        auto v = db->get(state_family, "b" + c.value());
        if (!v) {
            return std::unexpected(failure("reading a balance", v.error().message));
        }
        std::optional<std::string> const& stored = *v;
        return stored ? decode_balances(*stored) : std::vector<salon_balance>{};
    }

    [[nodiscard]] std::expected<void, std::string> earn(batch_state& b, entry const& e) {
        auto it = b.balances.find(e.customer.value());
        if (it == b.balances.end()) {
            auto stored = stored_balances(e.customer);
            if (!stored) {
                return std::unexpected(stored.error());
            }
            it = b.balances.emplace(e.customer.value(), std::move(*stored)).first;
        }
        auto at = std::ranges::find(it->second, e.salon, &salon_balance::salon);
        if (at == it->second.end()) {
            at = it->second.insert(at, salon_balance{e.salon, 0, 0});
        }
        at->points += e.points;
        ++at->entries;
        b.earned.push_back(e);
        return {};
    }

    // One event into its salon's fold; what it earns joins the batch.
    [[nodiscard]] std::expected<void, std::string> fold_event(batch_state& b, engine::event const& e) {
        if (auto const known = unsaved.find(e.salon.value()); known == unsaved.end()) {
            auto const& stored = folds.salons();
            auto it = stored.find(e.salon.value());
            unsaved.emplace(e.salon.value(), it == stored.end() ? std::nullopt : std::optional<salon_fold>{it->second});
        }
        auto step = folds.apply(e);
        if (step.how == step::duplicate) {
            ++counts.duplicates;
            log().warn("salon {}: seq {} was folded before; passed over", e.salon.value(), e.seq.value());
        } else if (step.how == step::gap) {
            ++counts.gaps;
            log().error("salon {}: seq {} comes after a gap in its events; folded all the same", e.salon.value(),
                        e.seq.value());
        }
        return step.earned ? earn(b, *step.earned) : std::expected<void, std::string>{};
    }

    // Entries of a partition at their offsets (ascending), then the offset after the run: those below the
    // partition's next offset were folded before. Saved at once when someone earned, else when a save is due.
    [[nodiscard]] std::expected<void, std::string> fold_run(engine::runtime::decoded_run const& run) {
        auto const from = offsets.next(run.partition);
        if (run.end.value() <= from.value()) {
            return {};
        }
        batch_state b;
        for (auto const& [offset, entry] : run.entries) {
            auto const* e = std::get_if<engine::event>(&entry);
            if (offset.value() < from.value() || e == nullptr) {
                continue;
            }
            if (auto folded = fold_event(b, *e); !folded) {
                fall_back();
                return folded;
            }
        }
        offsets.advance(run.partition, run.end);
        return !b.earned.empty() || save_due(std::chrono::steady_clock::now()) ? save(b)
                                                                               : std::expected<void, std::string>{};
    }

    [[nodiscard]] bool save_due(std::chrono::steady_clock::time_point now) const {
        return (!unsaved.empty() || offsets != saved_offsets) && now - saved_at >= save_every;
    }

    // Writes what was earned (fsynced), the folds of the salons folded since the last save and every partition's
    // offset, in one batch; a batch without an entry is not fsynced: a power cut takes it back to an earlier save,
    // and what it held is folded again from the (fsynced) events log. On failure, back to the last save.
    [[nodiscard]] std::expected<void, std::string> save(batch_state const& b) {
        if (b.earned.empty() && unsaved.empty() && offsets == saved_offsets) {
            return {};
        }
        auto batch = db->make_batch();
        for (auto const& e : b.earned) {
            batch.put(ledger_family, entry_key(e.customer, cursor_of(e)), encode_entry(e));
        }
        for (auto const& [customer, salons] : b.balances) {
            batch.put(state_family, "b" + customer, encode_balances(salons));
        }
        for (auto const& [salon, before] : unsaved) {
            batch.put(state_family, "s" + salon, encode_fold(folds.salons().at(salon)));
        }
        offsets.put_all(batch);
        if (auto written = db->write(batch, !b.earned.empty()); !written) {
            fall_back();
            return std::unexpected(failure("writing the loyalty batch", written.error().message));
        }
        unsaved.clear();
        saved_offsets = offsets;
        saved_at = std::chrono::steady_clock::now();
        return {};
    }

    // What was folded since the last save, forgotten: the folds and the offsets as stored (read on from there).
    void fall_back() {
        for (auto const& [salon, before] : unsaved) {
            folds.restore(engine::salon_id{salon}, before.value_or(salon_fold{}));
        }
        unsaved.clear();
        offsets = saved_offsets;
    }

    // Each partition's next offset; under mutex.
    [[nodiscard]] std::vector<engine::offset_t> next_offsets() const {
        std::vector<engine::offset_t> out;
        out.reserve(static_cast<std::size_t>(offsets.partition_count()));
        for (std::int32_t p = 0; p < offsets.partition_count(); ++p) {
            out.push_back(offsets.next(engine::partition_id{p}));
        }
        return out;
    }

    // What this store serves, exchanged with `other`'s; the caller holds both mutexes exclusively.
    void swap_contents(impl& other) noexcept {
        std::swap(db, other.db);
        std::swap(offsets, other.offsets);
        std::swap(folds, other.folds);
        std::swap(saved_offsets, other.saved_offsets);
        std::swap(unsaved, other.unsaved);
        std::swap(saved_at, other.saved_at);
        for (auto [mine, theirs] :
             {std::pair{&counts.duplicates, &other.counts.duplicates}, std::pair{&counts.gaps, &other.counts.gaps},
              std::pair{&counts.undecodable, &other.counts.undecodable}}) {
            *theirs = mine->exchange(theirs->load());
        }
    }

    [[nodiscard]] std::expected<void, std::string> load_folds() {
        std::string problem;
        auto scanned = db->scan(state_family, "s", "t", [&](std::string_view key, std::string_view value) {
            auto f = decode_fold(value);
            if (!f) {
                problem = failure(fmt::format("the stored fold of salon {}", key.substr(1)), f.error());
                return false;
            }
            folds.restore(engine::salon_id{std::string{key.substr(1)}}, *f);
            return true;
        });
        if (!scanned) {
            return std::unexpected(failure("loading the salons' folds", scanned.error().message));
        }
        return problem.empty() ? std::expected<void, std::string>{} : std::unexpected(problem);
    }
};

loyalty_store::loyalty_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
loyalty_store::~loyalty_store() {
    if (auto saved = impl_->save({}); !saved) { // else the next start folds it again
        log().warn("the ledger's last fold was not saved: {}", saved.error());
    }
}

std::expected<std::unique_ptr<loyalty_store>, std::string> loyalty_store::open(std::filesystem::path const& dir,
                                                                               std::int32_t partition_count) {
    auto db = engine::store::rocks_store::open(dir, engine::store::open_options{});
    if (!db) {
        return std::unexpected(failure("opening " + dir.string(), db.error().message));
    }
    std::error_code ignored; // a directory we cannot narrow still works; it is only less private
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ignored);
    auto offsets = engine::runtime::consumer_offsets::load(**db, offsets_family, partition_count);
    if (!offsets) {
        return std::unexpected(failure("reading the offsets", offsets.error().message));
    }
    auto saved = *offsets;
    auto i = std::unique_ptr<impl>(new impl{
        std::move(*db), std::move(*offsets), {}, {}, {}, std::move(saved), {}, std::chrono::steady_clock::now()});
    if (auto loaded = i->load_folds(); !loaded) {
        return std::unexpected(loaded.error());
    }
    return std::unique_ptr<loyalty_store>{new loyalty_store(std::move(i))};
}

std::expected<void, std::string> loyalty_store::apply(engine::partition_id p, engine::offset_t first_offset,
                                                      std::span<engine::log_entry const> entries) {
    std::unique_lock lock{impl_->mutex};
    auto run = engine::runtime::handed_over(impl_->offsets, p, first_offset, entries);
    return run ? impl_->fold_run(*run) : std::unexpected(run.error());
}

std::expected<bool, std::string> loyalty_store::catch_up(engine::log::reader& events) {
    std::vector<engine::offset_t> const ends(static_cast<std::size_t>(impl_->offsets.partition_count()),
                                             engine::offset_t{std::numeric_limits<std::int64_t>::max()});
    auto caught = catch_up_until(events, ends, {});
    std::unique_lock lock{impl_->mutex};
    if (impl_->save_due(std::chrono::steady_clock::now())) { // a quiet log: what the last reads folded is saved now
        if (auto saved = impl_->save({}); !saved) {
            return std::unexpected(saved.error());
        }
    }
    return caught;
}

std::expected<bool, std::string> loyalty_store::catch_up_until(engine::log::reader& events,
                                                               std::span<engine::offset_t const> until,
                                                               engine::runtime::fold_progress const& progress) {
    auto const bad = [this](engine::partition_id p, engine::offset_t at, std::string const& why) {
        ++impl_->counts.undecodable;
        log().error("the events log's record at partition {} offset {} does not decode and is passed over: {}",
                    p.value(), at.value(), why);
    };
    return engine::runtime::catch_up_until(
        events, until, [this](engine::partition_id p) { return next_offset(p); }, read_batch, bad,
        [this](engine::runtime::decoded_run const& run) {
            std::unique_lock lock{impl_->mutex};
            return impl_->fold_run(run);
        },
        progress);
}

std::expected<void, std::string> loyalty_store::fold_until(engine::log::reader& events,
                                                           std::span<engine::offset_t const> until,
                                                           engine::runtime::fold_progress const& progress) {
    if (until.size() != static_cast<std::size_t>(impl_->offsets.partition_count())) {
        return std::unexpected(
            fmt::format("the log has {} partitions, the ledger {}", until.size(), impl_->offsets.partition_count()));
    }
    auto folded = catch_up_until(events, until, progress);
    return folded ? std::expected<void, std::string>{} : std::unexpected(std::move(folded.error()));
}

std::vector<engine::offset_t> loyalty_store::next_offsets() const {
    std::shared_lock lock{impl_->mutex};
    return impl_->next_offsets();
}

std::expected<void, std::string> loyalty_store::swap_with(engine::runtime::rebuildable& other,
                                                          engine::runtime::reach_offsets const& reach) {
    auto* fresh = dynamic_cast<loyalty_store*>(&other);
    if (fresh == nullptr || fresh->impl_->offsets.partition_count() != impl_->offsets.partition_count()) {
        return std::unexpected("the fresh ledger is not made like this one");
    }
    std::unique_lock lock{impl_->mutex};
    if (auto reached = reach(impl_->next_offsets()); !reached) {
        return reached;
    }
    std::unique_lock theirs{fresh->impl_->mutex};
    impl_->swap_contents(*fresh->impl_);
    return {};
}

std::expected<void, std::string> loyalty_store::persist() {
    std::unique_lock lock{impl_->mutex};
    if (auto saved = impl_->save({}); !saved) {
        return saved;
    }
    if (auto flushed = impl_->db->flush(true); !flushed) {
        return std::unexpected(failure("flushing the ledger", flushed.error().message));
    }
    return {};
}

engine::offset_t loyalty_store::next_offset(engine::partition_id p) const {
    std::shared_lock lock{impl_->mutex};
    return impl_->offsets.next(p);
}

std::expected<ledger_page, std::string> loyalty_store::page(engine::customer_id const& customer,
                                                            std::optional<std::span<engine::salon_id const>> scope,
                                                            std::optional<cursor> const& after,
                                                            std::size_t limit) const {
    std::shared_lock lock{impl_->mutex};
    auto balances = impl_->stored_balances(customer);
    if (!balances) {
        return std::unexpected(balances.error());
    }
    ledger_page out;
    for (auto& b : *balances) {
        if (in_scope(scope, b.salon) && b.entries > 0) {
            out.balance += b.points;
            out.salons.push_back(std::move(b));
        }
    }
    if (out.salons.empty()) {
        return out;
    }
    // Stored in the order this store first folded an entry of each, which differs between a fold of the whole log
    // (partition by partition) and one as it comes: the page shows them in an order of the log's alone.
    std::ranges::sort(out.salons, {}, [](salon_balance const& b) -> std::string const& { return b.salon.value(); });
    auto const from = after ? entry_key(customer, *after) + '\0' : customer_first(customer);
    std::string problem;
    auto scanned =
        impl_->db->scan(ledger_family, from, customer_end(customer), [&](std::string_view, std::string_view value) {
            auto e = decode_entry(customer, value);
            if (!e) {
                problem = failure("a stored ledger entry of " + customer.value(), e.error());
                return false;
            }
            if (in_scope(scope, e->salon)) {
                out.entries.push_back(std::move(*e));
            }
            return out.entries.size() <= limit; // one more than the page: there is a next page
        });
    if (!scanned || !problem.empty()) {
        return std::unexpected(!scanned ? failure("reading a ledger", scanned.error().message) : problem);
    }
    if (out.entries.size() > limit) {
        out.entries.pop_back();
        out.next = cursor_of(out.entries.back());
    }
    return out;
}

std::expected<ledger, std::string> loyalty_store::all() const {
    std::shared_lock lock{impl_->mutex};
    ledger out;
    std::string problem;
    auto scanned = impl_->db->scan(ledger_family, "e", "f", [&](std::string_view key, std::string_view value) {
        auto const customer = engine::customer_id{std::string{key.substr(1, key.find('\0') - 1)}};
        auto e = decode_entry(customer, value);
        if (!e) {
            problem = failure("a stored ledger entry of " + customer.value(), e.error());
            return false;
        }
        out.add(std::move(*e));
        return true;
    });
    if (!scanned || !problem.empty()) {
        return std::unexpected(!scanned ? failure("reading the ledger", scanned.error().message) : problem);
    }
    return out;
}

points_fold loyalty_store::fold() const {
    std::shared_lock lock{impl_->mutex};
    return impl_->folds;
}

fold_counts const& loyalty_store::counts() const noexcept { return impl_->counts; }

std::expected<ledger, std::string> rebuild(engine::log::reader& events) {
    points_fold fold;
    ledger out;
    std::vector<engine::offset_t> next(static_cast<std::size_t>(events.partition_count()), engine::offset_t{0});
    auto const at = [&next](engine::partition_id p) -> engine::offset_t& {
        return next.at(static_cast<std::size_t>(p.value()));
    };
    auto caught =
        engine::runtime::catch_up(events, events.partition_count(), at, read_batch, {},
                                  [&](engine::runtime::decoded_run const& run) -> std::expected<void, std::string> {
                                      for (auto const& [offset, entry] : run.entries) {
                                          auto const* e = std::get_if<engine::event>(&entry);
                                          if (auto step = e != nullptr ? fold.apply(*e) : step_result{}; step.earned) {
                                              out.add(std::move(*step.earned));
                                          }
                                      }
                                      at(run.partition) = run.end;
                                      return {};
                                  });
    if (!caught) {
        return std::unexpected(caught.error());
    }
    return out;
}

} // namespace salonq::loyalty
