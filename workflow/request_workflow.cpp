#include "workflow/request_workflow.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include "workflow/request_state.h"
#include "workflow/requirements.h"

namespace tunggal::workflow {
namespace {

constexpr const char* kRequestCounter = "request";
constexpr const char* kOutboxCounter = "outbox";

std::string numbered(const char* prefix, std::uint64_t n, int width) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%0*llu", prefix, width, static_cast<unsigned long long>(n));
  return buf;
}

std::string compact_date(const Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", d.year, d.month, d.day);
  return buf;
}

bool is_reissue(Service s) { return s == Service::kWniReissue || s == Service::kOaReissue; }

// Whether the engine holds `enrollment_id` under another NIK than the applicant's: someone else's
// fingers would be printed on this card. Unknown captures (st.nik empty) are not judged here.
Status check_capture_nik(const Request& r, const std::string& enrollment_id, const IdentityStatus& st) {
  if (st.nik.empty() || st.nik == r.applicant.nik.str()) return Status::ok();
  return failed_precondition("capture " + enrollment_id + " was taken for NIK " + st.nik + ", not for NIK " +
                             r.applicant.nik.str() + " of request " + r.id +
                             "; link the capture recorded for this applicant");
}

}  // namespace

// The changes of one workflow step, committed together: the request, its PIN, its messages, its
// old-card entry and the counters that numbered them.
class RequestWorkflow::Step {
 public:
  explicit Step(WorkflowStore& store) : store_(store) {}

  Expected<std::uint64_t> next(const std::string& counter) {
    auto it = counters_.find(counter);
    if (it == counters_.end()) {
      auto current = store_.counter(counter);
      if (!current) return current.error();
      it = counters_.emplace(counter, *current).first;
    }
    return ++it->second;
  }

  static Status move(Request& r, RequestState to, std::int64_t now_ms, std::string note) {
    if (Status s = check_transition(r.state, to); !s) return Status(s.code(), "request " + r.id + ": " + s.message());
    r.history.push_back({r.state, to, now_ms, note});
    r.state = to;
    r.note = std::move(note);
    return Status::ok();
  }

  // Online applicants hear about every step through the outbox; at the counter they are present.
  Status notify(const Request& r, std::string subject, std::string body, std::int64_t now_ms, std::string secret = {}) {
    if (r.channel != Channel::kDaring || r.applicant.email.empty()) return Status::ok();
    auto id = next(kOutboxCounter);
    if (!id) return id.error();
    Notification n;
    n.id = *id;
    n.request_id = r.id;
    n.recipient = r.applicant.email;
    n.subject = std::move(subject);
    n.body = std::move(body);
    n.secret = std::move(secret);
    n.created_at_ms = now_ms;
    changes.notifications.push_back(std::move(n));
    return Status::ok();
  }

  Status issue_pin(const Request& r, const PinPolicy& policy, std::int64_t now_ms) {
    auto issued = issue_print_pin(r.id, now_ms, policy);
    if (!issued) return issued.error();
    changes.pins.push_back(issued->record);
    return notify(r, "KTP-el " + r.register_number + " ready to print",
                  "Your KTP-el can be printed at a self-service kiosk (ADM) with the one-time PIN in this "
                  "message. The PIN is valid for " + std::to_string(policy.lifetime_ms / 3600000) +
                      " hours and works once.",
                  now_ms, issued->pin);
  }

  Status commit(const Request& r) {
    changes.requests.push_back(r);
    for (const auto& [name, value] : counters_) changes.counters.emplace_back(name, value);
    return store_.commit(changes);
  }

  StoreChanges changes;

 private:
  WorkflowStore& store_;
  std::map<std::string, std::uint64_t> counters_;
};

RequestWorkflow::RequestWorkflow(WorkflowStore& store, WorkflowOptions options)
    : store_(store), options_(options) {}

