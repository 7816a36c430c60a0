#pragma once

// Kafka mode's public interface (engine/kafka/README.md): the topics' admin, a topic reader, the engine worker
// and its verifier. Include this header; engine/kafka/detail/ is private to the module.

#include "engine/kafka/admin.hpp"                  // IWYU pragma: export
#include "engine/kafka/errc.hpp"                   // IWYU pragma: export
#include "engine/kafka/group_consumer.hpp"         // IWYU pragma: export
#include "engine/kafka/producer.hpp"               // IWYU pragma: export
#include "engine/kafka/settings.hpp"               // IWYU pragma: export
#include "engine/kafka/topic_log_reader.hpp"       // IWYU pragma: export
#include "engine/kafka/topic_reader.hpp"           // IWYU pragma: export
#include "engine/kafka/topic_tail.hpp"             // IWYU pragma: export
#include "engine/kafka/transactional_producer.hpp" // IWYU pragma: export
#include "engine/kafka/verify.hpp"                 // IWYU pragma: export
#include "engine/kafka/worker.hpp"                 // IWYU pragma: export
