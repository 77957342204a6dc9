#include "admin/reprocess.h"
#include "admin/reports.h"
#include "core/json_text.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

namespace tunggal::admin {

namespace fs = std::filesystem;

namespace {

// A valid NIK for probes whose stored NIK no longer parses (the NIK plays no part in matching).
constexpr const char* kPlaceholderNik = "3273015505900002";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

std::string with_checksum(const std::string& payload) { return fmt::format("{} *{:08x}\n", payload, fnv1a(payload)); }

// The payload of a complete, intact line; nullopt for a torn or damaged one.
std::optional<std::string> checked_payload(const std::string& line) {
  const auto star = line.rfind(" *");
  if (star == std::string::npos || line.size() != star + 2 + 8) return std::nullopt;
  std::string payload = line.substr(0, star);
  if (fmt::format("{:08x}", fnv1a(payload)) != line.substr(star + 2)) return std::nullopt;
  return payload;
}

std::string fmt_float(float v) { return std::isnan(v) ? std::string("nan") : fmt::format("{:.9g}", v); }

// The findings of one probe: "F:<probe>:<candidate>:<score>:<face>:<f1,..,f10>:<face_led>". The
// face-led score is last because journals written before it end at the fingers (read as NaN).
std::string encode_finding(SubjectId probe, const Candidate& c) {
  std::string fingers;
  for (std::size_t i = 0; i < c.finger_scores.size(); ++i) {
    if (i) fingers += ',';
    fingers += fmt_float(c.finger_scores[i]);
  }
  return fmt::format("F:{}:{}:{}:{}:{}:{}", probe.value, c.subject.value, fmt_float(c.score), fmt_float(c.face_score),
                     fingers, fmt_float(c.face_led_score));
}

bool decode_finding(const std::string& tok, SubjectId& probe, Candidate& c) {
  std::vector<std::string> parts;
  std::stringstream ss(tok);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  if ((parts.size() != 6 && parts.size() != 7) || parts[0] != "F") return false;
  probe = SubjectId{std::strtoull(parts[1].c_str(), nullptr, 10)};
  c.subject = SubjectId{std::strtoull(parts[2].c_str(), nullptr, 10)};
  c.score = std::strtof(parts[3].c_str(), nullptr);
  c.face_score = std::strtof(parts[4].c_str(), nullptr);
  std::stringstream fs_(parts[5]);
  std::size_t i = 0;
  for (std::string f; std::getline(fs_, f, ',') && i < c.finger_scores.size(); ++i)
    c.finger_scores[i] = std::strtof(f.c_str(), nullptr);
  if (parts.size() == 7) c.face_led_score = std::strtof(parts[6].c_str(), nullptr);
  return i == c.finger_scores.size() && probe.valid() && c.subject.valid();
}

struct Journal {
  int fd = -1;  // the JournalLock's
  fs::path path;
  Status append(const std::string& payload) {
    const std::string line = with_checksum(payload);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error(fmt::format("cannot write the reprocessing journal {}: {}", path.string(), std::strerror(errno)));
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
      return io_error(fmt::format("cannot fsync the reprocessing journal {}: {}", path.string(), std::strerror(errno)));
    return Status::ok();
  }
};

// The gallery state a journal was written for (its header's start).
std::string gallery_part(const engine::Store& store) {
  return fmt::format("tunggal-reprocess 1 subjects={} change_seq={} max_subject={} ", store.subject_count(),
                     store.last_change_seq(), store.max_subject_id());
}

// The face-led review policy findings are kept under (EngineOptions::face_led_review and its
// finger bound): a run resumed under another one would mix cases decided by two policies. The
// header's last fields.
std::string face_led_part(const EngineOptions& e) {
  return e.face_led_review ? fmt::format("face_led=on face_led_min_finger_llr={}", fmt_float(e.face_led_min_finger_llr))
                           : std::string("face_led=off");
}

// What a journal must have been written for: the same gallery state, thresholds, selection and
// face-led policy.
std::string header_for(const engine::Store& store, const Thresholds& t, const ReprocessOptions& o,
                       const EngineOptions& e) {
  return gallery_part(store) + fmt::format("dup={} rev={} range={}-{} site={:08x} ", fmt_float(t.duplicate),
                                           fmt_float(t.review), o.first_subject, o.last_subject, fnv1a(o.site)) +
         face_led_part(e);
}

// A header split into its face-led fields and the rest. A journal written before the header
// carried them ends at "site=": it was written by a `tunggal reprocess` that always ran with
// face-led review on at the bound -3 (the CLI could not turn it off, and EngineOptions has had it
// on since the policy came in, 059158c), so a missing field reads as exactly that, written out
// here rather than taken from today's EngineOptions defaults, which may change. (A journal from
// before 059158c was written by another matcher altogether, which no header field records.)
struct HeaderParts {
  std::string rest, face_led;
};
HeaderParts split_header(const std::string& header) {
  const auto at = header.find(" face_led=");
  if (at == std::string::npos) return {header, "face_led=on face_led_min_finger_llr=-3"};
  return {header.substr(0, at), header.substr(at + 1)};
}

// What differs between two headers' non-face-led parts, in words: "site (hash) 1a2b3c4d then,
// 5e6f7a8b now; subject range 0-0 then, 3-40 now". The fields are header_for's key=value tokens; an
// unknown key is named as it is, and a header that differs in no key (another format version) is
// quoted whole.
std::string header_differences(const std::string& then, const std::string& now) {
  auto fields = [](const std::string& h) {
    std::map<std::string, std::string> f;
    std::stringstream ss(h);
    for (std::string tok; ss >> tok;)
      if (const auto eq = tok.find('='); eq != std::string::npos) f[tok.substr(0, eq)] = tok.substr(eq + 1);
    return f;
  };
  static const std::map<std::string, std::string> names = {
      {"subjects", "gallery size"},         {"change_seq", "gallery change sequence"},
      {"max_subject", "highest subject id"}, {"dup", "duplicate threshold"},
      {"rev", "review threshold"},          {"range", "subject range"},
      {"site", "site (hash)"}};
  const auto a = fields(then), b = fields(now);
  std::vector<std::string> out;
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const auto& k : keys) {
    const auto x = a.find(k), y = b.find(k);
    const std::string vx = x == a.end() ? "none" : x->second, vy = y == b.end() ? "none" : y->second;
    if (vx == vy) continue;
    const auto n = names.find(k);
    out.push_back(fmt::format("{} {} then, {} now", n == names.end() ? k : n->second, vx, vy));
  }
  if (out.empty()) return "header '" + then + "'";  // e.g. another format version, no key differs
  return fmt::format("{}", fmt::join(out, "; "));
}

// "face-led review on (finger bound -3)" / "face-led review off", from face_led_part's text.
std::string face_led_words(const std::string& part) {
  if (part == "face_led=off") return "face-led review off";
  const std::string bound = "face_led_min_finger_llr=";
  const auto at = part.find(bound);
  return at == std::string::npos ? part
                                 : fmt::format("face-led review on (finger bound {})", part.substr(at + bound.size()));
}

// The refusal of a journal whose job differs from this run's only in its face-led policy: what
// differs and how to go on.
Status face_led_mismatch(const fs::path& journal, const std::string& then, const std::string& now) {
  const bool then_on = then != "face_led=off", now_on = now != "face_led=off";
  const std::string same = then_on == now_on
                               ? "run it with the finger bound it was started with (EngineOptions::face_led_min_finger_llr)"
                           : then_on ? "run it again without --no-face-led"
                                     : "run it again with --no-face-led";
  return failed_precondition(fmt::format(
      "journal {} was started with {} and this run has {}: resuming would mix review cases decided under two "
      "face-led policies. To resume, {}; to start over with this run's setting, pass --restart (or remove the journal)",
      journal.string(), face_led_words(then), face_led_words(now), same));
}

bool selected(const engine::SubjectRecord& r, const ReprocessOptions& o) {
  if (o.first_subject && r.id.value < o.first_subject) return false;
  if (o.last_subject && r.id.value > o.last_subject) return false;
  return o.site.empty() || r.site == o.site;
}

void merge(std::map<std::pair<std::uint64_t, std::uint64_t>, ReviewCase>& found, SubjectId probe, const Candidate& c,
           const Thresholds& t) {
  ReviewCase rc;
  rc.a = std::min(probe, c.subject);
  rc.b = std::max(probe, c.subject);
  rc.probe = probe;
  rc.evidence = c;
  // Every finding is a candidate the verdict policy kept (decide(), in Engine::identify_many): at
  // or above the review threshold, or face-led below it. As in decide(), only the score itself
  // makes a DUPLICATE, so a face-led finding is a REVIEW case.
  rc.kind = c.score >= t.duplicate ? VerdictKind::kDuplicate : VerdictKind::kReview;
  rc.duplicate_threshold = t.duplicate;
  rc.review_threshold = t.review;
  const auto key = std::pair{rc.a.value, rc.b.value};
  auto it = found.find(key);
  // Both sides of a pair may find each other with slightly different scores (the probe side is
  // prepared differently); keep the stronger, the earlier probe on a tie: order-independent.
  if (it == found.end()) found.emplace(key, std::move(rc));
  else if (rc.evidence.score > it->second.evidence.score) it->second = std::move(rc);
}

}  // namespace

