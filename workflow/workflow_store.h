#pragma once
// Persistence for the workflow in its own RocksDB directory, <data-dir>/workflow, separate from
// the engine's store so that either can be rebuilt or moved alone. RocksDB stays behind a pimpl.
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

  Status commit(const StoreChanges& changes);

 private:
  struct Impl;
  explicit WorkflowStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::workflow
