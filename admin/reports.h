#pragma once
// The documents behind `tunggal admin …`: computed from a store (read-only is enough), as JSON.
// The CLI prints them (--json) or renders text from them; a server sends the same document over
// the protocol, so an admin sees the same fields offline and remotely (docs/admin.md).
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/admin_query.h"
#include "admin/review_cases.h"
#include "core/status.h"
#include "core/verdict.h"
#include "engine/engine_options.h"
#include "engine/store.h"

namespace tunggal::admin {

// `review_threshold`: the verdict's; a candidate listed below it was sent to REVIEW by its face
// alone ("face_led": true, with "face_led_score").
nlohmann::json candidate_json(const Candidate& c, float review_threshold = std::numeric_limits<float>::infinity());
nlohmann::json verdict_json(const Verdict& v);
// The stored case (encode_case) with its id ("case") and, as candidate_json marks a candidate,
// "face_led": listed below the review threshold for its face alone.
nlohmann::json case_json(const ReviewCase& c);

// Answers the read-only kinds of query (status, show, review, audit, thresholds) from `store`.
// `options` gives the FPIR targets the thresholds derive from (the engine's, or the defaults
// offline); `now_ms` the clock for SLA ages. Errors: kNotFound (no such record), kInvalidArgument
// (a malformed id), store errors; kInvalidArgument for kinds that change something.
Expected<nlohmann::json> answer(const engine::Store& store, const AdminQuery& query, const EngineOptions& options,
                                std::int64_t now_ms);

// Records an admin's decision on a reprocessing case (query.id = RC-A-B), audited.
Expected<nlohmann::json> adjudicate_case(engine::Store& store, const AdminQuery& query, std::int64_t now_ms);

// Opens a backup (or any data directory) read-only, reads every block checksum and counts the
// active subjects: a copy that cannot be opened is no backup.
Expected<std::uint64_t> verify_copy(const std::filesystem::path& data_dir);

// Opens data_dir/store (read-only unless writable); kFailedPrecondition "holds no gallery" when absent.
Expected<std::unique_ptr<engine::Store>> open_store(const std::filesystem::path& data_dir, bool writable);

}  // namespace tunggal::admin
