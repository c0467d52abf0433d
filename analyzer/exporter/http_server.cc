// The HTTP endpoint on libmicrohttpd; see http_server.h.
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace clwleak::exporter {
namespace {

constexpr unsigned kConnectionLimit = 64;
constexpr unsigned kConnectionTimeoutSeconds = 15;

// HOST:PORT or [HOST]:PORT, resolved numerically or by name to one socket address.
bool ResolveAddress(const std::string& address, sockaddr_storage* out, socklen_t* length,
                    std::string* error) {
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      *error = "--serve '" + address + "': expected [IPv6]:PORT";
      return false;
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      *error = "--serve '" + address + "': expected HOST:PORT, e.g. 127.0.0.1:9471";
      return false;
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port.substr(0, 6)) > 65535) {
    *error = "--serve '" + address + "': the port must be a number from 0 to 65535";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int status = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (status != 0 || found == nullptr) {
    *error = "--serve '" + address + "': cannot resolve '" + host + "': " + gai_strerror(status);
    return false;
  }
  std::memcpy(out, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
  return true;
}

bool AcceptsOpenMetrics(MHD_Connection* connection) {
  const char* accept = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Accept");
  return accept != nullptr && std::strstr(accept, "application/openmetrics-text") != nullptr;
}

}  // namespace

struct HttpServer::Impl {
  MetricsRenderer renderer;
  MHD_Daemon* daemon = nullptr;

  static MHD_Result Respond(MHD_Connection* connection, unsigned status, std::string body,
                            const char* content_type) {
    // The page is handed over, not copied: a fleet's page is megabytes.
    auto* owned = new std::string(std::move(body));
    MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
        owned->size(), owned->data(), [](void* text) { delete static_cast<std::string*>(text); },
        owned);
    if (response == nullptr) {
      delete owned;
      return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", content_type);
    const MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
  }

  static MHD_Result Handle(void* self, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/, const char* /*upload*/,
                           size_t* upload_size, void** request_state) {
    // libmicrohttpd calls once with the headers, then for the body; a GET has none. The first
    // call only marks the request as seen.
    if (*request_state == nullptr) {
      static int seen;
      *request_state = &seen;
      return MHD_YES;
    }
    if (*upload_size != 0) {
      *upload_size = 0;  // a body is ignored
      return MHD_YES;
    }
    auto* impl = static_cast<Impl*>(self);
    const char* text = "text/plain; charset=utf-8";
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
      return Respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", text);
    }
    if (std::strcmp(url, "/metrics") == 0) {
      const bool openmetrics = AcceptsOpenMetrics(connection);
      return Respond(connection, MHD_HTTP_OK, impl->renderer(openmetrics),
                     openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                 : "text/plain; version=0.0.4; charset=utf-8");
    }
    if (std::strcmp(url, "/") == 0 || std::strcmp(url, "/healthz") == 0) {
      return Respond(connection, MHD_HTTP_OK, "ok\n", text);
    }
    return Respond(connection, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
                   text);
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (impl_->daemon != nullptr) MHD_stop_daemon(impl_->daemon);
}

std::unique_ptr<HttpServer> HttpServer::Start(const std::string& address, MetricsRenderer renderer,
                                              std::string* error) {
  sockaddr_storage socket_address{};
  socklen_t length = 0;
  if (!ResolveAddress(address, &socket_address, &length, error)) return nullptr;
  auto impl = std::make_unique<Impl>();
  impl->renderer = std::move(renderer);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  if (socket_address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  impl->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::Handle, impl.get(), MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<sockaddr*>(&socket_address), MHD_OPTION_CONNECTION_LIMIT, kConnectionLimit,
      MHD_OPTION_CONNECTION_TIMEOUT, kConnectionTimeoutSeconds, MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    *error = "--serve '" + address + "': cannot listen there (address in use, or not this host's)";
    return nullptr;
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info == nullptr ? 0 : info->port;
}

}  // namespace clwleak::exporter
