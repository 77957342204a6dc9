#include "server/server.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "core/json_text.h"
#include "ingest/enrollment_images.h"
#include "server/metrics.h"
#include "server/wire_codec.h"

namespace tunggal::server {

TlsFiles TlsFiles::in_dir(const std::filesystem::path& dir, const std::string& name) {
  return {dir / "ca.pem", dir / (name + ".pem"), dir / (name + ".key")};
}

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using PlainStream = tcp::socket;
using TlsStream = asio::ssl::stream<tcp::socket>;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

wire::ErrorCode wire_code(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformedRecord: return wire::INVALID_ARGUMENT;
    case ErrorCode::kNotFound: return wire::NOT_FOUND;
    case ErrorCode::kBusy: return wire::BUSY;
    case ErrorCode::kPermissionDenied: return wire::PERMISSION_DENIED;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition: return wire::FAILED_PRECONDITION;
    default: return wire::INTERNAL;
  }
}

void set_error(wire::Response& r, wire::ErrorCode code, std::string message) {
  auto* e = r.mutable_error();
  e->set_code(code);
  e->set_message(std::move(message));
}

// The value handed back with an exception (which the awaiting coroutine throws instead): any R
// will do, it is never looked at.
template <typename R>
R unused_result() {
  if constexpr (std::is_default_constructible_v<R>) return R{};
  else return R(Status(ErrorCode::kInternal, "no result"));
}

// How an operation running elsewhere (a pool thread) completes: with its result, or with an
// exception that the awaiting coroutine rethrows (handle() answers it INTERNAL). An exception
// must never leave a pool thread: Asio would rethrow it from run() and end the process.
template <typename R>
class Completion {
 public:
  explicit Completion(std::function<void(std::exception_ptr, R)> fn) : fn_(std::move(fn)) {}
  void operator()(R r) const { fn_(nullptr, std::move(r)); }
  void fail(std::exception_ptr e) const { fn_(std::move(e), unused_result<R>()); }

 private:
  std::function<void(std::exception_ptr, R)> fn_;
};

// Awaits an operation that completes by calling a Completion from any thread: the coroutine
// resumes on its own executor (its connection's strand) with the result, or throws.
// Deliberately not a coroutine itself (nor is Impl::blocking): GCC 12 mishandles by-value lambda
// parameters of coroutines (double destruction), so the initiation is returned, not awaited here.
template <typename R, typename Start>
asio::awaitable<R> await_callback(Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
      [start = std::move(start)](auto handler) mutable {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        start(Completion<R>([h, ex](std::exception_ptr e, R r) mutable {
          asio::post(ex, [h, e = std::move(e), r = std::move(r)]() mutable { (*h)(std::move(e), std::move(r)); });
        }));
      },
      asio::use_awaitable);
}

// Work refused or dropped because the server is stopping: handle() answers SHUTTING_DOWN.
struct ServerStopping : std::runtime_error {
  ServerStopping() : std::runtime_error("the server is stopping; this request was not carried out") {}
};

// A backend call on a server thread of our own (submitter, decider): its errors are values, and
// so becomes anything it throws (a bug, or a library's: nlohmann's dump on invalid UTF-8), which
// would otherwise end the process.
template <typename F>
auto guarded(std::string_view op, F fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, fmt::format("{} failed: {}", op, e.what()));
  } catch (...) {
    return Status(ErrorCode::kInternal, fmt::format("{} failed with an unknown exception", op));
  }
}

struct Peer {
  std::string site;  // the site id, or the admin's name
  bool admin = false;
};

struct LoggedVerdict {
  std::uint64_t seq = 0;
  std::string site;
  Verdict verdict;
};
using VerdictBatch = std::shared_ptr<const std::vector<LoggedVerdict>>;

struct SubmitOutcome {
  std::vector<SubmitAck> acks;
  std::vector<std::optional<Verdict>> verdicts;  // for DUPLICATE_ID acks of decided enrollments
};
struct SubmitJob {
  std::vector<Enrollment> items;
  Completion<Expected<SubmitOutcome>> done;
};

// What the server-wide parts know of a session.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void push(VerdictBatch batch) = 0;
  virtual void begin_shutdown() = 0;
  virtual void force_close() = 0;
};

// Identity from the client certificate: CN = site id, OU = "admin" for admins.
Expected<Peer> peer_from_certificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return Status(ErrorCode::kPermissionDenied, "no client certificate");
  char cn[256] = {0}, ou[256] = {0};
  X509_NAME* name = X509_get_subject_name(cert);
  const int cn_len = X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof cn);
  const int ou_len = X509_NAME_get_text_by_NID(name, NID_organizationalUnitName, ou, sizeof ou);
  X509_free(cert);
  if (cn_len <= 0) return Status(ErrorCode::kPermissionDenied, "client certificate has no CN (the site id)");
  Peer p{std::string(cn, static_cast<std::size_t>(cn_len)),
         ou_len > 0 && std::string_view(ou, static_cast<std::size_t>(ou_len)) == "admin"};
  if (Status s = check_site_id(p.site); !s)
    return Status(ErrorCode::kPermissionDenied, "client certificate CN: " + s.message());
  return p;
}

}  // namespace

struct Server::Impl {
  ServerOptions opt;
  Backend& backend;
  ServerMetrics metrics;
  std::uint64_t epoch = 0;  // the backend's verdict log, in cursors
  Clock::time_point started = Clock::now();  // uptime and throughput in `admin status`

  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
  std::atomic<std::uint32_t> in_flight_total{0};
  std::atomic<std::uint32_t> queued_items{0};
  std::atomic<std::size_t> receiving_bytes{0};  // frame bodies admitted and not yet parsed

  // Sessions, for graceful stop and verdict pushes.
  std::mutex sessions_mu;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> subscribers;
  std::uint64_t next_session = 0;

  // Submitter (group commit).
  std::mutex submit_mu;
  std::condition_variable submit_cv;
  std::deque<SubmitJob> submit_jobs;
  bool submit_stop = false;
  std::thread submitter;

  // Decider.
  std::mutex decide_mu;
  std::condition_variable decide_cv;
  bool decide_stop = false;
  bool decide_hint = false;
  std::thread decider;

  // Index snapshots while serving (ServerOptions::snapshot_every_changes): one thread, so never
  // two at once and never on a network thread.
  std::mutex snapshot_mu;
  std::condition_variable snapshot_cv;
  bool snapshot_stop = false;
  std::thread snapshotter;

  // Pushes tail the backend's verdict log: everything up to published_seq went to subscribers.
  std::mutex publish_mu;
  std::uint64_t published_seq = 0;

  std::unique_ptr<asio::ssl::context> ssl_ctx;
  std::unique_ptr<asio::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  std::unique_ptr<asio::thread_pool> blocking_pool;
  std::uint16_t port = 0;
  // Set by stop() just before it joins a pool: from then on work for that pool is refused at once
  // (ServerStopping), never posted to a pool no thread will run again.
  std::mutex pools_mu;
  bool extract_closed = false;
  bool blocking_closed = false;

  RequestService* requests = nullptr;  // the KTP-el request workflow, when served

  // Fingers sent as images: extracted here, one task per image.
  ingest::MinutiaeExtractor extractor;
  std::unique_ptr<asio::thread_pool> extract_pool;
  std::atomic<std::uint32_t> queued_images{0};

  Impl(const ServerOptions& o, Backend& b) : opt(o), backend(b), extractor(o.extractor) {}

