// `tunggal station`: a recording-station simulator and load generator for `tunggal serve`. It
// generates enrollments (datasets::ProbeSet against a gallery imported with `tunggal import
// --generate G --seed S`), submits them in batches over C connections at a rate or as fast as
// allowed, collects the pushed verdicts, and reports throughput, submit-to-verdict latency,
// errors by kind and the accuracy against the ground truth.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include "cli/command_registry.h"
#include "cli/endpoint.h"
#include "core/json_text.h"
#include "datasets/population.h"
#include "server/client.h"

namespace tunggal::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct StationConfig {
  std::string connect = "127.0.0.1:7700";
  std::string tls_dir, site, server_name;
  bool insecure = false;
  std::uint64_t enrollments = 1000, gallery = 0, seed = 1;
  int batch = 50, connections = 2;
  double rate = 0, mated_rate = 0.1, wait_s = 300;
  std::string run_id;
  bool json = false, no_verdicts = false;
};

struct Tally {
  std::mutex mu;
  std::uint64_t accepted = 0, duplicate_id = 0, rejected_items = 0, verdicts = 0;
  std::map<std::string, std::uint64_t> errors;
  std::vector<double> latency_ms;
  std::uint64_t mated = 0, mated_alarm = 0, non_mated = 0, false_alarm = 0, rejected_verdicts = 0;
  std::map<std::string, std::uint64_t> kinds;
  Clock::time_point last_ack, last_verdict;
};

