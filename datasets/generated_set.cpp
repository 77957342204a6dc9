#include "datasets/generated_set.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tunggal::datasets {

FvcSet generated_fvc_set(const GeneratedSetOptions& o) {
  Population pop({.seed = o.seed});
  FvcSet set;
  set.name = "generated-s" + std::to_string(o.seed);
  for (int i = 0; i < o.identities; ++i) {
    std::vector<FingerPosition> chosen;
    for (int k = 0; k < o.captures; ++k) {
      const Enrollment e = pop.capture(static_cast<std::uint64_t>(i), k);
      if (k == 0)
        for (const auto& f : e.fingers)
          if (static_cast<int>(chosen.size()) < o.fingers) chosen.push_back(f.position);
      for (const auto& f : e.fingers) {
        if (std::find(chosen.begin(), chosen.end(), f.position) == chosen.end()) continue;
        FvcImpression imp;
        imp.finger = i * 16 + static_cast<int>(f.position);
        imp.impression = k + 1;
        imp.finger_template = f;
        set.impressions.push_back(std::move(imp));
      }
    }
  }
  std::sort(set.impressions.begin(), set.impressions.end(), [](const auto& a, const auto& b) {
    return std::pair(a.finger, a.impression) < std::pair(b.finger, b.impression);
  });
  return set;
}

}  // namespace tunggal::datasets
