#pragma once
// Runs the built `tunggal` executable the way a script would: the CLI tests check exit codes and
// output contracts (JSON fields other tools read), so they go through the real binary.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace tunggal::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

// stdout of `tunggal <args>` (stderr discarded, or merged into out when merge_stderr).
inline CliRun run_tunggal(const std::string& args, bool merge_stderr = false) {
  const std::string cmd =
      std::string(TUNGGAL_BINARY_DIR) + "/cli/tunggal " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace tunggal::testing