Expected<Request> RequestWorkflow::submit(const NewRequest& req, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  Request r;
  r.service = req.service;
  r.reason = req.reason;
  r.channel = req.channel;
  r.applicant = req.applicant;
  r.documents = req.documents;
  r.site = req.site;
  r.submitted_at_ms = now_ms;
  r.request_date = Date::from_epoch_ms_wib(now_ms);
  r.fee_rupiah = 0;
  if (Status s = check_service_reason(r.service, r.reason); !s) return s;
  if (Status s = validate_applicant(r.applicant, r.channel, r.request_date); !s) return s;
  std::sort(r.documents.begin(), r.documents.end());
  r.documents.erase(std::unique(r.documents.begin(), r.documents.end()), r.documents.end());
  if (Status s = check_one_open_request(r); !s) return s;

  Step step(store_);
  auto n = step.next(kRequestCounter);
  if (!n) return n.error();
  r.id = numbered("REQ-", *n, 8);
  if (r.channel == Channel::kDaring) {
    const std::string day = compact_date(r.request_date);
    auto reg = step.next("register/" + day);
    if (!reg) return reg.error();
    r.register_number = numbered(("REG-" + day + "-").c_str(), *reg, 6);
  }
  r.note = "submitted";
  r.history.push_back({RequestState::kSubmitted, RequestState::kSubmitted, now_ms, "submitted"});
  if (Status s = step.notify(r, "KTP-el request " + r.register_number + " registered",
                             "Your request (" + std::string(to_string(r.service)) +
                                 ") is registered under number " + r.register_number +
                                 ". Keep this number: you show the registration proof when you collect "
                                 "the card. Fee: Rp 0.",
                             now_ms);
      !s) {
    return s;
  }
  if (Status s = step.commit(r); !s) return s;
  return r;
}

Expected<Request> RequestWorkflow::get(const std::string& id) const { return store_.request(id); }

Expected<std::vector<Request>> RequestWorkflow::list() const { return store_.requests(); }

