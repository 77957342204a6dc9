#pragma once
// Review cases found by reprocessing: two ENROLLED subjects that resemble each other. They are
// new work for adjudicators and never change a past verdict. Kept in the store's meta column
// family under "review_case/<A>-<B>" (A < B, zero-padded so key order is id order), one JSON
// value each; adjudicating one rewrites it and appends an audit entry in the same commit. Each
// case is also indexed under both its subjects ("review_case_of/<S>/<A>-<B>", empty value, same
// commit) so that the request workflow can ask "does anything block subject S" without a scan.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/verdict.h"
#include "engine/store.h"

namespace tunggal::admin {

struct ReviewCase {
  SubjectId a, b;                     // a < b
  VerdictKind kind = VerdictKind::kReview;  // DUPLICATE or REVIEW, by the thresholds of the run
  Candidate evidence;                 // the pair's scores (subject = the candidate side), face-led score included
  SubjectId probe;                    // which of a, b was searched
  float duplicate_threshold = 0, review_threshold = 0;
  std::int64_t found_at_ms = 0;
  std::string source = "reprocess";
  Decision decision = Decision::kNone;
  std::string decided_by, decision_reason;
  std::int64_t adjudicated_at_ms = 0;

  // "RC-<a>-<b>": what admins type (`tunggal admin review show RC-12-345`).
  std::string id() const;
};

// Parses "RC-12-345" (or "rc-12-345", "12-345"); invalid_argument otherwise.
Expected<std::pair<SubjectId, SubjectId>> parse_case_id(const std::string& text);
// Whether an admin's ID argument names a review case rather than an enrollment: exactly the ids
// parse_case_id accepts, so every command reads "rc-12-345" and "12-345" as the case it is.
bool is_case_id(const std::string& text);

std::string encode_case(const ReviewCase& c);
Expected<ReviewCase> decode_case(const std::string& text);

// Every stored case, in (a, b) order.
Expected<std::vector<ReviewCase>> list_cases(const engine::Store& store);
Expected<std::optional<ReviewCase>> load_case(const engine::Store& store, SubjectId a, SubjectId b);
// The cases naming `subject` (as a or b), in (a, b) order. Through the per-subject index; in a
// store whose cases predate the index (until add_cases next runs), by scanning every case.
Expected<std::vector<ReviewCase>> cases_of(const engine::Store& store, SubjectId subject);

// Stores the cases whose pair has no case yet (an existing case keeps its state and any
// adjudication); returns how many were new. One synced commit, which also indexes by subject any
// case stored before the index existed.
Expected<std::uint64_t> add_cases(engine::Store& store, const std::vector<ReviewCase>& cases);

// Records an admin's decision on an open case, audited ("adjudicate-case"), in one commit.
Status adjudicate_case(engine::Store& store, SubjectId a, SubjectId b, Decision decision, const std::string& admin,
                       const std::string& reason, std::int64_t at_ms);

}  // namespace tunggal::admin
