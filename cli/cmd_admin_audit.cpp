// `tunggal admin audit [--since T]`: the append-only log of who changed what, and why.
#include <charconv>
#include <ctime>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/admin_cli.h"
#include "cli/command_registry.h"
#include "core/json_text.h"

namespace tunggal::cli {
namespace {

// "2026-11-25", "2026-11-25T08:00", "2026-11-25 08:00:00" (UTC), "24h"/"7d"/"30m" ago, or epoch ms.
Expected<std::int64_t> parse_since(const std::string& t, std::int64_t now) {
  auto bad = invalid_argument(fmt::format(
      "--since '{}': use a UTC date/time (2026-11-25, 2026-11-25T08:00), an age (30m, 24h, 7d) or epoch ms", t));
  if (t.empty()) return bad;
  const char unit = t.back();
  const std::string digits = t.substr(0, t.size() - 1);
  // Digits only, within int64 (from_chars refuses what does not fit; stoll threw out of the
  // command with "stoll", and an age times its unit could overflow).
  auto number = [](const std::string& d) -> std::optional<std::int64_t> {
    std::int64_t v = 0;
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
    if (ec != std::errc() || end != d.data() + d.size()) return std::nullopt;
    return v;
  };
  if ((unit == 'm' || unit == 'h' || unit == 'd') && !digits.empty() &&
      digits.find_first_not_of("0123456789") == std::string::npos) {
    const std::int64_t per = unit == 'm' ? 60000LL : unit == 'h' ? 3600000LL : 86400000LL;
    const auto n = number(digits);
    if (!n || *n > now / per) return bad;  // further back than the epoch
    return now - *n * per;
  }
  if (t.find_first_not_of("0123456789") == std::string::npos && t.size() >= 10) {
    const auto ms = number(t);
    if (!ms) return bad;
    return *ms;
  }
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const int n = std::sscanf(t.c_str(), "%d-%d-%d%*[T ]%d:%d:%d", &y, &mo, &d, &h, &mi, &s);
  if (n != 3 && n < 5) return bad;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return bad;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

RegisterCommand reg{{"admin audit", "the append-only audit log: adjudications, deletions, with who and why",
                     [](CLI::App& cmd) {
  auto a = std::make_shared<AdminArgs>();
  auto since = std::make_shared<std::string>();
  auto after = std::make_shared<std::uint64_t>(0);
  add_admin_options(cmd, *a);
  cmd.add_option("--since", *since, "only entries at or after: 2026-11-25, 2026-11-25T08:00 (UTC), 24h, 7d, or epoch ms");
  cmd.add_option("--after-seq", *after, "only entries after this sequence number (to follow the log)");
  cmd.footer(R"(
One line per entry: sequence number, time (UTC), admin, action, target, and the state before and
after, with the reason. Entries are never changed or removed. Over --connect the admin recorded
for a change is the name in the certificate that made it.
Exit codes: 0 shown (also when empty); 2 bad --since; 3 no gallery in --data-dir or server
unreachable; 5 not an admin certificate.

Examples:
  tunggal admin audit --data-dir /srv/tunggal --since 24h
  tunggal admin audit --connect abis.example:7700 --tls-dir ~/tls --admin budi.santoso --since 2026-11-01 --json)");
  return [a, since, after]() {
    if (Status s = check_admin_mode(*a); !s) return admin_failure("audit", s);
    std::int64_t from = 0;
    if (!since->empty()) {
      auto t = parse_since(*since, now_ms());
      if (!t) return admin_failure("audit", t.error());
      from = *t;
    }
    auto arr = admin_report(*a, {.kind = admin::AdminQuery::Kind::kAudit, .after_seq = *after, .since_ms = from});
    if (!arr) return admin_failure("audit", arr.error());
    if (a->json) {
      std::cout << json_text(*arr) << "\n";
      return kExitOk;
    }
    for (const auto& e : *arr)
      std::cout << fmt::format("#{:<6} {}  {:<16} {:<16} {}\n        {} -> {}\n        reason: {}\n",
                               e["seq"].get<std::uint64_t>(), format_utc(e["at_ms"].get<std::int64_t>()),
                               e["actor"].get<std::string>(), e["action"].get<std::string>(),
                               e["target"].get<std::string>(), e["before"].get<std::string>(),
                               e["after"].get<std::string>(), e["reason"].get<std::string>());
    if (arr->empty()) std::cout << "no audit entries" << (since->empty() ? "" : " since " + *since) << "\n";
    return kExitOk;
  };
}}};

}  // namespace
}  // namespace tunggal::cli
