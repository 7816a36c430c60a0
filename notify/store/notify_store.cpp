#include "notify/store/notify_store.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/consumer_offsets.hpp"
#include "engine/store/rocks_store.hpp"
#include "notify/deliver/payload.hpp"
#include "notify/store/outbox.hpp"
#include "projections/queue/view_codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <set>

namespace salonq::notify {
namespace {

namespace codec = engine::codec;
using engine::store::family;

// Which of rocks_store's families holds what (the names are the engine's; the notifier's own meanings here).
constexpr family offsets_family = family::meta;    // "o" + partition -> next offset (engine::runtime::consumer_offsets)
constexpr family salons_family = family::state;    // "v" + salon -> queue view; "c" + salon -> contacts and told;
                                                   // "r" + salon -> settings
constexpr family outbox_family = family::commands; // "q" + id -> pending delivery; "s" + id -> done since the last
                                                   // checkpoint (delivered or dead: not to be queued again)
constexpr family dead_family = family::events;     // "d" + salon + '\0' + id -> dead letter
constexpr std::size_t read_batch = 4096;

std::string dead_prefix(engine::salon_id const& salon) { return "d" + salon.value() + std::string(1, '\0'); }

std::string encode_delivery(delivery const& d) {
    codec::json_writer w;
    w.begin_object().field("id", d.id).field("salonId", d.salon.value()).field("body", d.body);
    w.field("attempts", d.attempts).key("due").time(d.due).field("lastError", d.last_error).end_object();
    return w.str();
}

[[nodiscard]] std::expected<delivery, std::string> decode_delivery(std::string_view json) {
    try {
        auto o = codec::as_object(codec::parse_document(json, codec::limits::record), "");
        delivery d;
        d.id = std::string{o.string("id", 300)};
        d.salon = engine::salon_id{std::string{o.id("salonId")}};
        d.body = std::string{o.string("body", codec::limits::message)};
        d.attempts = static_cast<std::uint32_t>(o.integer("attempts", 0, 1000));
        d.due = o.time("due");
        d.last_error = std::string{o.string("lastError", 2000)};
        o.finish();
        return d;
    } catch (codec::decode_failure& f) {
        return std::unexpected(f.err.path + ": " + f.err.message);
    }
}

// The notifier's own part beside the queue view: open tickets' contacts and who was told "almost".
std::string encode_contacts(salon_notifier const& n) {
    codec::json_writer w;
    w.begin_object().key("contacts").begin_array();
    for (auto const& [ticket, c] : n.contacts()) {
        w.begin_object().field("ticketId", ticket).field("token", c.token).field("name", c.who.name);
        w.field("phone", c.who.phone);
        if (c.who.id) {
            w.field("customerId", c.who.id->value());
        }
        w.end_object();
    }
    w.end_array().key("told").begin_array();
    for (auto const t : n.told()) {
        w.number(t);
    }
    w.end_array().end_object();
    return w.str();
}

[[nodiscard]] std::expected<salon_notifier, std::string> decode_notifier(std::string_view view_json,
                                                                         std::string_view contacts) {
    auto queue = projections::decode_view(view_json);
    if (!queue) {
        return std::unexpected("queue: " + queue.error().message);
    }
    try {
        auto o = codec::as_object(codec::parse_document(contacts, codec::limits::record), "");
        std::map<std::uint64_t, contact> held;
        for (auto e : o.array("contacts", 100'000)) {
            auto c = codec::as_object(e, "contacts[]");
            auto const ticket = static_cast<std::uint64_t>(c.integer("ticketId", 1, INT64_MAX));
            contact k{std::string{c.string("token", 8)},
                      engine::customer{std::string{c.string("name", codec::limits::name)},
                                       std::string{c.string("phone", codec::limits::phone)}, std::nullopt}};
            if (auto id = c.opt_id("customerId")) {
                k.who.id = engine::customer_id{std::string{*id}};
            }
            c.finish();
            held.emplace(ticket, std::move(k));
        }
        std::set<std::uint64_t> told;
        for (auto e : o.array("told", 100'000)) {
            told.insert(static_cast<std::uint64_t>(codec::as_integer(e, "told[]", 1, INT64_MAX)));
        }
        o.finish();
        return salon_notifier::restore(std::move(*queue), std::move(held), std::move(told));
    } catch (codec::decode_failure& f) {
        return std::unexpected(f.err.path + ": " + f.err.message);
    }
}

std::string failure(std::string_view what, std::string const& why) { return fmt::format("{}: {}", what, why); }

void skipped(std::int32_t partition, std::int64_t offset, std::string const& why) {
    static logging::logger const log{"notify"};
    log.error("the events log's record at partition {} offset {} does not decode and is passed over: {}", partition,
              offset, why);
}

} // namespace

struct notify_store::impl {
    std::unique_ptr<engine::store::rocks_store> db;
    engine::runtime::consumer_offsets offsets;
    mutable std::mutex mutex;
    std::map<std::string, salon_settings, std::less<>> settings;
    bool fail_settings_writes = false;                            // inject_settings_write_failure
    std::map<std::string, salon_notifier, std::less<>> notifiers; // loaded on first use
    outbox pending;                                               // the outbox, by id and in due order
    std::set<std::string> held;                                   // taken by a sender

    // Calls `visit` with the pending deliveries a sender may take, in the order they are taken, until it returns
    // false: the first of each salon with none held (see take_due). Skips at most a salon per sender.
    void takeable(std::function<bool(delivery const&)> const& visit) const {
        std::set<std::string_view> busy;
        for (auto const& id : held) {
            if (auto const* d = pending.find(id)) {
                busy.insert(d->salon.value());
            }
        }
        pending.firsts_in_order([&](delivery const& d) { return busy.contains(d.salon.value()) || visit(d); });
    }
    std::set<std::string> done; // ids delivered or dead that no stored notifier covers yet (their "s" markers)
    std::chrono::milliseconds checkpoint_interval{std::chrono::seconds{5}};
    std::size_t checkpoint_bytes_per_event = engine::runtime::checkpoint_sweep::default_bytes_per_event;
    // Budgeted by the log (checkpoint_sweep): a notifier's stored form holds the salon's queue view.
    [[nodiscard]] engine::runtime::checkpoint_sweep new_sweep() const {
        return engine::runtime::checkpoint_sweep{checkpoint_interval, checkpoint_bytes_per_event};
    }
    // The salons whose notifier changed, written a share at a time by the clock (docs/notify.md), and each
    // partition's offset when the sweep under way began (its last share writes them).
    engine::runtime::checkpoint_sweep sweep = new_sweep();
    engine::runtime::consumer_offsets sweep_offsets;
    std::map<std::string, std::uint64_t, std::less<>> stored_seq; // the seq of each notifier as the store holds it
    bool stale_offsets = false; // a fall-back could not read the checkpoint's offsets yet
    bool marks_done = true;     // feed::events: a fold from the checkpoint must not queue again what was done

    [[nodiscard]] std::expected<salon_notifier*, std::string> notifier(engine::salon_id const& salon) {
        if (auto it = notifiers.find(salon.value()); it != notifiers.end()) {
            return &it->second;
        }
        auto view = db->get(salons_family, "v" + salon.value());
        auto held_json = db->get(salons_family, "c" + salon.value());
        if (!view || !held_json) {
            return std::unexpected(failure("reading a notifier", (!view ? view.error() : held_json.error()).message));
        }
        salon_notifier n;
        std::optional<std::string> const& stored_view = *view;
        std::optional<std::string> const& stored_held = *held_json;
        if (stored_view && stored_held) {
            auto decoded = decode_notifier(*stored_view, *stored_held);
            if (!decoded) {
                return std::unexpected(failure("a stored notifier of " + salon.value(), decoded.error()));
            }
            n = std::move(*decoded);
            stored_seq.insert_or_assign(salon.value(), n.queue().seq.value());
        }
        return &notifiers.emplace(salon.value(), std::move(n)).first->second;
    }

    // One entry: the salon's notifier folds it; with settings, what it derived joins the outbox (once per id).
    [[nodiscard]] std::expected<void, std::string>
    derive(engine::event const& e, engine::instant now, std::set<std::string>& touched, std::vector<delivery>& queued) {
        auto n = notifier(e.salon);
        if (!n) {
            return std::unexpected(n.error());
        }
        if (e.seq.value() <= (*n)->queue().seq.value()) {
            return {}; // folded before the last checkpoint's offsets: read again after a crash
        }
        auto const s = settings.find(e.salon.value());
        auto const told = (*n)->apply(e, s == settings.end() ? notify_rules{} : s->second.rules);
        touched.insert(e.salon.value());
        if (s == settings.end()) {
            return {};
        }
        for (auto const& t : told) {
            if (!pending.contains(t.id) && !done.contains(t.id)) {
                queued.push_back(delivery{t.id, t.salon, encode_notification(t), 0, now, {}});
            }
        }
        return {};
    }

    // Entries at their offsets (ascending), then the offset after the run: those below the partition's next offset
    // were folded before.
    [[nodiscard]] std::expected<void, std::string> fold(engine::runtime::decoded_run const& run, engine::instant now) {
        if (stale_offsets) { // this run was read from offsets a fall-back has not replaced yet
            if (auto reloaded = reload_offsets(); !reloaded) {
                return reloaded;
            }
            return std::unexpected(std::string{"the notifier fell back to its last checkpoint: reading on from there"});
        }
        auto const from = offsets.next(run.partition);
        std::set<std::string> touched;
        std::vector<delivery> queued;
        for (auto const& [offset, entry] : run.entries) {
            if (offset.value() < from.value()) {
                continue;
            }
            sweep.logged(1);
            if (auto const* e = std::get_if<engine::event>(&entry)) {
                if (auto derived = derive(*e, now, touched, queued); !derived) {
                    fall_back();
                    return derived;
                }
            }
        }
        return run.end.value() > from.value() ? write(run.partition, run.end, touched, queued)
                                              : std::expected<void, std::string>{};
    }

    // A run folded: its deliveries are written at once (fsynced: they must survive), the notifiers and the offsets
    // at the next checkpoint. What a crash takes back is folded again from the stored offsets: events a notifier
    // already holds are passed over (seq), and what was queued or done is not queued again (its id).
    std::expected<void, std::string> write(engine::partition_id p, engine::offset_t next_offset,
                                           std::set<std::string> const& touched, std::vector<delivery> const& queued) {
        if (!queued.empty()) {
            auto batch = db->make_batch();
            for (auto const& d : queued) {
                batch.put(outbox_family, "q" + d.id, encode_delivery(d));
            }
            if (auto written = db->write(batch, true); !written) {
                fall_back();
                return std::unexpected(failure("writing the notifier's deliveries", written.error().message));
            }
            for (auto const& d : queued) {
                pending.put(d);
            }
        }
        for (auto const& salon : touched) {
            sweep.changed(salon);
        }
        offsets.advance(p, next_offset);
        if (auto written = write_share(); !written) { // the run is folded and its deliveries stored: retried later
            share_failed(written.error());
        }
        return {};
    }

    // The salons' notifiers as they stand into the batch; their seqs, for checkpointed().
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>>
    put_notifiers(engine::store::write_batch& batch, std::vector<std::string> const& salons) const {
        std::vector<std::pair<std::string, std::uint64_t>> written;
        for (auto const& salon : salons) {
            auto const& n = notifiers.at(salon);
            batch.put(salons_family, "v" + salon, projections::encode_view(n.queue()));
            batch.put(salons_family, "c" + salon, encode_contacts(n));
            written.emplace_back(salon, n.queue().seq.value());
        }
        return written;
    }
    // The done markers that the store's notifiers, with `written` stored, hold the events of.
    void erase_covered(engine::store::write_batch& batch,
                       std::vector<std::pair<std::string, std::uint64_t>> const& written) const {
        for (auto const& id : done) {
            if (covered(id, written)) {
                batch.erase(outbox_family, "s" + id);
            }
        }
    }

    // A share that could not be written is tried again at the next read; a full disk fails every one of them.
    void share_failed(std::string const& why) {
        static logging::logger const log{"notify"};
        log.throttled(logging::level::warn, share_failures, why, why + " (tried again at the next read)");
    }
    logging::throttle share_failures;

    // The share of the checkpoint due by now (engine::runtime::checkpoint_sweep: the salons changed when it began,
    // handed out by the clock over half the interval); its last share writes the offsets of its beginning: every
    // notifier changed before then is stored by then, at that state or a later one. A fold from those offsets after a
    // crash passes over by seq what a stored notifier holds.
    [[nodiscard]] std::expected<void, std::string> write_share() {
        auto const share = sweep.next_batch(std::chrono::steady_clock::now());
        if (share.begins) {
            sweep_offsets = offsets;
        }
        if (share.salons.empty() && !share.ends) {
            sweep.batch_committed();
            return {};
        }
        auto batch = db->make_batch();
        auto const written = put_notifiers(batch, share.salons);
        if (share.ends) {
            sweep_offsets.put_all(batch);
        }
        erase_covered(batch, written);
        auto const bytes = batch.bytes();
        if (auto stored = db->write(batch, false); !stored) {
            sweep.batch_failed();
            return std::unexpected(failure("writing the notifier's checkpoint", stored.error().message));
        }
        sweep.wrote(bytes);
        sweep.batch_committed();
        stored(written);
        return {};
    }

    // A whole checkpoint: every changed notifier (a sweep under way is given up), every partition's offset now and
    // the removal of the done markers they then cover, in one batch (not fsynced: a power cut takes back to an
    // earlier checkpoint, from which the same is folded again). checkpointed() with what it returns once written.
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>>
    checkpoint_into(engine::store::write_batch& batch) {
        auto const written = put_notifiers(batch, sweep.take_all());
        offsets.put_all(batch);
        erase_covered(batch, written);
        return written;
    }
    void checkpointed(std::vector<std::pair<std::string, std::uint64_t>> const& written) {
        sweep.checkpointed(std::chrono::steady_clock::now());
        stored(written);
    }
    // The notifiers `written` are in the store: the done markers they cover went with them.
    void stored(std::vector<std::pair<std::string, std::uint64_t>> const& written) {
        for (auto const& [salon, seq] : written) {
            stored_seq.insert_or_assign(salon, seq);
        }
        std::erase_if(done, [&](std::string const& id) { return covered(id, {}); });
    }
    // Whether the store's notifiers (with `written` stored too) hold the event of a done notification (its id is
    // salon:seq:kind:ticket), so that no fold from the stored offsets derives it again: a fold passes over by seq
    // what a stored notifier holds. Not so for a salon whose stored notifier is older: its marker stays.
    [[nodiscard]] bool covered(std::string const& id,
                               std::vector<std::pair<std::string, std::uint64_t>> const& written) const {
        auto const key = parse_notification_id(id);
        if (!key) {
            return true; // not an id this store derives: nothing would derive it again
        }
        auto const w = std::ranges::find(written, key->salon, &std::pair<std::string, std::uint64_t>::first);
        if (w != written.end()) {
            return w->second >= key->seq;
        }
        auto const s = stored_seq.find(key->salon);
        return s != stored_seq.end() && s->second >= key->seq;
    }
    [[nodiscard]] std::expected<void, std::string> checkpoint() {
        auto batch = db->make_batch();
        auto const written = checkpoint_into(batch);
        if (auto stored = db->write(batch, false); !stored) {
            return std::unexpected(failure("writing the notifier's checkpoint", stored.error().message)); // next time
        }
        checkpointed(written);
        return {};
    }

    // A write that failed: forget what was folded since the last checkpoint and read on from its offsets.
    void fall_back() {
        notifiers.clear();
        stored_seq.clear(); // read again with each notifier
        sweep = new_sweep();
        stale_offsets = true;
        (void)reload_offsets();
    }
    // The offsets of the last checkpoint, again. Until that read succeeds nothing is folded: the notifiers read
    // back from the store would miss the events between them and offsets still ahead.
    [[nodiscard]] std::expected<void, std::string> reload_offsets() {
        if (!stale_offsets) {
            return {};
        }
        auto stored = engine::runtime::consumer_offsets::load(*db, offsets_family, offsets.partition_count());
        if (!stored) {
            return std::unexpected(failure("reading the checkpoint's offsets again", stored.error().message));
        }
        offsets = std::move(*stored);
        stale_offsets = false;
        return {};
    }

    [[nodiscard]] std::expected<void, std::string> load() {
        std::string problem;
        auto scanned = db->scan(salons_family, "r", "s", [&](std::string_view key, std::string_view value) {
            auto s = decode_settings(value);
            if (!s) {
                problem = failure("stored settings", s.error());
                return false;
            }
            settings.emplace(std::string{key.substr(1)}, std::move(*s));
            return true;
        });
        auto markers = db->scan(outbox_family, "s", "t", [&](std::string_view key, std::string_view) {
            done.emplace(key.substr(1));
            return true;
        });
        if (!markers) {
            return std::unexpected(failure("loading", markers.error().message));
        }
        auto outbox = db->scan(outbox_family, "q", "r", [&](std::string_view, std::string_view value) {
            auto d = decode_delivery(value);
            if (!d) {
                problem = failure("a stored delivery", d.error());
                return false;
            }
            pending.put(std::move(*d));
            return true;
        });
        if (!scanned || !outbox) {
            return std::unexpected(failure("loading", (!scanned ? scanned.error() : outbox.error()).message));
        }
        return problem.empty() ? std::expected<void, std::string>{} : std::unexpected(problem);
    }
};

notify_store::notify_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
notify_store::~notify_store() {
    std::lock_guard lock{impl_->mutex};
    if (auto written = impl_->checkpoint(); !written) {
        static logging::logger const log{"notify"};
        log.error("the notifier's last checkpoint failed (the next start folds again from the one before): {}",
                  written.error());
    }
}

std::expected<std::unique_ptr<notify_store>, std::string>
notify_store::open(std::filesystem::path const& dir, std::int32_t partition_count, feed from,
                   std::chrono::milliseconds checkpoint_interval, std::size_t checkpoint_bytes_per_event) {
    auto i = std::make_unique<impl>();
    i->checkpoint_interval = checkpoint_interval;
    i->checkpoint_bytes_per_event = checkpoint_bytes_per_event;
    i->sweep = i->new_sweep();
    i->marks_done = from == feed::events;
    auto db = engine::store::rocks_store::open(dir, engine::store::open_options{});
    if (!db) {
        return std::unexpected(failure("opening " + dir.string(), db.error().message));
    }
    std::error_code ignored;
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ignored); // it holds the webhooks' secrets
    i->db = std::move(*db);
    auto offsets = engine::runtime::consumer_offsets::load(*i->db, offsets_family, partition_count);
    if (!offsets) {
        return std::unexpected(failure("reading the offsets", offsets.error().message));
    }
    i->offsets = std::move(*offsets);
    if (auto loaded = i->load(); !loaded) {
        return std::unexpected(loaded.error());
    }
    return std::unique_ptr<notify_store>{new notify_store(std::move(i))};
}

std::expected<void, std::string> notify_store::put_settings(engine::salon_id const& salon, salon_settings const& s) {
    std::lock_guard lock{impl_->mutex};
    if (impl_->fail_settings_writes) {
        return std::unexpected(failure("writing settings", "injected failure (tests only)"));
    }
    auto batch = impl_->db->make_batch();
    batch.put(salons_family, "r" + salon.value(), encode_settings(s));
    // With a checkpoint: a crash must not fold the events before the settings again under them.
    auto const notifiers = impl_->checkpoint_into(batch);
    if (auto written = impl_->db->write(batch, true); !written) {
        return std::unexpected(failure("writing settings", written.error().message));
    }
    impl_->checkpointed(notifiers);
    impl_->settings.insert_or_assign(salon.value(), s);
    return {};
}

void notify_store::inject_settings_write_failure(bool on) {
    std::lock_guard lock{impl_->mutex};
    impl_->fail_settings_writes = on;
}

std::optional<salon_settings> notify_store::settings(engine::salon_id const& salon) const {
    std::lock_guard lock{impl_->mutex};
    auto it = impl_->settings.find(salon.value());
    return it == impl_->settings.end() ? std::nullopt : std::optional{it->second};
}

std::expected<void, std::string> notify_store::apply(engine::partition_id p, engine::offset_t first_offset,
                                                     std::span<engine::log_entry const> entries, engine::instant now) {
    std::lock_guard lock{impl_->mutex};
    auto run = engine::runtime::handed_over(impl_->offsets, p, first_offset, entries);
    return run ? impl_->fold(*run, now) : std::unexpected(run.error());
}

std::expected<bool, std::string> notify_store::catch_up(engine::log::reader& events, engine::instant now) {
    // A record that is no salon's entry is passed over, so one bad record cannot stop every salon's notifications.
    auto const bad = [](engine::partition_id p, engine::offset_t at, std::string const& why) {
        skipped(p.value(), at.value(), why);
    };
    auto read = engine::runtime::catch_up(
        events, impl_->offsets.partition_count(), [this](engine::partition_id p) { return next_offset(p); }, read_batch,
        bad,
        [this, now](engine::runtime::decoded_run const& run) {
            std::lock_guard lock{impl_->mutex};
            return impl_->fold(run, now);
        });
    if (read && !*read) { // a quiet log: a sweep goes on (or begins, if one is due) by the clock all the same
        std::lock_guard lock{impl_->mutex};
        if (impl_->sweep.sweeping() || impl_->sweep.due_when_idle(std::chrono::steady_clock::now())) {
            if (auto written = impl_->write_share(); !written) {
                impl_->share_failed(written.error());
            }
        }
    }
    return read;
}

engine::offset_t notify_store::next_offset(engine::partition_id p) const {
    std::lock_guard lock{impl_->mutex};
    return impl_->offsets.next(p);
}

std::int32_t notify_store::partition_count() const {
    std::lock_guard lock{impl_->mutex};
    return impl_->offsets.partition_count();
}

std::expected<std::size_t, std::string>
notify_store::take_in(std::span<delivery const> incoming, std::map<std::int32_t, std::int64_t> const& next_offsets) {
    std::lock_guard lock{impl_->mutex};
    auto batch = impl_->db->make_batch();
    std::vector<delivery const*> joined;
    for (auto const& d : incoming) {
        if (impl_->pending.contains(d.id) ||
            std::ranges::any_of(joined, [&](delivery const* j) { return j->id == d.id; })) {
            continue;
        }
        auto dead = impl_->db->get(dead_family, dead_prefix(d.salon) + d.id);
        if (!dead) {
            return std::unexpected(failure("reading a dead letter", dead.error().message));
        }
        if (dead->has_value()) {
            continue;
        }
        batch.put(outbox_family, "q" + d.id, encode_delivery(d));
        joined.push_back(&d);
    }
    for (auto const& [p, next] : next_offsets) {
        impl_->offsets.put(batch, engine::partition_id{p}, engine::offset_t{next});
    }
    if (auto written = impl_->db->write(batch, true); !written) {
        return std::unexpected(failure("writing deliveries taken in", written.error().message));
    }
    for (auto const* d : joined) {
        impl_->pending.put(*d);
    }
    for (auto const& [p, next] : next_offsets) {
        impl_->offsets.advance(engine::partition_id{p}, engine::offset_t{next});
    }
    return joined.size();
}

std::vector<delivery> notify_store::take_due(engine::instant now, std::size_t max) {
    std::lock_guard lock{impl_->mutex};
    std::vector<delivery> out;
    std::set<std::string_view> taken; // salons: one delivery each in flight
    impl_->takeable([&](delivery const& d) {
        if (d.due > now || out.size() == max) {
            return false; // the rest is due later
        }
        if (taken.insert(d.salon.value()).second) {
            impl_->held.insert(d.id);
            out.push_back(d);
        }
        return true;
    });
    return out;
}

std::optional<engine::instant> notify_store::next_due() const {
    std::lock_guard lock{impl_->mutex};
    std::optional<engine::instant> first;
    impl_->takeable([&](delivery const& d) {
        first = d.due;
        return false;
    });
    return first;
}

std::expected<void, std::string> notify_store::delivered(std::string const& id) {
    std::lock_guard lock{impl_->mutex};
    impl_->held.erase(id);
    auto batch = impl_->db->make_batch();
    batch.erase(outbox_family, "q" + id);
    if (impl_->marks_done) {
        batch.put(outbox_family, "s" + id, {});
    }
    if (auto written = impl_->db->write(batch, false); !written) {
        return std::unexpected(failure("removing a delivery", written.error().message));
    }
    impl_->pending.erase(id);
    if (impl_->marks_done) {
        impl_->done.insert(id);
    }
    return {};
}

std::expected<void, std::string> notify_store::failed(std::string const& id, std::string const& why,
                                                      std::optional<engine::instant> retry_at) {
    std::lock_guard lock{impl_->mutex};
    impl_->held.erase(id);
    auto const* pending = impl_->pending.find(id);
    if (pending == nullptr) {
        return {};
    }
    auto d = *pending;
    ++d.attempts;
    d.last_error = why;
    auto batch = impl_->db->make_batch();
    if (retry_at) {
        d.due = *retry_at;
        batch.put(outbox_family, "q" + id, encode_delivery(d));
    } else {
        batch.erase(outbox_family, "q" + id);
        if (impl_->marks_done) {
            batch.put(outbox_family, "s" + id, {});
        }
        batch.put(dead_family, dead_prefix(d.salon) + id, encode_delivery(d));
    }
    if (auto written = impl_->db->write(batch, true); !written) {
        return std::unexpected(failure("recording a failed delivery", written.error().message));
    }
    if (retry_at) {
        impl_->pending.put(std::move(d));
    } else {
        impl_->pending.erase(id);
        if (impl_->marks_done) {
            impl_->done.insert(id);
        }
    }
    return {};
}

std::size_t notify_store::pending() const {
    std::lock_guard lock{impl_->mutex};
    return impl_->pending.size();
}

std::size_t notify_store::pending(engine::salon_id const& salon) const {
    std::lock_guard lock{impl_->mutex};
    return impl_->pending.count(salon);
}

std::expected<std::vector<delivery>, std::string>
notify_store::dead_letters(engine::salon_id const& salon, std::string_view after, std::size_t limit) const {
    std::lock_guard lock{impl_->mutex};
    std::vector<delivery> out;
    auto const prefix = dead_prefix(salon);
    auto const from = after.empty() ? prefix : prefix + std::string{after} + std::string(1, '\0');
    auto end = prefix;
    end.back() = '\1';
    std::string problem;
    auto scanned = impl_->db->scan(dead_family, from, end, [&](std::string_view, std::string_view value) {
        auto d = decode_delivery(value);
        if (!d) {
            problem = failure("a stored dead letter", d.error());
            return false;
        }
        out.push_back(std::move(*d));
        return out.size() < limit;
    });
    if (!scanned) {
        return std::unexpected(failure("reading dead letters", scanned.error().message));
    }
    if (!problem.empty()) {
        return std::unexpected(problem);
    }
    return out;
}

std::expected<std::size_t, std::string> notify_store::dead_count(engine::salon_id const& salon) const {
    std::lock_guard lock{impl_->mutex};
    std::size_t n = 0;
    auto const prefix = dead_prefix(salon);
    auto end = prefix;
    end.back() = '\1';
    auto scanned = impl_->db->scan(dead_family, prefix, end, [&](std::string_view, std::string_view) {
        ++n;
        return true;
    });
    if (!scanned) {
        return std::unexpected(failure("counting dead letters", scanned.error().message));
    }
    return n;
}

std::expected<bool, std::string> notify_store::redrive(engine::salon_id const& salon, std::string const& id,
                                                       engine::instant now) {
    std::lock_guard lock{impl_->mutex};
    auto const key = dead_prefix(salon) + id;
    auto stored = impl_->db->get(dead_family, key);
    if (!stored) {
        return std::unexpected(failure("reading a dead letter", stored.error().message));
    }
    std::optional<std::string> const& letter = *stored;
    if (!letter) {
        return false;
    }
    auto d = decode_delivery(*letter);
    if (!d) {
        return std::unexpected(failure("a stored dead letter", d.error()));
    }
    d->attempts = 0;
    d->due = now;
    auto batch = impl_->db->make_batch();
    batch.erase(dead_family, key);
    batch.put(outbox_family, "q" + id, encode_delivery(*d));
    if (auto written = impl_->db->write(batch, true); !written) {
        return std::unexpected(failure("re-driving a dead letter", written.error().message));
    }
    impl_->pending.put(std::move(*d));
    return true;
}

std::expected<notify_store::redrive_count, std::string>
notify_store::redrive_all(engine::salon_id const& salon, engine::instant now, std::size_t limit) {
    std::lock_guard lock{impl_->mutex};
    auto const prefix = dead_prefix(salon);
    auto end = prefix;
    end.back() = '\1';
    std::vector<delivery> taken;
    redrive_count count;
    std::string problem;
    auto scanned = impl_->db->scan(dead_family, prefix, end, [&](std::string_view, std::string_view value) {
        if (taken.size() == limit) {
            ++count.remaining; // counted, not decoded
            return true;
        }
        auto d = decode_delivery(value);
        if (!d) {
            problem = failure("a stored dead letter", d.error());
            return false;
        }
        taken.push_back(std::move(*d));
        return true;
    });
    if (!scanned) {
        return std::unexpected(failure("reading dead letters", scanned.error().message));
    }
    if (!problem.empty()) {
        return std::unexpected(problem);
    }
    if (taken.empty()) {
        return count;
    }
    auto batch = impl_->db->make_batch();
    for (auto& d : taken) {
        d.attempts = 0;
        d.due = now;
        batch.erase(dead_family, prefix + d.id);
        batch.put(outbox_family, "q" + d.id, encode_delivery(d));
    }
    if (auto written = impl_->db->write(batch, true); !written) {
        return std::unexpected(failure("re-driving dead letters", written.error().message));
    }
    for (auto& d : taken) {
        impl_->pending.put(std::move(d));
    }
    count.redriven = taken.size();
    return count;
}

} // namespace salonq::notify
