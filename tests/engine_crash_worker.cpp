// Helper process for engine_crash_test: opens an existing engine and enrolls new people forever,
// appending each enrollment id to an acknowledgement file only after submit() returned (that is,
// once the engine acknowledged it as durable). The test kills it with SIGKILL at random moments.
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "tests/engine_fixture.h"

int main(int argc, char** argv) {
  using namespace tunggal;
  if (argc != 4) {
    std::fprintf(stderr, "usage: engine_crash_worker DATA_DIR ACK_FILE FIRST\n");
    return 2;
  }
  auto engine = Engine::open(testing::test_engine_options(argv[1]));
  if (!engine) {
    std::fprintf(stderr, "open: %s\n", engine.error().to_string().c_str());
    return 1;
  }
  const int ack = ::open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (ack < 0) return 1;
  datasets::Population pop(datasets::PopulationConfig{.seed = 42});
  for (std::uint64_t n = std::stoull(argv[3]);; n += 3) {
    std::vector<Enrollment> batch;
    for (std::uint64_t k = 0; k < 3; ++k)
      batch.push_back(testing::capture_as(pop, 100000 + n + k, 0, "crash-" + std::to_string(n + k)));
    // Every fourth enrollment re-enrolls someone from this run: duplicates must not be decided twice.
    batch.push_back(testing::capture_as(pop, 100000 + n, 1, "crash-dup-" + std::to_string(n)));
    auto acks = (*engine)->submit(batch);
    if (!acks) return 1;
    std::string line;
    for (const auto& a : *acks)
      if (a.kind == SubmitAck::Kind::kAccepted) line += a.id.value + "\n";
    if (::write(ack, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
    ::fsync(ack);
    if (!(*engine)->process()) return 1;
  }
}
