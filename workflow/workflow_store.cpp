#include "workflow/workflow_store.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/json_text.h"
#include "workflow/detail/record_json.h"

namespace tunggal::workflow {
namespace {

// Key layout: one prefix per record kind, so each kind is one ordered range scan.
constexpr const char* kRequestPrefix = "request/";
constexpr const char* kPinPrefix = "pin/";
constexpr const char* kOutboxPrefix = "outbox/";
constexpr const char* kOldCardPrefix = "oldcard/";
constexpr const char* kCounterPrefix = "counter/";
constexpr const char* kNikIndexPrefix = "index/nik/";
constexpr const char* kCaptureIndexPrefix = "index/capture/";
// Written once every stored request is in the indexes.
constexpr const char* kIndexVersionKey = "meta/index-version";
constexpr const char* kIndexVersion = "1";

// "<prefix><value>\0<request id>": the NUL ends the value (NIKs are digits; enrollment ids are
// refused with a NUL), so one value's entries are one range scan and never another's.
std::string index_prefix(const char* prefix, const std::string& value) {
  std::string k = prefix + value;
  k.push_back('\0');
  return k;
}

void index_request(rocksdb::WriteBatch& batch, const Request& r) {
  if (!r.applicant.nik.empty()) batch.Put(index_prefix(kNikIndexPrefix, r.applicant.nik.str()) + r.id, "");
  if (!r.enrollment_id.empty()) batch.Put(index_prefix(kCaptureIndexPrefix, r.enrollment_id) + r.id, "");
}

std::string outbox_key(std::uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%016llu", kOutboxPrefix, static_cast<unsigned long long>(id));
  return buf;
}

Status from_rocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::ok();
  if (s.IsNotFound()) return not_found(what + ": not found");
  if (s.IsCorruption()) return corruption(what + ": " + s.ToString());
  return io_error(what + ": " + s.ToString());
}

Expected<nlohmann::json> parse_json(const std::string& bytes, const std::string& key) {
  auto j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corruption("workflow record '" + key + "' is not valid JSON");
  return j;
}

}  // namespace

struct WorkflowStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::string path;

  // Decodes every record under `prefix` with `decode`, in key order.
  template <typename T, typename Decode>
  Expected<std::vector<T>> scan(const std::string& prefix, Decode decode) const {
    std::vector<T> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto j = parse_json(it->value().ToString(), it->key().ToString());
      if (!j) return j.error();
      auto v = decode(*j);
      if (!v) return v.error();
      out.push_back(std::move(*v));
    }
    if (Status s = from_rocks(it->status(), "scanning " + path); !s) return s;
    return out;
  }

  Expected<std::optional<std::string>> get(const std::string& key) const {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (Status st = from_rocks(s, "reading '" + key + "' from " + path); !st) return st;
    return std::optional<std::string>(std::move(value));
  }

  // The request ids after `prefix` in the index keys under it.
  Expected<std::vector<std::string>> ids_under(const std::string& prefix) const {
    std::vector<std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      out.push_back(it->key().ToString().substr(prefix.size()));
    }
    if (Status s = from_rocks(it->status(), "scanning " + path); !s) return s;
    return out;
  }

  // Indexes the requests of a store written before the indexes existed, once.
  Status build_indexes() {
    auto version = get(kIndexVersionKey);
    if (!version) return version.error();
    if (*version && **version == kIndexVersion) return Status::ok();
    auto all = scan<Request>(kRequestPrefix, detail::request_from_json);
    if (!all) return all.error();
    rocksdb::WriteBatch batch;
    for (const auto& r : *all) index_request(batch, r);
    batch.Put(kIndexVersionKey, kIndexVersion);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return from_rocks(db->Write(wo, &batch), "indexing the requests in " + path);
  }
};

WorkflowStore::WorkflowStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WorkflowStore::~WorkflowStore() = default;

