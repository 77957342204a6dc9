#include "engine/store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <thread>
#include <mutex>
#include <unordered_map>
#include <variant>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "engine/detail/record_codec.h"
#include "engine/detail/writer_lock.h"

namespace tunggal::engine {
namespace {

namespace fs = std::filesystem;
using detail::u64_key;

// Column families, in the order they are opened (RocksDB's "default" is unused but always exists).
enum Cf : int { kDefault, kSubjects, kTemplates, kFaces, kEnrollments, kQueue, kVerdicts, kAudit, kChanges, kMeta, kCfCount };
constexpr std::array<const char*, kCfCount> kCfNames = {"default",  "subjects", "templates", "faces", "enrollments",
                                                        "queue",    "verdicts", "audit",     "changes", "meta"};

// Meta keys. The caller's keys (put_meta/meta) live under "user/" so they can never overwrite ours.
constexpr const char* kFormatKey = "format_version";
constexpr const char* kFaceDimKey = "gallery.face_dimension";
constexpr const char* kShardsKey = "gallery.shard_count";
constexpr const char* kSubjectsKey = "count.active_subjects";
constexpr const char* kPendingKey = "count.pending_jobs";
constexpr const char* kMaxSubjectKey = "max.subject_id";
constexpr const char* kAuditSeqKey = "seq.audit";
constexpr const char* kChangeSeqKey = "seq.change";
constexpr const char* kQueueSeqKey = "seq.queue";
// The verdict log (see Store::for_each_verdict_log): "vlog/" + big-endian seq -> enrollment id, in
// meta so that stores written before it need no new column family; its counter is absent (0) there.
constexpr const char* kVerdictSeqKey = "seq.verdict";
constexpr const char* kVerdictLogPrefix = "vlog/";
std::string verdict_log_key(std::uint64_t seq) { return kVerdictLogPrefix + u64_key(seq); }
std::string user_meta_key(std::string_view k) { return "user/" + std::string(k); }
// Which enrollments an admin confirmed as a subject's duplicates (a deletion strips them too):
// "dup_of/" + big-endian subject id + enrollment id -> "", written with the verdict. In meta, like
// the verdict log, so that older stores need no new column family. "dup_of.through" is the verdict
// log seq up to which every such verdict is indexed, written by every commit: absent in a store
// from before the index, behind seq.verdict when a build without it has recorded verdicts since.
// A writable open brings it level (Impl::index_confirmed_duplicates).
constexpr const char* kDupOfPrefix = "dup_of/";
constexpr const char* kDupOfThroughKey = "dup_of.through";
std::string dup_of_prefix(SubjectId s) { return kDupOfPrefix + u64_key(s.value); }
std::string dup_of_key(SubjectId s, const EnrollmentId& e) { return dup_of_prefix(s) + e.value; }
bool is_confirmed_duplicate(const Verdict& v) {
  return v.decision == Decision::kConfirmedDuplicate && v.linked_subject.valid();
}

// Converts a RocksDB status into ours, with what we were doing and where.
Status from_rocks(const rocksdb::Status& s, std::string_view doing, const fs::path& dir) {
  if (s.ok()) return Status::ok();
  if (s.IsCorruption()) {
    return corruption(fmt::format("{} in data directory {}: {}; the store is damaged: restore it from a "
                                  "checkpoint or backup",
                                  doing, dir.string(), s.ToString()));
  }
  if (s.IsIOError()) {
    const std::string text = s.ToString();
    if (text.find("lock") != std::string::npos || text.find("LOCK") != std::string::npos) {
      return {ErrorCode::kLocked,
              fmt::format("data directory {} is in use by another tunggal process or store (its LOCK file "
                          "is held: {}); stop it or choose another --data-dir",
                          dir.string(), text)};
    }
    return io_error(fmt::format("{} in data directory {}: {}", doing, dir.string(), text));
  }
  if (s.IsInvalidArgument() || s.IsNotSupported()) {
    return {ErrorCode::kIncompatible, fmt::format("{} in data directory {}: {}", doing, dir.string(), s.ToString())};
  }
  return {ErrorCode::kInternal, fmt::format("{} in data directory {}: {}", doing, dir.string(), s.ToString())};
}

// While opening a directory that has a CURRENT file, a missing file means files were lost: damage,
// not an I/O problem to retry.
Status damaged_if_missing(const rocksdb::Status& s, std::string_view doing, const fs::path& dir) {
  if (s.IsIOError() && s.IsPathNotFound()) {
    return corruption(fmt::format("{} in data directory {}: a file of the store is missing ({}); the store is "
                                  "damaged: restore it from a checkpoint or backup",
                                  doing, dir.string(), s.ToString()));
  }
  return from_rocks(s, doing, dir);
}

Expected<std::uint64_t> parse_number(const std::string& text, std::string_view key) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return corruption(fmt::format("meta value '{}' of {} is not a number", text, key));
  }
  return v;
}

rocksdb::CompressionType best_compression() {
  const auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

}  // namespace

// ---- batch -------------------------------------------------------------------------------------

namespace {
struct PutSubjectOp { StoredSubject subject; };
struct RevokeOp { SubjectId id; std::string reason; std::int64_t at_ms; };
struct StripEnrollmentOp { EnrollmentId id; };
struct EnqueueOp { Enrollment enrollment; std::int64_t received_at_ms; };
struct VerdictOp { Verdict verdict; };
struct AuditOp { AuditEntry entry; };
struct MetaOp { std::string key, value; };
using Op = std::variant<PutSubjectOp, RevokeOp, StripEnrollmentOp, EnqueueOp, VerdictOp, AuditOp, MetaOp>;
}  // namespace

struct Store::Batch::Ops {
  std::vector<Op> ops;
};

Store::Batch::Batch() : ops_(std::make_unique<Ops>()) {}
Store::Batch::~Batch() = default;
Store::Batch::Batch(Batch&&) noexcept = default;
Store::Batch& Store::Batch::operator=(Batch&&) noexcept = default;

namespace {
// A moved-from batch is empty and usable again.
std::vector<Op>& ops_of(std::unique_ptr<Store::Batch::Ops>& ops);
}  // namespace

