// `tunggal serve`: the engine behind the station protocol (docs/protocol.md), until SIGINT or
// SIGTERM, which stop it gracefully (nothing acknowledged is lost). Settings come from a TOML file
// (--config) and flags of the same names, flags winning (server/serve_config.h).
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/command_registry.h"
#include "datasets/population.h"
#include "datasets/population_calibration.h"
#include "engine/engine.h"
#include "matcher/finger_matcher.h"
#include "server/metrics_http.h"
#include "server/request_service.h"
#include "server/serve_config.h"
#include "server/server.h"
#include "workflow/request_workflow.h"
#include "workflow/workflow_store.h"

namespace tunggal::cli {
namespace {

// One line per event: "2026-11-25T17:45:19.123Z level=info event=... key=value ...", UTC.
Status setup_logging(const server::ServeConfig& c) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (c.log_file.empty()) logger = spdlog::stderr_logger_mt("tunggal-serve");
    else logger = spdlog::basic_logger_mt("tunggal-serve", c.log_file);
  } catch (const spdlog::spdlog_ex& e) {
    return io_error(fmt::format("log-file {}: {}", c.log_file, e.what()));
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(c.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Status::ok();
}

// Written to a temporary name and renamed: a script polling for the file never reads half of it.
Status write_port_file(const std::string& path, std::uint16_t port, int metrics_port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << "port=" << port << "\n";
    if (metrics_port >= 0) f << "metrics_port=" << metrics_port << "\n";
    if (!f) return io_error("cannot write port-file " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return io_error(fmt::format("cannot write port-file {}: {}", path, ec.message()));
  return Status::ok();
}

int serve(server::ServeConfig c) {
  if (Status s = setup_logging(c); !s) {
    std::cerr << "tunggal serve: " << s.message() << "\n";
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
  if (c.zero_cost_policy) {
    spdlog::warn("event=zero_cost_policy note=\"no matching, nothing stored: protocol benchmark only\"");
    backend = server::zero_cost_backend();
  } else {
    EngineOptions options = c.engine;
    options.data_dir = c.data_dir;
    options.shards = c.shards;
    std::optional<FusionModel> model;
    if (!std::filesystem::exists(options.data_dir / "store")) {
      spdlog::info("event=calibrating data_dir={} note=\"new data directory\"", c.data_dir);
      datasets::PopulationConfig cal;
      cal.seed = c.seed + 0x5eed0ca1;  // as tunggal import does
      auto m = datasets::calibrate_fusion(datasets::Population(cal), matcher::FingerMatcher{});
      if (!m) throw StatusError(m.error());
      model = std::move(*m);
    }
    auto e = Engine::open(options, std::move(model));
    if (!e) {
      spdlog::error("event=error kind=engine_open error=\"{}\"", e.error().to_string());
      std::cerr << "tunggal serve: " << e.error().to_string() << "\n";
      return kExitUnavailable;
    }
    engine = std::move(*e);
    // What the engine decides with, as it holds it (shards: the gallery's, whatever the setting).
    const EngineOptions& p = engine->options();
    spdlog::info("event=engine_policy target_fpir={} review_fpir={} face_led_review={} face_led_min_finger_llr={} "
                 "poor_probe_quality={} poor_probe_depth={} threads={} max_batch={} shards={}",
                 p.target_fpir, p.review_fpir, p.face_led_review, p.face_led_min_finger_llr, p.poor_probe_quality,
                 p.poor_probe_depth, p.threads, p.max_batch, p.shards);
    backend = server::engine_backend(*engine);
    auto ws = workflow::WorkflowStore::open(c.data_dir);
    if (!ws) {
      std::cerr << "tunggal serve: request workflow: " << ws.error().to_string() << "\n";
      return kExitUnavailable;
    }
    workflow_store = std::move(*ws);
    workflow = std::make_unique<workflow::RequestWorkflow>(*workflow_store);
    requests = std::make_unique<server::RequestService>(*workflow, *backend);
  }
  auto srv = server::Server::start(c.server, *backend, requests.get());
  if (!srv) {
    std::cerr << "tunggal serve: " << srv.error().to_string() << "\n";
    return kExitUnavailable;
  }
  std::unique_ptr<server::MetricsHttp> metrics;
  if (c.metrics_port >= 0) {
    server::Server* s = srv->get();
    auto m = server::MetricsHttp::start(c.metrics_host, static_cast<std::uint16_t>(c.metrics_port),
                                        [s] { return s->prometheus_text(); });
    if (!m) {
      std::cerr << "tunggal serve: " << m.error().to_string() << "\n";
      return kExitUnavailable;
    }
    metrics = std::move(*m);
  }
  std::cout << fmt::format("listening on {}:{}", c.server.host, (*srv)->port()) << std::endl;
  if (metrics)
    std::cout << fmt::format("metrics on http://{}:{}/metrics", c.metrics_host, metrics->port()) << std::endl;
  if (!c.port_file.empty())
    if (Status s = write_port_file(c.port_file, (*srv)->port(), metrics ? metrics->port() : -1); !s) {
      std::cerr << "tunggal serve: " << s.message() << "\n";
      return kExitUnavailable;
    }
  int sig = 0;
  sigwait(&sigs, &sig);
  spdlog::info("event=signal signal={} action=graceful_stop", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  if (metrics) metrics->stop();
  (*srv)->stop();
  spdlog::info("event=final_metrics\n{}", (*srv)->prometheus_text());
  srv->reset();
  requests.reset();
  workflow.reset();
  workflow_store.reset();
  backend.reset();
  engine.reset();  // index snapshots: the next start does not rebuild them
  spdlog::info("event=stopped");
  spdlog::default_logger()->flush();
  return kExitOk;
}

RegisterCommand reg{{"serve", "serve recording stations and admins over the station protocol (mutual TLS)",
                     [](CLI::App& cmd) {
  auto config_file = std::make_shared<std::string>();
  auto print_config = std::make_shared<bool>(false);
  // Flag texts by key; only those given on the command line override the file.
  auto given = std::make_shared<std::map<std::string, std::string>>();
  auto flags = std::make_shared<std::map<std::string, bool>>();
  auto options = std::make_shared<std::map<std::string, CLI::Option*>>();
  cmd.add_option("--config", *config_file, "TOML file with any of the settings below (flags override it); "
                                           "see docs/serve.example.toml");
  cmd.add_flag("--print-config", *print_config, "print the effective settings as TOML and exit (checks the config)");
  const server::ServeConfig defaults;
  for (const server::ServeSetting& s : server::serve_settings()) {
    const std::string flag = "--" + s.key;
    if (s.type == server::ServeSetting::Type::kBool) {
      (*options)[s.key] = cmd.add_flag(flag, (*flags)[s.key], s.help);
    } else {
      (*options)[s.key] = cmd.add_option(flag, (*given)[s.key], s.help)->default_str(s.get(defaults));
    }
  }
  cmd.footer(
      "Example: tunggal certs --out tls --sites kec-01 --admin alice && "
      "tunggal serve --data-dir /srv/tunggal --listen 127.0.0.1:7700 --tls-dir tls --metrics-port 9770\n"
      "         tunggal serve --config /etc/tunggal/serve.toml --log-level debug");
  return [=]() {
    server::ServeConfig c;
    if (!config_file->empty()) {
      auto loaded = server::load_serve_config(*config_file);
      if (!loaded) {
        std::cerr << "tunggal serve: " << loaded.error().message() << "\n";
        return kExitUsage;
      }
      c = std::move(*loaded);
    }
    for (const server::ServeSetting& s : server::serve_settings()) {
      if (options->at(s.key)->count() == 0) continue;
      const std::string text = s.type == server::ServeSetting::Type::kBool ? (flags->at(s.key) ? "true" : "false")
                                                                           : given->at(s.key);
      if (Status st = s.set(c, text); !st) {
        std::cerr << "tunggal serve: --" << st.message() << "\n";
        return kExitUsage;
      }
    }
    if (Status s = server::finish_serve_config(c); !s) {
      std::cerr << "tunggal serve: " << s.message() << "\n";
      return kExitUsage;
    }
    if (*print_config) {
      std::cout << server::serve_config_toml(c);
      return kExitOk;
    }
    return serve(std::move(c));
  };
}}};

}  // namespace
}  // namespace tunggal::cli
