#include "cli/request_desk.h"

#include <chrono>
#include <filesystem>
#include <utility>

#include "cli/endpoint.h"
#include "cli/engine_verdict_lookup.h"
#include "cli/request_cli.h"
#include "server/client.h"
#include "server/request_client.h"
#include "workflow/request_state.h"
#include "workflow/workflow_store.h"

namespace tunggal::cli {
namespace {

// Offline without an engine store in the data directory: the engine holds no capture yet.
class NoEngineHere final : public workflow::VerdictLookup {
 public:
  workflow::IdentityStatus status(const std::string& enrollment_id) const override {
    return {workflow::IdentityStatus::kUnknown, "no engine store here to know enrollment " + enrollment_id};
  }
};

class LocalDesk final : public RequestDesk {
 public:
  LocalDesk(std::string data_dir, std::unique_ptr<workflow::WorkflowStore> store, std::int64_t now_ms)
      : data_dir_(std::move(data_dir)), store_(std::move(store)), flow_(*store_), now_(now_ms) {}

  Expected<workflow::Request> submit(const workflow::NewRequest& req) override { return flow_.submit(req, now_); }
  Expected<workflow::Request> verify_documents(const std::string& id,
                                               const std::vector<workflow::Document>& docs) override {
    return flow_.verify_documents(id, docs, now_);
  }
  // Checked against the engine's store when the data directory has one. Without one the capture
  // is linked as one the engine has not received yet: refresh, which needs the store, checks it.
  Expected<workflow::Request> record_biometrics(const std::string& id, const std::string& enrollment) override {
    if (!std::filesystem::exists(std::filesystem::path(data_dir_) / "store"))
      return flow_.record_biometrics(id, enrollment, NoEngineHere{}, now_);
    if (Status s = need_verdicts(); !s) return s;
    return flow_.record_biometrics(id, enrollment, *verdicts_, now_);
  }
  Expected<workflow::Request> refresh(const std::string& id) override {
    if (Status s = need_verdicts(); !s) return s;
    return flow_.refresh(id, *verdicts_, now_);
  }
  Expected<std::vector<workflow::Request>> refresh_all() override {
    if (Status s = need_verdicts(); !s) return s;
    return flow_.refresh_all(*verdicts_, now_);
  }
  Expected<workflow::Request> print(const std::string& id, const std::optional<std::string>& pin) override {
    if (Status s = need_verdicts(); !s) return s;
    return flow_.print(id, *verdicts_, pin, now_);
  }
  Expected<workflow::Request> hand_over(const std::string& id, const std::vector<workflow::Document>& docs) override {
    return flow_.hand_over(id, docs, now_);
  }
  Expected<workflow::Request> reissue_pin(const std::string& id) override { return flow_.reissue_pin(id, now_); }
  Expected<workflow::Request> reject(const std::string& id, const std::string& reason) override {
    return flow_.reject(id, reason, now_);
  }
  Expected<workflow::Request> show(const std::string& id) override { return flow_.get(id); }
  Expected<std::vector<workflow::Request>> list(const std::optional<workflow::RequestState>& state,
                                                bool open_only) override {
    auto all = flow_.list();
    if (!all) return all.error();
    std::erase_if(*all, [&](const workflow::Request& r) {
      return (state && r.state != *state) || (open_only && workflow::is_terminal(r.state));
    });
    return all;
  }
  Expected<std::vector<workflow::OverdueRequest>> overdue() override { return flow_.overdue(now_); }
  Expected<std::vector<workflow::Notification>> outbox(bool take) override {
    return take ? flow_.take_outbox(now_) : flow_.outbox();
  }
  Expected<std::vector<workflow::OldCardRecord>> old_cards(bool send) override {
    return send ? flow_.send_old_cards_to_dinas(now_) : flow_.old_cards();
  }
  Status need_verdicts() override {
    if (verdicts_) return Status::ok();
    auto v = make_engine_verdict_lookup(data_dir_);
    if (!v) return v.error();
    verdicts_ = std::move(*v);
    return Status::ok();
  }
  std::int64_t deadline_ms(const workflow::Request& r) const override {
    return workflow::sla_deadline_ms(r, flow_.options().sla);
  }

 private:
  std::string data_dir_;
  std::unique_ptr<workflow::WorkflowStore> store_;
  workflow::RequestWorkflow flow_;
  std::int64_t now_;
  std::unique_ptr<workflow::VerdictLookup> verdicts_;  // opened by the steps that need it
};

class RemoteDesk final : public RequestDesk {
 public:
  explicit RemoteDesk(std::unique_ptr<server::Client> client) : client_(std::move(client)), rc_(*client_) {}

