#include "admin/reports.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "engine/verdict_policy.h"
#include "index/detail/vector_checks.h"  // mix_id: the shard a subject's index rows live in

namespace tunggal::admin {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json num(float v) { return std::isnan(v) ? json(nullptr) : json(v); }

json thresholds_json(const Thresholds& t) {
  return {{"duplicate", t.duplicate}, {"review", t.review}, {"target_fpir", t.target_fpir}, {"review_fpir", t.review_fpir}};
}

Expected<json> status(const engine::Store& s, const EngineOptions& options) {
  const int shards = s.gallery_config().shard_count;
  std::vector<std::uint64_t> per_shard(static_cast<std::size_t>(shards), 0);
  std::uint64_t with_face = 0;
  Status scan = s.for_each_subject([&](const engine::StoredSubject& sub) {
    ++per_shard[index::detail::mix_id(sub.record.id.value) % static_cast<std::uint64_t>(shards)];
    if (sub.face) ++with_face;
    return true;
  });
  if (!scan) return scan;
  std::map<std::string, std::uint64_t> kinds, decisions;
  std::uint64_t awaiting = 0;
  scan = s.for_each_verdict([&](const Verdict& v) {
    ++kinds[std::string(to_string(v.kind))];
    if (v.decision != Decision::kNone) ++decisions[std::string(to_string(v.decision))];
    else if (v.kind == VerdictKind::kDuplicate || v.kind == VerdictKind::kReview) ++awaiting;
    return true;
  });
  if (!scan) return scan;
  auto cases = list_cases(s);
  if (!cases) return cases.error();
  std::uint64_t open_cases = 0;
  for (const auto& c : *cases) open_cases += c.decision == Decision::kNone;
  const Thresholds t =
      thresholds_for(options.target_fpir, options.review_fpir, std::max<std::uint64_t>(s.subject_count(), 1));
  return json{{"gallery_size", s.subject_count()},
              {"gallery_per_shard", per_shard},
              {"subjects_with_face", with_face},
              {"max_subject_id", s.max_subject_id()},
              {"queue_pending", s.pending_count()},
              {"verdicts", kinds},
              {"adjudicated", decisions},
              {"awaiting_adjudication", awaiting},
              {"review_cases", cases->size()},
              {"review_cases_open", open_cases},
              {"audit_entries", s.last_audit_seq()},
              {"thresholds", thresholds_json(t)}};
}

Expected<json> show_subject(const engine::Store& s, const std::string& id_text) {
  std::uint64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoull(id_text, &used);
    if (used != id_text.size() || id_text.empty() || id_text[0] == '-') throw std::invalid_argument("");
  } catch (const std::exception&) {
    return invalid_argument(fmt::format("'{}' is not a subject id (a number)", id_text));
  }
  auto rec = s.subject(SubjectId{id});
  if (!rec) return rec.error();
  if (!*rec) return not_found(fmt::format("no subject {}", id));
  const engine::SubjectRecord& r = **rec;
  auto full = s.load_subject(r.id);
  if (!full) return full.error();
  auto verdict = s.verdict(r.enrollment);
  if (!verdict) return verdict.error();
  // Through the per-subject index (review_cases.h): reading every case to keep this subject's
  // took 0.8 s at 100,000 cases (bench/review_cases_bench.cpp, docs/reprocess.md).
  auto cases = cases_of(s, r.id);
  if (!cases) return cases.error();
  const bool active = r.state == engine::SubjectState::kActive;
  json fingers = json::array();
  if (*full)
    for (const FingerTemplate& f : (*full)->fingers)
      fingers.push_back({{"position", static_cast<int>(f.position)}, {"minutiae", f.minutiae.size()}});
  json rc = json::array();
  for (const auto& c : *cases) rc.push_back(case_json(c));
  json j{{"subject", r.id.value},
         {"state", active ? "ACTIVE" : "REVOKED"},
         {"nik", r.nik},
         {"site", r.site},
         {"enrollment", r.enrollment.value},
         {"enrolled_at_ms", r.enrolled_at_ms},
         {"fingers", fingers},
         {"has_face", *full && (*full)->face.has_value()},
         {"review_cases", rc}};
  if (!active) {
    j["revoked_reason"] = r.revoked_reason;
    j["revoked_at_ms"] = r.revoked_at_ms;
  }
  if (*verdict) j["verdict"] = verdict_json(**verdict);
  return j;
}