std::string error_kind(const Status& s) { return std::string(to_string(s.code())); }

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int run_station(const StationConfig& c) {
  auto ep = parse_endpoint(c.connect);
  if (!ep) throw StatusError(ep.error());
  if (c.tls_dir.empty() == !c.insecure) {
    std::cerr << "tunggal station: give --tls-dir DIR, or --insecure-plaintext\n";
    return kExitUsage;
  }
  if (c.site.empty()) {
    std::cerr << "tunggal station: --site is required (the certificate name in --tls-dir)\n";
    return kExitUsage;
  }
  const std::string run = c.run_id.empty() ? fmt::format("{:x}", std::chrono::system_clock::now().time_since_epoch().count() / 1000000)
                                           : c.run_id;
  // Generated before the clock starts: the station's own generator is not what is measured.
  datasets::Population pop({.seed = c.seed});
  datasets::ProbeSet probes(pop, c.gallery, c.enrollments, c.mated_rate, c.seed);
  std::vector<Enrollment> items(c.enrollments);
  std::vector<bool> mated(c.enrollments);
  if (!c.json) std::cerr << fmt::format("station: generating {} enrollments...\n", c.enrollments);
  tbb::parallel_for(std::uint64_t{0}, c.enrollments, [&](std::uint64_t j) {
    items[j] = probes.probe(j);
    items[j].id = EnrollmentId{fmt::format("st{}-{}", run, j)};
    mated[j] = probes.truth(j).mate.has_value();
  });
  std::unordered_map<std::string, std::uint64_t> index_of;
  for (std::uint64_t j = 0; j < c.enrollments; ++j) index_of[items[j].id.value] = j;

  Tally t;
  const auto t0 = Clock::now();
  std::atomic<std::uint64_t> next_batch{0};
  const std::uint64_t batches = (c.enrollments + static_cast<std::uint64_t>(c.batch) - 1) / static_cast<std::uint64_t>(c.batch);
  auto worker = [&](int w) {
    server::ClientOptions o;
    o.host = ep->host;
    o.port = ep->port;
    o.site = c.insecure ? c.site : "";
    if (!c.insecure) o.tls = server::TlsFiles::in_dir(c.tls_dir, c.site);
    o.server_name = c.server_name;
    o.client_name = "tunggal station";
    auto client = server::Client::connect(o);
    if (!client) {
      std::lock_guard lock(t.mu);
      t.errors["connect: " + client.error().message()]++;
      return;
    }
    server::Client& cl = **client;
    if (!c.no_verdicts)
      if (auto s = cl.subscribe(); !s) {
        std::lock_guard lock(t.mu);
        t.errors["subscribe: " + error_kind(s.error())]++;
        return;
      }
    std::unordered_map<std::string, Clock::time_point> waiting;  // accepted, verdict not yet seen
    auto on_verdict = [&](const Verdict& v, Clock::time_point at) {
      auto it = waiting.find(v.enrollment.value);
      if (it == waiting.end()) return;  // not ours, or already counted
      const double ms = std::chrono::duration<double, std::milli>(at - it->second).count();
      waiting.erase(it);
      const auto jt = index_of.find(v.enrollment.value);
      std::lock_guard lock(t.mu);
      t.verdicts++;
      t.last_verdict = std::max(t.last_verdict, at);
      t.latency_ms.push_back(ms);
      t.kinds[std::string(to_string(v.kind))]++;
      if (jt == index_of.end()) return;
      if (v.kind == VerdictKind::kRejected) {
        t.rejected_verdicts++;
      } else if (mated[jt->second]) {
        t.mated++;
        t.mated_alarm += v.kind != VerdictKind::kUnique;
      } else {
        t.non_mated++;
        t.false_alarm += v.kind != VerdictKind::kUnique;
      }
    };
    auto drain = [&](std::chrono::milliseconds wait) -> bool {
      auto p = cl.take_pushes(wait);
      if (!p) {
        std::lock_guard lock(t.mu);
        t.errors["verdicts: " + error_kind(p.error())]++;
        return false;
      }
      for (const auto& pv : *p) on_verdict(pv.verdict, pv.received);
      return true;
    };
    const double per_conn_rate = c.rate > 0 ? c.rate / c.connections : 0;
    std::uint64_t sent = 0;
    for (;;) {
      const std::uint64_t b = next_batch++;
      if (b >= batches) break;
      const std::uint64_t lo = b * static_cast<std::uint64_t>(c.batch);
      const std::uint64_t hi = std::min(c.enrollments, lo + static_cast<std::uint64_t>(c.batch));
      if (per_conn_rate > 0) {
        const auto due = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(sent / per_conn_rate));
        while (Clock::now() < due)
          if (!drain(std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()) + std::chrono::milliseconds(1)))
            return;
      }
      std::span<const Enrollment> batch(items.data() + lo, hi - lo);
      for (int attempt = 0;; ++attempt) {
        const auto at = Clock::now();
        auto acks = cl.submit(batch);
        if (!acks) {
          {
            std::lock_guard lock(t.mu);
            t.errors["submit: " + error_kind(acks.error())]++;
          }
          if (acks.error().code() == ErrorCode::kBusy && attempt < 1000) {
            if (!drain(std::chrono::milliseconds(20))) return;
            continue;  // nothing of a BUSY batch was stored: send it again
          }
          if (acks.error().code() == ErrorCode::kBusy) break;
          return;
        }
        std::lock_guard lock(t.mu);
        t.last_ack = std::max(t.last_ack, Clock::now());
        for (const auto& a : *acks) {
          if (a.kind == server::ItemAck::Kind::kAccepted) {
            t.accepted++;
            if (!c.no_verdicts) waiting.emplace(a.id, at);
          } else if (a.kind == server::ItemAck::Kind::kDuplicateId) {
            t.duplicate_id++;
          } else {
            t.rejected_items++;
            t.errors["item rejected: " + a.reason.substr(0, a.reason.find(':'))]++;
          }
        }
        break;
      }
      sent += hi - lo;
      if (!c.no_verdicts && !drain(std::chrono::milliseconds(0))) return;
    }
    // Collect the remaining verdicts; ping now and then so the idle timeout never fires.
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(c.wait_s));
    auto last_ping = Clock::now();
    while (!c.no_verdicts && !waiting.empty() && Clock::now() < until) {
      if (!drain(std::chrono::milliseconds(500))) return;
      if (Clock::now() - last_ping > std::chrono::seconds(20)) {
        if (Status s = cl.ping(); !s) return;
        last_ping = Clock::now();
      }
    }
    if (!waiting.empty()) {
      std::lock_guard lock(t.mu);
      t.errors["verdict not received in time"] += waiting.size();
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < c.connections; ++w) threads.emplace_back(worker, w);
  for (auto& th : threads) th.join();

  const double submit_s = std::chrono::duration<double>(t.last_ack - t0).count();
  const double verdict_s = std::chrono::duration<double>(t.last_verdict - t0).count();
  const double p50 = percentile(t.latency_ms, 0.5), p99 = percentile(t.latency_ms, 0.99),
               p999 = percentile(t.latency_ms, 0.999);
  const double accepted_per_s = submit_s > 0 ? static_cast<double>(t.accepted) / submit_s : 0;
  const double verdicts_per_s = verdict_s > 0 ? static_cast<double>(t.verdicts) / verdict_s : 0;
  const double detect = t.mated ? static_cast<double>(t.mated_alarm) / static_cast<double>(t.mated) : 0;
  const double false_alarm =
      t.non_mated ? static_cast<double>(t.false_alarm) / static_cast<double>(t.non_mated) : 0;
  if (c.json) {
    nlohmann::json j{{"enrollments", c.enrollments}, {"batch", c.batch}, {"connections", c.connections},
                     {"rate", c.rate}, {"accepted", t.accepted}, {"duplicate_id", t.duplicate_id},
                     {"rejected_items", t.rejected_items}, {"verdicts", t.verdicts},
                     {"accepted_per_second", accepted_per_s}, {"verdicts_per_second", verdicts_per_s},
                     {"latency_ms", {{"p50", p50}, {"p99", p99}, {"p999", p999}}}, {"errors", t.errors},
                     {"verdict_kinds", t.kinds},
                     {"accuracy", {{"mated", t.mated}, {"mated_alarm_rate", detect}, {"non_mated", t.non_mated},
                                   {"false_alarm_rate", false_alarm}, {"rejected", t.rejected_verdicts}}}};
    std::cout << json_text(j) << "\n";
  } else {
    std::cout << fmt::format("accepted {} ({} duplicate id, {} rejected) in {:.2f} s: {:.0f} accepted/s\n", t.accepted,
                             t.duplicate_id, t.rejected_items, submit_s, accepted_per_s);
    if (!c.no_verdicts) {
      std::cout << fmt::format("verdicts {} in {:.2f} s: {:.1f} verdicts/s; submit-to-verdict p50 {:.1f} ms, p99 {:.1f} ms, p99.9 {:.1f} ms\n",
                               t.verdicts, verdict_s, verdicts_per_s, p50, p99, p999);
      std::string kinds;
      for (const auto& [k, n] : t.kinds) kinds += fmt::format(" {} {}", k, n);
      std::cout << "verdicts:" << kinds << "\n";
      std::cout << fmt::format("accuracy: {} of {} mated re-enrollments alarmed ({:.2f}%), {} of {} new people alarmed ({:.3f}%)\n",
                               t.mated_alarm, t.mated, 100 * detect, t.false_alarm, t.non_mated, 100 * false_alarm);
    }
    for (const auto& [k, n] : t.errors) std::cout << fmt::format("error {}: {}\n", k, n);
  }
  return t.errors.empty() ? kExitOk : kExitFailure;
}

