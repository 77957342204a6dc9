#include "datasets/population_writer.h"

#include <fmt/format.h>

#include <fstream>
#include <string>
#include <system_error>

#include "ingest/minutiae_record.h"

namespace tunggal::datasets {
namespace {

namespace fs = std::filesystem;

// NumPy .npy v1.0 header for a C-order float32 (rows x cols) array: magic, version, little-endian
// header length, then a Python dict literal padded with spaces to a 64-byte boundary.
std::string npy_header(std::uint64_t rows, int cols) {
  std::string dict = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string h = "\x93NUMPY";
  h.push_back('\x01');
  h.push_back('\x00');
  h.push_back(static_cast<char>(dict.size() & 0xff));
  h.push_back(static_cast<char>(dict.size() >> 8));
  return h + dict;
}

class Writer {
 public:
  Writer(const Population& pop, const PopulationWriteOptions& o) : pop_(pop), o_(o) {}

  Status open() {
    std::error_code ec;
    fs::create_directories(o_.out, ec);
    if (ec) return io_error(fmt::format("cannot create {}: {}", o_.out.string(), ec.message()));
    if (fs::exists(o_.out / "manifest.jsonl")) {
      return {ErrorCode::kAlreadyExists,
              fmt::format("{} already holds a population (manifest.jsonl); choose another --out or remove it",
                          o_.out.string())};
    }
    manifest_.open(o_.out / "manifest.jsonl");
    faces_.open(o_.out / "faces.npy", std::ios::binary);
    truth_.open(o_.out / "truth.csv");
    if (!manifest_ || !faces_ || !truth_) return io_error(fmt::format("cannot create files in {}", o_.out.string()));
    faces_ << npy_header(o_.identities + o_.probes, pop_.config().face_dimension);
    truth_ << "probe_id,mated,mate_identity,mate_enrollment\n";
    const auto& c = pop_.config();
    std::ofstream cfg(o_.out / "population.json");
    cfg << fmt::format(
        "{{\"seed\":{},\"face_dimension\":{},\"twin_rate\":{},\"missing_finger_rate\":{},\"damaged_rate\":{},"
        "\"low_quality_rate\":{},\"frame_width\":{},\"frame_height\":{},\"identities\":{},\"probes\":{},"
        "\"mated_rate\":{},\"probe_seed\":{}}}\n",
        c.seed, c.face_dimension, c.twin_rate, c.missing_finger_rate, c.damaged_rate, c.low_quality_rate,
        c.frame_width, c.frame_height, o_.identities, o_.probes, o_.mated_rate, o_.probe_seed);
    if (!cfg) return io_error(fmt::format("cannot write {}", (o_.out / "population.json").string()));
    return Status::ok();
  }

  Status write(const Enrollment& e, const char* role, std::uint64_t index, const std::uint64_t* identity) {
    const std::string folder = fmt::format("{}/{:04}", role == std::string_view("gallery") ? "gallery" : "probes",
                                           index / 1000);
    std::string record_json = "null", fingers_json;
    if (!e.fingers.empty()) {
      MinutiaeRecord rec;
      rec.width = e.fingers.front().width;
      rec.height = e.fingers.front().height;
      rec.views = e.fingers;
      auto bytes = write_iso19794_2(rec);
      if (!bytes) return bytes.error();
      if (folder != last_folder_) {
        std::error_code ec;
        fs::create_directories(o_.out / folder, ec);
        if (ec) return io_error(fmt::format("cannot create {}: {}", (o_.out / folder).string(), ec.message()));
        last_folder_ = folder;
      }
      const std::string rel = fmt::format("{}/{}.iso", folder, e.id.value);
      std::ofstream f(o_.out / rel, std::ios::binary);
      f.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
      if (!f) return io_error(fmt::format("cannot write {}", (o_.out / rel).string()));
      record_json = "\"" + rel + "\"";
      s_.record_bytes += bytes->size();
      for (const auto& v : e.fingers) {
        fingers_json += fmt::format("{}{}", fingers_json.empty() ? "" : ",", static_cast<int>(v.position));
        ++s_.fingers;
        s_.minutiae += v.minutiae.size();
      }
    }
    // Ids, NIKs and sites are generated from digits, letters and '-': no JSON escaping needed.
    manifest_ << "{\"id\":\"" << e.id.value << "\",\"role\":\"" << role << "\"";
    if (identity) manifest_ << ",\"identity\":" << *identity;
    manifest_ << ",\"nik\":\"" << e.nik.str() << "\",\"site\":\"" << e.site << "\",\"capture_time_ms\":"
              << e.capture_time_ms << ",\"record\":" << record_json << ",\"fingers\":[" << fingers_json
              << "],\"face_row\":" << row_ << "}\n";
    std::vector<float> face(static_cast<std::size_t>(pop_.config().face_dimension), 0.0f);
    if (e.face) face = e.face->values();
    faces_.write(reinterpret_cast<const char*>(face.data()), static_cast<std::streamsize>(face.size() * sizeof(float)));
    ++row_;
    if (!manifest_ || !faces_) return io_error(fmt::format("cannot write to {}", o_.out.string()));
    return Status::ok();
  }

  Expected<PopulationWriteSummary> run() {
    if (Status s = open(); !s) return s;
    const std::uint64_t total = o_.identities + o_.probes;
    auto tick = [&](std::uint64_t done) {
      if (o_.progress && (done % 5000 == 0 || done == total)) o_.progress(done, total);
    };
    for (std::uint64_t i = 0; i < o_.identities; ++i) {
      if (Status s = write(pop_.capture(i, 0), "gallery", i, &i); !s) return s;
      ++s_.gallery;
      tick(i + 1);
    }
    const ProbeSet probes(pop_, o_.identities, o_.probes, o_.mated_rate, o_.probe_seed);
    for (std::uint64_t j = 0; j < o_.probes; ++j) {
      if (Status s = write(probes.probe(j), "probe", j, nullptr); !s) return s;
      const ProbeTruth t = probes.truth(j);
      if (t.mate) {
        truth_ << t.probe.value << ",1," << *t.mate << ",gen-" << pop_.config().seed << "-" << *t.mate << "-0\n";
        ++s_.mated;
      } else {
        truth_ << t.probe.value << ",0,,\n";
      }
      ++s_.probes;
      tick(o_.identities + j + 1);
    }
    manifest_.flush();
    faces_.flush();
    truth_.flush();
    if (!manifest_ || !faces_ || !truth_) return io_error(fmt::format("cannot finish writing {}", o_.out.string()));
    return s_;
  }

 private:
  const Population& pop_;
  const PopulationWriteOptions& o_;
  std::ofstream manifest_, faces_, truth_;
  std::uint64_t row_ = 0;
  std::string last_folder_;
  PopulationWriteSummary s_;
};

}  // namespace

Expected<PopulationWriteSummary> write_population(const Population& population, const PopulationWriteOptions& options) {
  Writer w(population, options);
  return w.run();
}

}  // namespace tunggal::datasets