Expected<JournalLock> JournalLock::acquire(const fs::path& journal) {
  // The lock-file dance: a holder may remove the journal (job done, or never started) between our
  // open and our flock; then the lock is on an unlinked file, and we try again on the new one.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(journal.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return io_error(fmt::format("cannot open the reprocessing journal {}: {}", journal.string(), std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        return Status{ErrorCode::kLocked,
                      fmt::format("the reprocessing journal {} is held by another run of the same job (same --report "
                                  "or --journal); let it finish, or give this run another --report or --journal",
                                  journal.string())};
      return io_error(fmt::format("cannot lock the reprocessing journal {}: {}", journal.string(), std::strerror(err)));
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(journal.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
      return JournalLock(fd, journal);
    ::close(fd);
  }
  return io_error(fmt::format("cannot lock the reprocessing journal {}: it keeps being replaced", journal.string()));
}

JournalLock::JournalLock(JournalLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), removed_(other.removed_) {}

JournalLock::~JournalLock() {
  if (fd_ < 0) return;
  struct stat held {};
  if (!removed_ && ::fstat(fd_, &held) == 0 && held.st_size == 0) (void)remove();
  ::close(fd_);  // releases the flock
}

Status JournalLock::discard() {
  if (::ftruncate(fd_, 0) != 0 || ::fsync(fd_) != 0)
    return io_error(fmt::format("cannot empty the reprocessing journal {}: {}", path_.string(), std::strerror(errno)));
  return Status::ok();
}