  using Extracted = std::vector<std::vector<Expected<FingerTemplate>>>;
  // Extracts every finger image of `items` on the extraction pool (one task per image, so one
  // 10-finger enrollment uses every extraction thread) and resumes the calling coroutine on its
  // strand with the templates, or the reasons, per item and image. `items` must stay alive and
  // unchanged until then (it lives in the suspended coroutine's frame).
  asio::awaitable<Extracted> extract_images(const std::vector<Enrollment>& items) {
    return await_callback<Extracted>([this, &items](Completion<Extracted> done) {
      struct Job {
        explicit Job(Completion<Extracted> d) : done(std::move(d)) {}
        Extracted results;
        std::atomic<std::size_t> left{0};
        Completion<Extracted> done;
        std::atomic<bool> skipped{false};
      };
      std::lock_guard lock(pools_mu);
      if (extract_closed) {
        done.fail(std::make_exception_ptr(ServerStopping()));
        return;
      }
      auto job = std::make_shared<Job>(std::move(done));
      std::size_t n = 0;
      job->results.resize(items.size());
      for (std::size_t i = 0; i < items.size(); ++i) {
        job->results[i].resize(items[i].finger_images.size(), Expected<FingerTemplate>(FingerTemplate{}));
        n += items[i].finger_images.size();
      }
      job->left = n;
      if (n == 0) {
        job->done(std::move(job->results));
        return;
      }
      for (std::size_t i = 0; i < items.size(); ++i)
        for (std::size_t j = 0; j < items[i].finger_images.size(); ++j)
          asio::post(*extract_pool, [this, job, &img = items[i].finger_images[j], i, j] {
            // Once stopping, images not yet started are skipped: their request is answered
            // SHUTTING_DOWN at once instead of holding stop() for the whole queue (up to
            // max_queued_images at ~20-90 images/s per thread).
            if (stopping) {
              job->skipped = true;
              if (--job->left == 0) job->done.fail(std::make_exception_ptr(ServerStopping()));
              return;
            }
            const auto t0 = Clock::now();
            Expected<FingerTemplate> t =
                guarded("extracting the image", [&] { return ingest::extract_finger(img, extractor); });
            metrics.extract_image_ms.record_ms(ms_since(t0));
            (t ? metrics.images_extracted : metrics.images_failed)++;
            job->results[i][j] = std::move(t);
            if (--job->left == 0) {
              if (job->skipped) job->done.fail(std::make_exception_ptr(ServerStopping()));
              else job->done(std::move(job->results));
            }
          });
    });
  }

  // Admission of a frame body of n bytes against max_receiving_bytes (never below one frame of
  // the maximum size, so every legal frame can be admitted on its own).
  bool reserve_receiving(std::size_t n) {
    const std::size_t limit = std::max<std::size_t>(opt.max_receiving_bytes, opt.max_frame_bytes);
    std::size_t cur = receiving_bytes.load();
    do {
      if (cur + n > limit) return false;
    } while (!receiving_bytes.compare_exchange_weak(cur, cur + n));
    return true;
  }

  bool reserve_images(std::uint32_t n) {
    std::uint32_t cur = queued_images.load();
    do {
      if (cur + n > opt.max_queued_images) return false;
    } while (!queued_images.compare_exchange_weak(cur, cur + n));
    return true;
  }

  // Runs fn on the blocking pool (engine reads, identify, admin operations) and resumes the
  // calling coroutine on its strand with the result.
  template <typename F>
  auto blocking(F fn) -> asio::awaitable<decltype(fn())> {
    using R = decltype(fn());
    return await_callback<R>([this, fn = std::move(fn)](Completion<R> done) mutable {
      std::lock_guard lock(pools_mu);
      if (blocking_closed) {
        done.fail(std::make_exception_ptr(ServerStopping()));
        return;
      }
      asio::post(*blocking_pool, [fn = std::move(fn), done = std::move(done)]() mutable {
        std::optional<R> r;
        try {
          r.emplace(fn());
        } catch (...) {
          done.fail(std::current_exception());
          return;
        }
        done(std::move(*r));
      });
    });
  }

  // Admission to the submit queue: false (BUSY) when the items would exceed max_queued_items.
  bool reserve_queue(std::uint32_t n) {
    std::uint32_t cur = queued_items.load();
    do {
      if (cur + n > opt.max_queued_items) return false;
    } while (!queued_items.compare_exchange_weak(cur, cur + n));
    return true;
  }

  // The job's items were admitted by reserve_queue. Once the submitter has been told to stop,
  // a job is refused (SHUTTING_DOWN, nothing stored) rather than queued where nobody takes it.
  void enqueue_submit(SubmitJob job) {
    {
      std::lock_guard lock(submit_mu);
      if (!submit_stop) {
        submit_jobs.push_back(std::move(job));
        submit_cv.notify_one();
        return;
      }
    }
    queued_items -= static_cast<std::uint32_t>(job.items.size());
    job.done.fail(std::make_exception_ptr(ServerStopping()));
  }

  void submitter_loop() {
    for (;;) {
      std::vector<SubmitJob> jobs;
      {
        std::unique_lock lock(submit_mu);
        submit_cv.wait(lock, [&] { return !submit_jobs.empty() || submit_stop; });
        if (submit_jobs.empty()) return;
        while (!submit_jobs.empty()) {
          jobs.push_back(std::move(submit_jobs.front()));
          submit_jobs.pop_front();
        }
      }
      // Everything queued goes to the engine in one call: one synced write for many stations.
      std::vector<Enrollment> all;
      std::vector<std::size_t> sizes;
      for (SubmitJob& j : jobs) {
        sizes.push_back(j.items.size());
        std::move(j.items.begin(), j.items.end(), std::back_inserter(all));
      }
      auto acks = guarded("the engine's submit", [&] { return backend.submit(all); });
      queued_items -= static_cast<std::uint32_t>(all.size());
      if (!acks) {
        metrics.engine_errors++;
        spdlog::error("event=error kind=engine op=submit items={} error=\"{}\"", all.size(), acks.error().to_string());
        for (SubmitJob& j : jobs) j.done(acks.error());
        continue;
      }
      {
        std::lock_guard lock(decide_mu);
        decide_hint = true;
      }
      decide_cv.notify_one();
      std::size_t at = 0;
      for (std::size_t k = 0; k < jobs.size(); ++k) {
        SubmitOutcome out;
        out.acks.assign(std::make_move_iterator(acks->begin() + static_cast<std::ptrdiff_t>(at)),
                        std::make_move_iterator(acks->begin() + static_cast<std::ptrdiff_t>(at + sizes[k])));
        at += sizes[k];
        out.verdicts.resize(out.acks.size());
        // Idempotency: a resubmitted enrollment answers with the verdict it already has.
        for (std::size_t i = 0; i < out.acks.size(); ++i)
          if (out.acks[i].kind == SubmitAck::Kind::kDuplicateId)
            if (auto v = guarded("reading a verdict", [&] { return backend.verdict(out.acks[i].id); }); v && *v)
              out.verdicts[i] = std::move(**v);
        jobs[k].done(std::move(out));
      }
    }
  }

  void decider_loop() {
    for (;;) {
      {
        std::lock_guard lock(decide_mu);
        if (decide_stop) return;
      }
      const auto t0 = Clock::now();
      auto r = guarded("the engine's process", [&] { return backend.process(); });
      if (!r) {
        metrics.engine_errors++;
        spdlog::error("event=error kind=engine op=process error=\"{}\"", r.error().to_string());
        std::unique_lock lock(decide_mu);
        decide_cv.wait_for(lock, std::chrono::seconds(1), [&] { return decide_stop; });
        continue;
      }
      if (r->empty()) {
        std::unique_lock lock(decide_mu);
        decide_cv.wait_for(lock, opt.decider_idle, [&] { return decide_stop || decide_hint; });
        decide_hint = false;
        continue;
      }
      const double ms = ms_since(t0);
      metrics.decide_batch_ms.record_ms(ms);
      metrics.verdicts_decided += r->size();
      std::map<VerdictKind, std::size_t> kinds;
      for (const Verdict& v : *r) {
        ++kinds[v.kind];
        spdlog::debug("event=verdict id={} kind={} subject={}", v.enrollment.value, to_string(v.kind), v.subject.value);
      }
      std::string by_kind;
      for (const auto& [k, n] : kinds) by_kind += fmt::format(" {}={}", to_string(k), n);
      spdlog::info("event=verdicts_decided count={}{} ms={:.1f}", r->size(), by_kind, ms);
      publish_new();
    }
  }

