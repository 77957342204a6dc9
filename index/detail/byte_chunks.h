#pragma once
// An in-memory stream buffer for a snapshot file: the engine serialises an index into it while it
// holds its decide lock (a memory copy: a fraction of a second per GB) and writes it to disk after
// releasing the lock (seconds per GB with the fsyncs; docs/engine.md "Snapshots while serving").
// Chunks that double from 64 KiB to 64 MiB rather than one growing buffer: growth never copies
// what is already held, and at most one partly filled chunk is held beyond the bytes written.
#include <algorithm>
#include <cstddef>
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

  // Creates (or truncates) `file` and writes the bytes held; the caller fsyncs it.
  Status write_to(const std::filesystem::path& file) const {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out) return io_error("cannot create " + file.string());
    for (std::size_t i = 0; i < chunks_.size(); ++i) {
      const std::size_t n = i + 1 < chunks_.size() ? used_[i] : static_cast<std::size_t>(pptr() - pbase());
      out.write(chunks_[i].get(), static_cast<std::streamsize>(n));
    }
    out.flush();
    return out ? Status::ok() : io_error("cannot write " + file.string() + " (disk full?)");
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (!chunks_.empty()) {
      used_.back() = static_cast<std::size_t>(pptr() - pbase());
      full_ += used_.back();
    }
    const std::size_t capacity = chunks_.empty() ? kFirst : std::min(kLargest, 2 * capacity_);
    chunks_.emplace_back(new char[capacity]);  // not zeroed: every byte handed out is written
    used_.push_back(0);
    capacity_ = capacity;
    setp(chunks_.back().get(), chunks_.back().get() + capacity);
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
    return c;
  }

 private:
  static constexpr std::size_t kFirst = std::size_t{64} << 10, kLargest = std::size_t{64} << 20;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::size_t> used_;  // bytes in each chunk once a later one was started
  std::size_t full_ = 0;           // bytes in every chunk but the last
  std::size_t capacity_ = 0;       // of the last chunk
};

}  // namespace tunggal::index::detail
