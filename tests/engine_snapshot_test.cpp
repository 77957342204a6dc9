// Index snapshots survive a crash at any step of their replacement (Engine::save_snapshots writes
// <name>.new, moves <name> aside to <name>.old, renames <name>.new in, deletes <name>.old): an
// engine opened on each intermediate state puts <name> back at open, from the right copy, instead
// of rebuilding every index from the gallery (minutes at a million subjects).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/engine_fixture.h"

namespace tunggal {
namespace {

namespace fs = std::filesystem;
using tunggal::testing::capture_as;
using tunggal::testing::make_temp_dir;
using tunggal::testing::test_engine_options;
using tunggal::testing::test_fusion_model;

class EngineSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("engine-snapshot");
    pop_ = std::make_unique<datasets::Population>(datasets::PopulationConfig{.seed = 45});
    auto e = open();
    ASSERT_TRUE(e);
    std::vector<Enrollment> gallery;
    for (std::uint64_t i = 0; i < 40; ++i) gallery.push_back(pop_->capture(i, 0));
    ASSERT_TRUE(e->import(gallery));
    ASSERT_TRUE(e->finish_import());
    before_ = answer(*e);
    e.reset();  // writes the snapshots
    for (const auto& entry : fs::directory_iterator(dir_ / "index"))
      if (entry.is_directory()) names_.push_back(entry.path().filename().string());
    ASSERT_FALSE(names_.empty());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Engine> open() {
    auto e = Engine::open(test_engine_options(dir_), test_fusion_model());
    EXPECT_TRUE(e) << e.error().to_string();
    return e ? std::move(*e) : nullptr;
  }
  Verdict answer(Engine& e) {
    auto v = e.identify(capture_as(*pop_, 17, 1, "q"));
    EXPECT_TRUE(v) << v.error().to_string();
    return v ? *v : Verdict{};
  }
  fs::path at(const std::string& name, const std::string& suffix = "") const {
    return dir_ / "index" / (name + suffix);
  }
  // Opened: each index has its snapshot back in place (a rebuild writes none until close), the
  // leftovers are gone, and the answers are those of before.
  void expect_snapshots_in_place() {
    auto e = open();
    ASSERT_TRUE(e);
    for (const std::string& n : names_) {
      EXPECT_TRUE(fs::exists(at(n) / "MANIFEST")) << n << ": no snapshot in place, the index was rebuilt";
      EXPECT_FALSE(fs::exists(at(n, ".new"))) << n;
      EXPECT_FALSE(fs::exists(at(n, ".old"))) << n;
    }
    const Verdict v = answer(*e);
    EXPECT_EQ(v.kind, before_.kind);
    ASSERT_EQ(v.candidates.size(), before_.candidates.size());
    for (std::size_t i = 0; i < v.candidates.size(); ++i) EXPECT_EQ(v.candidates[i].subject, before_.candidates[i].subject);
  }

