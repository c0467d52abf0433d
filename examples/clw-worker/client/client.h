/* client.h — the C API of libclient.so, the example worker's native dependency.
 *
 * libclient stands in for the database or HTTP client a real task worker links against: the worker
 * opens one client per thread (like a connection), sends each task result upstream with
 * client_request(), and closes the client at exit. Each request does ordinary malloc/free churn
 * (frame encoding, a growing receive buffer, header parsing), and — the bug this example exists to
 * show — loses `leak_bytes_per_request` bytes on two internal call paths:
 *   client_session_cache_response()  keeps a copy of the response and its headers, and forgets the
 *                                    copy it held before (8/15 + 2/15 of the leak);
 *   client_trace_buffer_append()     rotates its trace chunk and span tags without freeing the old
 *                                    ones (4/15 + 1/15 of the leak).
 * With the default 15360 bytes that is 8 KiB + 2 KiB and 4 KiB + 1 KiB per request.
 *
 * Thread-safety: a client_t is used by one thread at a time; client_stats() may be called from any
 * thread while another thread uses the client (its counters are atomic).
 */
#ifndef CLW_EXAMPLE_CLIENT_H
#define CLW_EXAMPLE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLIENT_DEFAULT_LEAK_BYTES 15360u

typedef struct client client_t;

typedef struct client_options {
  const char* endpoint;           /* a name for log lines, e.g. "billing-db:5432" */
  size_t leak_bytes_per_request;  /* 0 = the fixed library, no leak */
} client_options_t;

typedef struct client_stats {
  uint64_t requests;       /* client_request() calls that succeeded */
  uint64_t leaked_bytes;   /* bytes lost so far: allocated on the leaking paths, never freed */
  uint64_t bytes_sent;     /* encoded request bytes */
  uint64_t bytes_received; /* response bytes */
} client_stats_t;

/* Returns a new client, or NULL (errno set) when out of memory. */
client_t* client_open(const client_options_t* options);

/* Sends `body` (len bytes) for `key` and receives the response. Writes a short NUL-terminated status
 * line ("200 OK id=... crc=...") into `status` (capacity `status_cap`, may be 0). Returns 0 on
 * success, -1 (errno set) on failure. */
int client_request(client_t* client, const char* key, const char* body, size_t len, char* status,
                   size_t status_cap);

/* Copies the client's counters into *stats. */
void client_stats(const client_t* client, client_stats_t* stats);

/* Releases the client. The memory lost by the leaking paths stays lost. */
void client_close(client_t* client);

#ifdef __cplusplus
}
#endif

#endif /* CLW_EXAMPLE_CLIENT_H */
