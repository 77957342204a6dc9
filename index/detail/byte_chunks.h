#pragma once
// An in-memory stream buffer for a snapshot file: the engine serialises an index into it while it
// holds its decide lock and writes it to disk after releasing the lock (seconds per GB with the
// fsyncs; docs/engine.md "Snapshots while serving"). Chunks rather than one growing buffer: growth
// never copies what is already held. reserve() allocates and touches the memory beforehand, outside
// the lock: a copy into fresh pages pays a page fault per 4 KiB (1 GiB: 0.5-1.3 s on the 2-core
// test machine, 0.09 s into pages already touched).
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <streambuf>
#include <vector>

#include "core/status.h"

namespace tunggal::index::detail {

class ByteChunks final : public std::streambuf {
 public:
  ByteChunks() = default;
  ByteChunks(const ByteChunks&) = delete;
  ByteChunks& operator=(const ByteChunks&) = delete;

  std::size_t size() const { return full_ + static_cast<std::size_t>(pptr() - pbase()); }
  std::size_t capacity() const {
    std::size_t n = 0;
    for (std::size_t c : capacity_) n += c;
    return n;
  }

  // Allocates and touches chunks for `bytes` more (before anything is written).
  void reserve(std::size_t bytes) {
    while (bytes > 0) {
      const std::size_t capacity = std::min(kLargest, std::max(kFirst, bytes));
      add_chunk(capacity);
      std::memset(chunks_.back().get(), 0, capacity);
      bytes -= std::min(bytes, capacity);
    }
  }
  // Frees the chunks reserved but not written to.
  void release_unused() {
    const std::size_t keep = current_ == kNone ? 0 : current_ + 1;
    chunks_.resize(keep);
    capacity_.resize(keep);
    used_.resize(keep);
  }

  // Creates (or truncates) `file` and writes the bytes held; the caller fsyncs it.
  Status write_to(const std::filesystem::path& file) const {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return io_error("cannot create " + file.string());
    for (std::size_t i = 0; current_ != kNone && i <= current_; ++i) {
      const std::size_t n = i < current_ ? used_[i] : static_cast<std::size_t>(pptr() - pbase());
      out.write(chunks_[i].get(), static_cast<std::streamsize>(n));
    }
    out.flush();
    return out ? Status::ok() : io_error("cannot write " + file.string() + " (disk full?)");
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (current_ != kNone) {
      used_[current_] = static_cast<std::size_t>(pptr() - pbase());
      full_ += used_[current_];
    }
    current_ = current_ == kNone ? 0 : current_ + 1;
    if (current_ == chunks_.size())
      add_chunk(current_ == 0 ? kFirst : std::min(kLargest, 2 * capacity_[current_ - 1]));
    setp(chunks_[current_].get(), chunks_[current_].get() + capacity_[current_]);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }

 private:
  static constexpr std::size_t kFirst = std::size_t{64} << 10, kLargest = std::size_t{64} << 20;
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  void add_chunk(std::size_t capacity) {
    chunks_.emplace_back(new char[capacity]);  // not zeroed: every byte handed out is written
    capacity_.push_back(capacity);
    used_.push_back(0);
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::size_t> capacity_;
  std::vector<std::size_t> used_;  // bytes written to each chunk before the current one
  std::size_t current_ = kNone;    // the chunk being written to
  std::size_t full_ = 0;           // bytes in the chunks before the current one
};

// Counts what would be written, without keeping it: the size a ByteChunks should reserve.
class ByteCounter final : public std::streambuf {
 public:
  std::size_t size() const { return n_; }

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    n_ += static_cast<std::size_t>(n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) ++n_;
    return traits_type::not_eof(c);
  }

 private:
  std::size_t n_ = 0;
};

}  // namespace tunggal::index::detail
