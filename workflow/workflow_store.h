#pragma once
// Persistence for the workflow in its own RocksDB directory, <data-dir>/workflow, separate from
// the engine's store so that either can be rebuilt or moved alone. RocksDB stays behind a pimpl.
//
// Two indexes are derived from the requests in every commit (same write batch): NIK → requests
// and biometric capture (enrollment id) → requests. Entries are only ever added; a reader checks
// the request itself (its current NIK, capture and state), so an entry left by a request that
// since released its capture is harmless. A store from before the indexes is indexed at open.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "workflow/records.h"
#include "workflow/request.h"

namespace tunggal::workflow {

// Everything one workflow step changes, written atomically (one RocksDB write batch).
struct StoreChanges {
  std::vector<Request> requests;
  std::vector<PrintPin> pins;
  std::vector<Notification> notifications;
  std::vector<OldCardRecord> old_cards;
  std::vector<std::pair<std::string, std::uint64_t>> counters;  // name → new value
};

class WorkflowStore {
 public:
  // Opens (creating if needed) <data_dir>/workflow. kLocked when another process has it open.
  static Expected<std::unique_ptr<WorkflowStore>> open(const std::string& data_dir);
  ~WorkflowStore();
  WorkflowStore(const WorkflowStore&) = delete;
  WorkflowStore& operator=(const WorkflowStore&) = delete;

  Expected<Request> request(const std::string& id) const;  // kNotFound names the id
  Expected<std::vector<Request>> requests() const;          // in id order
  Expected<std::optional<PrintPin>> pin(const std::string& request_id) const;
  Expected<std::vector<Notification>> notifications() const;  // oldest first
  Expected<std::vector<OldCardRecord>> old_cards() const;
  Expected<std::uint64_t> counter(const std::string& name) const;  // 0 when never set
  // The ids of every request ever stored for this NIK / ever linked to this capture, in id order
  // (see the indexes above: check each request's current state).
  Expected<std::vector<std::string>> request_ids_of_nik(const std::string& nik) const;
  Expected<std::vector<std::string>> request_ids_of_capture(const std::string& enrollment_id) const;

  Status commit(const StoreChanges& changes);

 private:
  struct Impl;
  explicit WorkflowStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::workflow
