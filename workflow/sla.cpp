#include "workflow/sla.h"

#include "workflow/request_state.h"

namespace tunggal::workflow {

std::int64_t sla_deadline_ms(const Request& r, const SlaPolicy& policy) {
  return r.submitted_at_ms + (r.channel == Channel::kDaring ? policy.daring_ms : policy.luring_ms);
}

bool is_overdue(const Request& r, std::int64_t now_ms, const SlaPolicy& policy) {
  return !is_terminal(r.state) && now_ms > sla_deadline_ms(r, policy);
}

}  // namespace tunggal::workflow
