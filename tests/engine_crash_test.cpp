// Durability under kill -9 (issue 5): a real engine process is killed at random moments while it
// enrolls; after each restart every acknowledged enrollment is decided or still pending, none is
// decided twice, and the gallery and its indexes agree with the store.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "engine/store.h"
#include "tests/engine_fixture.h"

namespace tunggal {
namespace {

std::uintmax_t file_size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

TEST(EngineCrash, KillNineAtRandomMomentsLosesNothingAcknowledged) {
  const auto dir = testing::make_temp_dir("crash");
  const auto ack_file = dir / "acks.txt";
  {
    auto engine = Engine::open(testing::test_engine_options(dir / "data"), testing::test_fusion_model());
    ASSERT_TRUE(engine) << engine.error().to_string();
    datasets::Population pop(datasets::PopulationConfig{.seed = 42});
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 30; ++i) gallery.push_back(pop.capture(i, 0));
    ASSERT_TRUE((*engine)->import(gallery));
    ASSERT_TRUE((*engine)->finish_import());
  }
  const std::string worker = std::string(TUNGGAL_BINARY_DIR) + "/tests/engine_crash_worker";
  std::mt19937 rng(12345);
  for (int round = 0; round < 6; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const std::string data = (dir / "data").string(), acks = ack_file.string(),
                        first = std::to_string(round * 100000);
      execl(worker.c_str(), worker.c_str(), data.c_str(), acks.c_str(), first.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Odd rounds: killed 0.2-4 s after start, often still opening or recovering. Even rounds:
    // killed 0-2.5 s after this worker's first acknowledgement (waited for up to a minute): on a
    // loaded machine opening alone can take longer than 4 s, and the test needs acknowledgements.
    if (round % 2 == 0) {
      const auto acked_before = file_size_or_zero(ack_file);
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (file_size_or_zero(ack_file) == acked_before && std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const int delay_ms = round % 2 == 0 ? std::uniform_int_distribution<int>(0, 2500)(rng)
                                        : std::uniform_int_distribution<int>(200, 4000)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "worker exited on its own (status " << status << "); see its stderr";
  }

  std::vector<std::string> acked;
  {
    std::ifstream in(ack_file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) acked.push_back(line);
  }
  ASSERT_GT(acked.size(), 0u) << "the worker never acknowledged anything";

  auto engine = Engine::open(testing::test_engine_options(dir / "data"));
  ASSERT_TRUE(engine) << engine.error().to_string();
  ASSERT_TRUE((*engine)->process_all());
  std::set<std::string> unique_enrollments;
  for (const auto& id : acked) {
    auto v = (*engine)->verdict(EnrollmentId{id});
    ASSERT_TRUE(v) << v.error().to_string();
    ASSERT_TRUE(v->has_value()) << "acknowledged enrollment " << id << " lost";
    if ((*v)->kind == VerdictKind::kUnique) unique_enrollments.insert(id);
  }
  const std::uint64_t gallery = (*engine)->stats().gallery_size;
  engine->reset();

  engine::StoreOptions so;
  so.path = dir / "data" / "store";
  so.read_only = true;
  auto store = engine::Store::open(so);
  ASSERT_TRUE(store) << store.error().to_string();
  std::multiset<std::string> subject_enrollments;
  std::uint64_t subjects = 0;
  ASSERT_TRUE((*store)->for_each_subject([&](const engine::StoredSubject& s) {
    ++subjects;
    if (s.record.enrollment.value.rfind("crash-", 0) == 0) subject_enrollments.insert(s.record.enrollment.value);
    return true;
  }));
  EXPECT_EQ(subjects, gallery) << "RAM gallery and store disagree after recovery";
  for (const auto& id : subject_enrollments) EXPECT_EQ(subject_enrollments.count(id), 1u) << id << " committed twice";
  for (const auto& id : unique_enrollments) EXPECT_EQ(subject_enrollments.count(id), 1u) << id << " UNIQUE but not committed";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tunggal
