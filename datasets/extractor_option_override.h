#pragma once
// "name=value" overrides of ingest::ExtractorOptions, so that an extractor experiment can be
// re-run from the command line by others (tunggal eval fvc --extract --extractor-option
// border_margin=8). Names are the fields' names.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/minutiae_extractor.h"

namespace tunggal::datasets {

// Applies one "name=value" to `o`. Fails on an unknown name (the message lists the known ones), a
// value that is not a number, or an integer field given a fraction.
Status apply_extractor_option(std::string_view assignment, ingest::ExtractorOptions& o);

std::vector<std::string> extractor_option_names();

}  // namespace tunggal::datasets
