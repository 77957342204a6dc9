#include "ingest/minutiae_extractor.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "ingest/detail/extraction_stages.h"

namespace tunggal::ingest {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point& t) {
  const auto now = Clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

// NFIQ-like overall quality (docs/extraction.md): three terms in 0..1, multiplied.
//  area:     foreground pixels at 500 ppi over 40,000 (a 10 x 10 mm contact area);
//  clarity:  mean foreground coherence mapped linearly from 0.15 (below the gate: no ridge flow) to
//            0.60;
//  minutiae: minutiae of quality >= 0.4 over 25 (the count beyond which matching saturates).
// Calibrated on FVC2002 against each image's mean genuine score (docs/extraction.md): rank
// correlation 0.59, and 24 of 640 images below 10 where the former terms (0.25..0.65, >= 0.5) put
// 61 there, most of them prints that match well.
int overall_quality(double fg_pixels, float coherence, int good_minutiae) {
  const double area = std::min(1.0, fg_pixels / 40000.0);
  const double clarity = std::clamp((coherence - 0.15) / 0.45, 0.0, 1.0);
  const double count = std::min(1.0, good_minutiae / 25.0);
  return int(std::lround(100.0 * area * clarity * count));
}

int nfiq_level(int q) { return q >= 80 ? 1 : q >= 60 ? 2 : q >= 40 ? 3 : q >= 20 ? 4 : 5; }

}  // namespace

struct MinutiaeExtractor::Impl {
  ExtractorOptions options;
  detail::GaborBank gabor;
  explicit Impl(ExtractorOptions o) : options(std::move(o)), gabor(options.gabor_sigma_factor, options.gabor_along_factor) {}
};

