#pragma once

// The routes of a salon's notifications (docs/notify.md): its webhook settings, written by owners and managers and
// read back without the secret (only whether one is set), and its dead letters, listed a page at a time and put
// back in the outbox. Each answers 503 in a process that runs no notifier (Kafka mode, for now).

#include "api/http/router.hpp"

namespace salonq::api::http {

// PUT .../notifications: the salon's settings (url, secret, almostAt, called, skipped, restored, maxAttempts).
void put_notification_settings(services& ports, request const& req, replier reply);
// GET .../notifications: the settings without the secret, the salon's outbox and dead letters counted.
void get_notification_settings(services& ports, request const& req, replier reply);
// GET .../notifications/dead-letters?after=ID&limit=N: a page in id order (nextAfter is the cursor).
void get_dead_letters(services& ports, request const& req, replier reply);
// POST .../notifications/dead-letters/redrive[?id=ID]: back into the outbox, due now; answers how many.
void post_redrive(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
