#pragma once
// Turns a closed store back into what an older build left, by editing its meta column family
// directly: tests of what a newer build does with stores written before a feature.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

namespace tunggal::testing {

// Runs fn on the raw database of the (closed) store at `dir` and its meta column family.
inline void edit_store_meta(const std::filesystem::path& dir,
                            const std::function<void(rocksdb::DB&, rocksdb::ColumnFamilyHandle*)>& fn) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir.string(), &names).ok()) << dir;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open({}, dir.string(), descs, &handles, &db).ok()) << dir;
  const auto meta = static_cast<std::size_t>(std::find(names.begin(), names.end(), "meta") - names.begin());
  fn(*db, handles[meta]);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

// A store from before the index of confirmed duplicates (docs/store.md "Revocation"): none of its
// "dup_of/" keys, and no mark of how far it reaches.
inline void forget_confirmed_duplicate_index(const std::filesystem::path& dir) {
  edit_store_meta(dir, [](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta) {
    ASSERT_TRUE(db.DeleteRange({}, meta, "dup_of/", "dup_of0").ok());  // '0' follows '/'
    ASSERT_TRUE(db.Delete({}, meta, "dup_of.through").ok());
  });
}

}  // namespace tunggal::testing
