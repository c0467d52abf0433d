/* client_internal.h — libclient's internal call paths, shared by client.c only.
 *
 * These are not part of the API in client.h. They have external linkage (like every non-static
 * function of a C library built with default visibility) and are kept out of line, so a profiler's
 * stacks name them the way they would name the internals of any real third-party library.
 */
#ifndef CLW_EXAMPLE_CLIENT_INTERNAL_H
#define CLW_EXAMPLE_CLIENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* Keeps a copy of the latest response and its headers on the session (for retries). */
__attribute__((noinline)) int client_session_cache_response(client_t* client, const char* body,
                                                            size_t body_len, const char* headers,
                                                            size_t headers_len);

/* Records one span (request id, key, latency) in the trace buffer. */
__attribute__((noinline)) int client_trace_buffer_append(client_t* client, uint64_t request_id,
                                                         const char* key, uint64_t latency_ns);

#endif /* CLW_EXAMPLE_CLIENT_INTERNAL_H */