MinutiaeExtractor::MinutiaeExtractor(ExtractorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
MinutiaeExtractor::~MinutiaeExtractor() = default;
MinutiaeExtractor::MinutiaeExtractor(MinutiaeExtractor&&) noexcept = default;
MinutiaeExtractor& MinutiaeExtractor::operator=(MinutiaeExtractor&&) noexcept = default;
const ExtractorOptions& MinutiaeExtractor::options() const { return impl_->options; }

Expected<Extraction> MinutiaeExtractor::extract(const GreyImage& image) const {
  return extract(image, impl_->options.resolution_ppi);
}

Expected<Extraction> MinutiaeExtractor::extract(const GreyImage& image, int resolution_ppi) const {
  const ExtractorOptions& o = impl_->options;
  if (image.width <= 0 || image.height <= 0 || image.pixels.size() != std::size_t(image.width) * image.height)
    return invalid_argument("image buffer of " + std::to_string(image.pixels.size()) + " bytes does not match " +
                            std::to_string(image.width) + "x" + std::to_string(image.height));
  if (image.width > o.limits.max_side || image.height > o.limits.max_side)
    return invalid_argument("image of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                            " exceeds the limit of " + std::to_string(o.limits.max_side) + " per side");
  if (resolution_ppi < 250 || resolution_ppi > 2000)
    return invalid_argument("resolution of " + std::to_string(resolution_ppi) + " ppi is outside 250..2000");
  const auto start = Clock::now();
  auto t = start;
  Extraction r;
  FingerTemplate& ft = r.finger_template;
  ft.width = std::uint16_t(image.width);
  ft.height = std::uint16_t(image.height);
  ft.resolution_x = ft.resolution_y = std::uint16_t(std::lround(resolution_ppi / 2.54));

  const cv::Mat src(image.height, image.width, CV_8U, const_cast<std::uint8_t*>(image.pixels.data()));
  cv::Mat grey = src;
  const double scale = 500.0 / resolution_ppi;  // work at 500 ppi
  if (resolution_ppi != 500) cv::resize(src, grey, cv::Size(), scale, scale, cv::INTER_AREA);

  detail::Segmentation seg = detail::segment_and_normalise(grey, o);
  r.foreground_fraction = seg.foreground_fraction;
  r.timings.segmentation_ms = ms_since(t);
  const double fg_pixels = seg.foreground_fraction * double(grey.total());
  if (fg_pixels < o.min_foreground_fraction * double(grey.total()) || fg_pixels < 64.0 * 64.0) {
    r.rejected = true;
    r.reject_reason = "too little fingerprint area: " + std::to_string(int(std::lround(100 * r.foreground_fraction))) +
                      "% of the image shows ridges (blank, flat or badly placed finger)";
    r.timings.total_ms = ms_since(t) + r.timings.segmentation_ms;
    return r;
  }

  detail::OrientationField of = detail::orientation_field(seg.normalised, o);
  r.mean_coherence = float(cv::mean(of.coherence, seg.mask)[0]);
  if (o.blotch_clip > 0) {
    // Blotches clamped (detail/blotch_clamp.cpp), kept when the ridge flow comes out clearer; from
    // here on the clamped image is the print for every stage, its coherence included.
    cv::Mat clamped = detail::normalise(detail::clamp_blotches(grey, o.blotch_clip), seg.mask, o);
    detail::OrientationField clamped_field = detail::orientation_field(clamped, o);
    const float c = float(cv::mean(clamped_field.coherence, seg.mask)[0]);
    if (c > r.mean_coherence + o.blotch_min_coherence_gain) {
      seg.normalised = std::move(clamped);
      of = std::move(clamped_field);
      r.mean_coherence = c;
      r.blotches_clamped = true;
    }
  }
  r.timings.orientation_ms = ms_since(t);
  const detail::RidgeFrequency rf = detail::ridge_frequency(seg.normalised, seg.mask, of, o);
  r.ridge_period = rf.median_period;
  r.timings.frequency_ms = ms_since(t);
  if (r.mean_coherence < o.min_mean_coherence || rf.valid_fraction < 0.2f) {
    r.rejected = true;
    char b[200];
    std::snprintf(b, sizeof b,
                  "no ridge structure: mean orientation coherence %.2f (fingerprints >= %.2f), clear ridge period in "
                  "%.0f%% of blocks; not a fingerprint or badly smudged",
                  r.mean_coherence, o.min_mean_coherence, 100.0 * rf.valid_fraction);
    r.reject_reason = b;
    r.timings.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return r;
  }
  // Two passes (o.refine_orientation): the field re-measured on the first pass's output, where
  // blotches, pores and sweat dots no longer pull the gradients, and with it the ridge period
  // (o.refine_frequency; DB4's dotted ridges fool the x-signature of the raw image), tune the
  // filters of the second pass on the same normalised image (docs/extraction.md, sixth version).
  // The first pass only feeds estimates averaged over ~10 px, so it may filter every second pixel.
  // The refined field gives the minutiae their angles; their quality keeps the coherence of the
  // image's own field (the enhanced image is coherent by construction, and the image quality was
  // calibrated on it).
  detail::OrientationField field = of;
  cv::Mat enhanced = impl_->gabor.enhance(seg.normalised, seg.mask, of, rf, std::max(1, o.refine_orientation));
  if (o.refine_orientation > 0) {
    field = detail::orientation_field(enhanced, o);
    field.coherence = of.coherence;
    enhanced = o.refine_frequency
                   ? impl_->gabor.enhance(seg.normalised, seg.mask, field,
                                          detail::ridge_frequency(enhanced, seg.mask, field, o))
                   : impl_->gabor.enhance(seg.normalised, seg.mask, field, rf);
  }
  cv::Mat mask = seg.mask;
  const bool use_response = o.outline_min_response > 0 || o.minutia_min_response > 0 || o.response_quality > 0;
  const detail::RidgeResponse response = use_response ? detail::ridge_response(enhanced, mask) : detail::RidgeResponse{};
  if (o.outline_min_response > 0) {
    mask = seg.mask.clone();
    detail::peel_weak_outline(mask, response, o.outline_min_response, int(std::lround(o.outline_peel_width / response.step)));
  }
  r.timings.enhancement_ms = ms_since(t);
  cv::Mat skeleton = detail::binarise(enhanced, mask);
  detail::thin(skeleton);
  r.timings.thinning_ms = ms_since(t);
  const cv::Mat background = detail::background_distance(mask);
  std::vector<detail::Candidate> found = detail::detect_minutiae(skeleton, background, field, o);
  // The quality gate below counts the main skeleton's minutiae only: recovered ones are less
  // certain, and a print with too few of its own is still one to recapture.
  const std::size_t main_minutiae = found.size();
  std::vector<detail::Candidate> recovered = detail::recover_minutiae(enhanced, mask, background, field, found, o);
  found.insert(found.end(), recovered.begin(), recovered.end());
  if (o.minutia_min_response > 0)
    std::erase_if(found, [&](const detail::Candidate& c) { return response.at(c.x, c.y) < o.minutia_min_response; });
  if (o.response_quality > 0)
    for (auto& c : found) c.quality *= std::pow(std::min(1.0f, response.at(c.x, c.y)), o.response_quality);
  r.timings.minutiae_ms = ms_since(t);

  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.quality > b.quality; });
  while (!found.empty() && found.back().quality < o.min_minutia_quality) found.pop_back();
  if (found.size() > std::size_t(std::clamp(o.max_minutiae, 1, 255))) found.resize(std::size_t(std::clamp(o.max_minutiae, 1, 255)));
  int good = 0;
  for (const auto& c : found) {
    Minutia m;
    // Back to the image's own pixels; ISO angles run counter-clockwise with y down, and point the
    // other way from ours (into the ridge for an ending, into the fork for a bifurcation): measured
    // against the SecuGen records of FVC2002, whose nearby minutiae differ from ours by 180° before
    // this flip (tests/minutiae_extractor_test.cpp, DirectionsAgreeWithTheProvidedRecords).
    // Endings beyond the skeleton's tip, into the valley ahead (o.ending_offset): where the fork
    // would be had the ridge touched its neighbour, as it does in other impressions.
    const float ahead = c.type == MinutiaType::kRidgeEnding ? o.ending_offset : 0.0f;
    const float cx = float(c.x) + ahead * std::cos(c.angle), cy = float(c.y) + ahead * std::sin(c.angle);
    m.x = std::uint16_t(std::clamp<long>(std::lround(cx / scale), 0, image.width - 1));
    m.y = std::uint16_t(std::clamp<long>(std::lround(cy / scale), 0, image.height - 1));
    float a = std::numbers::pi_v<float> - c.angle;
    a = std::fmod(a, 2 * std::numbers::pi_v<float>);
    if (a < 0) a += 2 * std::numbers::pi_v<float>;
    if (a >= 2 * std::numbers::pi_v<float>) a = 0;
    m.angle = a;
    m.type = c.type;
    m.quality = std::uint8_t(std::clamp<long>(std::lround(100 * c.quality), 1, 100));
    good += c.quality >= 0.4f;
    ft.minutiae.push_back(m);
  }
  r.image_quality = overall_quality(fg_pixels, r.mean_coherence, good);
  r.nfiq_level = nfiq_level(r.image_quality);
  ft.quality = std::uint8_t(std::max(1, r.image_quality));
  const std::size_t reliable = std::min(main_minutiae, ft.minutiae.size());
  if (int(reliable) < o.min_minutiae) {
    r.rejected = true;
    r.reject_reason = "only " + std::to_string(reliable) + " reliable minutiae found (at least " +
                      std::to_string(o.min_minutiae) + " needed to match)";
  }
  r.timings.total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return r;
}

Expected<Extraction> MinutiaeExtractor::extract_encoded(std::span<const std::uint8_t> bytes) const {
  auto img = decode_fingerprint_image(bytes, impl_->options.limits);
  if (!img) return img.error();
  return extract(*img);
}

Expected<Extraction> MinutiaeExtractor::extract_encoded(std::span<const std::uint8_t> bytes, int resolution_ppi) const {
  auto img = decode_fingerprint_image(bytes, impl_->options.limits);
  if (!img) return img.error();
  return extract(*img, resolution_ppi);
}

Expected<Extraction> MinutiaeExtractor::extract_file(const std::filesystem::path& path) const {
  auto img = read_fingerprint_image(path, impl_->options.limits);
  if (!img) return img.error();
  return extract(*img);
}

}  // namespace tunggal::ingest