void Store::Batch::put_subject(const StoredSubject& s) { ops_of(ops_).emplace_back(PutSubjectOp{s}); }
void Store::Batch::put_subject(StoredSubject&& s) { ops_of(ops_).emplace_back(PutSubjectOp{std::move(s)}); }
void Store::Batch::revoke_subject(SubjectId id, std::string reason, std::int64_t at_ms) {
  ops_of(ops_).emplace_back(RevokeOp{id, std::move(reason), at_ms});
}
void Store::Batch::strip_enrollment_biometrics(const EnrollmentId& id) {
  ops_of(ops_).emplace_back(StripEnrollmentOp{id});
}
void Store::Batch::enqueue(const Enrollment& e, std::int64_t received_at_ms) {
  ops_of(ops_).emplace_back(EnqueueOp{e, received_at_ms});
}
void Store::Batch::record_verdict(const Verdict& v) { ops_of(ops_).emplace_back(VerdictOp{v}); }
void Store::Batch::append_audit(AuditEntry entry) { ops_of(ops_).emplace_back(AuditOp{std::move(entry)}); }
void Store::Batch::put_meta(std::string key, std::string value) {
  ops_of(ops_).emplace_back(MetaOp{std::move(key), std::move(value)});
}
namespace {
std::vector<Op>& ops_of(std::unique_ptr<Store::Batch::Ops>& ops) {
  if (!ops) ops = std::make_unique<Store::Batch::Ops>();
  return ops->ops;
}
}  // namespace
bool Store::Batch::empty() const { return !ops_ || ops_->ops.empty(); }
std::size_t Store::Batch::size() const { return ops_ ? ops_->ops.size() : 0; }

// ---- impl --------------------------------------------------------------------------------------

struct Counters {
  std::uint64_t subjects = 0, pending = 0, max_subject = 0, audit_seq = 0, change_seq = 0, queue_seq = 0;
  std::uint64_t verdict_seq = 0;
};

struct Store::Impl {
  detail::WriterLock writer_lock;  // first member: released after the database has closed
  fs::path path;
  bool read_only = false;
  GalleryConfig gallery;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;  // indexed by Cf
  std::shared_ptr<rocksdb::Cache> cache;

  std::mutex commit_mu;  // one commit at a time: counters and read-modify-write checks
  std::atomic<std::uint64_t> subjects{0}, pending{0}, max_subject{0}, audit_seq{0}, change_seq{0}, queue_seq{0};
  std::atomic<std::uint64_t> verdict_seq{0};
  bool dup_of_indexed = false;  // every confirmed duplicate has its "dup_of/" key (set at open)

  ~Impl() {
    if (!db) return;
    for (auto* h : cf) {
      if (h) db->DestroyColumnFamilyHandle(h);
    }
    db->Close();
  }

  rocksdb::ColumnFamilyHandle* h(Cf c) const { return cf[static_cast<std::size_t>(c)]; }
  Status rocks(const rocksdb::Status& s, std::string_view doing) const { return from_rocks(s, doing, path); }

