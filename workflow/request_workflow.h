#pragma once
// The KTP-el request workflow: every step an office, the online portal or the print kiosk takes on
// a request, each checked against the state machine and the service rules and stored atomically.
// Printing is gated on the engine's penunggalan answer, asked through VerdictLookup at the moment
// of printing, never on a remembered one.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "workflow/identity_status.h"
#include "workflow/print_pin.h"
#include "workflow/records.h"
#include "workflow/request.h"
#include "workflow/sla.h"
#include "workflow/workflow_store.h"

namespace tunggal::workflow {

struct WorkflowOptions {
  PinPolicy pin;
  SlaPolicy sla;
};

struct NewRequest {
  Service service = Service::kWniNew;
  Reason reason = Reason::kNone;
  Channel channel = Channel::kLuring;
  Applicant applicant;
  std::vector<Document> documents;  // presented or uploaded with the request; more may follow
  std::string site;                 // the registering office (Request::site); empty offline
};

struct OverdueRequest {
  Request request;
  std::int64_t deadline_ms = 0;
  std::int64_t overdue_by_ms = 0;
};

class RequestWorkflow {
 public:
  explicit RequestWorkflow(WorkflowStore& store, WorkflowOptions options = {});

  // Checks the applicant's data and the service/reason pair, assigns the request id, for daring a
  // register number and a notification. Fee Rp 0. Documents are checked at verification.
  // A person has one request at a time: kFailedPrecondition naming the other request while one for
  // the same NIK is open (not yet handed over or rejected); a reissue is a new request after it.
  Expected<Request> submit(const NewRequest& req, std::int64_t now_ms);

  Expected<Request> get(const std::string& id) const;
  Expected<std::vector<Request>> list() const;

  // Adds `presented` to the request's documents and checks every requirement. When something is
  // missing the documents are still recorded, the request stays submitted, a daring applicant is
  // notified, and the answer is kFailedPrecondition listing what is missing. Old cards handed in
  // are logged for destruction (and marked retracted for a data change).
  Expected<Request> verify_documents(const std::string& id, const std::vector<Document>& presented,
                                     std::int64_t now_ms);

  // An operator closes the request (ineligible, forged documents, withdrawn). Not after printing.
  Expected<Request> reject(const std::string& id, const std::string& reason, std::int64_t now_ms);

  // Links the biometric capture (the enrollment submitted to the engine) to the request; a
  // reissue may link the applicant's earlier enrollment instead of recording again. One capture
  // proves one person's identity for one card, so this is refused (kFailedPrecondition, naming
  // why) when the engine holds the capture under another NIK, or another request holds it: one
  // not rejected and not handed over, or a handed-over one unless this is a reissue for the same
  // NIK. A capture the engine does not hold yet (still on its way from the station) is linked;
  // refresh checks its NIK before applying any verdict, and print checks it again.
  Expected<Request> record_biometrics(const std::string& id, const std::string& enrollment_id,
                                      const VerdictLookup& verdicts, std::int64_t now_ms);

  // Applies the engine's current answer: pending stays; UNIQUE → print_ready; DUPLICATE/REVIEW/
  // REVOKED → duplicate_blocked (also from print_ready: re-deduplication or deletion after the
  // verdict); DISTINCT → adjudicated_distinct → print_ready; CONFIRMED_DUPLICATE → rejected;
  // REJECTED → back to documents_verified to record again. A capture the engine holds under
  // another NIK than the applicant's is unlinked (documents_verified) before any verdict counts.
  // A daring request reaching print_ready gets a print PIN in the outbox.
  Expected<Request> refresh(const std::string& id, const VerdictLookup& verdicts, std::int64_t now_ms);
  // refresh() for every open request waiting on the engine; the requests that changed state.
  Expected<std::vector<Request>> refresh_all(const VerdictLookup& verdicts, std::int64_t now_ms);

  // Prints the card. Refused (kPermissionDenied) unless the engine answers UNIQUE or DISTINCT
  // now for a capture taken for the applicant's NIK; kFailedPrecondition unless print_ready. A
  // daring request prints at the kiosk with its PIN.
  Expected<Request> print(const std::string& id, const VerdictLookup& verdicts,
                          const std::optional<std::string>& pin, std::int64_t now_ms);

  // A new PIN (after expiry or lock-out), replacing the old one, sent through the outbox.
  Expected<Request> reissue_pin(const std::string& id, std::int64_t now_ms);

  // Hands the printed card over; daring applicants show their registration proof.
  Expected<Request> hand_over(const std::string& id, const std::vector<Document>& presented, std::int64_t now_ms);

  // Open requests past their SLA deadline, most overdue first.
  Expected<std::vector<OverdueRequest>> overdue(std::int64_t now_ms) const;

  // Messages waiting for the messaging integration.
  Expected<std::vector<Notification>> outbox() const;
  // Hands the waiting messages over (with their PINs) and marks them taken; the PINs are erased
  // from the store, so a message's secret can be read exactly once.
  // With `site`, only the messages of that office's requests.
  Expected<std::vector<Notification>> take_outbox(std::int64_t now_ms,
                                                  const std::optional<std::string>& site = std::nullopt);

  Expected<std::vector<OldCardRecord>> old_cards() const;
  // Marks every old card still at the office as sent to the Dinas; returns those.
  // With `site`, only the cards handed in at that office.
  Expected<std::vector<OldCardRecord>> send_old_cards_to_dinas(std::int64_t now_ms,
                                                               const std::optional<std::string>& site = std::nullopt);

  // The ids of the requests registered by `site` (to narrow outbox, old-card and overdue lists).
  Expected<std::vector<std::string>> request_ids_of_site(const std::string& site) const;

  const WorkflowOptions& options() const { return options_; }

 private:
  class Step;
  Status check_one_open_request(const Request& r) const;
  Status check_capture_free(const Request& r, const std::string& enrollment_id) const;
  Expected<Request> refresh_locked(const std::string& id, const VerdictLookup& verdicts, std::int64_t now_ms);

  WorkflowStore& store_;
  WorkflowOptions options_;
  mutable std::mutex mu_;  // steps are read-modify-write; one at a time
};

}  // namespace tunggal::workflow
