#pragma once

#include "replay/write/output.hpp"
#include "replay/write/sink.hpp"

namespace salonq::replay {

// JSON lines: each entry as the log stores it (the schemas in schemas/events/ describe it), one a line. Nothing is
// decoded or re-encoded, so the bytes are the log's own.
class jsonl_sink final : public sink {
public:
    explicit jsonl_sink(output& out) : out_(out) {}
    [[nodiscard]] bool needs_entry() const noexcept override { return false; }
    void take(replayed const& r, engine::log_entry const* /*entry*/) override {
        out_.write(r.json);
        out_.put('\n');
    }
    [[nodiscard]] bool finish() override { return out_.flush(); }

private:
    output& out_;
};

} // namespace salonq::replay
