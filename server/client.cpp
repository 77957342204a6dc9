#include "server/client.h"

#include <deque>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/x509_vfy.h>
#include <fmt/format.h>

#include "server/wire_codec.h"

namespace tunggal::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;

Status status_of(const wire::Error& e) {
  ErrorCode code = ErrorCode::kInternal;
  switch (e.code()) {
    case wire::BAD_FRAME: code = ErrorCode::kMalformedRecord; break;
    case wire::WRONG_VERSION: code = ErrorCode::kIncompatible; break;
    case wire::NOT_AUTHENTICATED:
    case wire::PERMISSION_DENIED: code = ErrorCode::kPermissionDenied; break;
    case wire::INVALID_ARGUMENT: code = ErrorCode::kInvalidArgument; break;
    case wire::NOT_FOUND: code = ErrorCode::kNotFound; break;
    case wire::BUSY:
    case wire::SHUTTING_DOWN: code = ErrorCode::kBusy; break;
    case wire::FAILED_PRECONDITION: code = ErrorCode::kFailedPrecondition; break;
    default: break;
  }
  return {code, "server: " + e.message()};
}

Verdict verdict_in(const wire::Verdict& w) { return verdict_from_wire(w); }

}  // namespace

struct Client::Impl {
  ClientOptions opt;
  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> ctx;
  std::unique_ptr<TlsStream> tls;
  std::unique_ptr<tcp::socket> plain;
  FrameDecoder decoder{1u << 30};
  std::deque<PushedVerdict> pushes;
  ServerHello hello;
  std::uint64_t next_id = 1;
  bool broken = false;
  std::array<char, 1 << 16> rbuf{};

  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }

  // Runs the asynchronous operation started by `start` until it completes or `timeout` passes;
  // on timeout the connection is closed (its state is unknown afterwards).
  // A read that times out is only cancelled (the connection stays usable: waiting for pushes).
  template <typename Start>
  boost::system::error_code run(Start start, std::chrono::milliseconds timeout, std::size_t* n = nullptr,
                                bool cancel_only = false) {
    boost::system::error_code result = asio::error::would_block;
    start([&](boost::system::error_code ec, std::size_t bytes) {
      result = ec;
      if (n) *n = bytes;
    });
    ioc.restart();
    ioc.run_for(timeout);
    if (!ioc.stopped()) {
      boost::system::error_code ignore;
      if (cancel_only) lowest().cancel(ignore);
      else lowest().close(ignore);
      ioc.restart();
      ioc.run();
      if (result == asio::error::operation_aborted || result == asio::error::would_block || !cancel_only) {
        if (!cancel_only) broken = true;
        return asio::error::timed_out;
      }
    }
    return result;
  }

  Status connect() {
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(opt.host, std::to_string(opt.port), ec);
    if (ec) return io_error(fmt::format("cannot resolve {}: {}", opt.host, ec.message()));
    if (opt.tls) {
      ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      try {
        ctx->load_verify_file(opt.tls->ca.string());
        ctx->use_certificate_chain_file(opt.tls->cert.string());
        ctx->use_private_key_file(opt.tls->key.string(), asio::ssl::context::pem);
      } catch (const std::exception& e) {
        return invalid_argument(fmt::format("TLS files (ca {}, cert {}, key {}): {}", opt.tls->ca.string(),
                                            opt.tls->cert.string(), opt.tls->key.string(), e.what()));
      }
      // The chain must lead to the deployment's CA, and the certificate must name the host we
      // dialled (subjectAltName DNS or IP): a station certificate, or the server certificate of
      // another deployment's host signed by the same CA, cannot pose as this server.
      ctx->set_verify_mode(asio::ssl::verify_peer);
      const std::string& name = opt.server_name.empty() ? opt.host : opt.server_name;
      tls = std::make_unique<TlsStream>(ioc, *ctx);
      // OpenSSL checks the name during chain verification, so a mismatch has its own verify
      // result (reported below). SNI only carries DNS names, never addresses.
      X509_VERIFY_PARAM* param = SSL_get0_param(tls->native_handle());
      boost::system::error_code addr_ec;
      asio::ip::make_address(name, addr_ec);
      const int set = addr_ec ? X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size())
                              : X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      if (set != 1) return invalid_argument(fmt::format("'{}' is not a usable server name", name));
      if (addr_ec) SSL_set_tlsext_host_name(tls->native_handle(), name.c_str());
    } else {
      plain = std::make_unique<tcp::socket>(ioc);
    }
    ec = run([&](auto h) {
      asio::async_connect(lowest(), endpoints, [h](boost::system::error_code e, const tcp::endpoint&) mutable { h(e, 0); });
    }, opt.timeout);
    if (ec) return io_error(fmt::format("cannot connect to {}:{}: {}", opt.host, opt.port, ec.message()));
    lowest().set_option(tcp::no_delay(true), ec);
    if (tls) {
      ec = run([&](auto h) {
        tls->async_handshake(asio::ssl::stream_base::client, [h](boost::system::error_code e) mutable { h(e, 0); });
      }, opt.timeout);
      if (ec) {
        const long verify = SSL_get_verify_result(tls->native_handle());
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
          return Status(ErrorCode::kPermissionDenied,
                        fmt::format("the server at {}:{} presented a certificate that does not name '{}' (its "
                                    "subjectAltName must list the host you connect to; see tunggal certs --server-hosts)",
                                    opt.host, opt.port, opt.server_name.empty() ? opt.host : opt.server_name));
        return io_error(fmt::format("TLS handshake with {}:{} failed: {}", opt.host, opt.port, ec.message()));
      }
    }
    return Status::ok();
  }

  Status write(std::string_view bytes) {
    if (broken) return io_error("connection is closed");
    auto ec = run([&](auto h) {
      if (tls) asio::async_write(*tls, asio::buffer(bytes.data(), bytes.size()), h);
      else asio::async_write(*plain, asio::buffer(bytes.data(), bytes.size()), h);
    }, opt.timeout);
    if (ec) {
      broken = true;
      return io_error("write to server failed: " + ec.message());
    }
    return Status::ok();
  }

  Expected<std::string> read_frame(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto f = decoder.next()) return std::move(*f);
      if (!decoder.status()) return decoder.status();
      if (broken) return io_error("connection is closed");
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return io_error("timed out waiting for the server");
      std::size_t n = 0;
      auto ec = run([&](auto h) {
        if (tls) tls->async_read_some(asio::buffer(rbuf), h);
        else plain->async_read_some(asio::buffer(rbuf), h);
      }, left, &n, /*cancel_only=*/true);
      if (ec == asio::error::timed_out) return io_error("timed out waiting for the server");
      if (ec) {
        broken = true;
        return io_error(decoder.buffered() ? "connection closed by the server in the middle of a frame"
                                           : "connection closed by the server: " + ec.message());
      }
      if (Status s = decoder.feed(std::string_view(rbuf.data(), n)); !s) return s;
    }
  }

  void keep_push(const wire::Response& r) {
    const auto& p = r.push();
    pushes.push_back(PushedVerdict{verdict_in(p.verdict()), p.verdict().site(), {p.cursor().epoch(), p.cursor().seq()},
                                   std::chrono::steady_clock::now()});
  }

  // Sends one request and waits for its answer; pushes met on the way are kept.
  Expected<wire::Response> call(wire::Request& req) {
    req.set_request_id(next_id++);
    std::string frame;
    append_frame(frame, req.SerializeAsString());
    if (Status s = write(frame); !s) return s;
    for (;;) {
      auto payload = read_frame(opt.timeout);
      if (!payload) return payload.error();
      auto r = parse_response(*payload);
      if (!r) return r.error();
      if (r->has_push()) {
        keep_push(*r);
        continue;
      }
      if (r->request_id() == req.request_id() || r->request_id() == 0) {
        if (r->has_error()) return status_of(r->error());
        return std::move(*r);
      }
    }
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Expected<std::unique_ptr<Client>> Client::connect(const ClientOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  if (Status s = impl->connect(); !s) return s;
  if (options.send_hello) {
    wire::Request req;
    auto* h = req.mutable_hello();
    h->set_protocol_version(options.protocol_version);
    h->set_client(options.client_name);
    h->set_site(options.site);
    h->set_admin(options.admin);
    auto r = impl->call(req);
    if (!r) return r.error();
    if (!r->has_hello()) return malformed("server answered hello with something else");
    const auto& hr = r->hello();
    impl->hello = ServerHello{hr.site(), hr.admin(), hr.max_frame_bytes(), hr.max_batch_items(), hr.max_in_flight(),
                              hr.server()};
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

const ServerHello& Client::hello() const { return impl_->hello; }

Expected<std::vector<ItemAck>> Client::submit(std::span<const Enrollment> enrollments) {
  wire::Request req;
  auto* b = req.mutable_submit();
  for (const Enrollment& e : enrollments) enrollment_to_wire(e, b->add_enrollments());
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_submit()) return malformed("server answered submit with something else");
  std::vector<ItemAck> out;
  for (const wire::Ack& a : r->submit().acks()) {
    ItemAck k;
    k.id = a.enrollment_id();
    k.kind = a.kind() == wire::ACCEPTED       ? ItemAck::Kind::kAccepted
             : a.kind() == wire::DUPLICATE_ID ? ItemAck::Kind::kDuplicateId
                                              : ItemAck::Kind::kRejected;
    k.reason = a.reason();
    if (a.has_verdict()) k.verdict = verdict_in(a.verdict());
    out.push_back(std::move(k));
  }
  return out;
}

Expected<std::vector<VerdictState>> Client::verdicts(std::span<const std::string> ids) {
  wire::Request req;
  for (const std::string& id : ids) req.mutable_get_verdicts()->add_ids(id);
  if (ids.empty()) req.mutable_get_verdicts();
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_verdicts()) return malformed("server answered get verdicts with something else");
  std::vector<VerdictState> out;
  for (const auto& item : r->verdicts().items()) {
    VerdictState s;
    s.id = item.enrollment_id();
    s.state = item.state() == wire::VerdictStatus::DECIDED   ? VerdictState::State::kDecided
              : item.state() == wire::VerdictStatus::PENDING ? VerdictState::State::kPending
                                                             : VerdictState::State::kUnknown;
    if (item.has_verdict()) s.verdict = verdict_in(item.verdict());
    out.push_back(std::move(s));
  }
  return out;
}

Expected<SinceResult> Client::verdicts_since(WireCursor cursor, std::uint32_t max_items) {
  wire::Request req;
  auto* g = req.mutable_get_verdicts();
  g->set_since_cursor(true);
  g->mutable_cursor()->set_epoch(cursor.epoch);
  g->mutable_cursor()->set_seq(cursor.seq);
  g->set_max_items(max_items);
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_verdicts()) return malformed("server answered get verdicts with something else");
  SinceResult out;
  for (const auto& v : r->verdicts().verdicts()) out.verdicts.push_back(verdict_in(v));
  out.next = {r->verdicts().next_cursor().epoch(), r->verdicts().next_cursor().seq()};
  out.more = r->verdicts().more();
  return out;
}