RegisterCommand reg{{"station", "recording-station simulator and load generator against tunggal serve",
                     [](CLI::App& cmd) {
  auto c = std::make_shared<StationConfig>();
  cmd.add_option("--connect", c->connect, "server HOST:PORT")->capture_default_str();
  cmd.add_option("--tls-dir", c->tls_dir, "directory with ca.pem and <site>.pem/.key (tunggal certs)");
  cmd.add_option("--server-name", c->server_name,
                 "name the server certificate must carry (default: the --connect host)");
  cmd.add_flag("--insecure-plaintext", c->insecure, "plaintext, site claimed in hello (development servers)");
  cmd.add_option("--site", c->site, "site id (certificate name)")->required();
  cmd.add_option("--enrollments", c->enrollments, "enrollments to submit")->capture_default_str();
  cmd.add_option("--batch", c->batch, "enrollments per submit")->capture_default_str();
  cmd.add_option("--connections", c->connections, "parallel connections")->capture_default_str();
  cmd.add_option("--rate", c->rate, "enrollments per second over all connections (0 = as fast as allowed)")
      ->capture_default_str();
  cmd.add_option("--mated-rate", c->mated_rate, "fraction re-enrolling a gallery identity under a new NIK")
      ->capture_default_str();
  cmd.add_option("--gallery", c->gallery, "gallery size the server imported (tunggal import --generate G)")
      ->capture_default_str();
  cmd.add_option("--seed", c->seed, "population seed (the one the gallery was imported with)")->capture_default_str();
  cmd.add_option("--run-id", c->run_id, "enrollment id prefix (default: from the clock, so reruns are new)");
  cmd.add_option("--wait", c->wait_s, "seconds to wait for outstanding verdicts")->capture_default_str();
  cmd.add_flag("--no-verdicts", c->no_verdicts, "submit only (measures acceptance alone)");
  cmd.add_flag("--json", c->json, "print one JSON object");
  cmd.footer("Example: tunggal station --connect 127.0.0.1:7700 --tls-dir tls --site kec-01 --enrollments 2000 "
             "--batch 50 --connections 4 --gallery 10000 --mated-rate 0.1");
  return [c]() { return run_station(*c); };
}}};

}  // namespace
}  // namespace tunggal::cli