  Expected<workflow::Request> submit(const workflow::NewRequest& req) override { return rc_.create(req); }
  Expected<workflow::Request> verify_documents(const std::string& id,
                                               const std::vector<workflow::Document>& docs) override {
    return rc_.verify_documents(id, docs);
  }
  Expected<workflow::Request> record_biometrics(const std::string& id, const std::string& enrollment) override {
    return rc_.record_biometrics(id, enrollment);
  }
  Expected<workflow::Request> refresh(const std::string& id) override { return rc_.refresh(id); }
  Expected<std::vector<workflow::Request>> refresh_all() override { return rc_.refresh_all(); }
  Expected<workflow::Request> print(const std::string& id, const std::optional<std::string>& pin) override {
    return rc_.print(id, pin);
  }
  Expected<workflow::Request> hand_over(const std::string& id, const std::vector<workflow::Document>& docs) override {
    return rc_.hand_over(id, docs);
  }
  Expected<workflow::Request> reissue_pin(const std::string& id) override { return rc_.reissue_pin(id); }
  Expected<workflow::Request> reject(const std::string& id, const std::string& reason) override {
    return rc_.reject(id, reason);
  }
  Expected<workflow::Request> show(const std::string& id) override { return rc_.show(id); }
  Expected<std::vector<workflow::Request>> list(const std::optional<workflow::RequestState>& state,
                                                bool open_only) override {
    return rc_.list(state, open_only);
  }
  Expected<std::vector<workflow::OverdueRequest>> overdue() override { return rc_.overdue(); }
  Expected<std::vector<workflow::Notification>> outbox(bool take) override { return rc_.outbox(take); }
  Expected<std::vector<workflow::OldCardRecord>> old_cards(bool send) override { return rc_.old_cards(send); }
  Status need_verdicts() override { return Status::ok(); }  // the server has its engine
  std::int64_t deadline_ms(const workflow::Request& r) const override { return rc_.deadline_ms(r.id); }

 private:
  std::unique_ptr<server::Client> client_;
  server::RequestClient rc_;
};

Expected<std::unique_ptr<RequestDesk>> open_remote(const RequestArgs& a) {
  if (!a.data_dir.empty()) return invalid_argument("give --data-dir (offline) or --connect (a server), not both");
  if (a.now_ms != 0) return invalid_argument("--now-ms works offline only: over --connect the server's clock decides");
  auto ep = parse_endpoint(a.connect);
  if (!ep) return ep.error();
  server::ClientOptions o;
  o.host = ep->host;
  o.port = ep->port;
  o.site = a.site;
  o.admin = a.admin;
  o.client_name = "tunggal request";
  const bool any_tls = !a.ca.empty() || !a.cert.empty() || !a.key.empty();
  if (a.plain) {
    if (any_tls) return invalid_argument("--plain takes no --ca/--cert/--key");
    if (a.site.empty()) return invalid_argument("--plain needs --site (the identity claimed; a TLS certificate proves it)");
  } else {
    if (a.ca.empty() || a.cert.empty() || a.key.empty())
      return invalid_argument("--connect needs --ca, --cert and --key (mutual TLS), or --plain for a development server");
    o.tls = server::TlsFiles{a.ca, a.cert, a.key};
  }
  auto c = server::Client::connect(o);
  if (!c) return c.error();
  return std::unique_ptr<RequestDesk>(new RemoteDesk(std::move(*c)));
}

}  // namespace

Expected<std::unique_ptr<RequestDesk>> open_request_desk(const RequestArgs& a) {
  if (!a.connect.empty()) return open_remote(a);
  if (a.data_dir.empty()) return invalid_argument("give --data-dir DIR (offline) or --connect HOST:PORT (a server)");
  if (a.plain || a.admin || !a.site.empty() || !a.ca.empty() || !a.cert.empty() || !a.key.empty())
    return invalid_argument("--plain, --site, --admin, --ca, --cert and --key go with --connect");
  auto store = workflow::WorkflowStore::open(a.data_dir);
  if (!store) return store.error();
  const std::int64_t now = a.now_ms != 0 ? a.now_ms
                                         : std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count();
  return std::unique_ptr<RequestDesk>(new LocalDesk(a.data_dir, std::move(*store), now));
}

}  // namespace tunggal::cli