Expected<WireCursor> Client::subscribe() {
  wire::Request req;
  req.mutable_subscribe();
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_subscribed()) return malformed("server answered subscribe with something else");
  return WireCursor{r->subscribed().cursor().epoch(), r->subscribed().cursor().seq()};
}

Status Client::ping() {
  wire::Request req;
  req.mutable_ping()->set_payload("tunggal");
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_pong() || r->pong().payload() != "tunggal") return malformed("server answered ping wrongly");
  return Status::ok();
}

namespace {
Expected<std::uint64_t> count_of(Expected<wire::Response> r) {
  if (!r) return r.error();
  if (!r->has_count()) return malformed("server answered a count request with something else");
  return r->count().value();
}
Status done_of(Expected<wire::Response> r) {
  if (!r) return r.error();
  if (!r->has_done()) return malformed("server answered an admin request with something else");
  return Status::ok();
}
}  // namespace

Expected<std::uint64_t> Client::pending_count() {
  wire::Request req;
  req.mutable_pending_count();
  return count_of(impl_->call(req));
}

Expected<std::uint64_t> Client::reference_count() {
  wire::Request req;
  req.mutable_reference_count();
  return count_of(impl_->call(req));
}

Expected<Verdict> Client::identify(const Enrollment& probe) {
  wire::Request req;
  enrollment_to_wire(probe, req.mutable_identify()->mutable_probe());
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_identify()) return malformed("server answered identify with something else");
  return verdict_in(r->identify().result());
}