Expected<Request> RequestWorkflow::verify_documents(const std::string& id, const std::vector<Document>& presented,
                                                    std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto r = store_.request(id);
  if (!r) return r.error();
  // Only from submitted: the state machine also allows penunggalan_pending → documents_verified,
  // but that is the engine asking for a new capture, not a second document check.
  if (r->state != RequestState::kSubmitted) {
    return failed_precondition("request " + id + " is " + std::string(to_string(r->state)) +
                               "; documents are verified only while it is submitted");
  }
  for (Document d : presented) {
    if (!r->has_document(d)) r->documents.push_back(d);
  }
  std::sort(r->documents.begin(), r->documents.end());

  Step step(store_);
  Status requirements = check_requirements(*r);
  if (!requirements) {
    r->note = requirements.message();
    if (Status s = step.notify(*r, "KTP-el request " + r->register_number + ": documents incomplete",
                               "Your request cannot proceed yet: " + requirements.message() + ".", now_ms);
        !s) {
      return s;
    }
    if (Status s = step.commit(*r); !s) return s;
    return Status(requirements.code(), "request " + id + " not verified: " + requirements.message());
  }
  if (r->has_document(Document::kOldCard)) {
    OldCardRecord card;
    card.request_id = r->id;
    card.nik = r->applicant.nik.str();
    card.reason = std::string(to_string(r->reason));
    card.retracted = retracts_old_card(r->service, r->reason);
    card.received_at_ms = now_ms;
    step.changes.old_cards.push_back(card);
  }
  const std::string note = retracts_old_card(r->service, r->reason)
                               ? "documents verified; old card retracted, logged for destruction"
                           : r->has_document(Document::kOldCard) ? "documents verified; old card logged for destruction"
                                                                 : "documents verified";
  if (Status s = Step::move(*r, RequestState::kDocumentsVerified, now_ms, note); !s) return s;
  if (Status s = step.notify(*r, "KTP-el request " + r->register_number + ": documents verified",
                             "Your documents are complete. Next: biometric recording and the single-identity "
                             "check (penunggalan).",
                             now_ms);
      !s) {
    return s;
  }
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

Expected<Request> RequestWorkflow::reject(const std::string& id, const std::string& reason, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (reason.empty()) return invalid_argument("a rejection needs a reason the applicant can act on");
  auto r = store_.request(id);
  if (!r) return r.error();
  Step step(store_);
  if (Status s = Step::move(*r, RequestState::kRejected, now_ms, "rejected: " + reason); !s) return s;
  if (Status s = step.notify(*r, "KTP-el request " + r->register_number + " rejected", "Reason: " + reason, now_ms);
      !s) {
    return s;
  }
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

// A person may hold one request at a time: two open requests could each carry a capture to
// print, and the second card is exactly what penunggalan is there to prevent.
Status RequestWorkflow::check_one_open_request(const Request& r) const {
  auto ids = store_.request_ids_of_nik(r.applicant.nik.str());
  if (!ids) return ids.error();
  for (const auto& other_id : *ids) {
    auto other = store_.request(other_id);
    if (!other) return other.error();
    if (other->applicant.nik != r.applicant.nik || is_terminal(other->state)) continue;
    return failed_precondition("NIK " + r.applicant.nik.str() + " already has an open request " + other->id + " (" +
                               std::string(to_string(other->state)) +
                               "); a person has one KTP-el request at a time: hand that card over or reject that "
                               "request first");
  }
  return Status::ok();
}

// One capture proves one person's identity for one card. The index names every request ever
// linked to the capture; what counts is whether it still holds it, and in which state.
Status RequestWorkflow::check_capture_free(const Request& r, const std::string& enrollment_id) const {
  auto ids = store_.request_ids_of_capture(enrollment_id);
  if (!ids) return ids.error();
  Status used = Status::ok();  // reported after any request that holds the capture now
  for (const auto& other_id : *ids) {
    if (other_id == r.id) continue;
    auto other = store_.request(other_id);
    if (!other) return other.error();
    if (other->enrollment_id != enrollment_id || other->state == RequestState::kRejected) continue;
    if (other->state == RequestState::kHandedOver) {
      // A reissue may reuse the capture behind the applicant's previous card, and nothing else may.
      if (used && !(is_reissue(r.service) && other->applicant.nik == r.applicant.nik)) {
        used = failed_precondition("capture " + enrollment_id + " was used for the card of request " + other->id +
                                   " (handed over); only a reissue for that card's NIK may link it again");
      }
      continue;
    }
    return failed_precondition("capture " + enrollment_id + " is already linked to request " + other->id + " (" +
                               std::string(to_string(other->state)) +
                               "); one capture serves one request: record this applicant's own biometrics, or "
                               "reject request " + other->id + " if the capture was linked to it by mistake");
  }
  return used;
}

Expected<Request> RequestWorkflow::record_biometrics(const std::string& id, const std::string& enrollment_id,
                                                     const VerdictLookup& verdicts, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (enrollment_id.empty()) return invalid_argument("the enrollment id of the biometric capture is missing");
  if (enrollment_id.find('\0') != std::string::npos)
    return invalid_argument("the enrollment id of the biometric capture contains a NUL character");
  auto r = store_.request(id);
  if (!r) return r.error();
  if (Status s = check_transition(r->state, RequestState::kBiometricsRecorded); !s)
    return Status(s.code(), "request " + id + ": " + s.message());
  if (Status s = check_capture_free(*r, enrollment_id); !s) return s;
  const IdentityStatus st = verdicts.status(enrollment_id);
  if (Status s = check_capture_nik(*r, enrollment_id, st); !s) return s;
  Step step(store_);
  const std::string note = "biometrics: enrollment " + enrollment_id +
                           (st.nik.empty() ? " (not at the engine yet: its NIK is checked when it arrives)" : "");
  if (Status s = Step::move(*r, RequestState::kBiometricsRecorded, now_ms, note); !s) return s;
  r->enrollment_id = enrollment_id;
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

Expected<Request> RequestWorkflow::refresh(const std::string& id, const VerdictLookup& verdicts, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  return refresh_locked(id, verdicts, now_ms);
}

Expected<Request> RequestWorkflow::refresh_locked(const std::string& id, const VerdictLookup& verdicts,
                                                  std::int64_t now_ms) {
  using S = RequestState;
  using K = IdentityStatus::Kind;
  auto r = store_.request(id);
  if (!r) return r.error();
  const S before = r->state;
  if (before != S::kBiometricsRecorded && before != S::kPenunggalanPending && before != S::kDuplicateBlocked &&
      before != S::kPrintReady) {
    return *r;  // nothing the engine's answer can change
  }
  Step step(store_);
  const IdentityStatus st = verdicts.status(r->enrollment_id);
  const std::string said = "penunggalan " + std::string(to_string(st.kind)) + (st.detail.empty() ? "" : ": " + st.detail);
  const Status nik_check = check_capture_nik(*r, r->enrollment_id, st);
  const bool wrong_nik = !nik_check;
  // A chain of moves, each checked by the state machine.
  const auto go = [&](std::initializer_list<S> path) -> Status {
    for (S to : path) {
      if (Status s = Step::move(*r, to, now_ms, said); !s) return s;
    }
    return Status::ok();
  };

  Status moved = Status::ok();
  if (r->state == S::kBiometricsRecorded) moved = go({S::kPenunggalanPending});
  if (!moved) return moved;
  switch (r->state) {
    case S::kPenunggalanPending:
      if (wrong_nik) {
        // Linked before the engine had the capture, which turns out to be someone else's: unlink
        // it before its verdict can count for this applicant.
        moved = Step::move(*r, S::kDocumentsVerified, now_ms, nik_check.message());
        r->enrollment_id.clear();
        break;
      }
      switch (st.kind) {
        case K::kPending: r->note = said; break;
        case K::kUnknown: r->note = "the engine has no record of enrollment " + r->enrollment_id + " yet"; break;
        case K::kUnique: moved = go({S::kSingleIdentityConfirmed, S::kPrintReady}); break;
        case K::kDuplicate:
        case K::kReview:
        case K::kRevoked: moved = go({S::kDuplicateBlocked}); break;
        case K::kDistinct: moved = go({S::kDuplicateBlocked, S::kAdjudicatedDistinct, S::kPrintReady}); break;
        case K::kConfirmedDuplicate: moved = go({S::kDuplicateBlocked, S::kRejected}); break;
        case K::kRejected:
          moved = go({S::kDocumentsVerified});
          r->note = said + "; record the biometrics again";
          r->enrollment_id.clear();
          break;
      }
      break;
    case S::kDuplicateBlocked:
      if (st.kind == K::kDistinct && !wrong_nik) moved = go({S::kAdjudicatedDistinct, S::kPrintReady});
      if (st.kind == K::kConfirmedDuplicate) moved = go({S::kRejected});
      break;
    case S::kPrintReady:
      // A later re-deduplication (a review case on the subject) or the subject's deletion: stop
      // the print job; an adjudicated same-person case closes the request as at first decision.
      if (st.kind == K::kConfirmedDuplicate) {
        moved = go({S::kDuplicateBlocked, S::kRejected});
      } else if (st.kind == K::kDuplicate || st.kind == K::kReview || st.kind == K::kRevoked || wrong_nik) {
        moved = go({S::kDuplicateBlocked});
        if (wrong_nik) r->note = nik_check.message();
      }
      break;
    default: break;
  }
  if (!moved) return moved;
  if (r->state == before && r->state != S::kPenunggalanPending) return *r;

  if (r->state == S::kPrintReady && before != S::kPrintReady && r->channel == Channel::kDaring) {
    if (Status s = step.issue_pin(*r, options_.pin, now_ms); !s) return s;
  }
  if (r->state == S::kRejected) {
    if (Status s = step.notify(*r, "KTP-el request " + r->register_number + " closed",
                               "Penunggalan found that you are already registered under another record; the "
                               "card cannot be printed. Contact the office.",
                               now_ms);
        !s) {
      return s;
    }
  }
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

Expected<std::vector<Request>> RequestWorkflow::refresh_all(const VerdictLookup& verdicts, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto all = store_.requests();
  if (!all) return all.error();
  std::vector<Request> changed;
  for (const auto& r : *all) {
    auto after = refresh_locked(r.id, verdicts, now_ms);
    if (!after) return after.error();
    if (after->state != r.state) changed.push_back(std::move(*after));
  }
  return changed;
}

Expected<Request> RequestWorkflow::print(const std::string& id, const VerdictLookup& verdicts,
                                         const std::optional<std::string>& pin, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto r = store_.request(id);
  if (!r) return r.error();
  if (Status s = check_transition(r->state, RequestState::kPrinted); !s) {
    // Say what the engine answers now too: the operator's next step depends on it.
    std::string engine;
    if (!r->enrollment_id.empty()) {
      const IdentityStatus st = verdicts.status(r->enrollment_id);
      engine = "; penunggalan for enrollment " + r->enrollment_id + " is " + std::string(to_string(st.kind)) +
               (st.detail.empty() ? "" : " (" + st.detail + ")");
    }
    return Status(s.code(), "printing refused for request " + id + ": " + s.message() + engine);
  }
  // The gate of the whole system: ask the engine now, not what refresh saw earlier.
  const IdentityStatus st = verdicts.status(r->enrollment_id);
  if (!allows_printing(st.kind)) {
    return Status(ErrorCode::kPermissionDenied,
                  "printing refused for request " + id + ": penunggalan for enrollment " + r->enrollment_id + " is " +
                      std::string(to_string(st.kind)) + (st.detail.empty() ? "" : " (" + st.detail + ")") +
                      "; a card prints only after UNIQUE or adjudicated DISTINCT");
  }
  // ...for a capture the engine vouches was taken for this applicant's NIK.
  if (st.nik.empty()) {
    return Status(ErrorCode::kPermissionDenied, "printing refused for request " + id + ": the engine does not say "
                                                "which NIK capture " + r->enrollment_id + " was taken for");
  }
  if (Status s = check_capture_nik(*r, r->enrollment_id, st); !s)
    return Status(ErrorCode::kPermissionDenied, "printing refused for request " + id + ": " + s.message());
  Step step(store_);
  std::string how = "printed at the office";
  if (r->channel == Channel::kDaring) {
    if (!pin) {
      return invalid_argument("request " + id + " is online (daring): it prints at the kiosk (ADM) with the PIN "
                              "sent to the applicant");
    }
    auto stored = store_.pin(id);
    if (!stored) return stored.error();
    if (!*stored) return failed_precondition("request " + id + " has no print PIN; issue one first");
    PrintPin record = **stored;
    Status redeemed = redeem_print_pin(record, *pin, now_ms, options_.pin);
    if (!redeemed) {
      if (redeemed.code() == ErrorCode::kPermissionDenied) {
        // Keep the failed attempt even though the print is refused.
        StoreChanges count;
        count.pins.push_back(record);
        if (Status s = store_.commit(count); !s) return s;
      }
      return Status(redeemed.code(), "request " + id + ": " + redeemed.message());
    }
    step.changes.pins.push_back(record);
    how = "printed at the self-service kiosk (ADM) with the one-time PIN";
  }
  if (Status s = Step::move(*r, RequestState::kPrinted, now_ms, how); !s) return s;
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

Expected<Request> RequestWorkflow::reissue_pin(const std::string& id, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto r = store_.request(id);
  if (!r) return r.error();
  if (r->channel != Channel::kDaring) return failed_precondition("request " + id + " is in person (luring): no PIN");
  if (r->state != RequestState::kPrintReady) {
    return failed_precondition("request " + id + " is " + std::string(to_string(r->state)) +
                               "; a print PIN is issued only while it is print_ready");
  }
  Step step(store_);
  if (Status s = step.issue_pin(*r, options_.pin, now_ms); !s) return s;
  r->note = "new print PIN issued";
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

Expected<Request> RequestWorkflow::hand_over(const std::string& id, const std::vector<Document>& presented,
                                             std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto r = store_.request(id);
  if (!r) return r.error();
  if (Status s = check_transition(r->state, RequestState::kHandedOver); !s) return s;
  std::vector<Document> missing;
  for (Document d : hand_over_documents(r->channel)) {
    if (std::find(presented.begin(), presented.end(), d) == presented.end()) missing.push_back(d);
  }
  if (!missing.empty()) {
    return failed_precondition("request " + id + " cannot be handed over; missing: " + describe(missing));
  }
  Step step(store_);
  if (Status s = Step::move(*r, RequestState::kHandedOver, now_ms, "handed over"); !s) return s;
  if (Status s = step.commit(*r); !s) return s;
  return *r;
}

Expected<std::vector<OverdueRequest>> RequestWorkflow::overdue(std::int64_t now_ms) const {
  auto all = store_.requests();
  if (!all) return all.error();
  std::vector<OverdueRequest> out;
  for (auto& r : *all) {
    if (!is_overdue(r, now_ms, options_.sla)) continue;
    const std::int64_t deadline = sla_deadline_ms(r, options_.sla);
    out.push_back({std::move(r), deadline, now_ms - deadline});
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.overdue_by_ms > b.overdue_by_ms; });
  return out;
}

Expected<std::vector<Notification>> RequestWorkflow::outbox() const {
  auto all = store_.notifications();
  if (!all) return all.error();
  std::erase_if(*all, [](const Notification& n) { return n.taken_at_ms != 0; });
  return all;
}

Expected<std::vector<std::string>> RequestWorkflow::request_ids_of_site(const std::string& site) const {
  auto all = store_.requests();
  if (!all) return all.error();
  std::vector<std::string> ids;
  for (const auto& r : *all) {
    if (r.site == site) ids.push_back(r.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

namespace {
bool among(const std::vector<std::string>& sorted_ids, const std::string& id) {
  return std::binary_search(sorted_ids.begin(), sorted_ids.end(), id);
}
}  // namespace

Expected<std::vector<Notification>> RequestWorkflow::take_outbox(std::int64_t now_ms,
                                                                 const std::optional<std::string>& site) {
  std::lock_guard lock(mu_);
  auto waiting = outbox();
  if (!waiting) return waiting.error();
  if (site) {
    auto own = request_ids_of_site(*site);
    if (!own) return own.error();
    std::erase_if(*waiting, [&](const Notification& n) { return !among(*own, n.request_id); });
  }
  StoreChanges changes;
  for (const auto& n : *waiting) {
    Notification taken = n;
    taken.taken_at_ms = now_ms;
    taken.secret.clear();
    changes.notifications.push_back(std::move(taken));
  }
  if (Status s = store_.commit(changes); !s) return s;
  return waiting;
}

Expected<std::vector<OldCardRecord>> RequestWorkflow::old_cards() const { return store_.old_cards(); }

Expected<std::vector<OldCardRecord>> RequestWorkflow::send_old_cards_to_dinas(std::int64_t now_ms,
                                                                            const std::optional<std::string>& site) {
  std::lock_guard lock(mu_);
  auto all = store_.old_cards();
  if (!all) return all.error();
  std::vector<std::string> own;
  if (site) {
    auto ids = request_ids_of_site(*site);
    if (!ids) return ids.error();
    own = std::move(*ids);
  }
  StoreChanges changes;
  for (auto& c : *all) {
    if (c.sent_to_dinas_at_ms != 0) continue;
    if (site && !among(own, c.request_id)) continue;
    c.sent_to_dinas_at_ms = now_ms;
    changes.old_cards.push_back(c);
  }
  if (Status s = store_.commit(changes); !s) return s;
  return changes.old_cards;
}

}  // namespace tunggal::workflow
