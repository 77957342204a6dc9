// Finger images through the door: enrollments whose fingers are FVC2002 DB1_B TIFFs (synthetic
// prints when the data is absent) submitted over a real plaintext connection on 127.0.0.1 to a
// server whose backend costs nothing (server/zero_cost_backend.cpp), so what is measured is the
// server's image extraction (decode + minutiae) plus the protocol: images per second (wall) and
// images per CPU-second of the whole process (client included). Never passes or fails on time.
//
//   build/bench/server_images_bench --benchmark_counters_tabular=true
#include <sys/resource.h>

#include <fstream>
#include <thread>

#include <benchmark/benchmark.h>

#include "server/client.h"
#include "server/server.h"
#include "tests/fvc_data_dir.h"
#include "tests/synthetic_print.h"

using namespace tunggal;
using namespace tunggal::server;

namespace {

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// DB1_B's 80 images, or 80 synthetic prints.
const std::vector<std::vector<std::uint8_t>>& images(std::string& source) {
  static std::string src;
  static const std::vector<std::vector<std::uint8_t>> all = [] {
    std::vector<std::vector<std::uint8_t>> out;
    const auto fvc = tunggal::testing::fvc_data_dir();
    if (!fvc.empty())
      for (int f = 101; f <= 110; ++f)
        for (int i = 1; i <= 8; ++i) {
          std::ifstream in(fvc / "DB1_B" / (std::to_string(f) + "_" + std::to_string(i) + ".tif"), std::ios::binary);
          std::vector<std::uint8_t> b{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
          if (!b.empty()) out.push_back(std::move(b));
        }
    src = out.empty() ? "synthetic" : "FVC2002 DB1_B";
    for (std::uint32_t s = 0; out.size() < 80; ++s) out.push_back(tunggal::testing::synthetic_print_png(s));
    return out;
  }();
  source = src;
  return all;
}

// Args: extraction threads, enrollments per batch (4 image fingers each).
void BM_SubmitImageEnrollments(benchmark::State& state) {
  std::string source;
  const auto& imgs = images(source);
  auto backend = zero_cost_backend();
  ServerOptions so;
  so.port = 0;
  so.io_threads = 1;
  so.extract_threads = int(state.range(0));
  so.run_decider = false;
  auto server = Server::start(so, *backend);
  if (!server) return state.SkipWithError(server.error().to_string().c_str());
  ClientOptions co;
  co.port = (*server)->port();
  co.site = "bench-site";
  co.timeout = std::chrono::seconds(120);
  auto client = Client::connect(co);
  if (!client) return state.SkipWithError(client.error().to_string().c_str());
  const auto nik = *Nik::parse("3273014501900001");
  std::uint64_t next = 0, sent = 0, rejected = 0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    std::vector<Enrollment> batch(std::size_t(state.range(1)));
    for (Enrollment& e : batch) {
      e.id = EnrollmentId{"e" + std::to_string(next++)};
      e.nik = nik;
      e.site = "bench-site";
      for (int f = 0; f < 4; ++f)
        e.finger_images.push_back(
            FingerImage{static_cast<FingerPosition>(f + 1), imgs[(next * 4 + std::size_t(f)) % imgs.size()], 500});
    }
    auto acks = (*client)->submit(batch);
    if (!acks) return state.SkipWithError(acks.error().to_string().c_str());
    for (const auto& a : *acks) rejected += a.kind == ItemAck::Kind::kRejected;
    sent += batch.size() * 4;
  }
  const double cpu = process_cpu_seconds() - cpu0;
  state.counters["images_per_s"] = benchmark::Counter(double(sent), benchmark::Counter::kIsRate);
  state.counters["images_per_cpu_s"] = double(sent) / std::max(cpu, 1e-9);
  state.counters["rejected_enrollments"] = double(rejected);
  state.SetLabel(source);
}
BENCHMARK(BM_SubmitImageEnrollments)->Args({1, 5})->Args({2, 5})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5.0);

}  // namespace

BENCHMARK_MAIN();