Status Client::delete_subject(SubjectId subject, const std::string& reason) {
  wire::Request req;
  req.mutable_delete_subject()->set_subject(subject.value);
  req.mutable_delete_subject()->set_reason(reason);
  return done_of(impl_->call(req));
}

Status Client::adjudicate(const std::string& enrollment_id, Decision decision, const std::string& reason,
                          SubjectId linked) {
  wire::Request req;
  auto* a = req.mutable_adjudicate();
  a->set_enrollment_id(enrollment_id);
  a->set_decision(static_cast<wire::Decision>(decision));
  a->set_reason(reason);
  a->set_linked_subject(linked.value);
  return done_of(impl_->call(req));
}

Expected<ServerStats> Client::stats() {
  wire::Request req;
  req.mutable_stats();
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_stats()) return malformed("server answered stats with something else");
  const auto& s = r->stats();
  ServerStats out;
  for (const auto& [k, v] : s.counters()) out.counters[k] = v;
  for (const auto& h : s.histograms())
    out.histograms.push_back({h.name(), {h.upper_bounds_ms().begin(), h.upper_bounds_ms().end()},
                              {h.counts().begin(), h.counts().end()}, h.count(), h.sum_ms()});
  out.gallery_size = s.gallery_size();
  out.pending = s.pending();
  out.duplicate_threshold = s.duplicate_threshold();
  out.review_threshold = s.review_threshold();
  out.connections = s.connections();
  return out;
}

