#pragma once
// The inner loop of the Gabor enhancement (gabor_enhancement.cpp), apart so that a test can run
// both builds without OpenCV.
#include <cstddef>

namespace tunggal::ingest::detail {

inline constexpr int kGaborLanes = 8;

// One output pixel of GaborBank::enhance: `rows` kernel rows of `stride` weights (a multiple of
// kGaborLanes, zero beyond the kernel) against the image patch whose top-left corner is
// `patch`, in an image of `pitch` floats per row; reads `stride` floats of each patch row. Two
// builds, for AVX2 (twice as fast: docs/extraction.md) and for the baseline x86-64, with the same
// arithmetic in the same order: the minutiae do not depend on the CPU (tested).
float gabor_filter_patch_generic(const float* patch, std::size_t pitch, const float* w, int stride, int rows);
float gabor_filter_patch_avx2(const float* patch, std::size_t pitch, const float* w, int stride, int rows);
bool gabor_filter_has_avx2();

}  // namespace tunggal::ingest::detail
