#pragma once
// Where a `tunggal request …` command does its work: the workflow store of a data directory
// (offline; verdicts read from the engine's store read-only), or a `tunggal serve` over the station
// protocol (--connect; the server's workflow and its live engine). Both answer with the workflow's
// own types, so every subcommand prints the same text and --json fields either way.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "workflow/request_workflow.h"

namespace tunggal::cli {

struct RequestArgs;

class RequestDesk {
 public:
  virtual ~RequestDesk() = default;
  virtual Expected<workflow::Request> submit(const workflow::NewRequest& req) = 0;
  virtual Expected<workflow::Request> verify_documents(const std::string& id,
                                                       const std::vector<workflow::Document>& docs) = 0;
  virtual Expected<workflow::Request> record_biometrics(const std::string& id, const std::string& enrollment) = 0;
  virtual Expected<workflow::Request> refresh(const std::string& id) = 0;
  virtual Expected<std::vector<workflow::Request>> refresh_all() = 0;
  virtual Expected<workflow::Request> print(const std::string& id, const std::optional<std::string>& pin) = 0;
  virtual Expected<workflow::Request> hand_over(const std::string& id, const std::vector<workflow::Document>& docs) = 0;
  virtual Expected<workflow::Request> reissue_pin(const std::string& id) = 0;
  virtual Expected<workflow::Request> reject(const std::string& id, const std::string& reason) = 0;
  virtual Expected<workflow::Request> show(const std::string& id) = 0;
  virtual Expected<std::vector<workflow::Request>> list(const std::optional<workflow::RequestState>& state,
                                                        bool open_only) = 0;
  virtual Expected<std::vector<workflow::OverdueRequest>> overdue() = 0;
  virtual Expected<std::vector<workflow::Notification>> outbox(bool take) = 0;
  virtual Expected<std::vector<workflow::OldCardRecord>> old_cards(bool send_to_dinas) = 0;

  // refresh and print need penunggalan answers: offline that is the engine's store in the data
  // directory (kFailedPrecondition "engine store not available" without one); a server has its
  // engine. Commands check this first, so that a missing engine is exit code 3.
  virtual Status need_verdicts() = 0;
  // The request's SLA deadline (offline: computed; remote: as the server computed it).
  virtual std::int64_t deadline_ms(const workflow::Request& r) const = 0;
};

// Offline with --data-dir, or remote with --connect (and --ca/--cert/--key, or --plain with
// --site). kInvalidArgument for a wrong combination of options; kIoError when the server cannot be
// reached; kLocked when another process (e.g. `tunggal serve`) holds the data directory.
Expected<std::unique_ptr<RequestDesk>> open_request_desk(const RequestArgs& args);

}  // namespace tunggal::cli