Expected<json> show_enrollment(const engine::Store& s, const std::string& id) {
  auto rec = s.enrollment(EnrollmentId{id});
  if (!rec) return rec.error();
  auto verdict = s.verdict(EnrollmentId{id});
  if (!verdict) return verdict.error();
  if (!*rec && !*verdict) return not_found(fmt::format("no enrollment {}", id));
  json j{{"enrollment", id}};
  if (*rec) {
    const Enrollment& e = (*rec)->enrollment;
    j["state"] = (*rec)->state == engine::JobState::kPending ? "PENDING" : "DECIDED";
    j["site"] = e.site;
    j["nik"] = e.nik.str();
    j["received_at_ms"] = (*rec)->received_at_ms;
    j["capture_time_ms"] = e.capture_time_ms;
    j["fingers"] = e.fingers.size();
    j["has_face"] = e.face.has_value();
  }
  if (*verdict) j["verdict"] = verdict_json(**verdict);
  return j;
}

Expected<json> review_show(const engine::Store& s, const std::string& id) {
  if (id.empty()) return invalid_argument("review show needs an ID (see review list)");
  if (auto pair = parse_case_id(id)) {
    auto c = load_case(s, pair->first, pair->second);
    if (!c) return c.error();
    if (!*c) return not_found("no review case " + id);
    return case_json(**c);
  }
  auto v = s.verdict(EnrollmentId{id});
  if (!v) return v.error();
  if (!*v) return not_found("no verdict for enrollment " + id);
  return verdict_json(**v);
}

struct QueueItem {
  std::string id;      // enrollment id or RC-a-b
  std::string source;  // "enrollment" or "reprocess"
  std::string kind;
  float score = 0;
  std::uint64_t subject_a = 0, subject_b = 0;  // reprocess: the pair; enrollment: best candidate in b
  std::int64_t since_ms = 0;
};

Expected<json> review_list(const engine::Store& s, std::uint64_t limit, std::int64_t now) {
  std::vector<QueueItem> items;
  Status scan = s.for_each_verdict([&](const Verdict& v) {
    if ((v.kind == VerdictKind::kDuplicate || v.kind == VerdictKind::kReview) && v.decision == Decision::kNone) {
      QueueItem q{v.enrollment.value, "enrollment", std::string(to_string(v.kind)), 0, 0, 0, v.decided_at_ms};
      if (!v.candidates.empty()) {
        q.score = v.candidates.front().score;
        q.subject_b = v.candidates.front().subject.value;
      }
      items.push_back(std::move(q));
    }
    return true;
  });
  if (!scan) return scan;
  auto cases = list_cases(s);
  if (!cases) return cases.error();
  for (const auto& c : *cases)
    if (c.decision == Decision::kNone)
      items.push_back({c.id(), "reprocess", std::string(to_string(c.kind)), c.evidence.score, c.a.value, c.b.value,
                       c.found_at_ms});
  std::stable_sort(items.begin(), items.end(), [](const QueueItem& x, const QueueItem& y) {
    return x.since_ms != y.since_ms ? x.since_ms < y.since_ms : x.id < y.id;
  });
  const std::size_t total = items.size();
  if (limit && items.size() > limit) items.resize(limit);
  json arr = json::array();
  for (const auto& q : items) {
    json j{{"id", q.id},         {"source", q.source},   {"kind", q.kind},
           {"score", q.score},   {"since_ms", q.since_ms}, {"age_seconds", (now - q.since_ms) / 1000}};
    if (q.source == "reprocess") j["subjects"] = {q.subject_a, q.subject_b};
    else if (q.subject_b) j["best_candidate"] = q.subject_b;
    arr.push_back(std::move(j));
  }
  return json{{"total", total}, {"cases", arr}};
}

