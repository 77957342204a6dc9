// `tunggal serve`: the engine behind the station protocol (docs/protocol.md), until SIGINT or
// SIGTERM, which stop it gracefully (nothing acknowledged is lost).
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_registry.h"
#include "cli/endpoint.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "matcher/finger_matcher.h"
#include "server/request_service.h"
#include "server/server.h"
#include "workflow/request_workflow.h"
#include "workflow/workflow_store.h"

namespace tunggal::cli {
namespace {

RegisterCommand reg{{"serve", "serve recording stations and admins over the station protocol (mutual TLS)",
                     [](CLI::App& cmd) {
  auto data_dir = std::make_shared<std::string>();
  auto listen = std::make_shared<std::string>("127.0.0.1:7700");
  auto tls_dir = std::make_shared<std::string>();
  auto insecure = std::make_shared<bool>(false);
  auto zero_cost = std::make_shared<bool>(false);
  auto seed = std::make_shared<std::uint64_t>(1);
  auto shards = std::make_shared<int>(4);
  auto o = std::make_shared<server::ServerOptions>();
  auto idle_s = std::make_shared<int>(120);
  cmd.add_option("--data-dir", *data_dir, "engine data directory (a new one gets a calibrated score model)");
  cmd.add_option("--listen", *listen, "HOST:PORT to listen on")->capture_default_str();
  cmd.add_option("--tls-dir", *tls_dir, "directory with ca.pem, server.pem, server.key (tunggal certs)");
  cmd.add_flag("--insecure-plaintext", *insecure,
               "no TLS: identities claimed in hello are trusted (local development only)");
  cmd.add_flag("--zero-cost-policy", *zero_cost,
               "BENCHMARK ONLY: no engine; every enrollment is UNIQUE at once (measures protocol overhead)");
  cmd.add_option("--seed", *seed, "calibration population seed for a new data directory")->capture_default_str();
  cmd.add_option("--shards", *shards, "gallery shards of a new data directory")->capture_default_str();
  cmd.add_option("--io-threads", o->io_threads, "network threads")->capture_default_str();
  cmd.add_option("--max-batch", o->max_batch_items, "enrollments per submit")->capture_default_str();
  cmd.add_option("--max-queued", o->max_queued_items, "enrollments waiting for the engine before BUSY")
      ->capture_default_str();
  cmd.add_option("--max-in-flight", o->max_in_flight_per_connection, "requests per connection before BUSY")
      ->capture_default_str();
  cmd.add_option("--idle-timeout", *idle_s, "seconds a connection may stay silent")->capture_default_str();
  cmd.footer(
      "Example: tunggal certs --out tls --sites kec-01 --admin alice && "
      "tunggal serve --data-dir /srv/tunggal --listen 127.0.0.1:7700 --tls-dir tls");
  return [=]() {
    auto ep = parse_endpoint(*listen);
    if (!ep) throw StatusError(ep.error());
    o->host = ep->host;
    o->port = ep->port;
    o->idle_timeout = std::chrono::seconds(*idle_s);
    if (tls_dir->empty() == !*insecure) {
      std::cerr << "tunggal serve: give --tls-dir DIR, or --insecure-plaintext for local development\n";
      return kExitUsage;
    }
    if (!tls_dir->empty()) o->tls = server::TlsFiles::in_dir(*tls_dir, "server");
    if (!*zero_cost && data_dir->empty()) {
      std::cerr << "tunggal serve: --data-dir is required (or --zero-cost-policy for protocol benchmarks)\n";
      return kExitUsage;
    }
    // Signals are waited for by this thread only: block them before any thread starts.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    std::unique_ptr<Engine> engine;
    std::unique_ptr<server::Backend> backend;
    // The KTP-el request workflow in DIR/workflow, operated over the protocol (docs/workflow.md).
    std::unique_ptr<workflow::WorkflowStore> workflow_store;
    std::unique_ptr<workflow::RequestWorkflow> workflow;
    std::unique_ptr<server::RequestService> requests;
    if (*zero_cost) {
      std::cerr << "tunggal serve: ZERO-COST POLICY: no matching, nothing stored (protocol benchmark only)\n";
      backend = server::zero_cost_backend();
    } else {
      EngineOptions options;
      options.data_dir = *data_dir;
      options.shards = *shards;
      std::optional<FusionModel> model;
      if (!std::filesystem::exists(options.data_dir / "store")) {
        std::cerr << "tunggal serve: new data directory: calibrating the score model\n";
        datasets::PopulationConfig cal;
        cal.seed = *seed + 0x5eed0ca1;  // as tunggal import does
        auto m = datasets::calibrate_fusion(datasets::Population(cal), matcher::FingerMatcher{});
        if (!m) throw StatusError(m.error());
        model = std::move(*m);
      }
      auto e = Engine::open(options, std::move(model));
      if (!e) {
        std::cerr << "tunggal serve: " << e.error().to_string() << "\n";
        return kExitUnavailable;
      }
      engine = std::move(*e);
      backend = server::engine_backend(*engine);
      auto ws = workflow::WorkflowStore::open(*data_dir);
      if (!ws) {
        std::cerr << "tunggal serve: request workflow: " << ws.error().to_string() << "\n";
        return kExitUnavailable;
      }
      workflow_store = std::move(*ws);
      workflow = std::make_unique<workflow::RequestWorkflow>(*workflow_store);
      requests = std::make_unique<server::RequestService>(*workflow, *backend);
    }
    auto srv = server::Server::start(*o, *backend, requests.get());
    if (!srv) {
      std::cerr << "tunggal serve: " << srv.error().to_string() << "\n";
      return kExitUnavailable;
    }
    std::cout << fmt::format("listening on {}:{}", o->host, (*srv)->port()) << std::endl;
    int sig = 0;
    sigwait(&sigs, &sig);
    std::cerr << "tunggal serve: signal " << sig << ": stopping gracefully\n";
    (*srv)->stop();
    std::cerr << (*srv)->prometheus_text();
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
