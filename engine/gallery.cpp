#include "engine/gallery.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>

#include <immintrin.h>

namespace tunggal {
namespace {

// Finger layout in the blob: u16 width, u16 height, u16 res_x, u16 res_y, u8 quality, u8 position,
// u16 count, then count × {u16 x, u16 y, u8 angle (2π/256 units, as ISO stores it), u8 type|quality}.
constexpr std::size_t kFingerHeader = 12;
constexpr std::size_t kMinutiaBytes = 6;

void put16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }
std::uint16_t get16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

std::uint8_t encode_angle(float a) {
  const float units = a * (256.0f / (2.0f * std::numbers::pi_v<float>));
  return static_cast<std::uint8_t>(static_cast<int>(std::lround(units)) & 0xFF);
}
float decode_angle(std::uint8_t u) { return static_cast<float>(u) * (2.0f * std::numbers::pi_v<float> / 256.0f); }

// Faces are kept in fp16. Converted one value at a time, _Float16 goes through libgcc's software
// __extendhfsf2/__truncsfhf2: 7% of a reprocessing probe at 1M (the face re-rank reads 64 faces per
// shard) and a fifth of opening a 1M gallery (docs/reprocess.md). F16C converts 8 at once with the
// same IEEE round-to-nearest-even result, so stored values and scores stay bit for bit the same.
bool have_f16c() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
  return yes;
}

void halves_to_floats_scalar(const std::uint8_t* in, float* out, int from, int n) {
  for (int i = from; i < n; ++i) {
    _Float16 v;
    std::memcpy(&v, in + 2 * i, sizeof v);
    out[i] = static_cast<float>(v);
  }
}

void floats_to_halves_scalar(const float* in, std::uint8_t* out, int from, int n) {
  for (int i = from; i < n; ++i) {
    const _Float16 v = static_cast<_Float16>(in[i]);
    std::memcpy(out + 2 * i, &v, sizeof v);
  }
}

__attribute__((target("avx2,f16c"))) void halves_to_floats_f16c(const std::uint8_t* in, float* out, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i))));
  halves_to_floats_scalar(in, out, i, n);
}

__attribute__((target("avx2,f16c"))) void floats_to_halves_f16c(const float* in, std::uint8_t* out, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  floats_to_halves_scalar(in, out, i, n);
}

void halves_to_floats(const std::uint8_t* in, float* out, int n) {
  if (have_f16c()) halves_to_floats_f16c(in, out, n);
  else halves_to_floats_scalar(in, out, 0, n);
}

void floats_to_halves(const float* in, std::uint8_t* out, int n) {
  if (have_f16c()) floats_to_halves_f16c(in, out, n);
  else floats_to_halves_scalar(in, out, 0, n);
}

}  // namespace

Gallery::Gallery(int face_dimension) : face_dimension_(face_dimension) {}