  // Looks every snapshot_check at the changes committed since the last index snapshot and saves
  // new snapshots once they reach snapshot_every_changes. The save holds the engine's decide lock
  // only while it copies each index into memory, writes the copies without it, and takes CPU,
  // disk and (transiently) the largest index's size in memory, all growing with the gallery
  // (docs/engine.md, "Snapshots while serving"), so it is not done more often than that. A failed
  // save (a full disk) is logged and counted, and tried again after snapshot_retry (a minute), not
  // every second.
  void snapshot_loop() {
    auto wait = opt.snapshot_check;
    for (;;) {
      {
        std::unique_lock lock(snapshot_mu);
        if (snapshot_cv.wait_for(lock, wait, [&] { return snapshot_stop; })) return;
      }
      wait = opt.snapshot_check;
      const std::uint64_t changes = backend.changes_since_snapshot();
      if (changes < opt.snapshot_every_changes) continue;
      const auto t0 = Clock::now();
      Status s = guarded("the index snapshot", [&] { return backend.snapshot(); });
      const double ms = ms_since(t0);
      if (!s) {
        metrics.index_snapshot_failures++;
        spdlog::error("event=error kind=engine op=snapshot changes={} error=\"{}\"", changes, s.to_string());
        wait = std::max(opt.snapshot_check, opt.snapshot_retry);
        continue;
      }
      metrics.index_snapshots++;
      metrics.index_snapshot_ms.record_ms(ms);
      spdlog::info("event=index_snapshot changes={} ms={:.1f}", changes, ms);
    }
  }

  // Pushes every verdict the log has beyond published_seq to the subscribers (the decider's, an
  // adjudication's, or one recorded by another process on the same data directory).
  void publish_new() {
    std::lock_guard plock(publish_mu);
    for (;;) {
      auto page = guarded("reading the verdict log",
                          [&] { return backend.verdicts_since(published_seq, 4096, {}, SIZE_MAX); });
      if (!page) {
        metrics.engine_errors++;
        spdlog::error("event=error kind=engine op=read_verdict_log after={} error=\"{}\"", published_seq,
                      page.error().to_string());
        return;
      }
      published_seq = page->next;
      if (!page->verdicts.empty()) {
        auto batch = std::make_shared<std::vector<LoggedVerdict>>();
        batch->reserve(page->verdicts.size());
        for (auto& [seq, v] : page->verdicts) {
          std::string site(site_of(v.enrollment.value));
          batch->push_back(LoggedVerdict{seq, std::move(site), std::move(v)});
        }
        std::vector<std::shared_ptr<SessionBase>> subs;
        {
          std::lock_guard lock(sessions_mu);
          for (auto it = subscribers.begin(); it != subscribers.end();) {
            if (auto sp = it->second.lock()) {
              subs.push_back(std::move(sp));
              ++it;
            } else {
              it = subscribers.erase(it);
            }
          }
        }
        for (auto& sp : subs) sp->push(batch);
      }
      if (!page->more) return;
    }
  }

  // Under publish_mu: the subscriber gets exactly the verdicts after the returned seq.
  std::uint64_t subscribe(std::uint64_t id, std::weak_ptr<SessionBase> s) {
    std::lock_guard plock(publish_mu);
    std::lock_guard lock(sessions_mu);
    subscribers[id] = std::move(s);
    return published_seq;
  }

  void forget(std::uint64_t id) {
    std::lock_guard lock(sessions_mu);
    sessions.erase(id);
    subscribers.erase(id);
  }

  asio::awaitable<void> accept_loop();
  Status start();
  void stop();
};