  // Get; nullopt when absent.
  Expected<std::optional<std::string>> get(Cf c, const rocksdb::Slice& key,
                                           const rocksdb::ReadOptions& ro = {}) const {
    std::string value;
    const auto s = db->Get(ro, h(c), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>{};
    if (!s.ok()) return rocks(s, fmt::format("reading {}", kCfNames[static_cast<std::size_t>(c)]));
    return std::optional<std::string>{std::move(value)};
  }

  Counters load_counters_snapshot() const {
    return {subjects.load(), pending.load(),    max_subject.load(), audit_seq.load(),
            change_seq.load(), queue_seq.load(), verdict_seq.load()};
  }
  void publish(const Counters& c) {
    subjects = c.subjects, pending = c.pending, max_subject = c.max_subject;
    audit_seq = c.audit_seq, change_seq = c.change_seq, queue_seq = c.queue_seq;
    verdict_seq = c.verdict_seq;
  }
  static void write_counters(rocksdb::WriteBatch& wb, rocksdb::ColumnFamilyHandle* meta, const Counters& c) {
    wb.Put(meta, kSubjectsKey, std::to_string(c.subjects));
    wb.Put(meta, kPendingKey, std::to_string(c.pending));
    wb.Put(meta, kMaxSubjectKey, std::to_string(c.max_subject));
    wb.Put(meta, kAuditSeqKey, std::to_string(c.audit_seq));
    wb.Put(meta, kChangeSeqKey, std::to_string(c.change_seq));
    wb.Put(meta, kQueueSeqKey, std::to_string(c.queue_seq));
    wb.Put(meta, kVerdictSeqKey, std::to_string(c.verdict_seq));
  }
  Status read_counters() {
    Counters c;
    const std::pair<const char*, std::uint64_t*> fields[] = {
        {kSubjectsKey, &c.subjects},    {kPendingKey, &c.pending},       {kMaxSubjectKey, &c.max_subject},
        {kAuditSeqKey, &c.audit_seq},   {kChangeSeqKey, &c.change_seq}, {kQueueSeqKey, &c.queue_seq}};
    for (auto [key, out] : fields) {
      auto v = get(kMeta, key);
      if (!v) return v.error();
      if (!*v) return corruption(fmt::format("data directory {}: meta counter {} is missing", path.string(), key));
      auto n = parse_number(**v, key);
      if (!n) return n.error();
      *out = *n;
    }
    // Optional: stores from before the verdict log have none (their log starts empty).
    auto vs = get(kMeta, kVerdictSeqKey);
    if (!vs) return vs.error();
    if (*vs) {
      auto n = parse_number(**vs, kVerdictSeqKey);
      if (!n) return n.error();
      c.verdict_seq = *n;
    }
    publish(c);
    return Status::ok();
  }

  Expected<std::optional<StoredSubject>> load(SubjectId id, const rocksdb::ReadOptions& ro) const;
  Status index_confirmed_duplicates();
};

namespace {

rocksdb::ColumnFamilyOptions cf_options(Cf c, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.block_size = 16 * 1024;
  // Point lookups (does this subject/enrollment exist?) dominate commits: bloom filters make the
  // common "absent" answer skip table files.
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
  t.format_version = 5;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = best_compression();
  switch (c) {
    case kTemplates:
      // The bulk of the bytes (≈2.6 KB per subject). Packed minutiae are near-random bytes: LZ4
      // saved 0.03% of disk on generated subjects (docs/store.md), not worth compaction CPU on a
      // machine whose cores belong to the matcher.
      o.compression = rocksdb::kNoCompression;
      o.write_buffer_size = 64u << 20;
      o.max_write_buffer_number = 3;
      o.target_file_size_base = 64u << 20;
      break;
    case kFaces:
      // float32 noise does not compress; don't pay for trying.
      o.compression = rocksdb::kNoCompression;
      o.write_buffer_size = 64u << 20;
      o.max_write_buffer_number = 3;
      o.target_file_size_base = 64u << 20;
      break;
    case kEnrollments:
      o.write_buffer_size = 32u << 20;
      break;
    default:
      o.write_buffer_size = 8u << 20;
      break;
  }
  return o;
}

rocksdb::DBOptions db_options(bool create) {
  rocksdb::DBOptions o;
  o.create_if_missing = create;
  o.create_missing_column_families = create;
  o.IncreaseParallelism(2);
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1u << 20;
  o.keep_log_file_num = 5;
  // A WAL is kept until every family has flushed what it covers; the tiny, always-written meta family
  // would otherwise pin up to ~2 GB of WAL (4x the memtable budget), all replayed at the next open
  // after a crash. 256 MB bounds that replay.
  o.max_total_wal_size = 256u << 20;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  return o;
}

bool has_entries(const fs::path& dir) {
  std::error_code ec;
  return fs::directory_iterator(dir, ec) != fs::directory_iterator();
}

Status check_gallery(const GalleryConfig& g) {
  if (g.face_dimension < 1 || g.face_dimension > 4096) {
    return invalid_argument(fmt::format("gallery face dimension {} must be 1–4096", g.face_dimension));
  }
  if (g.shard_count < 1 || g.shard_count > 4096) {
    return invalid_argument(fmt::format("gallery shard count {} must be 1–4096", g.shard_count));
  }
  return Status::ok();
}

}  // namespace

// ---- open --------------------------------------------------------------------------------------

namespace {

// Creates a complete, empty store at `dir` (absent or an empty directory) atomically: built in a
// sibling directory and renamed into place, so a crash during creation leaves either nothing or a
// whole store, never a database without its format version.
Status create_store(const fs::path& dir, const GalleryConfig& gallery, const std::shared_ptr<rocksdb::Cache>& cache) {
  std::error_code ec;
  const fs::path tmp = dir.parent_path() / (dir.filename().string() + ".creating-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  if (!dir.parent_path().empty()) fs::create_directories(dir.parent_path(), ec);
  if (ec) return io_error(fmt::format("cannot create the parent of data directory {}: {}", dir.string(), ec.message()));
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (int c = 0; c < kCfCount; ++c) descs.emplace_back(kCfNames[static_cast<std::size_t>(c)], cf_options(static_cast<Cf>(c), cache));
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    if (auto s = rocksdb::DB::Open(db_options(true), tmp.string(), descs, &handles, &raw); !s.ok()) {
      return from_rocks(s, "creating the store", tmp);
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteBatch wb;
    auto* meta = handles[kMeta];
    wb.Put(meta, kFormatKey, std::to_string(Store::kFormatVersion));
    wb.Put(meta, kFaceDimKey, std::to_string(gallery.face_dimension));
    wb.Put(meta, kShardsKey, std::to_string(gallery.shard_count));
    wb.Put(meta, kDupOfThroughKey, "0");  // nothing to backfill in a new store
    Store::Impl::write_counters(wb, meta, Counters{});
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto ws = db->Write(wo, &wb);
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    auto cs = db->Close();
    if (!ws.ok()) return from_rocks(ws, "initialising the store", tmp);
    if (!cs.ok()) return from_rocks(cs, "closing the new store", tmp);
  }
  fs::rename(tmp, dir, ec);  // replaces an empty directory
  if (ec) {
    fs::remove_all(tmp);
    return io_error(fmt::format("cannot move the new store into {}: {}", dir.string(), ec.message()));
  }
  // Make the rename itself durable.
  if (int fd = ::open(dir.parent_path().empty() ? "." : dir.parent_path().c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return Status::ok();
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Expected<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  fs::path dir = options.path;
  if (dir.empty()) return invalid_argument("store path is empty; pass --data-dir");
  if (!dir.has_filename()) dir = dir.parent_path();  // "/srv/store/" names /srv/store
  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  if (exists && !fs::is_directory(dir, ec)) {
    return failed_precondition(fmt::format("data directory {} is a file, not a directory; choose another --data-dir",
                                           dir.string()));
  }
  const bool is_db = exists && fs::exists(dir / "CURRENT", ec);
  if (exists && !is_db && has_entries(dir)) {
    return failed_precondition(fmt::format(
        "{} is not a tunggal store: it holds files but no database; choose an empty or new --data-dir",
        dir.string()));
  }
  const bool create = !is_db;
  if (create && (options.read_only || !options.create_if_missing)) {
    return not_found(fmt::format("no tunggal store in {}; create one first (open it with create_if_missing)",
                                 dir.string()));
  }
  if (create && !options.gallery) {
    return invalid_argument(fmt::format(
        "creating a new store in {} needs a gallery config (face dimension, shard count)", dir.string()));
  }
  if (options.gallery) {
    if (Status s = check_gallery(*options.gallery); !s) return s;
  }
  auto impl = std::make_unique<Impl>();
  impl->path = dir;
  impl->read_only = options.read_only;
  impl->cache = rocksdb::NewLRUCache(std::max<std::size_t>(options.block_cache_bytes, 1u << 20));
  if (create) {
    if (Status s = create_store(dir, *options.gallery, impl->cache); !s) return s;
  }

  if (!options.read_only) {
    auto lock = detail::WriterLock::acquire(dir);
    if (!lock) return lock.error();
    impl->writer_lock = std::move(*lock);
  }

  // Which column families does the directory hold? RocksDB must open all of them.
  std::vector<std::string> existing;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  // A read-only open beside a live writer can find that a WAL or MANIFEST it listed has just been
  // replaced by the writer; that is a race to retry, not damage. Without a live writer, or after
  // the retries, a missing file is reported as damage.
  for (int attempt = 0;; ++attempt) {
    const bool may_retry = options.read_only && attempt < 5 && detail::WriterLock::held_by_other(dir);
    existing.clear();
    const auto ls = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &existing);
    if (!ls.ok()) {
      if (may_retry && (ls.IsPathNotFound() || ls.IsCorruption())) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
        continue;
      }
      return damaged_if_missing(ls, "listing column families", dir);
    }
    if (std::find(existing.begin(), existing.end(), "meta") == existing.end()) {
      return failed_precondition(fmt::format(
          "{} is not a tunggal store: it is a RocksDB database without tunggal's column families; choose "
          "another --data-dir",
          dir.string()));
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& name : existing) {
      const auto it = std::find(kCfNames.begin(), kCfNames.end(), name);
      const Cf c = it == kCfNames.end() ? kDefault : static_cast<Cf>(it - kCfNames.begin());
      descs.emplace_back(name, cf_options(c, impl->cache));
    }
    const auto dbo = db_options(false);
    handles.clear();
    const auto s = options.read_only ? rocksdb::DB::OpenForReadOnly(dbo, dir.string(), descs, &handles, &raw)
                                     : rocksdb::DB::Open(dbo, dir.string(), descs, &handles, &raw);
    if (s.ok()) break;
    if (may_retry && (s.IsPathNotFound() || s.IsCorruption())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
      continue;
    }
    return damaged_if_missing(s, "opening the store", dir);
  }
  impl->db.reset(raw);
  impl->cf.assign(kCfCount, nullptr);
  for (std::size_t i = 0; i < handles.size(); ++i) {
    const auto it = std::find(kCfNames.begin(), kCfNames.end(), existing[i]);
    if (it == kCfNames.end()) {
      raw->DestroyColumnFamilyHandle(handles[i]);  // a family a newer build added; the version check decides
      continue;
    }
    impl->cf[static_cast<std::size_t>(it - kCfNames.begin())] = handles[i];
  }

  // An existing store: format version first (it decides how to read everything else).
  auto version = impl->get(kMeta, kFormatKey);
  if (!version) return version.error();
  if (!*version) {
    return failed_precondition(fmt::format(
        "{} is not a tunggal store (no format version in its meta column family); choose another --data-dir",
        dir.string()));
  }
  auto v = parse_number(**version, kFormatKey);
  if (!v) return v.error();
  if (*v != static_cast<std::uint64_t>(kFormatVersion)) {
    return Status{ErrorCode::kIncompatible,
                  fmt::format("data directory {} was written in store format {}; this build reads format {}. "
                              "Use the tunggal release that wrote it, or migrate the data",
                              dir.string(), *v, kFormatVersion)};
  }
  for (int c = 1; c < kCfCount; ++c) {
    if (!impl->cf[static_cast<std::size_t>(c)]) {
      return corruption(fmt::format("data directory {} lacks the '{}' column family of store format {}",
                                    dir.string(), kCfNames[static_cast<std::size_t>(c)], kFormatVersion));
    }
  }
  GalleryConfig stored;
  for (auto [key, out] : {std::pair{kFaceDimKey, &stored.face_dimension}, std::pair{kShardsKey, &stored.shard_count}}) {
    auto g = impl->get(kMeta, key);
    if (!g) return g.error();
    if (!*g) return corruption(fmt::format("data directory {}: meta {} is missing", dir.string(), key));
    auto n = parse_number(**g, key);
    if (!n) return n.error();
    *out = static_cast<int>(*n);
  }
  if (options.gallery && !(*options.gallery == stored)) {
    return invalid_argument(fmt::format(
        "data directory {} holds a gallery with face dimension {} and {} shards, but {} and {} were asked "
        "for; the gallery config is fixed when a store is created",
        dir.string(), stored.face_dimension, stored.shard_count, options.gallery->face_dimension,
        options.gallery->shard_count));
  }
  impl->gallery = stored;
  if (Status cs = impl->read_counters(); !cs) return cs;
  if (Status ds = impl->index_confirmed_duplicates(); !ds) return ds;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const GalleryConfig& Store::gallery_config() const { return impl_->gallery; }
const std::filesystem::path& Store::path() const { return impl_->path; }
Store::Batch Store::batch() const { return Batch{}; }

// ---- commit ------------------------------------------------------------------------------------

namespace {

// The state a commit builds on: what is stored, overlaid by what earlier operations of the same
// batch did (a batch may enqueue a job and decide it, or put and revoke a subject).
class CommitView {
 public:
  explicit CommitView(const Store::Impl& impl) : impl_(impl) {}

  Expected<std::optional<SubjectRecord>> subject(SubjectId id) {
    if (auto it = subjects_.find(id.value); it != subjects_.end()) return it->second;
    auto raw = impl_.get(kSubjects, u64_key(id.value));
    if (!raw) return raw.error();
    if (!*raw) return std::optional<SubjectRecord>{};
    auto rec = detail::decode_subject(**raw);
    if (!rec) return rec.error();
    return std::optional<SubjectRecord>{std::move(*rec)};
  }
  void set_subject(const SubjectRecord& r) { subjects_[r.id.value] = r; }

  // The encoded enrollment record, or nullopt.
  Expected<std::optional<std::string>> job(const std::string& id) {
    if (auto it = jobs_.find(id); it != jobs_.end()) return it->second;
    return impl_.get(kEnrollments, id);
  }
  void set_job(const std::string& id, std::string encoded) { jobs_[id] = std::move(encoded); }

 private:
  const Store::Impl& impl_;
  std::unordered_map<std::uint64_t, std::optional<SubjectRecord>> subjects_;
  std::unordered_map<std::string, std::optional<std::string>> jobs_;
};

}  // namespace

namespace {

// Applies a batch's operations to one rocksdb::WriteBatch plus the counters that go with it.
class Committer {
 public:
  explicit Committer(Store::Impl& im, Counters c) : im_(im), c_(c), view_(im) {}

  Status apply(const PutSubjectOp& o) {
    const StoredSubject& s = o.subject;
    const SubjectId id = s.record.id;
    if (!id.valid()) return invalid_argument("put_subject: subject id 0 is not valid");
    bool seen[kFingerCount + 1] = {};
    for (const auto& f : s.fingers) {
      const auto p = static_cast<unsigned>(f.position);
      if (p > kFingerCount) {
        return invalid_argument(fmt::format("subject {}: finger position code {} is not 0–10", id.value, p));
      }
      if (seen[p]) return invalid_argument(fmt::format("subject {}: {} appears twice", id.value, finger_name(f.position)));
      seen[p] = true;
    }
    if (s.face && s.face->dimension() != im_.gallery.face_dimension) {
      return invalid_argument(fmt::format("subject {}: face has {} dimensions; this gallery stores {}", id.value,
                                          s.face->dimension(), im_.gallery.face_dimension));
    }
    auto prev = view_.subject(id);
    if (!prev) return prev.error();
    if (!*prev || (*prev)->state != SubjectState::kActive) ++c_.subjects;
    c_.max_subject = std::max(c_.max_subject, id.value);
    // A replacement may have fewer fingers than before: clear first (later writes in the same
    // WriteBatch win).
    if (*prev) delete_biometrics(id);
    for (const auto& f : s.fingers) {
      put(kTemplates, detail::template_key(id, f.position), [&](std::string& v) { detail::encode(f, v); });
    }
    if (s.face) put(kFaces, u64_key(id.value), [&](std::string& v) { detail::encode(*s.face, v); });
    put(kSubjects, u64_key(id.value), [&](std::string& v) { detail::encode(s.record, v); });
    view_.set_subject(s.record);
    log_change(id, true);
    return Status::ok();
  }

  Status apply(const RevokeOp& o) {
    auto prev = view_.subject(o.id);
    if (!prev) return prev.error();
    if (!*prev) return not_found(fmt::format("cannot revoke subject {}: no such subject", o.id.value));
    SubjectRecord r = **prev;
    if (r.state == SubjectState::kRevoked) {
      return failed_precondition(
          fmt::format("subject {} is already revoked (\"{}\")", o.id.value, r.revoked_reason));
    }
    r.state = SubjectState::kRevoked;
    r.revoked_reason = o.reason;
    r.revoked_at_ms = o.at_ms;
    --c_.subjects;
    delete_biometrics(o.id);
    // The enrollment that created the subject holds the same fingers and face: deleting a person
    // from the gallery but not from there would leave their biometrics in the store.
    if (Status s = strip(r.enrollment); !s) return s;
    put(kSubjects, u64_key(o.id.value), [&](std::string& v) { detail::encode(r, v); });
    view_.set_subject(r);
    log_change(o.id, false);
    return Status::ok();
  }

  Status apply(const StripEnrollmentOp& o) { return strip(o.id); }

  // Rewrites a job record without its fingers, finger images and face. Kept: the job header
  // (state, received time, queue seq), id, site, NIK and capture time, which `admin show
  // enrollment`, the workflow's verdict lookup (is it received?) and the resubmission check read.
  // Nothing to strip (no such job, or already stripped) is not an error.
  Status strip(const EnrollmentId& id) {
    if (id.empty()) return Status::ok();
    auto job = view_.job(id.value);
    if (!job) return job.error();
    if (!*job) return Status::ok();
    auto rec = detail::decode_enrollment_record(**job);
    if (!rec) return rec.error();
    Enrollment& e = rec->enrollment;
    if (e.fingers.empty() && e.finger_images.empty() && !e.face) return Status::ok();
    e.fingers.clear();
    e.finger_images.clear();
    e.face.reset();
    std::string encoded;
    detail::encode(*rec, encoded);
    wb_.Put(im_.h(kEnrollments), id.value, encoded);
    view_.set_job(id.value, std::move(encoded));
    return Status::ok();
  }

  Status apply(const EnqueueOp& o) {
    const std::string& id = o.enrollment.id.value;
    if (id.empty()) return invalid_argument("enqueue: enrollment id is empty");
    for (const auto& f : o.enrollment.fingers) {
      if (static_cast<unsigned>(f.position) > kFingerCount) {
        return invalid_argument(fmt::format("enrollment {}: finger position code {} is not 0–10", id,
                                            static_cast<unsigned>(f.position)));
      }
    }
    if (o.enrollment.face && o.enrollment.face->dimension() != im_.gallery.face_dimension) {
      return invalid_argument(fmt::format("enrollment {}: face has {} dimensions; this gallery stores {}", id,
                                          o.enrollment.face->dimension(), im_.gallery.face_dimension));
    }
    auto prev = view_.job(id);
    if (!prev) return prev.error();
    if (*prev) {
      return {ErrorCode::kAlreadyExists,
              fmt::format("enrollment {} was already received; its verdict answers a resubmission", id)};
    }
    const detail::JobHeader h{JobState::kPending, o.received_at_ms, ++c_.queue_seq};
    std::string rec;
    detail::encode_job(h, o.enrollment, rec);
    wb_.Put(im_.h(kEnrollments), id, rec);
    wb_.Put(im_.h(kQueue), u64_key(h.queue_seq), id);
    view_.set_job(id, std::move(rec));
    ++c_.pending;
    return Status::ok();
  }

  Status apply(const VerdictOp& o) {
    const std::string& id = o.verdict.enrollment.value;
    if (id.empty()) return invalid_argument("record_verdict: the verdict's enrollment id is empty");
    put(kVerdicts, id, [&](std::string& v) { detail::encode(o.verdict, v); });
    if (is_confirmed_duplicate(o.verdict)) wb_.Put(im_.h(kMeta), dup_of_key(o.verdict.linked_subject, o.verdict.enrollment), "");
    // Every recorded verdict (a decision, or its update by adjudication) gets the next log seq in
    // the same WriteBatch: readers of the log never miss one, across restarts.
    wb_.Put(im_.h(kMeta), verdict_log_key(++c_.verdict_seq), id);
    auto job = view_.job(id);
    if (!job) return job.error();
    if (!*job) return Status::ok();  // a verdict without a stored job (e.g. rejected at the door)
    auto h = detail::decode_job_header(**job);
    if (!h) return h.error();
    if (h->state == JobState::kDecided) return Status::ok();  // e.g. adjudication updating the verdict
    auto decided = detail::with_job_state(**job, JobState::kDecided);
    if (!decided) return decided.error();
    wb_.Put(im_.h(kEnrollments), id, *decided);
    wb_.Delete(im_.h(kQueue), u64_key(h->queue_seq));
    view_.set_job(id, std::move(*decided));
    --c_.pending;
    return Status::ok();
  }

  Status apply(const AuditOp& o) {
    AuditEntry a = o.entry;
    a.seq = ++c_.audit_seq;
    put(kAudit, u64_key(a.seq), [&](std::string& v) { detail::encode(a, v); });
    return Status::ok();
  }

  Status apply(const MetaOp& o) {
    if (o.key.empty()) return invalid_argument("put_meta: key is empty");
    wb_.Put(im_.h(kMeta), user_meta_key(o.key), o.value);
    return Status::ok();
  }

  rocksdb::WriteBatch& finish() {
    Store::Impl::write_counters(wb_, im_.h(kMeta), c_);
    wb_.Put(im_.h(kMeta), kDupOfThroughKey, std::to_string(c_.verdict_seq));
    return wb_;
  }
  const Counters& counters() const { return c_; }

 private:
  template <typename Encode>
  void put(Cf cf, const std::string& key, Encode&& encode) {
    value_.clear();
    encode(value_);
    wb_.Put(im_.h(cf), key, value_);
  }
  void delete_biometrics(SubjectId id) {
    for (int p = 0; p <= kFingerCount; ++p) {
      wb_.Delete(im_.h(kTemplates), detail::template_key(id, static_cast<FingerPosition>(p)));
    }
    wb_.Delete(im_.h(kFaces), u64_key(id.value));
  }
  void log_change(SubjectId id, bool added) {
    const ChangeEntry e{++c_.change_seq, id, added};
    put(kChanges, u64_key(e.seq), [&](std::string& v) { detail::encode(e, v); });
  }

  Store::Impl& im_;
  Counters c_;
  CommitView view_;
  rocksdb::WriteBatch wb_;
  std::string value_;
};

}  // namespace

Status Store::commit(Batch&& batch, Durability durability) {
  Batch b = std::move(batch);
  if (b.empty()) return Status::ok();
  Impl& im = *impl_;
  if (im.read_only) {
    return failed_precondition(fmt::format("store {} is open read-only; cannot commit", im.path.string()));
  }
  std::lock_guard lock(im.commit_mu);
  Committer cm(im, im.load_counters_snapshot());
  for (const auto& op : b.ops_->ops) {
    if (Status s = std::visit([&](const auto& o) { return cm.apply(o); }, op); !s) return s;
  }
  rocksdb::WriteOptions wo;
  wo.sync = durability == Durability::kSynced;
  if (auto s = im.db->Write(wo, &cm.finish()); !s.ok()) return im.rocks(s, "committing a batch");
  im.publish(cm.counters());
  return Status::ok();
}

Status Store::flush() {
  Impl& im = *impl_;
  if (im.read_only) return Status::ok();
  if (auto s = im.db->FlushWAL(true); !s.ok()) return im.rocks(s, "syncing the write-ahead log");
  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> all(im.cf.begin() + 1, im.cf.end());
  if (auto s = im.db->Flush(fo, all); !s.ok()) return im.rocks(s, "flushing memtables");
  return Status::ok();
}

Status Store::erase_overwritten(SubjectId subject, std::span<const EnrollmentId> enrollments) {
  Impl& im = *impl_;
  if (im.read_only) return failed_precondition("a read-only store cannot erase anything");
  if (Status s = flush(); !s) return s;
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  // The engine's commits go on during this (Engine::revoke_subject no longer holds its lock here):
  // RocksDB's own compactions must too, or L0 files pile up until writes stall.
  co.exclusive_manual_compaction = false;
  auto compact = [&](Cf cf, const std::string& from, const std::string& to) {
    const rocksdb::Slice b(from), e(to);
    if (auto s = im.db->CompactRange(co, im.h(cf), &b, &e); !s.ok())
      return im.rocks(s, fmt::format("compacting {}", kCfNames[static_cast<std::size_t>(cf)]));
    return Status::ok();
  };
  if (Status s = compact(kTemplates, detail::template_key(subject, static_cast<FingerPosition>(0)),
                         detail::template_key(subject, static_cast<FingerPosition>(kFingerCount)));
      !s)
    return s;
  if (Status s = compact(kFaces, u64_key(subject.value), u64_key(subject.value)); !s) return s;
  for (const EnrollmentId& e : enrollments)
    if (Status s = compact(kEnrollments, e.value, e.value); !s) return s;
  return Status::ok();
}

// ---- reads -------------------------------------------------------------------------------------

namespace {

// A read over one consistent snapshot, released on destruction.
class Snapshot {
 public:
  explicit Snapshot(rocksdb::DB& db) : db_(db), snap_(db.GetSnapshot()) { ro_.snapshot = snap_; }
  ~Snapshot() { db_.ReleaseSnapshot(snap_); }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  const rocksdb::ReadOptions& options() const { return ro_; }

 private:
  rocksdb::DB& db_;
  const rocksdb::Snapshot* snap_;
  rocksdb::ReadOptions ro_;
};

template <typename T>
using Decoder = Expected<T> (*)(std::string_view);

// Looks a key up and decodes it: nullopt when absent.
template <typename T>
Expected<std::optional<T>> get_decoded(const Store::Impl& im, Cf cf, const std::string& key, Decoder<T> decode) {
  auto raw = im.get(cf, key);
  if (!raw) return raw.error();
  if (!*raw) return std::optional<T>{};
  auto v = decode(**raw);
  if (!v) return v.error();
  return std::optional<T>{std::move(*v)};
}

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Merge-joins the templates and faces column families against a subject id sequence: both are
// keyed by id first, so one forward pass over each serves a whole scan.
class BiometricsCursor {
 public:
  BiometricsCursor(const Store::Impl& im, const rocksdb::ReadOptions& ro, SubjectId from)
      : templates_(im.db->NewIterator(ro, im.h(kTemplates))), faces_(im.db->NewIterator(ro, im.h(kFaces))) {
    templates_->Seek(u64_key(from.value));
    faces_->Seek(u64_key(from.value));
  }

  Status fill(StoredSubject& s) {
    const std::string prefix = u64_key(s.record.id.value);
    s.fingers.clear();
    s.face.reset();
    // Skip what belongs to smaller ids (revoked subjects are skipped by the caller).
    while (templates_->Valid() && view(templates_->key()).substr(0, 8) < prefix) templates_->Next();
    while (templates_->Valid() && view(templates_->key()).substr(0, 8) == prefix) {
      auto f = detail::decode_template(view(templates_->value()));
      if (!f) return with_subject(f.error(), s.record.id);
      s.fingers.push_back(std::move(*f));
      templates_->Next();
    }
    if (!faces_->Valid() || view(faces_->key()) < prefix) faces_->Seek(prefix);
    if (faces_->Valid() && view(faces_->key()) == prefix) {
      auto f = detail::decode_face(view(faces_->value()));
      if (!f) return with_subject(f.error(), s.record.id);
      s.face = std::move(*f);
    }
    return Status::ok();
  }
  rocksdb::Status status() const {
    if (!templates_->status().ok()) return templates_->status();
    return faces_->status();
  }

 private:
  static Status with_subject(const Status& s, SubjectId id) {
    return {s.code(), fmt::format("subject {}: {}", id.value, s.message())};
  }
  std::unique_ptr<rocksdb::Iterator> templates_, faces_;
};

}  // namespace

Expected<std::optional<StoredSubject>> Store::Impl::load(SubjectId id, const rocksdb::ReadOptions& ro) const {
  auto raw = get(kSubjects, u64_key(id.value), ro);
  if (!raw) return raw.error();
  if (!*raw) return std::optional<StoredSubject>{};
  auto rec = detail::decode_subject(**raw);
  if (!rec) return Status{rec.error().code(), fmt::format("subject {}: {}", id.value, rec.error().message())};
  StoredSubject s;
  s.record = std::move(*rec);
  BiometricsCursor cursor(*this, ro, id);
  if (Status st = cursor.fill(s); !st) return st;
  if (auto st = cursor.status(); !st.ok()) return rocks(st, "reading biometrics");
  return std::optional<StoredSubject>{std::move(s)};
}

Expected<std::optional<StoredSubject>> Store::load_subject(SubjectId id) const {
  Snapshot snap(*impl_->db);
  return impl_->load(id, snap.options());
}

Expected<std::optional<SubjectRecord>> Store::subject(SubjectId id) const {
  return get_decoded<SubjectRecord>(*impl_, kSubjects, u64_key(id.value), &detail::decode_subject);
}

Expected<std::optional<EnrollmentRecord>> Store::enrollment(const EnrollmentId& id) const {
  if (id.empty()) return std::optional<EnrollmentRecord>{};
  return get_decoded<EnrollmentRecord>(*impl_, kEnrollments, id.value, &detail::decode_enrollment_record);
}

Expected<std::optional<Verdict>> Store::verdict(const EnrollmentId& id) const {
  if (id.empty()) return std::optional<Verdict>{};
  return get_decoded<Verdict>(*impl_, kVerdicts, id.value, &detail::decode_verdict);
}

Expected<std::vector<Enrollment>> Store::pending(std::size_t max) const {
  const Impl& im = *impl_;
  Snapshot snap(*im.db);
  std::vector<Enrollment> out;
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(snap.options(), im.h(kQueue)));
  for (it->SeekToFirst(); it->Valid() && out.size() < max; it->Next()) {
    const std::string id(view(it->value()));
    auto raw = im.get(kEnrollments, id, snap.options());
    if (!raw) return raw.error();
    if (!*raw) return corruption(fmt::format("queued enrollment {} has no stored job", id));
    auto rec = detail::decode_enrollment_record(**raw);
    if (!rec) return Status{rec.error().code(), fmt::format("enrollment {}: {}", id, rec.error().message())};
    out.push_back(std::move(rec->enrollment));
  }
  if (!it->status().ok()) return im.rocks(it->status(), "reading the queue");
  return out;
}

std::uint64_t Store::pending_count() const { return impl_->pending.load(); }
std::uint64_t Store::subject_count() const { return impl_->subjects.load(); }
std::uint64_t Store::max_subject_id() const { return impl_->max_subject.load(); }
std::uint64_t Store::last_change_seq() const { return impl_->change_seq.load(); }
std::uint64_t Store::last_audit_seq() const { return impl_->audit_seq.load(); }

Status Store::for_each_subject(const std::function<bool(const StoredSubject&)>& fn, SubjectId from) const {
  const Impl& im = *impl_;
  Snapshot snap(*im.db);
  rocksdb::ReadOptions ro = snap.options();
  ro.fill_cache = false;  // a full scan would evict everything useful
  ro.readahead_size = 2u << 20;
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.h(kSubjects)));
  BiometricsCursor cursor(im, ro, from);
  StoredSubject s;
  for (it->Seek(u64_key(from.value)); it->Valid(); it->Next()) {
    auto rec = detail::decode_subject(view(it->value()));
    if (!rec) return rec.error();
    if (rec->state != SubjectState::kActive) continue;
    s.record = std::move(*rec);
    if (Status st = cursor.fill(s); !st) return st;
    if (!fn(s)) return Status::ok();
  }
  if (!it->status().ok()) return im.rocks(it->status(), "scanning subjects");
  if (auto st = cursor.status(); !st.ok()) return im.rocks(st, "scanning biometrics");
  return Status::ok();
}

Status Store::for_each_subject_record(const std::function<bool(const SubjectRecord&)>& fn, SubjectId from) const {
  const Impl& im = *impl_;
  Snapshot snap(*im.db);
  rocksdb::ReadOptions ro = snap.options();
  ro.fill_cache = false;  // as for_each_subject: a full scan would evict everything useful
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.h(kSubjects)));
  for (it->Seek(u64_key(from.value)); it->Valid(); it->Next()) {
    auto rec = detail::decode_subject(view(it->value()));
    if (!rec) return rec.error();
    if (rec->state != SubjectState::kActive) continue;
    if (!fn(*rec)) return Status::ok();
  }
  if (!it->status().ok()) return im.rocks(it->status(), "scanning subject records");
  return Status::ok();
}

