#include "admin/review_cases.h"
#include "core/json_text.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tunggal::admin {

namespace {

constexpr const char* kPrefix = "review_case/";
constexpr const char* kOfPrefix = "review_case_of/";
// Present once every stored case is in the per-subject index (stores from before it have cases
// without index entries until add_cases backfills them).
constexpr const char* kIndexedKey = "review_case_of.complete";

std::string key_for(SubjectId a, SubjectId b) { return fmt::format("{}{:020}-{:020}", kPrefix, a.value, b.value); }
std::string of_prefix(SubjectId s) { return fmt::format("{}{:020}/", kOfPrefix, s.value); }
std::string of_key(SubjectId s, SubjectId a, SubjectId b) {
  return fmt::format("{}{:020}-{:020}", of_prefix(s), a.value, b.value);
}
void index_case(engine::Store::Batch& batch, SubjectId a, SubjectId b) {
  batch.put_meta(of_key(a, a, b), "");
  batch.put_meta(of_key(b, a, b), "");
}

// JSON has no NaN: "not compared" is null.
nlohmann::json num(float v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }
float num_back(const nlohmann::json& j) { return j.is_null() ? std::nanf("") : j.get<float>(); }

}  // namespace

std::string ReviewCase::id() const { return fmt::format("RC-{}-{}", a.value, b.value); }

Expected<std::pair<SubjectId, SubjectId>> parse_case_id(const std::string& text) {
  std::string t = text;
  if (t.rfind("RC-", 0) == 0 || t.rfind("rc-", 0) == 0) t = t.substr(3);
  const auto dash = t.find('-');
  auto bad = [&] {
    return invalid_argument(fmt::format("'{}' is not a review case id; case ids look like RC-12-345 "
                                        "(see `tunggal admin review list`)",
                                        text));
  };
  if (dash == std::string::npos || dash == 0 || dash + 1 >= t.size()) return bad();
  char* end = nullptr;
  const std::string sa = t.substr(0, dash), sb = t.substr(dash + 1);
  if (sa.find_first_not_of("0123456789") != std::string::npos || sb.find_first_not_of("0123456789") != std::string::npos)
    return bad();
  const std::uint64_t a = std::strtoull(sa.c_str(), &end, 10), b = std::strtoull(sb.c_str(), &end, 10);
  if (a == 0 || b == 0 || a >= b) return bad();
  return std::pair{SubjectId{a}, SubjectId{b}};
}

bool is_case_id(const std::string& text) { return parse_case_id(text).has_value(); }

std::string encode_case(const ReviewCase& c) {
  nlohmann::json fingers = nlohmann::json::array();
  for (float f : c.evidence.finger_scores) fingers.push_back(num(f));
  nlohmann::json j{{"a", c.a.value},
                   {"b", c.b.value},
                   {"kind", std::string(to_string(c.kind))},
                   {"score", c.evidence.score},
                   {"face_score", num(c.evidence.face_score)},
                   {"finger_scores", fingers},
                   // The face alone (Candidate::face_led_score); a case below the review threshold
                   // is one the verdict policy kept for it. Absent from cases stored before it.
                   {"face_led_score", num(c.evidence.face_led_score)},
                   {"probe", c.probe.value},
                   {"duplicate_threshold", c.duplicate_threshold},
                   {"review_threshold", c.review_threshold},
                   {"found_at_ms", c.found_at_ms},
                   {"source", c.source},
                   {"decision", std::string(to_string(c.decision))},
                   {"decided_by", c.decided_by},
                   {"decision_reason", c.decision_reason},
                   {"adjudicated_at_ms", c.adjudicated_at_ms}};
  return json_text(j);
}

Expected<ReviewCase> decode_case(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    ReviewCase c;
    c.a = SubjectId{j.at("a").get<std::uint64_t>()};
    c.b = SubjectId{j.at("b").get<std::uint64_t>()};
    c.kind = j.at("kind").get<std::string>() == "DUPLICATE" ? VerdictKind::kDuplicate : VerdictKind::kReview;
    c.evidence.subject = c.b;
    c.evidence.score = j.at("score").get<float>();
    c.evidence.face_score = num_back(j.at("face_score"));
    const auto& f = j.at("finger_scores");
    for (std::size_t i = 0; i < c.evidence.finger_scores.size() && i < f.size(); ++i)
      c.evidence.finger_scores[i] = num_back(f[i]);
    if (auto it = j.find("face_led_score"); it != j.end()) c.evidence.face_led_score = num_back(*it);
    c.probe = SubjectId{j.at("probe").get<std::uint64_t>()};
    c.evidence.subject = c.probe == c.a ? c.b : c.a;
    c.duplicate_threshold = j.at("duplicate_threshold").get<float>();
    c.review_threshold = j.at("review_threshold").get<float>();
    c.found_at_ms = j.at("found_at_ms").get<std::int64_t>();
    c.source = j.at("source").get<std::string>();
    const std::string d = j.at("decision").get<std::string>();
    c.decision = d == "CONFIRMED_DUPLICATE" ? Decision::kConfirmedDuplicate
                 : d == "DISTINCT"          ? Decision::kDistinct
                                            : Decision::kNone;
    c.decided_by = j.at("decided_by").get<std::string>();
    c.decision_reason = j.at("decision_reason").get<std::string>();
    c.adjudicated_at_ms = j.at("adjudicated_at_ms").get<std::int64_t>();
    return c;
  } catch (const std::exception& e) {
    return corruption(fmt::format("stored review case unreadable ({}); the store's meta is damaged", e.what()));
  }
}

