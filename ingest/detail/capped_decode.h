#pragma once
// OpenCV's decode with a cap on the pixel buffers it may allocate: the second guard behind our own
// header check (image_header.cpp), for the day that reader and the decoder disagree about a size.
//
// Why not OPENCV_IO_MAX_IMAGE_PIXELS: OpenCV 4.6 reads that variable into a namespace-scope static
// of libopencv_imgcodecs (loadsave.cpp), i.e. when the shared library is loaded, before main();
// a setenv() from our code comes too late and is ignored (checked on this machine: setenv to 1000,
// then imdecode of a 100x100 PNG still decodes; the same variable set in the environment refuses
// it). Instead a cv::MatAllocator installed as the process default (cv::Mat::setDefaultAllocator,
// public API) refuses, on the decoding thread only and while the decode runs, any buffer above the
// cap; every other cv::Mat in the process is untouched.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "ingest/fingerprint_image.h"

namespace tunggal::ingest::detail {

// cv::imdecode(bytes, grey) with every cv::Mat allocation on this thread capped at max_bytes while
// it runs. Fails (kMalformedRecord) when OpenCV cannot decode, or when it would allocate more,
// naming the cap. `format` only labels the messages.
Expected<GreyImage> decode_with_allocation_cap(std::span<const std::uint8_t> bytes, std::size_t max_bytes,
                                               const std::string& format);

}  // namespace tunggal::ingest::detail
