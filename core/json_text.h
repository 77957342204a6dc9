#pragma once
// JSON as text, for what we print, answer or store. nlohmann's plain dump() throws (type_error 316)
// on a string that is not valid UTF-8, and our strings come from outside: a name typed in a Latin-1
// terminal, a site id, an audit reason, a file path. An exception there would end a command after
// its work was done, or a server thread; invalid bytes come out as U+FFFD instead.
//
// Header-only: every module that builds JSON already links nlohmann_json; core itself does not.
#include <string>

#include <nlohmann/json.hpp>

namespace tunggal {

// indent -1: one line; otherwise pretty-printed with that many spaces.
inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tunggal
