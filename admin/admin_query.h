#pragma once
// One question an admin asks about a gallery (`tunggal admin status|show|review|audit|thresholds`,
// and the server-side changes `backup` and adjudicating a reprocessing case). The same query is
// answered offline from a data directory (admin/reports.h) or by a running server over the
// protocol (server/backend.h, AdminReport in server/proto/tunggal.proto): both answer with the
// same JSON document, so `--json` output and the text printed from it do not depend on the mode.
#include <cstdint>
#include <string>

#include "core/verdict.h"

namespace tunggal::admin {

struct AdminQuery {
  enum class Kind : std::uint8_t {
    kStatus,          // gallery per shard, queue, verdicts by kind, review load, thresholds
    kShowSubject,     // id = subject id (decimal)
    kShowEnrollment,  // id = enrollment id
    kReviewList,      // limit (0 = all), oldest first
    kReviewShow,      // id = enrollment id or RC-A-B
    kAudit,           // since_ms, after_seq
    kThresholds,      // target_fpir, review_fpir: what-if, nothing changes
    kBackup,          // id = a new directory (on the host that answers)
    kAdjudicateCase,  // id = RC-A-B, decision, reason; actor = the authenticated admin
  };
  // Every field has an initialiser, so a query written with designated initialisers names only
  // what it asks (`{.kind = kStatus}`) and the rest is set, not "missing" (-Wmissing-field-initializers).
  Kind kind = Kind::kStatus;
  std::string id{};
  std::uint64_t limit = 0, after_seq = 0;
  std::int64_t since_ms = 0;
  double target_fpir = 0, review_fpir = 0;
  Decision decision = Decision::kNone;
  std::string reason{}, actor{};
};

}  // namespace tunggal::admin