Expected<json> audit(const engine::Store& s, std::int64_t since_ms, std::uint64_t after_seq) {
  json arr = json::array();
  Status st = s.for_each_audit(
      [&](const engine::AuditEntry& e) {
        if (e.at_ms < since_ms) return true;
        arr.push_back({{"seq", e.seq}, {"at_ms", e.at_ms}, {"actor", e.actor}, {"action", e.action},
                       {"target", e.target}, {"reason", e.reason}, {"before", e.before}, {"after", e.after}});
        return true;
      },
      after_seq);
  if (!st) return st;
  return arr;
}

Expected<json> thresholds_what_if(const engine::Store& s, const EngineOptions& options, double target, double review) {
  if (!(target > 0 && target <= 1) || !(review > 0 && review <= 1))
    return invalid_argument("--target-fpir and --review-fpir must be in (0, 1]");
  if (review < target)
    return invalid_argument("--review-fpir must be at least --target-fpir (REVIEW is the looser band)");
  const std::uint64_t n = std::max<std::uint64_t>(s.subject_count(), 1);
  const Thresholds now = thresholds_for(options.target_fpir, options.review_fpir, n);
  Thresholds next = thresholds_for(target, review, n);
  // Face-led review follows the duplicate threshold, as in the engine (engine.cpp,
  // current_thresholds); only a model with a face tail gives candidates a face-led score.
  if (options.face_led_review) next.face_led = next.duplicate;
  // The stored candidates judged by the engine's own verdict policy: a face-led candidate below
  // the review threshold stays REVIEW, as it did when it was decided.
  auto judge = [&](std::vector<Candidate> candidates) {
    return std::string(to_string(decide(EnrollmentId{}, std::move(candidates), next, std::numeric_limits<int>::max()).kind));
  };
  std::map<std::string, std::map<std::string, std::uint64_t>> moves;  // old kind -> new kind -> count
  std::uint64_t changed = 0, unknown = 0, load_before = 0, load_after = 0, considered = 0;
  Status scan = s.for_each_verdict([&](const Verdict& v) {
    if (v.kind == VerdictKind::kRejected) return true;
    ++considered;
    const std::string old_kind(to_string(v.kind));
    std::string new_kind;
    // A verdict stored no candidate below its thresholds: it stays UNIQUE only if neither the
    // review nor (with face-led review) the duplicate threshold is lower than when it was decided.
    const bool no_lower = next.review >= v.review_threshold &&
                          (!options.face_led_review || next.duplicate >= v.duplicate_threshold);
    if (!v.candidates.empty()) new_kind = judge(v.candidates);
    else if (no_lower) new_kind = "UNIQUE";
    else new_kind = "unknown";
    ++moves[old_kind][new_kind];
    if (new_kind == "unknown") ++unknown;
    else if (new_kind != old_kind) ++changed;
    load_before += old_kind != "UNIQUE";
    load_after += new_kind == "DUPLICATE" || new_kind == "REVIEW";
    return true;
  });
  if (!scan) return scan;
  auto cases = list_cases(s);
  if (!cases) return cases.error();
  std::uint64_t cases_kept = 0;
  for (const auto& c : *cases) cases_kept += judge({c.evidence}) != "UNIQUE";
  return json{{"gallery_size", n},
              {"current", thresholds_json(now)},
              {"what_if", thresholds_json(next)},
              {"verdicts_considered", considered},
              {"verdicts_changed", changed},
              {"verdicts_unknown", unknown},
              {"moves", moves},
              {"review_load_before", load_before},
              {"review_load_after", load_after},
              {"reprocess_cases", cases->size()},
              {"reprocess_cases_still_flagged", cases_kept}};
}

}  // namespace