namespace {
template <typename T>
Status scan(const Store::Impl& im, Cf cf, const std::string& start, Decoder<T> decode,
            const std::function<bool(const T&)>& fn) {
  Snapshot snap(*im.db);
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(snap.options(), im.h(cf)));
  for (it->Seek(start); it->Valid(); it->Next()) {
    auto v = decode(view(it->value()));
    if (!v) return v.error();
    if (!fn(*v)) return Status::ok();
  }
  if (!it->status().ok()) return im.rocks(it->status(), fmt::format("scanning {}", kCfNames[static_cast<std::size_t>(cf)]));
  return Status::ok();
}
}  // namespace

Status Store::for_each_verdict(const std::function<bool(const Verdict&)>& fn) const {
  return scan<Verdict>(*impl_, kVerdicts, std::string(), &detail::decode_verdict, fn);
}

// At a writable open (nobody else can write then: the writer lock is held), indexes the confirmed
// duplicates the index lacks: every verdict of a store from before it (one scan, once), or those
// recorded after "dup_of.through" by a build without it (read back through the verdict log). The
// keys and the new mark go in one synced WriteBatch: a crash before it leaves the store as it was,
// and the next open does it again. A read-only store that lacks keys scans on every lookup instead.
Status Store::Impl::index_confirmed_duplicates() {
  auto marker = get(kMeta, kDupOfThroughKey);
  if (!marker) return marker.error();
  const std::uint64_t last = verdict_seq.load();
  std::optional<std::uint64_t> through;
  if (*marker) {
    auto n = parse_number(**marker, kDupOfThroughKey);
    if (!n) return n.error();
    through = *n;
  }
  dup_of_indexed = through && *through >= last;
  if (dup_of_indexed || read_only) return Status::ok();
  rocksdb::WriteBatch wb;
  auto index = [&](const Verdict& v) {
    if (is_confirmed_duplicate(v)) wb.Put(h(kMeta), dup_of_key(v.linked_subject, v.enrollment), "");
  };
  Status s = Status::ok();
  if (!through) {
    s = scan<Verdict>(*this, kVerdicts, std::string(), &detail::decode_verdict, [&](const Verdict& v) {
      index(v);
      return true;
    });
  } else {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, h(kMeta)));
    const std::string prefix = kVerdictLogPrefix;
    for (it->Seek(verdict_log_key(*through + 1)); s && it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto v = get(kVerdicts, it->value());
      if (!v) s = v.error();
      else if (*v) {
        auto decoded = detail::decode_verdict(**v);
        if (!decoded) s = decoded.error();
        else index(*decoded);
      }
    }
    if (s && !it->status().ok()) s = rocks(it->status(), "reading the verdict log");
  }
  if (!s) return Status{s.code(), fmt::format("indexing confirmed duplicates recorded without that index: {}", s.message())};
  wb.Put(h(kMeta), kDupOfThroughKey, std::to_string(last));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (auto ws = db->Write(wo, &wb); !ws.ok()) return rocks(ws, "writing the index of confirmed duplicates");
  dup_of_indexed = true;
  return Status::ok();
}

