#pragma once
// Little-endian POD streams for snapshot files. Every read is bounds-checked: a truncated or
// corrupted snapshot becomes a corruption error, never a crash or a huge allocation. The writer
// takes any ostream: a file, or memory (ByteChunks) when a snapshot is captured under a lock and
// written to disk after it is released.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/status.h"

namespace tunggal::index::detail {

class BinaryWriter {
 public:
  explicit BinaryWriter(std::ostream& out) : out_(out) {}
  template <typename T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.write(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  void array(const T* p, std::size_t n) {
    pod<std::uint64_t>(n);
    out_.write(reinterpret_cast<const char*>(p), static_cast<std::streamsize>(n * sizeof(T)));
  }
  template <typename T>
  void vec(const std::vector<T>& v) { array(v.data(), v.size()); }
  bool ok() const { return out_.good(); }

 private:
  std::ostream& out_;
};

class BinaryReader {
 public:
  BinaryReader(std::ifstream& in, std::string name) : in_(in), name_(std::move(name)) {
    in_.seekg(0, std::ios::end);
    remaining_ = static_cast<std::uint64_t>(in_.tellg());
    in_.seekg(0);
  }
  template <typename T>
  Status pod(T& v) {
    if (remaining_ < sizeof(T)) return corruption(name_ + " is truncated");
    in_.read(reinterpret_cast<char*>(&v), sizeof(T));
    remaining_ -= sizeof(T);
    return in_.good() ? Status::ok() : io_error("cannot read " + name_);
  }
  template <typename T>
  Status vec(std::vector<T>& v) {
    std::uint64_t n = 0;
    if (Status s = pod(n); !s) return s;
    if (n > remaining_ / sizeof(T)) return corruption(name_ + " is truncated (array of " + std::to_string(n) + ")");
    v.resize(n);
    in_.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));
    remaining_ -= n * sizeof(T);
    return in_.good() ? Status::ok() : io_error("cannot read " + name_);
  }
  std::uint64_t remaining() const { return remaining_; }

 private:
  std::ifstream& in_;
  std::string name_;
  std::uint64_t remaining_ = 0;
};

}  // namespace tunggal::index::detail
