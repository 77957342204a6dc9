#pragma once
// Completion targets from the service page: in person (luring) 1 day, online (daring) 3 days,
// counted from submission until the card is handed over. Counted in calendar time: the page gives
// no working-day rule, and a calendar deadline is the stricter reading.
#include <cstdint>

#include "workflow/request.h"

namespace tunggal::workflow {

struct SlaPolicy {
  std::int64_t luring_ms = 1LL * 24 * 3600 * 1000;
  std::int64_t daring_ms = 3LL * 24 * 3600 * 1000;
};

std::int64_t sla_deadline_ms(const Request& r, const SlaPolicy& policy);

// Open (not handed over, not rejected) and past its deadline at `now_ms`.
bool is_overdue(const Request& r, std::int64_t now_ms, const SlaPolicy& policy);

}  // namespace tunggal::workflow