Expected<std::unique_ptr<WorkflowStore>> WorkflowStore::open(const std::string& data_dir) {
  if (data_dir.empty()) return invalid_argument("the data directory is empty; pass --data-dir");
  const std::string path = (std::filesystem::path(data_dir) / "workflow").string();
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return io_error("cannot create " + path + ": " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  // Requests are few and small: keep the footprint small rather than fast.
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) {
    if (s.ToString().find("lock") != std::string::npos) {
      return Status(ErrorCode::kLocked, path + " is in use by another process: " + s.ToString());
    }
    return from_rocks(s, "opening " + path);
  }
  auto impl = std::make_unique<Impl>();
  impl->db.reset(raw);
  impl->path = path;
  if (Status st = impl->build_indexes(); !st) return st;
  return std::unique_ptr<WorkflowStore>(new WorkflowStore(std::move(impl)));
}

Expected<Request> WorkflowStore::request(const std::string& id) const {
  auto bytes = impl_->get(kRequestPrefix + id);
  if (!bytes) return bytes.error();
  if (!*bytes) return not_found("no request '" + id + "' in " + impl_->path);
  auto j = parse_json(**bytes, kRequestPrefix + id);
  if (!j) return j.error();
  return detail::request_from_json(*j);
}

Expected<std::vector<Request>> WorkflowStore::requests() const {
  return impl_->scan<Request>(kRequestPrefix, detail::request_from_json);
}

Expected<std::optional<PrintPin>> WorkflowStore::pin(const std::string& request_id) const {
  auto bytes = impl_->get(kPinPrefix + request_id);
  if (!bytes) return bytes.error();
  if (!*bytes) return std::optional<PrintPin>();
  auto j = parse_json(**bytes, kPinPrefix + request_id);
  if (!j) return j.error();
  auto p = detail::pin_from_json(*j);
  if (!p) return p.error();
  return std::optional<PrintPin>(std::move(*p));
}

Expected<std::vector<Notification>> WorkflowStore::notifications() const {
  return impl_->scan<Notification>(kOutboxPrefix, detail::notification_from_json);
}

Expected<std::vector<OldCardRecord>> WorkflowStore::old_cards() const {
  return impl_->scan<OldCardRecord>(kOldCardPrefix, detail::old_card_from_json);
}

Expected<std::uint64_t> WorkflowStore::counter(const std::string& name) const {
  auto bytes = impl_->get(kCounterPrefix + name);
  if (!bytes) return bytes.error();
  if (!*bytes) return std::uint64_t{0};
  try {
    return static_cast<std::uint64_t>(std::stoull(**bytes));
  } catch (const std::exception&) {
    return corruption("counter '" + name + "' holds '" + **bytes + "', not a number");
  }
}

Expected<std::vector<std::string>> WorkflowStore::request_ids_of_nik(const std::string& nik) const {
  return impl_->ids_under(index_prefix(kNikIndexPrefix, nik));
}

Expected<std::vector<std::string>> WorkflowStore::request_ids_of_capture(const std::string& enrollment_id) const {
  return impl_->ids_under(index_prefix(kCaptureIndexPrefix, enrollment_id));
}

Status WorkflowStore::commit(const StoreChanges& c) {
  rocksdb::WriteBatch batch;
  // json_text, not dump(): a field that is not UTF-8 (a name typed in a Latin-1 terminal) is kept
  // with U+FFFD in place of the bad bytes rather than throwing out of the commit.
  for (const auto& r : c.requests) {
    batch.Put(kRequestPrefix + r.id, json_text(detail::to_json(r)));
    index_request(batch, r);
  }
  for (const auto& p : c.pins) batch.Put(kPinPrefix + p.request_id, json_text(detail::to_json(p)));
  for (const auto& n : c.notifications) batch.Put(outbox_key(n.id), json_text(detail::to_json(n)));
  for (const auto& o : c.old_cards) batch.Put(kOldCardPrefix + o.request_id, json_text(detail::to_json(o)));
  for (const auto& [name, value] : c.counters) batch.Put(kCounterPrefix + name, std::to_string(value));
  rocksdb::WriteOptions wo;
  wo.sync = true;  // a request acknowledged to an applicant must survive a power cut
  return from_rocks(impl_->db->Write(wo, &batch), "writing to " + impl_->path);
}

}  // namespace tunggal::workflow