void Gallery::put(SubjectId id, std::span<const FingerTemplate> fingers, const std::optional<FaceEmbedding>& face) {
  Entry e;
  std::size_t size = 0;
  for (const auto& f : fingers) {
    if (is_known_finger(f.position)) size += kFingerHeader + f.minutiae.size() * kMinutiaBytes;
  }
  const bool with_face = face && face->dimension() == face_dimension_;
  if (with_face) size += static_cast<std::size_t>(face_dimension_) * sizeof(_Float16);
  e.blob = std::make_unique<std::uint8_t[]>(size);
  e.blob_size = static_cast<std::uint32_t>(size);
  std::uint8_t* p = e.blob.get();
  for (const auto& f : fingers) {
    if (!is_known_finger(f.position)) continue;
    const int slot = finger_slot(f.position);
    e.finger_mask |= static_cast<std::uint16_t>(1u << slot);
    e.offset[static_cast<std::size_t>(slot)] = static_cast<std::uint16_t>(p - e.blob.get());
    put16(p, f.width), put16(p + 2, f.height), put16(p + 4, f.resolution_x), put16(p + 6, f.resolution_y);
    p[8] = f.quality;
    p[9] = static_cast<std::uint8_t>(f.position);
    put16(p + 10, static_cast<std::uint16_t>(f.minutiae.size()));
    p += kFingerHeader;
    for (const auto& m : f.minutiae) {
      put16(p, m.x), put16(p + 2, m.y);
      p[4] = encode_angle(m.angle);
      // Type in the top 2 bits, quality/100 in 0..63 below.
      p[5] = static_cast<std::uint8_t>((static_cast<unsigned>(m.type) << 6) | ((m.quality * 63u + 50u) / 100u));
      p += kMinutiaBytes;
    }
  }
  if (with_face) {
    e.has_face = true;
    floats_to_halves(face->values().data(), p, face_dimension_);
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = entries_.try_emplace(id);
  if (!inserted) blob_bytes_ -= it->second.blob_size;
  blob_bytes_ += size;
  it->second = std::move(e);
}

bool Gallery::remove(SubjectId id) {
  std::unique_lock lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  blob_bytes_ -= it->second.blob_size;
  entries_.erase(it);
  return true;
}

const Gallery::Entry* Gallery::find(SubjectId id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

bool Gallery::contains(SubjectId id) const {
  std::shared_lock lock(mu_);
  return find(id) != nullptr;
}

std::uint64_t Gallery::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

std::optional<FingerTemplate> Gallery::finger(SubjectId id, FingerPosition position) const {
  if (!is_known_finger(position)) return std::nullopt;
  std::shared_lock lock(mu_);
  const Entry* e = find(id);
  const int slot = finger_slot(position);
  if (!e || !(e->finger_mask & (1u << slot))) return std::nullopt;
  const std::uint8_t* p = e->blob.get() + e->offset[static_cast<std::size_t>(slot)];
  FingerTemplate f;
  f.width = get16(p), f.height = get16(p + 2), f.resolution_x = get16(p + 4), f.resolution_y = get16(p + 6);
  f.quality = p[8];
  f.position = static_cast<FingerPosition>(p[9]);
  const std::uint16_t n = get16(p + 10);
  p += kFingerHeader;
  f.minutiae.resize(n);
  for (std::uint16_t i = 0; i < n; ++i, p += kMinutiaBytes) {
    auto& m = f.minutiae[i];
    m.x = get16(p), m.y = get16(p + 2);
    m.angle = decode_angle(p[4]);
    m.type = static_cast<MinutiaType>(p[5] >> 6);
    m.quality = static_cast<std::uint8_t>(((p[5] & 63u) * 100u + 31u) / 63u);
  }
  return f;
}

std::uint16_t Gallery::finger_mask(SubjectId id) const {
  std::shared_lock lock(mu_);
  const Entry* e = find(id);
  return e ? e->finger_mask : 0;
}

bool Gallery::has_face(SubjectId id) const {
  std::shared_lock lock(mu_);
  const Entry* e = find(id);
  return e && e->has_face;
}

float Gallery::face_cosine(SubjectId id, std::span<const float> probe) const {
  std::shared_lock lock(mu_);
  const Entry* e = find(id);
  if (!e || !e->has_face || probe.size() != static_cast<std::size_t>(face_dimension_)) return std::nanf("");
  const std::uint8_t* h = e->blob.get() + e->blob_size - static_cast<std::size_t>(face_dimension_) * sizeof(_Float16);
  // Converted a chunk at a time, summed in index order as before (same float result).
  constexpr int kChunk = 64;
  float chunk[kChunk];
  float s = 0.0f;
  for (int from = 0; from < face_dimension_; from += kChunk) {
    const int n = std::min(kChunk, face_dimension_ - from);
    halves_to_floats(h + 2 * from, chunk, n);
    for (int i = 0; i < n; ++i) s += chunk[i] * probe[static_cast<std::size_t>(from + i)];
  }
  return s;
}

bool Gallery::face(SubjectId id, std::span<float> out) const {
  std::shared_lock lock(mu_);
  const Entry* e = find(id);
  if (!e || !e->has_face || out.size() < static_cast<std::size_t>(face_dimension_)) return false;
  halves_to_floats(e->blob.get() + e->blob_size - static_cast<std::size_t>(face_dimension_) * sizeof(_Float16),
                   out.data(), face_dimension_);
  return true;
}

std::size_t Gallery::memory_bytes() const {
  std::shared_lock lock(mu_);
  // Node-based map: key + entry + next pointer + hash, plus the bucket array.
  const std::size_t per_node = sizeof(SubjectId) + sizeof(Entry) + 2 * sizeof(void*);
  return blob_bytes_ + entries_.size() * per_node + entries_.bucket_count() * sizeof(void*);
}

std::vector<SubjectId> Gallery::ids() const {
  std::shared_lock lock(mu_);
  std::vector<SubjectId> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back(id);
  return out;
}

}  // namespace tunggal
