// The exporter's HTTP endpoint, on GNU libmicrohttpd (Debian's libmicrohttpd12): a well-kept
// server that parses requests, enforces connection limits and timeouts, and runs its own thread,
// so that a slow or hostile client never stalls the followers. Serves GET /metrics (the page the
// callback renders, OpenMetrics when the client accepts it) and GET / or /healthz ("ok"); every
// other path is 404 and every other method 405. Binds exactly the address given.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace clwleak::exporter {

class HttpServer {
 public:
  // Renders /metrics: `openmetrics` true when the client accepts OpenMetrics text.
  using MetricsRenderer = std::function<std::string(bool openmetrics)>;

  // Listens on `address` (HOST:PORT, [IPv6]:PORT; port 0 picks a free one). nullptr with *error
  // set when the address is malformed or cannot be bound.
  static std::unique_ptr<HttpServer> Start(const std::string& address, MetricsRenderer renderer,
                                           std::string* error);
  ~HttpServer();
  uint16_t port() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clwleak::exporter
