#pragma once
// A tiny HTTP responder for Prometheus: GET /metrics answers the text exposition format, anything
// else 404/405. Its own thread and io_context, so a slow scraper never touches the station
// protocol's threads. No authentication: bind it to a local address (127.0.0.1 by default).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace tunggal::server {

class MetricsHttp {
 public:
  // `render` is called on the responder's thread for every scrape.
  static Expected<std::unique_ptr<MetricsHttp>> start(const std::string& host, std::uint16_t port,
                                                       std::function<std::string()> render);
  ~MetricsHttp();  // stop()
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  std::uint16_t port() const;
  void stop();

  struct Impl;

 private:
  explicit MetricsHttp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tunggal::server