json candidate_json(const Candidate& c, float review_threshold) {
  json fingers = json::object();
  for (std::size_t i = 0; i < c.finger_scores.size(); ++i)
    if (!std::isnan(c.finger_scores[i])) fingers[std::to_string(i + 1)] = c.finger_scores[i];
  return {{"subject", c.subject.value},
          {"score", c.score},
          {"face_score", num(c.face_score)},
          {"face_led_score", num(c.face_led_score)},  // the face alone, when the fingers do not contradict it
          {"face_led", !std::isnan(c.face_led_score) && c.score < review_threshold},
          {"finger_scores", fingers}};
}

json verdict_json(const Verdict& v) {
  json cands = json::array();
  for (const Candidate& c : v.candidates) cands.push_back(candidate_json(c, v.review_threshold));
  json j{{"enrollment", v.enrollment.value},
         {"kind", std::string(to_string(v.kind))},
         {"candidates", cands},
         {"duplicate_threshold", v.duplicate_threshold},
         {"review_threshold", v.review_threshold},
         {"decided_at_ms", v.decided_at_ms},
         {"decision", std::string(to_string(v.decision))}};
  if (v.subject.valid()) j["subject"] = v.subject.value;
  if (!v.reject_reason.empty()) j["reject_reason"] = v.reject_reason;
  if (v.decision != Decision::kNone) {
    j["decided_by"] = v.decided_by;
    j["decision_reason"] = v.decision_reason;
    j["adjudicated_at_ms"] = v.adjudicated_at_ms;
    if (v.linked_subject.valid()) j["linked_subject"] = v.linked_subject.value;
  }
  return j;
}

json case_json(const ReviewCase& c) {
  auto j = json::parse(encode_case(c));
  j["case"] = c.id();
  j["face_led"] = candidate_json(c.evidence, c.review_threshold)["face_led"];  // as a verdict's candidate
  return j;
}

Expected<json> answer(const engine::Store& store, const AdminQuery& q, const EngineOptions& options, std::int64_t now_ms) {
  using K = AdminQuery::Kind;
  switch (q.kind) {
    case K::kStatus: return status(store, options);
    case K::kShowSubject: return show_subject(store, q.id);
    case K::kShowEnrollment: return show_enrollment(store, q.id);
    case K::kReviewList: return review_list(store, q.limit, now_ms);
    case K::kReviewShow: return review_show(store, q.id);
    case K::kAudit: return audit(store, q.since_ms, q.after_seq);
    case K::kThresholds: return thresholds_what_if(store, options, q.target_fpir, q.review_fpir);
    case K::kBackup:
    case K::kAdjudicateCase: break;
  }
  return invalid_argument("this admin operation changes the gallery; it is not a report");
}

Expected<json> adjudicate_case(engine::Store& store, const AdminQuery& q, std::int64_t now_ms) {
  if (q.decision != Decision::kConfirmedDuplicate && q.decision != Decision::kDistinct)
    return invalid_argument("a decision is duplicate or distinct");
  if (q.reason.empty()) return invalid_argument("a decision needs a reason (it is audited)");
  if (q.actor.empty()) return invalid_argument("a decision needs the admin's identity (it is audited)");
  auto pair = parse_case_id(q.id);
  if (!pair) return pair.error();
  if (Status s = admin::adjudicate_case(store, pair->first, pair->second, q.decision, q.actor, q.reason, now_ms); !s)
    return s;
  return json{{"id", q.id}, {"decision", std::string(to_string(q.decision))}};
}

Expected<std::unique_ptr<engine::Store>> open_store(const fs::path& data_dir, bool writable) {
  const fs::path path = data_dir / "store";
  if (!fs::exists(path))
    return Status{ErrorCode::kFailedPrecondition,
                  fmt::format("{} holds no gallery (no store/ inside); check --data-dir", data_dir.string())};
  engine::StoreOptions so;
  so.path = path;
  so.create_if_missing = false;
  so.read_only = !writable;
  return engine::Store::open(so);
}

Expected<std::uint64_t> verify_copy(const fs::path& dir) {
  auto store = open_store(dir, false);
  if (!store) return store.error();
  if (Status s = (*store)->verify_checksums(); !s) return s;
  return (*store)->subject_count();
}

}  // namespace tunggal::admin
