#pragma once
// Enrollments whose fingers arrive as images (issue 9 item 2): the door's extraction step. The
// server's submit path and `tunggal import --images` call these before anything reaches the
// engine, which takes templates only (one-way flow: image -> template -> engine). The stored
// record is the extracted template; the image is dropped once extracted (docs/extraction.md).
//
// A finger whose image cannot be decoded (corrupt, truncated, wrong bit depth, decompression bomb:
// the limits of ExtractorOptions::limits) or that the extractor's quality gate rejects (blank, not
// a fingerprint, too few minutiae) fails the whole enrollment with the reason, naming the finger:
// the station recaptures, nothing is stored.
#include <span>
#include <vector>

#include "core/enrollment.h"
#include "core/status.h"
#include "ingest/minutiae_extractor.h"

namespace tunggal::ingest {

// The template of one finger image at its position, or why there is none ("right index: ...").
Expected<FingerTemplate> extract_finger(const FingerImage& image, const MinutiaeExtractor& extractor);

// Puts the templates extracted from e.finger_images (results[i] for e.finger_images[i], from
// extract_finger) into e.fingers and clears e.finger_images; then the engine's own structural
// check. On failure (the first failed finger's reason, prefixed with the enrollment id) `e` is
// left unchanged.
Status adopt_extracted(Enrollment& e, std::span<const Expected<FingerTemplate>> results);

// Extracts every image of `e` (one after the other) and adopts the templates.
Status extract_finger_images(Enrollment& e, const MinutiaeExtractor& extractor);

// Every image of every enrollment in parallel (TBB), then adopts per enrollment: one Status per
// enrollment (ok: its images are templates now). Enrollments without images are only validated.
std::vector<Status> extract_finger_images(std::span<Enrollment> batch, const MinutiaeExtractor& extractor);

}  // namespace tunggal::ingest
