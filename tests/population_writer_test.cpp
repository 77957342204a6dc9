// `tunggal gen`'s output: records that read back to the generated enrollments, a manifest line and a
// face row per enrollment, probe truth identical to the ProbeSet's, and no silent overwrite.
#include "datasets/population_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/minutiae_record.h"

namespace tunggal::datasets {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("tunggal-gen-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(PopulationWriter, WritesRecordsManifestFacesAndTruth) {
  TempDir dir;
  const Population pop({.seed = 6, .face_dimension = 64});
  PopulationWriteOptions o;
  o.out = dir.path;
  o.identities = 30;
  o.probes = 20;
  o.mated_rate = 0.25;
  o.probe_seed = 9;
  std::uint64_t last_progress = 0;
  o.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_EQ(total, 50u);
    last_progress = done;
  };
  auto s = write_population(pop, o);
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  EXPECT_EQ(s->gallery, 30u);
  EXPECT_EQ(s->probes, 20u);
  EXPECT_EQ(s->mated, 5u);
  EXPECT_EQ(last_progress, 50u);

  const ProbeSet probes(pop, 30, 20, 0.25, 9);
  const auto manifest = lines(dir.path / "manifest.jsonl");
  ASSERT_EQ(manifest.size(), 50u);
  std::ifstream faces(dir.path / "faces.npy", std::ios::binary);
  std::string npy((std::istreambuf_iterator<char>(faces)), std::istreambuf_iterator<char>());
  ASSERT_GE(npy.size(), 10u);
  EXPECT_EQ(npy.substr(0, 6), "\x93NUMPY");
  const std::size_t header = 10 + static_cast<unsigned char>(npy[8]) + 256u * static_cast<unsigned char>(npy[9]);
  EXPECT_EQ(header % 64, 0u);
  EXPECT_NE(npy.find("'shape': (50, 64)"), std::string::npos);
  ASSERT_EQ(npy.size(), header + 50u * 64u * sizeof(float));

  for (std::size_t row = 0; row < manifest.size(); ++row) {
    const auto j = nlohmann::json::parse(manifest[row]);
    const bool gallery = row < 30;
    const Enrollment e = gallery ? pop.capture(row, 0) : probes.probe(row - 30);
    EXPECT_EQ(j["id"], e.id.value);
    EXPECT_EQ(j["role"], gallery ? "gallery" : "probe");
    EXPECT_EQ(j.contains("identity"), gallery);
    EXPECT_EQ(j["nik"], e.nik.str());
    EXPECT_EQ(j["site"], e.site);
    EXPECT_EQ(j["capture_time_ms"], e.capture_time_ms);
    EXPECT_EQ(j["face_row"], row);
    auto rec = read_minutiae_file(dir.path / j["record"].get<std::string>());
    ASSERT_TRUE(rec.has_value()) << rec.status().to_string();
    ASSERT_EQ(rec->views.size(), e.fingers.size());
    ASSERT_EQ(j["fingers"].size(), e.fingers.size());
    for (std::size_t v = 0; v < e.fingers.size(); ++v) {
      EXPECT_EQ(rec->views[v].position, e.fingers[v].position);
      EXPECT_EQ(rec->views[v].minutiae.size(), e.fingers[v].minutiae.size());
      EXPECT_EQ(rec->views[v].minutiae.front().x, e.fingers[v].minutiae.front().x);
    }
    float first;
    std::memcpy(&first, npy.data() + header + row * 64 * sizeof(float), sizeof first);
    EXPECT_EQ(first, e.face->values()[0]);
  }

  const auto truth = lines(dir.path / "truth.csv");
  ASSERT_EQ(truth.size(), 21u);
  EXPECT_EQ(truth[0], "probe_id,mated,mate_identity,mate_enrollment");
  for (std::uint64_t p = 0; p < 20; ++p) {
    const ProbeTruth t = probes.truth(p);
    const std::string want = t.mate ? t.probe.value + ",1," + std::to_string(*t.mate) + ",gen-6-" +
                                          std::to_string(*t.mate) + "-0"
                                    : t.probe.value + ",0,,";
    EXPECT_EQ(truth[p + 1], want);
  }
  EXPECT_TRUE(fs::exists(dir.path / "population.json"));
}

TEST(PopulationWriter, RefusesToOverwriteAPopulation) {
  TempDir dir;
  const Population pop({.seed = 6, .face_dimension = 8});
  PopulationWriteOptions o;
  o.out = dir.path;
  o.identities = 2;
  ASSERT_TRUE(write_population(pop, o).has_value());
  auto again = write_population(pop, o);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(again.error().message().find("already holds a population"), std::string::npos);
}

}  // namespace
}  // namespace tunggal::datasets
