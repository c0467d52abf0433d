// clw-leak-exporter: follows the snapshot files of a fleet of profiled workers and serves their
// answers (leak rate, verdict, time to OOM, memory against the limit, top leaking module) as
// OpenMetrics for Prometheus. The followers run on the main thread (FleetWatcher::Poll every
// --poll-interval); the HTTP server renders /metrics from the last published view on its own
// thread. Exit codes: 0 after SIGTERM/SIGINT, 2 on a usage error or an address it cannot bind.
#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <thread>

#include "byte_escape.h"
#include "exporter_options.h"
#include "fleet_watcher.h"
#include "http_server.h"
#include "metrics_page.h"
#include "protobuf_messages.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double WallSeconds() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

void ProtobufProblem(const std::string& text, bool fatal) {
  std::cerr << "clw-leak-exporter: internal error" << (fatal ? " (fatal)" : "")
            << ": the protobuf library reported: " << clwleak::cli::EscapeBytes(text) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace clwleak;
  analysis::RouteProtobufMessages(&ProtobufProblem);
  // Each followed file holds a zstd decoder (a 96 KiB context, ~0.5 MiB of buffers) that is
  // touched only as far as the file's data reaches. A fixed mmap threshold keeps them in their
  // own mappings, where untouched pages cost nothing; glibc's adaptive threshold would place them
  // in heap memory that earlier reports and pages already touched.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  exporter::ExporterOptions options;
  std::string error;
  if (!exporter::ParseExporterOptions(argc, argv, &options, &error)) {
    std::cerr << "clw-leak-exporter: " << cli::EscapeBytes(error) << "\n";
    return 2;
  }
  if (options.help) {
    std::cout << exporter::ExporterUsage();
    return 0;
  }
  if (options.version) {
    std::cout << "clw-leak-exporter " << CLWLEAK_VERSION << "\n";
    return 0;
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  exporter::FleetWatcher watcher(options);
  watcher.Poll(SteadySeconds());  // the first page already shows what the directory holds
  auto server = exporter::HttpServer::Start(
      options.serve,
      [&watcher](bool openmetrics) {
        return exporter::RenderMetricsPage(watcher.View(), WallSeconds(), openmetrics);
      },
      &error);
  if (server == nullptr) {
    std::cerr << "clw-leak-exporter: " << cli::EscapeBytes(error) << "\n";
    return 2;
  }
  std::cerr << "clw-leak-exporter: serving /metrics on port " << server->port() << "\n";
  const auto period = std::chrono::duration<double>(options.poll_interval_s);
  while (!g_stop) {
    const auto next = std::chrono::steady_clock::now() + period;
    while (!g_stop && std::chrono::steady_clock::now() < next) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!g_stop) {
      watcher.Poll(SteadySeconds());
      // The analyses' reports are freed between the followers' long-lived state: the pages of
      // those holes go back to the system instead of counting against the exporter's limit.
      malloc_trim(0);
    }
  }
  return 0;
}
