#pragma once

#include <cstdint>

namespace salonq::engine::runtime {

// What a thread of salonq does, for the operating system's scheduler. serve runs the request path (the HTTP threads,
// the engine's writer, the views) beside read-side folds (stats, loyalty, the notifier) that may lag a little without
// anyone waiting on them. On a machine whose cores are all busy, the scheduler shares them out by weight: at the same
// weight a fold that reads a burst of the log takes a core from the engine thread that a waiting POST needs, and the
// POST's latency grows by the fold's time slice. A background thread asks for a lower weight (nice 10: about a tenth
// of a request-path thread's share while both want a core), so it runs on what the request path leaves and still
// keeps up whenever there is any. It never starves: nice is a weight, not a priority class.
enum class thread_role : std::uint8_t {
    request_path, // someone waits for its work: the process's weight, whatever the creating thread's
    background,   // folds and deliveries that may lag under load
};

// Names the calling thread (at most 15 characters; for perf, top -H and /proc) and sets its weight by role. Best
// effort: a scheduler that refuses leaves the thread as it was.
void set_thread_role(char const* name, thread_role role) noexcept;

} // namespace salonq::engine::runtime
