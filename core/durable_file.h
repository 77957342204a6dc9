#pragma once
// Making written files and renames durable. A rename replaces a name atomically, but after a power
// cut POSIX promises neither the renamed file's data nor the rename itself unless the file and
// then its directory were fsynced (the ext4/XFS "zero-length file after crash" cases).
#include <filesystem>

#include "core/status.h"

namespace tunggal {

// fsync(2) of a file already written and closed.
Status sync_file(const std::filesystem::path& file);
// fsync(2) of a directory: the creations, renames and removals of its entries.
Status sync_directory(const std::filesystem::path& dir);

}  // namespace tunggal
