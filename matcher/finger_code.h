#pragma once
// Fixed-length finger codes for 1:N candidate retrieval (issue 3, item 5).
//
// A finger code is a short L2-normalised float vector derived from a PreparedTemplate's MCC
// cylinders, so that FAISS inner-product search can shortlist candidates for the full MCC matcher
// (matcher/finger_matcher.h). The idea follows Cappelli, Ferrara, Maltoni, "Fingerprint indexing
// based on Minutia Cylinder-Code", TPAMI 33(5), 2011: cylinders are rotation- and
// translation-invariant local descriptors, so a template is well summarised by *which* cylinders
// it contains. Instead of their variable-length LSH vote, each cylinder is pooled into a short
// descriptor, the descriptors are projected onto the directions that best tell minutiae apart
// (LDA learnt on synthetic captures) and aggregated (VLAD, Jégou et al., CVPR 2010, here with a
// single word: a weighted sum), with power and L2 normalisation. See
// matcher/detail/finger_code_model.h for each step and why, docs/finger_codes.md for the figures.
//
// Usage:
//   auto p = FingerMatcher{}.prepare(tpl);          // once per template
//   std::vector<float> c = make_finger_code(*p);     // finger_code_dimension() floats, |c| = 1
//   float sim = dot(c_probe, c_gallery);             // higher = more likely the same finger
#include <cstdint>
#include <span>
#include <vector>

#include "matcher/finger_matcher.h"

namespace tunggal::matcher {

// Number of floats in a code; fixed for a code version.
int finger_code_dimension();
// Bumped whenever codes of the same template change; index snapshots record it and must be
// rebuilt when it differs.
std::uint32_t finger_code_version();

// L2-normalised, never NaN. A template with too little content (no cylinder) gives a valid,
// low-information code. Thread-safe; the model is built deterministically on first use.
std::vector<float> make_finger_code(const PreparedTemplate& t);
// The same into caller memory, without allocating. Fails (and leaves `out` untouched) when
// out.size() is not finger_code_dimension().
Status make_finger_code(const PreparedTemplate& t, std::span<float> out);

}  // namespace tunggal::matcher