Status JournalLock::remove() {
  if (removed_) return Status::ok();
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
    return io_error(fmt::format("cannot remove the reprocessing journal {}: {}", path_.string(), std::strerror(errno)));
  removed_ = true;
  return Status::ok();
}

Expected<ReprocessResult> reprocess(const Engine& gallery, const engine::Store& store, const ReprocessOptions& o) {
  if (o.journal.empty()) return invalid_argument("reprocessing needs a journal path for its progress");
  std::optional<JournalLock> own;
  const JournalLock* lock = o.lock;
  if (!lock) {
    auto taken = JournalLock::acquire(o.journal);
    if (!taken) return taken.error();
    own.emplace(std::move(*taken));
    lock = &*own;
  }
  if (o.first_subject && o.last_subject && o.first_subject > o.last_subject)
    return invalid_argument(fmt::format("--subjects {}-{}: the first id is after the last", o.first_subject, o.last_subject));
  const std::size_t batch_size = std::max<std::size_t>(1, o.batch);
  ReprocessResult result;
  result.thresholds = gallery.thresholds();
  result.face_led_review = gallery.options().face_led_review;
  const Thresholds& t = result.thresholds;

  // How many subjects the selection holds (for progress and ETA): the records only, since every
  // start and resume pays this scan before the first batch.
  Status counted = store.for_each_subject_record([&](const engine::SubjectRecord& r) {
    if (o.last_subject && r.id.value > o.last_subject) return false;
    if (selected(r, o)) ++result.selected;
    return true;
  }, SubjectId{o.first_subject});
  if (!counted) return counted;

  // Replay the journal: every intact line is a completed batch.
  const std::string header = header_for(store, t, o, gallery.options());
  std::map<std::pair<std::uint64_t, std::uint64_t>, ReviewCase> found;
  std::uint64_t resume_after = o.first_subject ? o.first_subject - 1 : 0;
  std::error_code ec;
  std::uint64_t keep_bytes = 0;
  bool have_header = false;
  if (fs::exists(o.journal, ec)) {
    std::ifstream in(o.journal, std::ios::binary);
    std::string line;
    std::uint64_t offset = 0;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline: torn
      auto payload = checked_payload(line);
      if (!payload) break;
      if (!have_header) {
        const HeaderParts then = split_header(*payload), now = split_header(header);
        if (then.rest != now.rest)
          return failed_precondition(fmt::format(
              "journal {} belongs to another reprocessing job: {}. A changed gallery or threshold means its "
              "findings are stale; remove it (or pass --restart) to start over, or rerun with the job's "
              "own selection to resume it",
              o.journal.string(), header_differences(then.rest, now.rest)));
        if (then.face_led != now.face_led) return face_led_mismatch(o.journal, then.face_led, now.face_led);
        have_header = true;
      } else {
        std::stringstream ss(*payload);
        std::string tag;
        std::uint64_t last = 0, probed = 0, unusable = 0;
        ss >> tag >> last >> probed >> unusable;
        if (tag != "B" || !ss) return corruption(fmt::format("journal {}: unreadable batch line", o.journal.string()));
        for (std::string tok; ss >> tok;) {
          if (tok.rfind("U:", 0) == 0) {
            result.unusable_reasons.push_back(fmt::format("subject {}", tok.substr(2)));
            continue;
          }
          SubjectId probe;
          Candidate c;
          if (!decode_finding(tok, probe, c))
            return corruption(fmt::format("journal {}: unreadable finding '{}'", o.journal.string(), tok));
          merge(found, probe, c, t);
        }
        resume_after = last;
        result.resumed += probed;
        result.unusable += unusable;
      }
      offset += line.size() + 1;
      keep_bytes = offset;
    }
  }
  result.probed = result.resumed;

  Journal journal;
  journal.path = o.journal;
  journal.fd = lock->fd();
  // Drop a torn tail so that new lines follow the last intact one.
  if (::ftruncate(journal.fd, static_cast<off_t>(keep_bytes)) != 0 || ::lseek(journal.fd, 0, SEEK_END) < 0)
    return io_error(fmt::format("cannot truncate the journal {}: {}", o.journal.string(), std::strerror(errno)));
  if (!have_header)
    if (Status s = journal.append(header); !s) return s;

  if (o.progress) o.progress(result.probed, result.selected, found.size());
  std::uint64_t batches = 0;
  for (;;) {
    if (o.stop_after_batches && batches >= o.stop_after_batches) return result;  // "interrupted"
    std::vector<engine::StoredSubject> subjects;
    std::uint64_t last_scanned = resume_after;
    bool more = false;
    Status s = store.for_each_subject([&](const engine::StoredSubject& sub) {
      if (o.last_subject && sub.record.id.value > o.last_subject) return false;
      if (subjects.size() == batch_size) {
        more = true;
        return false;
      }
      last_scanned = sub.record.id.value;
      if (selected(sub.record, o)) subjects.push_back(sub);
      return true;
    }, SubjectId{resume_after + 1});
    if (!s) return s;
    if (last_scanned == resume_after) break;  // nothing left

    // The batch is searched as one (Engine::identify_many: every index scanned once for all its
    // probes), as the engine decides its micro-batches; one probe at a time was ~2.4x dearer per
    // identity (docs/reprocess.md). Each probe's own subject is ranked but not matched.
    std::vector<Enrollment> probes(subjects.size());
    std::vector<SubjectId> self(subjects.size());
    tbb::parallel_for(std::size_t{0}, subjects.size(), [&](std::size_t i) {
      const engine::StoredSubject& sub = subjects[i];
      Enrollment& probe = probes[i];
      probe.id = EnrollmentId{fmt::format("reprocess-subject-{}", sub.record.id.value)};
      probe.site = sub.record.site.empty() ? std::string("unknown") : sub.record.site;
      auto nik = Nik::parse(sub.record.nik);
      probe.nik = nik ? *nik : *Nik::parse(kPlaceholderNik);
      probe.fingers = sub.fingers;
      probe.face = sub.face;
      self[i] = sub.record.id;
    });
    auto verdicts = gallery.identify_many(probes, self);
    if (!verdicts) return verdicts.error();
    std::vector<std::vector<Candidate>> hits(subjects.size());
    std::vector<std::string> rejected(subjects.size());
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      auto& v = (*verdicts)[i];
      if (!v) {
        rejected[i] = v.error().message();
        continue;
      }
      for (Candidate& c : v->candidates)
        if (c.subject != subjects[i].record.id) hits[i].push_back(std::move(c));
    }

    std::string line = fmt::format("B {} {}", last_scanned, subjects.size());
    std::uint64_t unusable = 0;
    std::string tail;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      if (!rejected[i].empty()) {
        ++unusable;
        tail += fmt::format(" U:{}", subjects[i].record.id.value);
        result.unusable_reasons.push_back(fmt::format("subject {}: {}", subjects[i].record.id.value, rejected[i]));
      }
      for (const Candidate& c : hits[i]) {
        tail += ' ';
        tail += encode_finding(subjects[i].record.id, c);
      }
    }
    line += fmt::format(" {}{}", unusable, tail);
    if (Status js = journal.append(line); !js) return js;
    for (std::size_t i = 0; i < subjects.size(); ++i)
      for (const Candidate& c : hits[i]) merge(found, subjects[i].record.id, c, t);
    result.unusable += unusable;
    result.probed += subjects.size();
    resume_after = last_scanned;
    ++batches;
    if (o.progress) o.progress(result.probed, result.selected, found.size());
    if (!more) break;
  }
  const std::int64_t at = now_ms();
  for (auto& [key, c] : found) {
    c.found_at_ms = at;
    result.findings.push_back(std::move(c));
  }
  result.complete = true;
  return result;
}