Expected<Store::ConfirmedDuplicates> Store::confirmed_duplicates_of(SubjectId subject) const {
  const Impl& im = *impl_;
  ConfirmedDuplicates out;
  auto mine = [&](const Verdict& v) { return is_confirmed_duplicate(v) && v.linked_subject == subject; };
  if (!im.dup_of_indexed) {
    Status s = for_each_verdict([&](const Verdict& v) {
      ++out.verdicts_read;
      if (mine(v)) out.enrollments.push_back(v.enrollment);
      return true;
    });
    if (!s) return s;
    return out;
  }
  Snapshot snap(*im.db);
  std::vector<std::string> hits;
  const std::string prefix = dup_of_prefix(subject);
  std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(snap.options(), im.h(kMeta)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    hits.emplace_back(view(it->key()).substr(prefix.size()));
  if (!it->status().ok()) return im.rocks(it->status(), "reading the index of confirmed duplicates");
  // The verdict is the truth: a hit whose verdict no longer links it here is not one.
  for (std::string& id : hits) {
    auto raw = im.get(kVerdicts, id, snap.options());
    if (!raw) return raw.error();
    ++out.verdicts_read;
    if (!*raw) continue;
    auto v = detail::decode_verdict(**raw);
    if (!v) return Status{v.error().code(), fmt::format("verdict of {}: {}", id, v.error().message())};
    if (mine(*v)) out.enrollments.push_back(EnrollmentId{std::move(id)});
  }
  return out;
}

Status Store::for_each_audit(const std::function<bool(const AuditEntry&)>& fn, std::uint64_t after_seq) const {
  if (after_seq == UINT64_MAX) return Status::ok();
  return scan<AuditEntry>(*impl_, kAudit, u64_key(after_seq + 1), &detail::decode_audit, fn);
}

Status Store::for_each_change(const std::function<bool(const ChangeEntry&)>& fn, std::uint64_t after_seq) const {
  if (after_seq == UINT64_MAX) return Status::ok();
  return scan<ChangeEntry>(*impl_, kChanges, u64_key(after_seq + 1), &detail::decode_change, fn);
}

Status Store::for_each_verdict_log(const std::function<bool(std::uint64_t, const std::string&)>& fn,
                                   std::uint64_t after_seq) const {
  if (after_seq == UINT64_MAX) return Status::ok();
  Snapshot snap(*impl_->db);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(snap.options(), impl_->h(kMeta)));
  const std::string prefix = kVerdictLogPrefix;
  for (it->Seek(verdict_log_key(after_seq + 1)); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const auto key = view(it->key()).substr(prefix.size());
    auto seq = detail::parse_u64_key(key, "verdict log");
    if (!seq) return seq.error();
    if (!fn(*seq, it->value().ToString())) return Status::ok();
  }
  if (!it->status().ok()) return impl_->rocks(it->status(), "scanning the verdict log");
  return Status::ok();
}