namespace {

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Server::Impl& srv, Stream stream, std::uint64_t id, std::string remote)
      : srv_(srv),
        stream_(std::move(stream)),
        id_(id),
        remote_(std::move(remote)),
        opened_(Clock::now()),
        watchdog_(stream_.get_executor()) {}

  asio::any_io_executor executor() { return stream_.get_executor(); }

  // Static with the owning pointer as a parameter: the coroutine frame keeps the session alive.
  static asio::awaitable<void> serve(std::shared_ptr<Session> self) { co_await self->run(); }

  asio::awaitable<void> run() {
    auto self = this->shared_from_this();
    asio::co_spawn(executor(), watchdog(self), asio::detached);
    try {
      if constexpr (kTls) {
        read_deadline_ = Clock::now() + srv_.opt.handshake_timeout;
        try {
          co_await stream_.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
        } catch (const std::exception& e) {
          srv_.metrics.tls_handshake_failures++;
          error_event("tls_handshake", e.what());
          do_close();
          co_return;
        }
        auto peer = peer_from_certificate(stream_.native_handle());
        if (!peer) {
          srv_.metrics.permission_denied++;
          error_event("permission_denied", peer.error().message());
          send_error(0, wire::PERMISSION_DENIED, peer.error().message());
          close_after_flush();
          co_return;
        }
        cert_peer_ = std::move(*peer);
      }
      co_await read_loop();
    } catch (const std::exception&) {
      // The peer went away or a deadline closed the socket: nothing to answer.
      if (close_reason_ == "closed") close_reason_ = "peer_closed";
    }
    // Requests already read are still answered (their submits reach the engine either way).
    close_after_flush();
  }

  void push(VerdictBatch batch) override {
    asio::post(executor(), [self = this->shared_from_this(), batch = std::move(batch)] {
      if (self->closed_) return;
      for (const LoggedVerdict& lv : *batch) {
        if (!self->peer_.admin && lv.site != self->peer_.site) continue;
        wire::Response r;
        auto* p = r.mutable_push();
        self->verdict_out(lv.verdict, lv.site, p->mutable_verdict());
        p->mutable_cursor()->set_epoch(self->srv_.epoch);
        p->mutable_cursor()->set_seq(lv.seq);
        self->send(r);
        self->srv_.metrics.verdicts_pushed++;
      }
    });
  }

  void begin_shutdown() override {
    asio::post(executor(), [self = this->shared_from_this()] {
      if (self->close_reason_ == "closed") self->close_reason_ = "server_stopping";
      self->close_after_flush();
    });
  }
  void force_close() override {
    asio::post(executor(), [self = this->shared_from_this()] { self->do_close(); });
  }

 private:
  // Before hello a frame holds at most this: hello needs a few hundred bytes, and a peer that has
  // not identified itself must not make the server hold megabytes.
  static constexpr std::uint32_t kMaxFrameBeforeHello = 4096;
  // A body is read in pieces of this size, so the buffer grows with the bytes that arrive, not
  // with the length a peer announces; a buffer grown beyond it is released after its frame.
  static constexpr std::size_t kReadChunk = 64u << 10;

  // A frame body's share of ServerOptions::max_receiving_bytes, given back however the read ends.
  class ReceivingBytes {
   public:
    ReceivingBytes(Server::Impl& srv, std::size_t n) : srv_(srv), n_(n) {}
    ~ReceivingBytes() { srv_.receiving_bytes -= n_; }
    ReceivingBytes(const ReceivingBytes&) = delete;
    ReceivingBytes& operator=(const ReceivingBytes&) = delete;

   private:
    Server::Impl& srv_;
    std::size_t n_;
  };

  // Waits until a body of n bytes fits the server-wide budget; false when the connection closes
  // meanwhile. The wait is the server's doing, so no read deadline runs during it.
  asio::awaitable<bool> admit_body(std::size_t n) {
    if (srv_.reserve_receiving(n)) co_return true;
    read_deadline_ = Clock::time_point::max();
    asio::steady_timer wait(executor());
    while (!srv_.reserve_receiving(n)) {
      if (closing_ || closed_) co_return false;
      wait.expires_after(std::chrono::milliseconds(5));
      co_await wait.async_wait(asio::use_awaitable);
    }
    co_return true;
  }

  asio::awaitable<void> read_body(std::uint32_t n, std::vector<char>& body) {
    body.clear();
    while (body.size() < n) {
      const std::size_t at = body.size();
      const std::size_t k = std::min<std::size_t>(n - at, kReadChunk);
      // Grown by hand: never beyond n (std::string and vector growth could double past it).
      if (at + k > body.capacity()) body.reserve(std::min<std::size_t>(n, std::max(at + k, 2 * body.capacity())));
      body.resize(at + k);
      co_await asio::async_read(stream_, asio::buffer(body.data() + at, k), asio::use_awaitable);
    }
  }

  asio::awaitable<void> read_loop() {
    std::array<unsigned char, kFrameHeaderBytes> header{};
    std::vector<char> body;
    for (;;) {
      // A frame begins with its first byte: the idle deadline runs until then, the read deadline
      // from then on, so half a header (slow-loris) gets 30 s, not 120.
      read_deadline_ = Clock::now() + srv_.opt.idle_timeout;
      co_await asio::async_read(stream_, asio::buffer(header.data(), 1), asio::use_awaitable);
      read_deadline_ = Clock::now() + srv_.opt.read_timeout;
      co_await asio::async_read(stream_, asio::buffer(header.data() + 1, header.size() - 1), asio::use_awaitable);
      const std::uint32_t limit =
          authenticated_ ? srv_.opt.max_frame_bytes : std::min(srv_.opt.max_frame_bytes, kMaxFrameBeforeHello);
      auto n = decode_frame_header(header, limit);
      if (!n) {
        srv_.metrics.bad_frames++;
        std::string why = n.error().message();
        if (!authenticated_ && limit < srv_.opt.max_frame_bytes)
          why += " allowed before hello (hello is the first request and fits in it)";
        error_event("bad_frame", why);
        close_reason_ = "bad_frame";
        send_error(0, wire::BAD_FRAME, why + "; closing the connection");
        co_return;
      }
      if (!co_await admit_body(*n)) co_return;
      ReceivingBytes admitted(srv_, *n);
      read_deadline_ = Clock::now() + srv_.opt.read_timeout;
      co_await read_body(*n, body);
      read_deadline_ = Clock::time_point::max();
      srv_.metrics.frames_in++;
      auto req = parse_request(std::string_view(body.data(), body.size()));
      if (body.capacity() > kReadChunk) std::vector<char>().swap(body);
      if (!req) {
        srv_.metrics.bad_frames++;
        error_event("bad_frame", req.error().message());
        close_reason_ = "bad_frame";
        send_error(0, wire::BAD_FRAME, req.error().message() + "; closing the connection");
        co_return;
      }
      const std::uint64_t rid = req->request_id();
      if (!authenticated_) {
        if (!req->has_hello()) {
          error_event("not_authenticated", "the first request was not hello");
          send_error(rid, wire::NOT_AUTHENTICATED, "the first request must be hello; closing the connection");
          co_return;
        }
        if (!hello(*req)) co_return;
        continue;
      }
      if (closing_) {
        send_error(rid, wire::SHUTTING_DOWN, "the server is stopping; nothing of this request was done");
        continue;
      }
      if (req->has_hello()) {
        send_error(rid, wire::INVALID_ARGUMENT, "hello was already done on this connection");
        continue;
      }
      if (in_flight_ >= srv_.opt.max_in_flight_per_connection ||
          srv_.in_flight_total.load() >= srv_.opt.max_in_flight_total) {
        srv_.metrics.busy++;
        send_busy(rid, fmt::format("{} requests in flight on this connection (limit {}), {} on the server (limit {})",
                                   in_flight_, srv_.opt.max_in_flight_per_connection, srv_.in_flight_total.load(),
                                   srv_.opt.max_in_flight_total));
        continue;
      }
      ++in_flight_;
      ++requests_;
      ++srv_.in_flight_total;
      asio::co_spawn(executor(), handle(this->shared_from_this(), std::move(*req)), asio::detached);
    }
  }

  bool hello(const wire::Request& req) {
    const wire::Hello& h = req.hello();
    const std::uint64_t rid = req.request_id();
    if (h.protocol_version() != kProtocolVersion) {
      srv_.metrics.wrong_version++;
      error_event("wrong_version", fmt::format("client asked for protocol {}", h.protocol_version()));
      send_error(rid, wire::WRONG_VERSION,
                 fmt::format("this server speaks protocol version {}, the client asked for {}; closing the connection",
                             kProtocolVersion, h.protocol_version()));
      return false;
    }
    if constexpr (kTls) {
      if ((!h.site().empty() && h.site() != cert_peer_.site) || (h.admin() && !cert_peer_.admin)) {
        srv_.metrics.permission_denied++;
        error_event("permission_denied", "hello claims more than the certificate");
        send_error(rid, wire::PERMISSION_DENIED,
                   fmt::format("hello claims site '{}'{} but the certificate says '{}'{}", h.site(),
                               h.admin() ? " (admin)" : "", cert_peer_.site, cert_peer_.admin ? " (admin)" : ""));
        return false;
      }
      peer_ = cert_peer_;
    } else {
      if (Status s = check_site_id(h.site()); !s) {
        send_error(rid, wire::INVALID_ARGUMENT, "hello.site: " + s.message() + "; closing the connection");
        return false;
      }
      peer_ = Peer{h.site(), h.admin()};
    }
    authenticated_ = true;
    spdlog::info("event=hello conn={} site={} admin={} client=\"{}\"", id_, peer_.site, peer_.admin, h.client());
    wire::Response r;
    r.set_request_id(rid);
    auto* hr = r.mutable_hello();
    hr->set_protocol_version(kProtocolVersion);
    hr->set_site(peer_.site);
    hr->set_admin(peer_.admin);
    hr->set_max_frame_bytes(srv_.opt.max_frame_bytes);
    hr->set_max_batch_items(srv_.opt.max_batch_items);
    hr->set_max_in_flight(srv_.opt.max_in_flight_per_connection);
    hr->set_server(srv_.opt.name);
    send(r);
    return true;
  }

  static asio::awaitable<void> handle(std::shared_ptr<Session> self, wire::Request req) {
    const auto t0 = Clock::now();
    wire::Response r;
    r.set_request_id(req.request_id());
    srv_metrics_requests(self);
    const bool is_submit = req.has_submit();
    try {
      co_await self->dispatch(req, r);
    } catch (const ServerStopping& e) {
      r.clear_body();
      set_error(r, wire::SHUTTING_DOWN, e.what());
    } catch (const std::exception& e) {
      self->error_event("internal", fmt::format("request {}: {}", req.request_id(), e.what()));
      r.clear_body();
      set_error(r, wire::INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
      self->error_event("internal", fmt::format("request {}: an unknown exception", req.request_id()));
      r.clear_body();
      set_error(r, wire::INTERNAL, "internal error (an unknown exception); nothing is known of its effect");
    }
    if (r.has_error() && r.error().code() == wire::BUSY) self->srv_.metrics.busy++;
    self->send(r);
    (is_submit ? self->srv_.metrics.submit_ms : self->srv_.metrics.request_ms).record_ms(ms_since(t0));
    --self->in_flight_;
    --self->srv_.in_flight_total;
    self->maybe_close();
  }
  static void srv_metrics_requests(const std::shared_ptr<Session>& self) { self->srv_.metrics.requests++; }

  bool require_admin(wire::Response& r, const char* op) {
    if (peer_.admin) return true;
    srv_.metrics.permission_denied++;
    error_event("permission_denied", fmt::format("{} is an admin operation", op));
    set_error(r, wire::PERMISSION_DENIED, fmt::format("{} is an admin operation; site '{}' may not use it", op, peer_.site));
    return false;
  }

  // The engine id a peer means by `id`: sites name their own enrollments, admins use "<site>/<id>".
  Expected<std::string> engine_id(const std::string& id) const {
    if (peer_.admin && id.find('/') != std::string::npos) return id;
    if (Status s = check_station_enrollment_id(id); !s) return s;
    return engine_enrollment_id(peer_.site, id);
  }

  void verdict_out(const Verdict& v, std::string_view site, wire::Verdict* out) const {
    const std::string_view shown = peer_.admin ? std::string_view(v.enrollment.value) : station_id_of(v.enrollment.value);
    verdict_to_wire(v, shown, site, peer_.admin, out);
  }

  asio::awaitable<void> dispatch(const wire::Request& req, wire::Response& r) {
    Backend& be = srv_.backend;
    switch (req.body_case()) {
      case wire::Request::kSubmit: co_await submit(req.submit(), r); break;
      case wire::Request::kGetVerdicts: co_await get_verdicts(req.get_verdicts(), r); break;
      case wire::Request::kSubscribe: {
        subscribed_ = true;
        const std::uint64_t at = srv_.subscribe(id_, this->weak_from_this());
        r.mutable_subscribed()->mutable_cursor()->set_epoch(srv_.epoch);
        r.mutable_subscribed()->mutable_cursor()->set_seq(at);
        break;
      }
      case wire::Request::kPing:
        r.mutable_pong()->set_payload(req.ping().payload());
        r.mutable_pong()->set_server_time_ms(static_cast<std::uint64_t>(wall_ms()));
        break;
      case wire::Request::kPendingCount:
      case wire::Request::kReferenceCount: {
        const bool pending = req.has_pending_count();
        EngineStats st = co_await srv_.blocking([&be] { return be.stats(); });
        r.mutable_count()->set_value(pending ? st.pending : st.gallery_size);
        break;
      }
      case wire::Request::kIdentify: {
        const wire::Enrollment& probe = req.identify().probe();
        const std::string sid = probe.id().empty() ? "identify" : probe.id();
        auto eid = engine_id(sid);
        if (!eid) {
          set_error(r, wire::INVALID_ARGUMENT, eid.error().message());
          break;
        }
        auto e = enrollment_from_wire(probe, peer_.site, *eid);
        if (!e) {
          set_error(r, wire::INVALID_ARGUMENT, e.error().message());
          break;
        }
        if (!e->finger_images.empty()) {
          // A probe sent as images: extracted like a submitted enrollment, off the I/O thread.
          if (Status s = co_await extract_into(*e); !s) {
            if (s.code() == ErrorCode::kBusy) send_busy_into(r, s.message());
            else set_error(r, wire::INVALID_ARGUMENT, s.message());
            break;
          }
        }
        auto v = co_await srv_.blocking([&be, &e] { return be.identify(*e); });
        if (!v) {
          set_error(r, wire_code(v.error().code()), v.error().message());
          break;
        }
        verdict_out(*v, peer_.site, r.mutable_identify()->mutable_result());
        break;
      }
      case wire::Request::kDeleteSubject: {
        if (!require_admin(r, "delete subject")) break;
        const auto& d = req.delete_subject();
        if (d.reason().empty()) {
          set_error(r, wire::INVALID_ARGUMENT, "delete subject needs a reason (it is audited)");
          break;
        }
        const std::string& admin = peer_.site;
        Status s = co_await srv_.blocking(
            [&be, &d, &admin] { return be.revoke_subject(SubjectId{d.subject()}, admin, d.reason()); });
        if (!s) set_error(r, wire_code(s.code()), s.message());
        else r.mutable_done();
        break;
      }
      case wire::Request::kAdjudicate: {
        if (!require_admin(r, "adjudicate")) break;
        const auto& a = req.adjudicate();
        if (a.decision() != wire::CONFIRMED_DUPLICATE && a.decision() != wire::DISTINCT) {
          set_error(r, wire::INVALID_ARGUMENT, "adjudicate.decision must be CONFIRMED_DUPLICATE or DISTINCT");
          break;
        }
        const EnrollmentId id{a.enrollment_id()};
        const std::string& admin = peer_.site;
        auto result = co_await srv_.blocking([&be, &a, &id, &admin]() -> Expected<std::optional<Verdict>> {
          Status s = be.adjudicate(id, static_cast<Decision>(a.decision()), admin, a.reason(),
                                   SubjectId{a.linked_subject()});
          if (!s) return s;
          return be.verdict(id);
        });
        // The station learns of the decision like of any verdict: pushed and in "since" queries
        // (the adjudication recorded it in the verdict log). A refused DISTINCT may have recorded
        // too: the case reopened with candidates enrolled since it was decided.
        Server::Impl& srv = srv_;
        co_await srv_.blocking([&srv] {
          srv.publish_new();
          return true;
        });
        if (!result) {
          set_error(r, wire_code(result.error().code()), result.error().message());
          break;
        }
        r.mutable_done();
        break;
      }
      case wire::Request::kStats: {
        if (!require_admin(r, "stats")) break;
        EngineStats st = co_await srv_.blocking([&be] { return be.stats(); });
        auto* s = r.mutable_stats();
        for (const auto& [name, value] : srv_.metrics.counters()) (*s->mutable_counters())[name] = value;
        auto hist = [&](const char* name, const LatencyHistogram& h) {
          const auto snap = h.snapshot();
          auto* w = s->add_histograms();
          w->set_name(name);
          w->mutable_upper_bounds_ms()->Add(LatencyHistogram::kBoundsMs.begin(), LatencyHistogram::kBoundsMs.end());
          w->mutable_counts()->Add(snap.cumulative.begin(), snap.cumulative.end());
          w->set_count(snap.count);
          w->set_sum_ms(snap.sum_ms);
        };
        hist("submit", srv_.metrics.submit_ms);
        hist("request", srv_.metrics.request_ms);
        hist("decide_batch", srv_.metrics.decide_batch_ms);
        hist("extract_image", srv_.metrics.extract_image_ms);
        hist("index_snapshot", srv_.metrics.index_snapshot_ms);
        s->set_gallery_size(st.gallery_size);
        s->set_pending(st.pending);
        s->set_duplicate_threshold(st.thresholds.duplicate);
        s->set_review_threshold(st.thresholds.review);
        s->set_connections(static_cast<std::uint32_t>(std::max<std::int64_t>(0, srv_.metrics.connections_open.load())));
        break;
      }
      case wire::Request::kKtp: co_await ktp(req.ktp(), r); break;
      case wire::Request::kAdminStatus:
      case wire::Request::kShowSubject:
      case wire::Request::kShowEnrollment:
      case wire::Request::kReviewList:
      case wire::Request::kReviewShow:
      case wire::Request::kAuditLog:
      case wire::Request::kThresholdsWhatIf:
      case wire::Request::kBackup:
      case wire::Request::kAdjudicateCase: co_await admin_request(req, r); break;
      default: set_error(r, wire::INVALID_ARGUMENT, "unknown operation");
    }
  }

  // KTP-el request operations: the workflow (and its store) is called on the blocking pool.
  asio::awaitable<void> ktp(const wire::KtpOp& op, wire::Response& r) {
    RequestService* service = srv_.requests;
    if (!service) {
      set_error(r, wire::FAILED_PRECONDITION, "this server does not serve the KTP-el request workflow");
      co_return;
    }
    const RequestCaller caller{peer_.site, peer_.admin};
    wire::KtpReply* reply = r.mutable_ktp();
    Status s = co_await srv_.blocking([service, &caller, &op, reply] { return service->handle(caller, op, reply); });
    if (!s) {
      if (s.code() == ErrorCode::kPermissionDenied) srv_.metrics.permission_denied++;
      r.clear_body();
      set_error(r, wire_code(s.code()), s.message());
    }
  }

  // The admin block of the protocol: each request becomes an AdminQuery the backend answers with
  // the JSON document of `tunggal admin <command> --json`; status gains what only the server knows.
  asio::awaitable<void> admin_request(const wire::Request& req, wire::Response& r) {
    using K = admin::AdminQuery::Kind;
    admin::AdminQuery q;
    q.actor = peer_.site;
    switch (req.body_case()) {
      case wire::Request::kAdminStatus: q.kind = K::kStatus; break;
      case wire::Request::kShowSubject:
        q.kind = K::kShowSubject;
        q.id = std::to_string(req.show_subject().subject());
        break;
      case wire::Request::kShowEnrollment:
        q.kind = K::kShowEnrollment;
        q.id = req.show_enrollment().enrollment_id();
        break;
      case wire::Request::kReviewList:
        q.kind = K::kReviewList;
        q.limit = req.review_list().limit();
        break;
      case wire::Request::kReviewShow:
        q.kind = K::kReviewShow;
        q.id = req.review_show().id();
        break;
      case wire::Request::kAuditLog:
        q.kind = K::kAudit;
        q.since_ms = req.audit_log().since_ms();
        q.after_seq = req.audit_log().after_seq();
        break;
      case wire::Request::kThresholdsWhatIf:
        q.kind = K::kThresholds;
        q.target_fpir = req.thresholds_what_if().target_fpir();
        q.review_fpir = req.thresholds_what_if().review_fpir();
        break;
      case wire::Request::kBackup:
        q.kind = K::kBackup;
        q.id = req.backup().dir();
        break;
      default:
        q.kind = K::kAdjudicateCase;
        q.id = req.adjudicate_case().case_id();
        q.decision = static_cast<Decision>(req.adjudicate_case().decision());
        q.reason = req.adjudicate_case().reason();
        break;
    }
    if (!require_admin(r, "this admin report")) co_return;
    Backend& be = srv_.backend;
    auto answer = co_await srv_.blocking([&be, &q] { return be.admin(q); });
    if (!answer) {
      set_error(r, wire_code(answer.error().code()), answer.error().message());
      co_return;
    }
    if (q.kind != K::kStatus) {
      r.mutable_admin()->set_json(std::move(*answer));
      co_return;
    }
    auto j = nlohmann::json::parse(*answer, nullptr, false);
    if (j.is_discarded()) {
      set_error(r, wire::INTERNAL, "the backend's status report is not JSON");
      co_return;
    }
    const double up_s = std::chrono::duration<double>(Clock::now() - srv_.started).count();
    nlohmann::json counters = nlohmann::json::object();
    for (const auto& [name, value] : srv_.metrics.counters()) counters[name] = value;
    const auto per_s = [up_s](std::uint64_t n) { return up_s > 0 ? static_cast<double>(n) / up_s : 0.0; };
    j["server"] = {{"uptime_s", up_s},
                   {"connections", std::max<std::int64_t>(0, srv_.metrics.connections_open.load())},
                   {"queued_in_server", srv_.queued_items.load()},
                   {"accepted_per_s", per_s(srv_.metrics.accepted_items.load())},
                   {"verdicts_per_s", per_s(srv_.metrics.verdicts_decided.load())},
                   {"counters", counters},
                   {"name", srv_.opt.name}};
    r.mutable_admin()->set_json(json_text(j));
  }

  asio::awaitable<void> submit(const wire::SubmitBatch& batch, wire::Response& r) {
    const int n = batch.enrollments_size();
    if (n == 0 || static_cast<std::uint32_t>(n) > srv_.opt.max_batch_items) {
      set_error(r, wire::INVALID_ARGUMENT,
                fmt::format("a batch holds 1-{} enrollments, got {}", srv_.opt.max_batch_items, n));
      co_return;
    }
    srv_.metrics.submitted_items += static_cast<std::uint64_t>(n);
    auto* reply = r.mutable_submit();
    std::vector<Enrollment> valid;
    std::vector<int> slot;  // reply position of each valid item
    valid.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      const wire::Enrollment& w = batch.enrollments(i);
      wire::Ack* ack = reply->add_acks();
      ack->set_enrollment_id(w.id());
      Status s = check_station_enrollment_id(w.id());
      if (s) {
        auto e = enrollment_from_wire(w, peer_.site, engine_enrollment_id(peer_.site, w.id()));
        if (e) {
          valid.push_back(std::move(*e));
          slot.push_back(i);
          continue;
        }
        s = e.error();
      }
      ack->set_kind(wire::ITEM_REJECTED);
      ack->set_reason(s.message());
      srv_.metrics.rejected_items++;
    }
    if (valid.empty()) {
      batch_event(n, 0, 0, n);
      co_return;
    }
    std::uint32_t images = 0;
    for (const Enrollment& e : valid) images += static_cast<std::uint32_t>(e.finger_images.size());
    if (images > 0) {
      // Fingers sent as images become templates here, before the engine queue: the engine and
      // matcher only ever see templates. An image that cannot be decoded or fails the quality
      // check rejects its enrollment (ITEM_REJECTED with the extractor's reason).
      if (!srv_.reserve_images(images)) {
        r.clear_body();
        send_busy_into(r, fmt::format("the image extraction queue is full ({} images waiting); nothing of this batch "
                                      "was stored",
                                      srv_.queued_images.load()));
        co_return;
      }
      Server::Impl::Extracted extracted;
      try {
        extracted = co_await srv_.extract_images(valid);
      } catch (...) {
        srv_.queued_images -= images;  // skipped: the server is stopping
        throw;
      }
      srv_.queued_images -= images;
      std::vector<Enrollment> kept;
      std::vector<int> kept_slot;
      for (std::size_t k = 0; k < valid.size(); ++k) {
        if (!valid[k].finger_images.empty()) {
          if (Status s = ingest::adopt_extracted(valid[k], extracted[k]); !s) {
            wire::Ack* ack = reply->mutable_acks(slot[k]);
            ack->set_kind(wire::ITEM_REJECTED);
            ack->set_reason(s.message());
            srv_.metrics.rejected_items++;
            continue;
          }
        }
        kept.push_back(std::move(valid[k]));
        kept_slot.push_back(slot[k]);
      }
      valid = std::move(kept);
      slot = std::move(kept_slot);
      if (valid.empty()) {
        batch_event(n, 0, 0, n);
        co_return;
      }
    }
    if (!srv_.reserve_queue(static_cast<std::uint32_t>(valid.size()))) {
      spdlog::debug("event=busy conn={} site={} items={} queued={}", id_, peer_.site, n, srv_.queued_items.load());
      r.clear_body();
      send_busy_into(r, fmt::format("the engine queue is full ({} enrollments waiting); nothing of this batch was stored",
                                    srv_.queued_items.load()));
      co_return;
    }
    Server::Impl& srv = srv_;
    auto outcome = co_await await_callback<Expected<SubmitOutcome>>(
        [&srv, &valid](Completion<Expected<SubmitOutcome>> done) {
          srv.enqueue_submit(SubmitJob{std::move(valid), std::move(done)});
        });
    if (!outcome) {
      r.clear_body();
      set_error(r, wire::INTERNAL,
                "the engine could not store this batch (nothing of it was stored): " + outcome.error().message());
      co_return;
    }
    int accepted = 0, duplicates = 0;
    for (std::size_t k = 0; k < outcome->acks.size(); ++k) {
      const SubmitAck& a = outcome->acks[k];
      wire::Ack* ack = reply->mutable_acks(slot[k]);
      switch (a.kind) {
        case SubmitAck::Kind::kAccepted:
          ack->set_kind(wire::ACCEPTED);
          srv_.metrics.accepted_items++;
          ++accepted;
          break;
        case SubmitAck::Kind::kDuplicateId:
          ack->set_kind(wire::DUPLICATE_ID);
          srv_.metrics.duplicate_id_items++;
          ++duplicates;
          if (outcome->verdicts[k]) verdict_out(*outcome->verdicts[k], peer_.site, ack->mutable_verdict());
          break;
        case SubmitAck::Kind::kRejected:
          ack->set_kind(wire::ITEM_REJECTED);
          srv_.metrics.rejected_items++;
          break;
      }
      ack->set_reason(a.reason);
    }
    batch_event(n, accepted, duplicates, n - accepted - duplicates);
  }
  void batch_event(int items, int accepted, int duplicates, int rejected) const {
    spdlog::info("event=batch conn={} site={} items={} accepted={} duplicate_id={} rejected={}", id_, peer_.site, items,
                 accepted, duplicates, rejected);
  }

  asio::awaitable<void> get_verdicts(const wire::GetVerdicts& g, wire::Response& r) {
    auto* reply = r.mutable_verdicts();
    if (g.since_cursor()) {
      // Cursors are positions in the backend's verdict log, which the engine keeps durably: a
      // station continues from its cursor across server restarts. Epoch 0 means "from the start".
      const auto& c = g.cursor();
      if (c.epoch() != 0 && c.epoch() != srv_.epoch) {
        set_error(r, wire::FAILED_PRECONDITION,
                  "the cursor is from another data directory's verdict log; start again from an empty cursor "
                  "or ask for the verdicts you miss by id");
        co_return;
      }
      const std::uint64_t after = c.epoch() ? c.seq() : 0;
      const std::size_t max = g.max_items() ? std::min(g.max_items(), srv_.opt.max_verdicts_per_reply)
                                            : srv_.opt.max_verdicts_per_reply;
      Backend& be = srv_.backend;
      const std::string prefix = peer_.admin ? std::string() : peer_.site + "/";
      const std::size_t max_scan = srv_.opt.max_verdicts_scanned;
      auto page = co_await srv_.blocking([&be, after, max, &prefix, max_scan]() -> Expected<VerdictLogPage> {
        if (after > be.last_verdict_seq())
          return failed_precondition(fmt::format(
              "the cursor (seq {}) is ahead of this server's verdict log (last seq {}): was the data restored "
              "from a backup? Start again from an empty cursor, or ask for the verdicts you miss by id",
              after, be.last_verdict_seq()));
        return be.verdicts_since(after, max, prefix, max_scan);
      });
      if (!page) {
        set_error(r, wire_code(page.error().code()), page.error().message());
        co_return;
      }
      for (const auto& [seq, v] : page->verdicts) verdict_out(v, site_of(v.enrollment.value), reply->add_verdicts());
      reply->mutable_next_cursor()->set_epoch(srv_.epoch);
      reply->mutable_next_cursor()->set_seq(page->next);
      reply->set_more(page->more);
      co_return;
    }
    if (static_cast<std::uint32_t>(g.ids_size()) > srv_.opt.max_batch_items) {
      set_error(r, wire::INVALID_ARGUMENT,
                fmt::format("at most {} ids per request, got {}", srv_.opt.max_batch_items, g.ids_size()));
      co_return;
    }
    std::vector<std::string> ids;
    for (const std::string& id : g.ids()) {
      auto e = engine_id(id);
      if (!e) {
        set_error(r, wire::INVALID_ARGUMENT, e.error().message());
        co_return;
      }
      ids.push_back(std::move(*e));
    }
    Backend& be = srv_.backend;
    struct Found {
      Status error;
      std::vector<std::optional<Verdict>> verdicts;
      std::vector<bool> received;
    };
    Found f = co_await srv_.blocking([&be, &ids] {
      Found out;
      for (const std::string& id : ids) {
        auto v = be.verdict(EnrollmentId{id});
        if (!v) return Found{v.error(), {}, {}};
        bool rec = v->has_value();
        if (!rec) {
          auto k = be.received(EnrollmentId{id});
          if (!k) return Found{k.error(), {}, {}};
          rec = *k;
        }
        out.verdicts.push_back(std::move(*v));
        out.received.push_back(rec);
      }
      return out;
    });
    if (!f.error) {
      set_error(r, wire_code(f.error.code()), f.error.message());
      co_return;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto* item = reply->add_items();
      item->set_enrollment_id(g.ids(static_cast<int>(i)));
      if (f.verdicts[i]) {
        item->set_state(wire::VerdictStatus::DECIDED);
        verdict_out(*f.verdicts[i], site_of(ids[i]), item->mutable_verdict());
      } else {
        item->set_state(f.received[i] ? wire::VerdictStatus::PENDING : wire::VerdictStatus::UNKNOWN);
      }
    }
  }

  // The finger images of one enrollment (an identify probe) extracted into templates; kBusy when
  // the extraction queue is full.
  asio::awaitable<Status> extract_into(Enrollment& e) {
    const auto n = static_cast<std::uint32_t>(e.finger_images.size());
    if (!srv_.reserve_images(n))
      co_return Status(ErrorCode::kBusy, fmt::format("the image extraction queue is full ({} images waiting)",
                                                     srv_.queued_images.load()));
    std::vector<Enrollment> one;
    one.push_back(std::move(e));
    Server::Impl::Extracted extracted;
    try {
      extracted = co_await srv_.extract_images(one);
    } catch (...) {
      srv_.queued_images -= n;  // skipped: the server is stopping
      throw;
    }
    srv_.queued_images -= n;
    Status s = ingest::adopt_extracted(one[0], extracted[0]);
    e = std::move(one[0]);
    co_return s;
  }

  void send_busy_into(wire::Response& r, std::string message) {
    set_error(r, wire::BUSY, std::move(message));
    r.mutable_error()->set_retry_after_ms(50);
  }
  void send_busy(std::uint64_t rid, std::string message) {
    wire::Response r;
    r.set_request_id(rid);
    send_busy_into(r, std::move(message));
    send(r);
  }
  void send_error(std::uint64_t rid, wire::ErrorCode code, std::string message) {
    wire::Response r;
    r.set_request_id(rid);
    set_error(r, code, std::move(message));
    send(r);
  }

  void send(const wire::Response& r) {
    if (closed_) return;
    std::string frame;
    const std::string payload = r.SerializeAsString();
    append_frame(frame, payload);
    out_bytes_ += frame.size();
    outq_.push_back(std::move(frame));
    if (out_bytes_ > srv_.opt.max_output_bytes) {
      srv_.metrics.slow_consumers_closed++;
      close_reason_ = "slow_consumer";
      error_event("slow_consumer", fmt::format("{} bytes of answers unread", out_bytes_));
      do_close();
      return;
    }
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(executor(), writer(this->shared_from_this()), asio::detached);
    }
  }

  static asio::awaitable<void> writer(std::shared_ptr<Session> self) {
    try {
      std::vector<asio::const_buffer> bufs;
      while (!self->outq_.empty() && !self->closed_) {
        const std::size_t k = std::min<std::size_t>(self->outq_.size(), 64);
        bufs.clear();
        for (std::size_t i = 0; i < k; ++i) bufs.emplace_back(asio::buffer(self->outq_[i]));
        self->write_deadline_ = Clock::now() + self->srv_.opt.write_timeout;
        co_await asio::async_write(self->stream_, bufs, asio::use_awaitable);
        self->write_deadline_ = Clock::time_point::max();
        for (std::size_t i = 0; i < k; ++i) {
          self->out_bytes_ -= self->outq_.front().size();
          self->outq_.pop_front();
        }
        self->srv_.metrics.frames_out += k;
      }
    } catch (const std::exception&) {
      self->do_close();
    }
    self->writing_ = false;
    self->maybe_close();
  }

  void close_after_flush() {
    closing_ = true;
    maybe_close();
  }
  void maybe_close() {
    if (closing_ && in_flight_ == 0 && !writing_ && outq_.empty()) do_close();
  }
  void do_close() {
    if (closed_) return;
    closed_ = true;
    spdlog::info("event=connection_close conn={} site={} reason={} requests={} seconds={:.3f}", id_,
                 peer_.site.empty() ? "-" : peer_.site, close_reason_, requests_,
                 std::chrono::duration<double>(Clock::now() - opened_).count());
    boost::system::error_code ec;
    auto& sock = lowest();
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    watchdog_.cancel();
    srv_.forget(id_);
    --srv_.metrics.connections_open;
  }
  tcp::socket& lowest() {
    if constexpr (kTls) return stream_.next_layer();
    else return stream_;
  }

  // Closes the connection when a read or write deadline passes (slow-loris, vanished peers,
  // clients that stop reading): polling keeps one timer per connection and no cancellation races.
  static asio::awaitable<void> watchdog(std::shared_ptr<Session> self) {
    const auto& o = self->srv_.opt;
    auto tick = std::min({o.idle_timeout, o.read_timeout, o.write_timeout, o.handshake_timeout}) / 4;
    tick = std::clamp(tick, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
    while (!self->closed_) {
      self->watchdog_.expires_after(tick);
      boost::system::error_code ec;
      co_await self->watchdog_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (self->closed_) break;
      const auto now = Clock::now();
      if (now >= self->read_deadline_ || now >= self->write_deadline_) {
        self->srv_.metrics.timeouts++;
        self->close_reason_ = now >= self->read_deadline_ ? "read_timeout" : "write_timeout";
        self->error_event("timeout", now >= self->read_deadline_ ? "read/idle/handshake deadline" : "write deadline");
        self->do_close();
      }
    }
  }

  // One line per error, with its kind (the counters count them; the log says who and why).
  void error_event(std::string_view kind, std::string_view message) const {
    spdlog::info("event=error kind={} conn={} remote={} site={} message=\"{}\"", kind, id_, remote_,
                 peer_.site.empty() ? "-" : peer_.site, message);
  }

  Server::Impl& srv_;
  Stream stream_;
  std::uint64_t id_;
  std::string remote_;
  Clock::time_point opened_;
  std::string close_reason_ = "closed";
  std::uint64_t requests_ = 0;
  asio::steady_timer watchdog_;
  Peer peer_, cert_peer_;
  bool authenticated_ = false;
  bool subscribed_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool writing_ = false;
  std::uint32_t in_flight_ = 0;
  std::deque<std::string> outq_;
  std::size_t out_bytes_ = 0;
  Clock::time_point read_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
};

}  // namespace

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    tcp::socket sock(*ioc);
    try {
      sock = co_await acceptor->async_accept(asio::make_strand(*ioc), asio::use_awaitable);
    } catch (const std::exception& e) {
      if (stopping) co_return;
      spdlog::warn("event=error kind=accept message=\"{}\"", e.what());
      continue;
    }
    if (stopping) co_return;
    if (metrics.connections_open.load() >= static_cast<std::int64_t>(opt.max_connections)) {
      metrics.connections_refused++;
      spdlog::warn("event=error kind=too_many_connections limit={}", opt.max_connections);
      boost::system::error_code ec;
      sock.close(ec);
      continue;
    }
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    metrics.connections_accepted++;
    ++metrics.connections_open;
    std::uint64_t id;
    std::shared_ptr<SessionBase> base;
    {
      std::lock_guard lock(sessions_mu);
      id = ++next_session;
    }
    auto ex = sock.get_executor();
    std::string remote = "-";
    if (auto rep = sock.remote_endpoint(ec); !ec) remote = fmt::format("{}:{}", rep.address().to_string(), rep.port());
    spdlog::info("event=connection_open conn={} remote={} transport={}", id, remote, ssl_ctx ? "tls" : "plaintext");
    // Registered before it runs: a session may close (and forget its id) on another I/O thread
    // before co_spawn returns, and registering after that would leave its entry forever.
    const auto track = [&](std::shared_ptr<SessionBase> s) {
      std::lock_guard lock(sessions_mu);
      sessions[id] = std::move(s);
    };
    if (ssl_ctx) {
      auto s = std::make_shared<Session<TlsStream>>(*this, TlsStream(std::move(sock), *ssl_ctx), id, std::move(remote));
      track(s);
      asio::co_spawn(ex, Session<TlsStream>::serve(s), asio::detached);
      base = s;
    } else {
      auto s = std::make_shared<Session<PlainStream>>(*this, std::move(sock), id, std::move(remote));
      track(s);
      asio::co_spawn(ex, Session<PlainStream>::serve(s), asio::detached);
      base = s;
    }
    // stop() sets `stopping` before it collects the sessions to shut down: one registered after
    // the collection sees it here.
    if (stopping) base->begin_shutdown();
  }
}