Expected<std::string> Client::admin(const admin::AdminQuery& q) {
  using K = admin::AdminQuery::Kind;
  wire::Request req;
  switch (q.kind) {
    case K::kStatus: req.mutable_admin_status(); break;
    case K::kShowSubject: {
      std::uint64_t id = 0;
      std::size_t used = 0;
      try {
        id = std::stoull(q.id, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != q.id.size() || q.id[0] == '-')
        return invalid_argument(fmt::format("'{}' is not a subject id (a number)", q.id));
      req.mutable_show_subject()->set_subject(id);
      break;
    }
    case K::kShowEnrollment: req.mutable_show_enrollment()->set_enrollment_id(q.id); break;
    case K::kReviewList: req.mutable_review_list()->set_limit(static_cast<std::uint32_t>(std::min<std::uint64_t>(q.limit, UINT32_MAX))); break;
    case K::kReviewShow: req.mutable_review_show()->set_id(q.id); break;
    case K::kAudit:
      req.mutable_audit_log()->set_since_ms(q.since_ms);
      req.mutable_audit_log()->set_after_seq(q.after_seq);
      break;
    case K::kThresholds:
      req.mutable_thresholds_what_if()->set_target_fpir(q.target_fpir);
      req.mutable_thresholds_what_if()->set_review_fpir(q.review_fpir);
      break;
    case K::kBackup: req.mutable_backup()->set_dir(q.id); break;
    case K::kAdjudicateCase: {
      auto* a = req.mutable_adjudicate_case();
      a->set_case_id(q.id);
      a->set_decision(static_cast<wire::Decision>(q.decision));
      a->set_reason(q.reason);
      break;
    }
  }
  auto r = impl_->call(req);
  if (!r) return r.error();
  if (!r->has_admin()) return malformed("server answered an admin request with something else");
  return r->admin().json();
}

Expected<std::vector<PushedVerdict>> Client::take_pushes(std::chrono::milliseconds max_wait) {
  if (impl_->pushes.empty() && max_wait.count() > 0) {
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    while (impl_->pushes.empty()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto payload = impl_->read_frame(left);
      if (!payload) {
        if (impl_->broken) return payload.error();
        break;  // timeout: nothing pushed yet
      }
      auto r = parse_response(*payload);
      if (!r) return r.error();
      if (r->has_push()) impl_->keep_push(*r);
      else if (r->has_error() && r->request_id() == 0) return status_of(r->error());
    }
  }
  std::vector<PushedVerdict> out(std::make_move_iterator(impl_->pushes.begin()),
                                 std::make_move_iterator(impl_->pushes.end()));
  impl_->pushes.clear();
  return out;
}

Status Client::call(wire::Request& req, wire::Response& out) {
  auto r = impl_->call(req);
  if (!r) return r.error();
  out = std::move(*r);
  return Status::ok();
}

Status Client::send_raw(std::string_view bytes) { return impl_->write(bytes); }

Expected<std::string> Client::read_frame(std::chrono::milliseconds timeout) { return impl_->read_frame(timeout); }

bool Client::closed_by_server(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = impl_->read_frame(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!f && impl_->broken) return true;
    if (!f && f.error().code() != ErrorCode::kIoError) return false;
  }
  return impl_->broken;
}

}  // namespace tunggal::server
