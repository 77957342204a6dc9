#pragma once
// Stage 1 of MCC: cylinder creation (Cappelli, Ferrara, Maltoni, TPAMI 2010, Sect. 3).
#include "matcher/finger_matcher.h"

namespace tunggal::matcher {

class CylinderBuilder {
 public:
  explicit CylinderBuilder(const MatcherOptions& opt);
  // Builds the cylinders of t.minutiae_ (already cleaned, 500 ppi) into t; drops invalid ones.
  void build(PreparedTemplate& t) const;

 private:
  const MatcherOptions& opt_;
};

}  // namespace tunggal::matcher