Expected<std::vector<ReviewCase>> list_cases(const engine::Store& store) {
  std::vector<ReviewCase> out;
  Status bad;
  Status s = store.for_each_meta(kPrefix, [&](const std::string&, const std::string& value) {
    auto c = decode_case(value);
    if (!c) {
      bad = c.error();
      return false;
    }
    out.push_back(std::move(*c));
    return true;
  });
  if (!s) return s;
  if (!bad) return bad;
  return out;
}

Expected<std::optional<ReviewCase>> load_case(const engine::Store& store, SubjectId a, SubjectId b) {
  auto v = store.meta(key_for(a, b));
  if (!v) return v.error();
  if (!*v) return std::optional<ReviewCase>{};
  auto c = decode_case(**v);
  if (!c) return c.error();
  return std::optional<ReviewCase>{std::move(*c)};
}

Expected<std::vector<ReviewCase>> cases_of(const engine::Store& store, SubjectId subject) {
  auto indexed = store.meta(kIndexedKey);
  if (!indexed) return indexed.error();
  if (!*indexed) {
    auto all = list_cases(store);
    if (!all) return all.error();
    std::erase_if(*all, [&](const ReviewCase& c) { return c.a != subject && c.b != subject; });
    return all;
  }
  std::vector<std::pair<SubjectId, SubjectId>> pairs;
  const std::string prefix = of_prefix(subject);
  Status s = store.for_each_meta(prefix, [&](const std::string& key, const std::string&) {
    auto ab = parse_case_id(key.substr(prefix.size()));
    if (ab) pairs.push_back(*ab);
    return true;
  });
  if (!s) return s;
  std::vector<ReviewCase> out;
  for (const auto& [a, b] : pairs) {
    auto c = load_case(store, a, b);
    if (!c) return c.error();
    if (*c) out.push_back(std::move(**c));
  }
  return out;
}

Expected<std::uint64_t> add_cases(engine::Store& store, const std::vector<ReviewCase>& cases) {
  auto batch = store.batch();
  auto indexed = store.meta(kIndexedKey);
  if (!indexed) return indexed.error();
  if (!*indexed) {
    auto before = list_cases(store);
    if (!before) return before.error();
    for (const ReviewCase& c : *before) index_case(batch, c.a, c.b);
    batch.put_meta(kIndexedKey, "1");
  }
  std::uint64_t added = 0;
  for (const ReviewCase& c : cases) {
    if (!(c.a < c.b)) return invalid_argument(fmt::format("review case {}: subjects must be ordered a < b", c.id()));
    auto existing = store.meta(key_for(c.a, c.b));
    if (!existing) return existing.error();
    if (*existing) continue;
    batch.put_meta(key_for(c.a, c.b), encode_case(c));
    index_case(batch, c.a, c.b);
    ++added;
  }
  if (!batch.empty())
    if (Status s = store.commit(std::move(batch), engine::Durability::kSynced); !s) return s;
  return added;
}

Status adjudicate_case(engine::Store& store, SubjectId a, SubjectId b, Decision decision, const std::string& admin,
                       const std::string& reason, std::int64_t at_ms) {
  if (admin.empty()) return invalid_argument("adjudication needs the admin's identity (--admin NAME)");
  if (reason.empty()) return invalid_argument("adjudication needs a reason (--reason TEXT)");
  if (decision == Decision::kNone) return invalid_argument("decision must be duplicate or distinct");
  auto found = load_case(store, a, b);
  if (!found) return found.error();
  if (!*found) return not_found(fmt::format("no review case RC-{}-{}", a.value, b.value));
  ReviewCase c = std::move(**found);
  if (c.decision != Decision::kNone)
    return failed_precondition(fmt::format("review case {} was already adjudicated {} by {}", c.id(),
                                           to_string(c.decision), c.decided_by));
  c.decision = decision;
  c.decided_by = admin;
  c.decision_reason = reason;
  c.adjudicated_at_ms = at_ms;
  auto batch = store.batch();
  batch.put_meta(key_for(a, b), encode_case(c));
  engine::AuditEntry audit;
  audit.at_ms = at_ms;
  audit.actor = admin;
  audit.action = "adjudicate-case";
  audit.target = c.id();
  audit.reason = reason;
  audit.before = fmt::format("{} score={:.2f} decision=NONE", to_string(c.kind), c.evidence.score);
  audit.after = fmt::format("{} score={:.2f} decision={}", to_string(c.kind), c.evidence.score, to_string(decision));
  batch.append_audit(std::move(audit));
  return store.commit(std::move(batch), engine::Durability::kSynced);
}

}  // namespace tunggal::admin
