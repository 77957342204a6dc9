#pragma once
// "name=value" overrides of MatcherOptions, for experiments that others must be able to re-run
// from the command line (tunggal eval fvc --option max_nr=31). Names are the fields' names.
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "matcher/finger_matcher.h"

namespace tunggal::datasets {

// Applies one "name=value" to `o`. Fails on an unknown name (the message lists the known ones), a
// value that is not a number, or an integer field given a fraction.
Status apply_matcher_option(std::string_view assignment, matcher::MatcherOptions& o);

// The names apply_matcher_option knows, in declaration order.
std::vector<std::string> matcher_option_names();

}  // namespace tunggal::datasets