Expected<bool> journal_matches_gallery(const fs::path& journal, const engine::Store& store) {
  std::error_code ec;
  if (!fs::exists(journal, ec)) return false;
  std::ifstream in(journal, std::ios::binary);
  if (!in) return io_error(fmt::format("cannot read the reprocessing journal {}", journal.string()));
  std::string line;
  if (!std::getline(in, line) || in.eof()) return false;  // empty, or a torn header
  auto payload = checked_payload(line);
  return payload && payload->rfind(gallery_part(store), 0) == 0;
}

std::string findings_csv(const std::vector<ReviewCase>& findings) {
  std::string out = "case,subject_a,subject_b,kind,score,probe,face_score";
  for (int f = 1; f <= 10; ++f) out += fmt::format(",finger_{}", f);
  out += ",face_led_score\n";  // last: columns read by position before it keep their place
  for (const ReviewCase& c : findings) {
    out += fmt::format("{},{},{},{},{:.4f},{},{}", c.id(), c.a.value, c.b.value, to_string(c.kind), c.evidence.score,
                       c.probe.value, std::isnan(c.evidence.face_score) ? "" : fmt::format("{:.4f}", c.evidence.face_score));
    for (float f : c.evidence.finger_scores) out += std::isnan(f) ? std::string(",") : fmt::format(",{:.4f}", f);
    out += std::isnan(c.evidence.face_led_score) ? std::string(",\n") : fmt::format(",{:.4f}\n", c.evidence.face_led_score);
  }
  return out;
}

std::string result_json(const ReprocessResult& r) {
  nlohmann::json findings = nlohmann::json::array();
  for (const ReviewCase& c : r.findings) findings.push_back(case_json(c));
  nlohmann::json j{{"selected", r.selected},
                   {"probed", r.probed},
                   {"resumed", r.resumed},
                   {"unusable", r.unusable},
                   {"unusable_subjects", r.unusable_reasons},
                   {"complete", r.complete},
                   {"duplicate_threshold", r.thresholds.duplicate},
                   {"review_threshold", r.thresholds.review},
                   {"face_led_review", r.face_led_review},
                   {"target_fpir", r.thresholds.target_fpir},
                   {"review_fpir", r.thresholds.review_fpir},
                   {"gallery_size", r.thresholds.gallery_size},
                   {"findings", findings}};
  return json_text(j, 2);
}

}  // namespace tunggal::admin