std::uint64_t Store::last_verdict_seq() const { return impl_->verdict_seq.load(); }

Expected<std::optional<std::string>> Store::meta(const std::string& key) const {
  return impl_->get(kMeta, user_meta_key(key));
}

Status Store::for_each_meta(const std::string& prefix,
                            const std::function<bool(const std::string&, const std::string&)>& fn) const {
  const std::string start = user_meta_key(prefix);
  const std::size_t strip = user_meta_key("").size();
  Snapshot snap(*impl_->db);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(snap.options(), impl_->h(kMeta)));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    if (!fn(it->key().ToString().substr(strip), it->value().ToString())) return Status::ok();
  }
  if (!it->status().ok()) return impl_->rocks(it->status(), "scanning meta");
  return Status::ok();
}

Status Store::checkpoint(const std::filesystem::path& dir) const {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return {ErrorCode::kAlreadyExists,
            fmt::format("checkpoint directory {} already exists; choose a new one", dir.string())};
  }
  rocksdb::Checkpoint* raw = nullptr;
  if (auto s = rocksdb::Checkpoint::Create(impl_->db.get(), &raw); !s.ok()) {
    return impl_->rocks(s, "preparing a checkpoint");
  }
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  if (auto s = cp->CreateCheckpoint(dir.string()); !s.ok()) {
    return impl_->rocks(s, fmt::format("writing a checkpoint to {}", dir.string()));
  }
  return Status::ok();
}

