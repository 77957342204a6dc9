#pragma once
// The rows of smallest Hamming distance to one query, collected while stage 1 of the hash-sq8
// shard streams over the gallery (hash_sq8_shard.h): the scan kernel emits only rows below
// threshold(), which tightens as hits accumulate.
//
// Distances are small integers (0..bits), so a histogram of the kept hits gives the tightest
// threshold in O(1) amortised per hit: threshold() is the smallest T with at least `depth` kept
// hits below T, and every row closer than the depth-th nearest is kept (ties at the boundary in
// any order). It replaced an nth_element over 2 x depth hits at every refill, which cost a third
// as much as the scan itself at 1M rows (docs/index.md).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "index/detail/hamming_scan.h"

namespace tunggal::index::detail {

class HammingShortlist {
 public:
  HammingShortlist(std::size_t depth, int bits) : depth_(std::max<std::size_t>(depth, 1)), count_(bits + 2, 0) {}

  // Every row emitted by the scan must be closer than threshold().
  std::uint32_t threshold() const { return thresh_; }

  // hits: rows with dist < threshold(), as hamming_below() emits them.
  void add(const HammingHit* hits, std::size_t m) {
    for (std::size_t i = 0; i < m; ++i) {
      hits_.push_back(hits[i]);
      ++count_[hits[i].dist];
    }
    below_ += m;
    if (below_ < depth_) return;
    if (thresh_ == kOpen) {  // first time there are depth hits: the threshold starts at the top
      thresh_ = static_cast<std::uint32_t>(count_.size() - 1);
      below_ = hits_.size();
    }
    // Lower the threshold while the rows strictly closer than thresh_ - 1 still number depth.
    while (thresh_ > 0 && below_ - count_[thresh_ - 1] >= depth_) {
      below_ -= count_[thresh_ - 1];
      count_[thresh_ - 1] = 0;
      --thresh_;
    }
    if (hits_.size() >= compact_at_) {
      compact();
      compact_at_ = std::max(4 * depth_, 2 * hits_.size());
    }
  }

  // The kept hits (every row below threshold(); at least depth of them once depth were seen).
  std::vector<HammingHit>& hits() {
    compact();
    return hits_;
  }

 private:
  // Drops the hits the threshold has passed. Branch-free: whether a hit stays is a coin flip
  // to the branch predictor.
  void compact() {
    std::size_t w = 0;
    for (const HammingHit& h : hits_) {
      hits_[w] = h;
      w += h.dist < thresh_;
    }
    hits_.resize(w);
  }

  static constexpr std::uint32_t kOpen = std::numeric_limits<std::uint32_t>::max();
  std::size_t depth_;
  std::vector<std::uint32_t> count_;  // kept hits per distance, for distances below thresh_
  std::vector<HammingHit> hits_;
  std::size_t below_ = 0;              // hits with dist < thresh_
  std::uint32_t thresh_ = kOpen;
  std::size_t compact_at_ = 0;
};

}  // namespace tunggal::index::detail
