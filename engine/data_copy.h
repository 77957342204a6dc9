#pragma once
// A copy of a data directory (`tunggal admin backup`, the server's online Engine::backup, the
// checkpoint `tunggal reprocess --from-checkpoint` works on) carries a marker file naming what it
// was copied from. Jobs that write into a gallery (reprocessing's review cases) read it to tell a
// copy from the live gallery: cases stored in a copy block nothing, because the request workflow
// and `admin review list` read the live store. `tunggal admin restore` copies store/ and index/
// only, so a restored directory is live again; copies made before the marker existed carry none.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/status.h"

namespace tunggal::engine {

inline constexpr const char* kCopyMarkerFile = "COPY_OF";

struct CopyMarker {
  std::string source;   // the data directory copied, as given (made absolute)
  std::string made_by;  // "admin backup", "server backup", "reprocess --from-checkpoint"
  std::int64_t at_ms = 0;
};

// Writes (and fsyncs) the marker into `copy`, which must exist. Written before the copy itself,
// so that a copy interrupted halfway is marked too.
Status mark_as_copy(const std::filesystem::path& copy, const CopyMarker& marker);
// The marker of `data_dir`; nullopt when it carries none (a live gallery, or an old copy).
Expected<std::optional<CopyMarker>> read_copy_marker(const std::filesystem::path& data_dir);

}  // namespace tunggal::engine