Status Store::verify_checksums() const {
  if (auto s = impl_->db->VerifyChecksum(); !s.ok()) return impl_->rocks(s, "verifying checksums");
  return Status::ok();
}

Status Store::check_counters() const {
  const Impl& im = *impl_;
  Snapshot snap(*im.db);
  rocksdb::ReadOptions ro = snap.options();
  ro.fill_cache = false;
  // The counters as of this snapshot: read from meta under it, not from the in-memory copies, which
  // a concurrent commit may already have moved.
  Counters stored;
  const std::pair<const char*, std::uint64_t*> fields[] = {
      {kSubjectsKey, &stored.subjects},   {kPendingKey, &stored.pending},       {kMaxSubjectKey, &stored.max_subject},
      {kAuditSeqKey, &stored.audit_seq},  {kChangeSeqKey, &stored.change_seq}, {kQueueSeqKey, &stored.queue_seq}};
  for (auto [key, out] : fields) {
    auto v = im.get(kMeta, key, ro);
    if (!v) return v.error();
    if (!*v) return corruption(fmt::format("data directory {}: meta counter {} is missing", im.path.string(), key));
    auto n = parse_number(**v, key);
    if (!n) return n.error();
    *out = *n;
  }
  Counters counted;
  {
    std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.h(kSubjects)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto rec = detail::decode_subject(view(it->value()));
      if (!rec) return rec.error();
      if (rec->state == SubjectState::kActive) ++counted.subjects;
      counted.max_subject = std::max(counted.max_subject, rec->id.value);
    }
    if (!it->status().ok()) return im.rocks(it->status(), "recounting subjects");
  }
  auto last_key = [&](Cf cf, std::uint64_t& count, std::uint64_t* last) -> Status {
    std::unique_ptr<rocksdb::Iterator> it(im.db->NewIterator(ro, im.h(cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    if (!it->status().ok()) return im.rocks(it->status(), "recounting");
    if (last) {
      it->SeekToLast();
      if (it->Valid()) {
        auto k = detail::parse_u64_key(view(it->key()), kCfNames[static_cast<std::size_t>(cf)]);
        if (!k) return k.error();
        *last = *k;
      }
    }
    return Status::ok();
  };
  std::uint64_t changes = 0, audits = 0, last_queue = 0;
  if (Status s = last_key(kQueue, counted.pending, &last_queue); !s) return s;
  if (Status s = last_key(kChanges, changes, &counted.change_seq); !s) return s;
  if (Status s = last_key(kAudit, audits, &counted.audit_seq); !s) return s;

  std::string diff;
  auto compare = [&](const char* what, std::uint64_t meta, std::uint64_t records) {
    if (meta != records) diff += fmt::format("; {}: counter {} but records say {}", what, meta, records);
  };
  compare("active subjects", stored.subjects, counted.subjects);
  compare("highest subject id", stored.max_subject, counted.max_subject);
  compare("pending jobs", stored.pending, counted.pending);
  // Sequence numbers only grow; the logs are never trimmed, so the last entry is the counter.
  compare("last change seq", stored.change_seq, counted.change_seq);
  compare("change log entries", stored.change_seq, changes);
  compare("last audit seq", stored.audit_seq, counted.audit_seq);
  compare("audit log entries", stored.audit_seq, audits);
  if (last_queue > stored.queue_seq) compare("queue seq", stored.queue_seq, last_queue);
  if (!diff.empty()) {
    return corruption(fmt::format("data directory {}: counters disagree with the records{}", im.path.string(), diff));
  }
  return Status::ok();
}

Store::Stats Store::stats() const {
  const Impl& im = *impl_;
  Stats s;
  s.active_subjects = im.subjects.load();
  s.max_subject_id = im.max_subject.load();
  s.pending_jobs = im.pending.load();
  s.last_change_seq = im.change_seq.load();
  s.last_audit_seq = im.audit_seq.load();
  for (std::size_t c = 1; c < im.cf.size(); ++c) {
    std::uint64_t v = 0;
    if (im.db->GetIntProperty(im.cf[c], rocksdb::DB::Properties::kTotalSstFilesSize, &v)) s.table_bytes += v;
    if (im.db->GetIntProperty(im.cf[c], rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) s.memtable_bytes += v;
  }
  return s;
}

}  // namespace tunggal::engine
