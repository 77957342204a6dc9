#include "server/metrics_http.h"

#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tunggal::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct MetricsHttp::Impl {
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::function<std::string()> render;
  std::thread thread;
  std::uint16_t port = 0;
  bool stopped = false;

  // The scrape's body. render() reaches into the backend (gallery size, verdict log), and whatever
  // it throws must not escape: an exception out of this coroutine would leave io_context::run() and
  // end the responder's thread, or the process. The scrape gets a 500 (the reason goes to the log,
  // not to an unauthenticated client) and the next one tries again.
  std::string render_or_500(std::string& status, std::string& type) {
    std::string why;
    try {
      return render();
    } catch (const std::exception& e) {
      why = e.what();
    } catch (...) {
      why = "an unknown exception";
    }
    spdlog::warn("event=metrics_render_failed error=\"{}\"", why);
    status = "500 Internal Server Error";
    type = "text/plain";
    return "tunggal could not read its metrics; the server log has the reason\n";  // unauthenticated: no detail
  }

  // One request per connection (Connection: close): read the head (at most 8 KiB, within 5 s),
  // answer, close.
  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> sp) {
    tcp::socket& sock = *sp;
    asio::steady_timer deadline(sock.get_executor());
    deadline.expires_after(std::chrono::seconds(5));
    deadline.async_wait([sp](boost::system::error_code ec) {
      if (!ec) sp->close(ec);
    });
    try {
      std::string head;
      auto buf = asio::dynamic_buffer(head, 8192);
      co_await asio::async_read_until(sock, buf, "\r\n\r\n", asio::use_awaitable);
      const auto line_end = head.find("\r\n");
      const std::string line = head.substr(0, line_end);
      std::string status = "200 OK", body, type = "text/plain; version=0.0.4; charset=utf-8";
      if (line.rfind("GET ", 0) != 0 && line.rfind("HEAD ", 0) != 0) {
        status = "405 Method Not Allowed";
        body = "only GET /metrics\n";
        type = "text/plain";
      } else {
        const auto path_begin = line.find(' ') + 1;
        const std::string path = line.substr(path_begin, line.find(' ', path_begin) - path_begin);
        if (path == "/metrics" || path.rfind("/metrics?", 0) == 0) {
          body = render_or_500(status, type);
        } else {
          status = "404 Not Found";
          body = "tunggal serves Prometheus metrics at /metrics\n";
          type = "text/plain";
        }
      }
      std::string out = fmt::format("HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                    status, type, body.size());
      if (line.rfind("HEAD ", 0) != 0) out += body;
      co_await asio::async_write(sock, asio::buffer(out), asio::use_awaitable);
      boost::system::error_code ec;
      sock.shutdown(tcp::socket::shutdown_both, ec);
    } catch (const std::exception&) {
      // Too long, too slow, or gone: nothing to answer.
    }
    deadline.cancel();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket sock(ioc);
      boost::system::error_code ec;
      co_await acceptor->async_accept(sock, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(ioc, serve(std::make_shared<tcp::socket>(std::move(sock))), asio::detached);
    }
  }
};

Expected<std::unique_ptr<MetricsHttp>> MetricsHttp::start(const std::string& host, std::uint16_t port,
                                                          std::function<std::string()> render) {
  auto impl = std::make_unique<Impl>();
  impl->render = std::move(render);
  try {
    tcp::endpoint ep(asio::ip::make_address(host), port);
    impl->acceptor.emplace(impl->ioc);
    impl->acceptor->open(ep.protocol());
    impl->acceptor->set_option(tcp::acceptor::reuse_address(true));
    impl->acceptor->bind(ep);
    impl->acceptor->listen();
    impl->port = impl->acceptor->local_endpoint().port();
  } catch (const std::exception& e) {
    return io_error(fmt::format("metrics endpoint: cannot listen on {}:{}: {}", host, port, e.what()));
  }
  asio::co_spawn(impl->ioc, impl->accept_loop(), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  spdlog::info("event=metrics_listening address={}:{} path=/metrics", host, impl->port);
  return std::unique_ptr<MetricsHttp>(new MetricsHttp(std::move(impl)));
}

MetricsHttp::MetricsHttp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsHttp::~MetricsHttp() { stop(); }
std::uint16_t MetricsHttp::port() const { return impl_->port; }

void MetricsHttp::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Closed here, not at destruction: a stopped endpoint must refuse connections, not accept them
  // into a backlog nobody serves.
  boost::system::error_code ec;
  impl_->acceptor->close(ec);
}

}  // namespace tunggal::server