Status Server::Impl::start() {
  auto e = backend.verdict_log_epoch();
  if (!e) return Status(e.error().code(), "reading the verdict log's epoch: " + e.error().message());
  epoch = *e;
  published_seq = backend.last_verdict_seq();
  ioc = std::make_unique<asio::io_context>(std::max(1, opt.io_threads));
  if (opt.tls) {
    try {
      ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      ssl_ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
      ssl_ctx->use_certificate_chain_file(opt.tls->cert.string());
      ssl_ctx->use_private_key_file(opt.tls->key.string(), asio::ssl::context::pem);
      ssl_ctx->load_verify_file(opt.tls->ca.string());
      ssl_ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    } catch (const std::exception& e) {
      return invalid_argument(fmt::format("TLS files (ca {}, cert {}, key {}): {}", opt.tls->ca.string(),
                                          opt.tls->cert.string(), opt.tls->key.string(), e.what()));
    }
  }
  try {
    tcp::endpoint ep(asio::ip::make_address(opt.host), opt.port);
    acceptor.emplace(*ioc);
    acceptor->open(ep.protocol());
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen(asio::socket_base::max_listen_connections);
    port = acceptor->local_endpoint().port();
  } catch (const std::exception& e) {
    return io_error(fmt::format("cannot listen on {}:{}: {}", opt.host, opt.port, e.what()));
  }
  blocking_pool = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(std::max(1, opt.blocking_threads)));
  const int extract_threads =
      opt.extract_threads > 0 ? opt.extract_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  extract_pool = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(extract_threads));
  work.emplace(ioc->get_executor());
  asio::co_spawn(*ioc, accept_loop(), asio::detached);
  for (int i = 0; i < std::max(1, opt.io_threads); ++i) io_threads.emplace_back([this] { ioc->run(); });
  submitter = std::thread([this] { submitter_loop(); });
  if (opt.run_decider) decider = std::thread([this] { decider_loop(); });
  if (opt.snapshot_every_changes > 0) snapshotter = std::thread([this] { snapshot_loop(); });
  spdlog::info("event=listening address={}:{} transport={} verdict_log_epoch={} verdict_log_seq={}", opt.host, port,
               opt.tls ? "mutual_tls" : "PLAINTEXT_INSECURE_DEVELOPMENT_ONLY", epoch, published_seq);
  return Status::ok();
}

