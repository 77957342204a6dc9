#pragma once
// The VectorIndex every factory returns: S shards by mixed id hash, one shared_mutex each,
// searched in parallel in a TBB arena of `threads` and merged exactly (a shard's top-k contains
// every hit of the global top-k that lives in that shard, so the merge of the shards' top-k is
// the global top-k).
#include <memory>

#include "index/detail/shard.h"
#include "index/vector_index.h"

namespace tunggal::index::detail {

Expected<std::unique_ptr<VectorIndex>> make_sharded_index(const IndexOptions& options, const VectorSource* source,
                                                          std::vector<std::unique_ptr<Shard>> loaded_shards = {});

}  // namespace tunggal::index::detail