  fs::path dir_;
  std::unique_ptr<datasets::Population> pop_;
  Verdict before_;
  std::vector<std::string> names_;
};

TEST_F(EngineSnapshotTest, ACrashAfterTheOldSnapshotWasMovedAsideUsesTheCompleteNewOne) {
  for (const std::string& n : names_) {
    fs::copy(at(n), at(n, ".new"), fs::copy_options::recursive);
    fs::rename(at(n), at(n, ".old"));
  }
  expect_snapshots_in_place();
}

TEST_F(EngineSnapshotTest, ACrashAfterTheMoveAsideWithAPartialNewOneUsesTheOldOne) {
  for (const std::string& n : names_) {
    fs::copy(at(n), at(n, ".new"), fs::copy_options::recursive);
    fs::remove(at(n, ".new") / "MANIFEST");  // renamed in last: the new snapshot was not finished
    fs::rename(at(n), at(n, ".old"));
  }
  expect_snapshots_in_place();
}

TEST_F(EngineSnapshotTest, ACrashBetweenRemovingTheOldAndRenamingTheNewKeepsTheNewOne) {
  // What the earlier save (remove_all, then rename) left when it crashed in between.
  for (const std::string& n : names_) fs::rename(at(n), at(n, ".new"));
  expect_snapshots_in_place();
}

TEST_F(EngineSnapshotTest, LeftoversBesideAWholeSnapshotAreDiscarded) {
  for (const std::string& n : names_) {
    fs::copy(at(n), at(n, ".old"), fs::copy_options::recursive);
    fs::create_directories(at(n, ".new"));  // a save that crashed as it began
  }
  expect_snapshots_in_place();
}

// save_snapshots replaces one index at a time: a crash after the first leaves it at the new save
// and the others at the one before. Each is brought forward from its own covered seq, without a
// rebuild, and answers for the subjects enrolled and revoked in between.
TEST_F(EngineSnapshotTest, ACrashBetweenReplacingTwoIndexesBringsEachForwardWithoutARebuild) {
  ASSERT_GE(names_.size(), 2u) << "the test needs two indexes (face and fused finger codes)";
  const fs::path kept = dir_ / "index-before";
  fs::copy(dir_ / "index", kept, fs::copy_options::recursive);
  SubjectId revoked;
  {
    auto e = open();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->stats().indexes_at_open, "snapshot");
    std::vector<Enrollment> more;
    for (std::uint64_t i = 40; i < 50; ++i) more.push_back(pop_->capture(i, 0));
    ASSERT_TRUE(e->import(more));
    ASSERT_TRUE(e->finish_import());
    auto v = e->identify(capture_as(*pop_, 3, 1, "q3"));
    ASSERT_TRUE(v);
    ASSERT_FALSE(v->candidates.empty());
    revoked = v->candidates[0].subject;
    ASSERT_TRUE(e->revoke_subject(revoked, "admin", "test"));
  }  // closing writes the new snapshots, face first
  for (const std::string& n : names_) {
    if (n == "face") continue;  // replaced before the crash
    fs::remove_all(at(n));
    fs::copy(kept / n, at(n), fs::copy_options::recursive);
  }
  auto e = open();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->stats().indexes_at_open, "snapshot") << "the indexes were rebuilt from the gallery";
  auto late = e->identify(capture_as(*pop_, 45, 1, "q45"));  // enrolled after the older snapshot
  ASSERT_TRUE(late);
  EXPECT_EQ(late->kind, VerdictKind::kDuplicate);
  auto gone = e->identify(capture_as(*pop_, 3, 1, "q3b"));  // revoked after it
  ASSERT_TRUE(gone);
  for (const auto& c : gone->candidates) EXPECT_NE(c.subject, revoked);
  const Verdict v = answer(*e);
  EXPECT_EQ(v.kind, before_.kind);
}

// A backup shares the snapshot files by hard link (taken under the decide lock, it must not copy
// an index of hundreds of GB), and stays whole when the live engine replaces its snapshots.
TEST_F(EngineSnapshotTest, ABackupLinksTheSnapshotFilesAndOutlivesTheNextSave) {
  const fs::path backup = dir_ / "backup";
  {
    auto e = open();
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->backup(backup));
    std::size_t files = 0;
    for (const auto& f : fs::recursive_directory_iterator(backup / "index"))
      if (f.is_regular_file()) {
        ++files;
        EXPECT_GE(fs::hard_link_count(f.path()), 2u) << f.path() << " was copied, not linked";
      }
    EXPECT_GT(files, 0u);
    std::vector<Enrollment> more;
    for (std::uint64_t i = 40; i < 45; ++i) more.push_back(pop_->capture(i, 0));
    ASSERT_TRUE(e->import(more));
    ASSERT_TRUE(e->finish_import());
    ASSERT_TRUE(e->snapshot());  // the live snapshots are replaced
  }
  auto b = Engine::open(test_engine_options(backup), test_fusion_model());
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ((*b)->stats().indexes_at_open, "snapshot");
  EXPECT_EQ((*b)->stats().gallery_size, 40u);
  const Verdict v = answer(**b);
  EXPECT_EQ(v.kind, before_.kind);
}

}  // namespace
}  // namespace tunggal