void Server::Impl::stop() {
  if (stopped.exchange(true)) return;
  stopping = true;
  // No snapshot is begun from now on (one being saved finishes: it is joined below); the engine
  // saves its snapshots when it closes anyway.
  {
    std::lock_guard lock(snapshot_mu);
    snapshot_stop = true;
  }
  snapshot_cv.notify_all();
  spdlog::info("event=stopping connections={}", metrics.connections_open.load());
  asio::post(*ioc, [this] {
    boost::system::error_code ec;
    acceptor->close(ec);
  });
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mu);
    for (auto& [id, w] : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->begin_shutdown();
  const auto deadline = Clock::now() + opt.drain_timeout;
  while (metrics.connections_open.load() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (auto& s : live) s->force_close();
  live.clear();
  // The stages stop in the order work flows through them (extraction -> submitter -> decider ->
  // blocking pool), each refusing new work once it is joined, while the I/O threads still run:
  // a completion of one stage resumes its request's coroutine, which may hand work to the next
  // (an extraction's request queues a submit), and that next stage is still there to take it
  // or to refuse it with SHUTTING_DOWN. Joining the extraction pool last, as before, let an
  // extraction queue a submit nobody would run, and the coroutine waiting for it was destroyed
  // after the io_context it belonged to (a use-after-free at exit).
  {
    std::lock_guard lock(pools_mu);
    extract_closed = true;
  }
  extract_pool->join();
  // Every submit that was queued reaches the engine (its station may still get the ack if the
  // connection lives; if not, resubmitting is idempotent).
  {
    std::lock_guard lock(submit_mu);
    submit_stop = true;
  }
  submit_cv.notify_all();
  if (submitter.joinable()) submitter.join();
  {
    std::lock_guard lock(decide_mu);
    decide_stop = true;
  }
  decide_cv.notify_all();
  if (decider.joinable()) decider.join();
  if (snapshotter.joinable()) snapshotter.join();
  {
    std::lock_guard lock(pools_mu);
    blocking_closed = true;
  }
  blocking_pool->join();
  work.reset();
  ioc->stop();
  for (auto& t : io_threads) t.join();
  {
    // Empty by construction (the submitter drains the queue before it returns); a job left here
    // would hold a coroutine of the io_context destroyed below.
    std::lock_guard lock(submit_mu);
    submit_jobs.clear();
  }
  acceptor.reset();
  ioc.reset();  // destroys what is left of the sessions while everything they touch still lives
  spdlog::info("event=server_stopped");
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }

Expected<std::unique_ptr<Server>> Server::start(const ServerOptions& options, Backend& backend,
                                                RequestService* requests) {
  auto impl = std::make_unique<Impl>(options, backend);
  impl->requests = requests;
  if (Status s = impl->start(); !s) return s;
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::uint16_t Server::port() const { return impl_->port; }
void Server::stop() {
  if (impl_) impl_->stop();
}
std::string Server::prometheus_text() const {
  std::string s = impl_->metrics.prometheus_text();
  const EngineStats st = impl_->backend.stats();
  s += fmt::format("# TYPE tunggal_gallery_size gauge\ntunggal_gallery_size {}\n", st.gallery_size);
  s += fmt::format("# TYPE tunggal_pending_enrollments gauge\ntunggal_pending_enrollments {}\n", st.pending);
  s += fmt::format("# TYPE tunggal_verdict_log_seq counter\ntunggal_verdict_log_seq {}\n",
                   impl_->backend.last_verdict_seq());
  s += fmt::format("# TYPE tunggal_changes_since_index_snapshot gauge\ntunggal_changes_since_index_snapshot {}\n",
                   impl_->backend.changes_since_snapshot());
  return s;
}

}  // namespace tunggal::server
