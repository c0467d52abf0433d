/* client.c — libclient.so: a stand-in for a native service client, with a per-request leak.
 *
 * Called by clw-worker's handler, one client per worker thread. A request goes through the steps a
 * real client takes, each with its own short-lived allocations: encode a request frame, receive the
 * response into a growing buffer, parse its header lines. Then two internal paths keep state:
 *   - the session cache keeps the latest response body and headers for retries;
 *   - the trace buffer keeps the latest span record and its tags until a flusher picks them up.
 * In leaky mode (leak_bytes_per_request > 0) both paths drop the block they replace instead of
 * freeing it, and client_close() does not free what they hold either: every byte they allocate is
 * lost, and `leaked_bytes` counts exactly those bytes. With leak_bytes_per_request == 0 the library
 * is "fixed": it uses the default block sizes and frees what it replaces.
 */
#include "client.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_internal.h"

/* The blocks the two stateful paths allocate per request, in the proportions 8:4:2:1 of the leak. */
enum { kResponseCopy, kTraceChunk, kResponseHeaders, kSpanTags, kBlockCount };

struct client {
  char endpoint[64];
  bool leaky;
  size_t block_size[kBlockCount];
  uint64_t next_request_id;

  /* Session cache: the latest response body and headers (one of each per client). */
  char* session_body;
  char* session_headers;
  /* Trace buffer: the latest span record and its tags. */
  char* trace_chunk;
  char* trace_tags;

  _Atomic uint64_t requests;
  _Atomic uint64_t leaked_bytes;
  _Atomic uint64_t bytes_sent;
  _Atomic uint64_t bytes_received;
};

static uint64_t fnv1a(const void* data, size_t len, uint64_t hash) {
  const unsigned char* p = data;
  for (size_t i = 0; i < len; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

static uint64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Splits `total` bytes 8:4:2:1 over the four blocks; the last one takes the rounding remainder. */
static void split_blocks(size_t total, size_t out[kBlockCount]) {
  out[kResponseCopy] = total * 8 / 15;
  out[kTraceChunk] = total * 4 / 15;
  out[kResponseHeaders] = total * 2 / 15;
  out[kSpanTags] = total - out[kResponseCopy] - out[kTraceChunk] - out[kResponseHeaders];
}

/* Fills `block` with `source` repeated (or a pattern when the source is empty), so that the block is
 * resident memory and holds plausible data. */
static void fill_block(char* block, size_t size, const char* source, size_t source_len) {
  if (source_len == 0) {
    memset(block, 0x5a, size);
    return;
  }
  for (size_t done = 0; done < size;) {
    size_t n = size - done < source_len ? size - done : source_len;
    memcpy(block + done, source, n);
    done += n;
  }
}

client_t* client_open(const client_options_t* options) {
  client_t* client = calloc(1, sizeof(*client));
  if (!client) return NULL;
  snprintf(client->endpoint, sizeof(client->endpoint), "%s",
           options && options->endpoint ? options->endpoint : "upstream:0");
  size_t leak = options ? options->leak_bytes_per_request : CLIENT_DEFAULT_LEAK_BYTES;
  client->leaky = leak > 0;
  split_blocks(client->leaky ? leak : CLIENT_DEFAULT_LEAK_BYTES, client->block_size);
  client->next_request_id = 1;
  return client;
}

/* Request frame: "CLW1 <id> <key-len> <body-len>\n<key>\n<body>". Caller frees *frame. */
static int encode_request_frame(uint64_t id, const char* key, const char* body, size_t len,
                                char** frame, size_t* frame_len) {
  size_t key_len = strlen(key);
  size_t capacity = 64 + key_len + len;
  char* out = malloc(capacity);
  if (!out) return -1;
  int head = snprintf(out, capacity, "CLW1 %llu %zu %zu\n", (unsigned long long)id, key_len, len);
  size_t used = (size_t)head;
  memcpy(out + used, key, key_len);
  used += key_len;
  out[used++] = '\n';
  memcpy(out + used, body, len);
  used += len;
  *frame = out;
  *frame_len = used;
  return 0;
}

/* Simulates the upstream's answer arriving in 512-byte reads into a buffer that doubles as it fills,
 * the way a socket reader grows its buffer. The body echoes a digest of the request. Caller frees
 * *response; *body_offset is where the body starts. */
static int receive_response(uint64_t id, uint64_t digest, size_t body_len, char** response,
                            size_t* response_len, size_t* body_offset) {
  char head[160];
  int head_len = snprintf(head, sizeof(head),
                          "HTTP/1.1 200 OK\r\nX-Request-Id: %llu\r\nX-Digest: %016llx\r\n"
                          "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
                          (unsigned long long)id, (unsigned long long)digest, body_len);
  size_t total = (size_t)head_len + body_len;
  size_t capacity = 256, used = 0;
  char* buffer = malloc(capacity);
  if (!buffer) return -1;
  char digest_text[17];
  snprintf(digest_text, sizeof(digest_text), "%016llx", (unsigned long long)digest);
  while (used < total) {
    size_t chunk = total - used < 512 ? total - used : 512;
    if (used + chunk > capacity) {
      while (used + chunk > capacity) capacity *= 2;
      char* grown = realloc(buffer, capacity);
      if (!grown) {
        free(buffer);
        return -1;
      }
      buffer = grown;
    }
    for (size_t i = 0; i < chunk; ++i) {
      size_t pos = used + i;
      buffer[pos] = pos < (size_t)head_len ? head[pos] : digest_text[(pos - head_len) % 16];
    }
    used += chunk;
  }
  *response = buffer;
  *response_len = used;
  *body_offset = (size_t)head_len;
  return 0;
}

/* Splits the header block into one heap string per line and checks Content-Length. Returns the
 * content length, or -1 when the headers are malformed. */
static long parse_headers(const char* response, size_t header_len) {
  char* lines[16];
  size_t count = 0;
  const char* start = response;
  const char* end = response + header_len;
  while (start < end && count < 16) {
    const char* eol = memchr(start, '\r', (size_t)(end - start));
    if (!eol || eol == start) break;
    lines[count] = strndup(start, (size_t)(eol - start));
    if (!lines[count]) break;
    ++count;
    start = eol + 2;
  }
  long content_length = -1;
  for (size_t i = 0; i < count; ++i) {
    if (strncmp(lines[i], "Content-Length: ", 16) == 0) content_length = strtol(lines[i] + 16, NULL, 10);
    free(lines[i]);
  }
  return content_length;
}

/* Both stateful paths call malloc themselves (no shared helper), so that the innermost frame of each
 * leaking stack is the function that owns the bug. */
int client_session_cache_response(client_t* client, const char* body, size_t body_len,
                                  const char* headers, size_t headers_len) {
  size_t body_size = client->block_size[kResponseCopy];
  size_t headers_size = client->block_size[kResponseHeaders];
  char* body_copy = body_size ? malloc(body_size) : NULL;
  char* headers_copy = headers_size ? malloc(headers_size) : NULL;
  if ((body_size && !body_copy) || (headers_size && !headers_copy)) {
    free(body_copy);
    free(headers_copy);
    errno = ENOMEM;
    return -1;
  }
  if (body_copy) fill_block(body_copy, body_size, body, body_len);
  if (headers_copy) fill_block(headers_copy, headers_size, headers, headers_len);
  if (client->leaky) {
    /* BUG (the leak this example shows): the previous copies are overwritten, never freed. */
    atomic_fetch_add_explicit(&client->leaked_bytes, body_size + headers_size, memory_order_relaxed);
  } else {
    free(client->session_body);
    free(client->session_headers);
  }
  client->session_body = body_copy;
  client->session_headers = headers_copy;
  return 0;
}

int client_trace_buffer_append(client_t* client, uint64_t request_id, const char* key,
                               uint64_t latency_ns) {
  size_t chunk_size = client->block_size[kTraceChunk];
  size_t tags_size = client->block_size[kSpanTags];
  char* chunk = chunk_size ? malloc(chunk_size) : NULL;
  char* tags = tags_size ? malloc(tags_size) : NULL;
  if ((chunk_size && !chunk) || (tags_size && !tags)) {
    free(chunk);
    free(tags);
    errno = ENOMEM;
    return -1;
  }
  char record[128];
  int record_len = snprintf(record, sizeof(record), "span id=%llu latency_ns=%llu endpoint=%s;",
                            (unsigned long long)request_id, (unsigned long long)latency_ns,
                            client->endpoint);
  if (chunk) fill_block(chunk, chunk_size, record, (size_t)record_len);
  if (tags) fill_block(tags, tags_size, key, strlen(key));
  if (client->leaky) {
    /* BUG (the leak this example shows): rotation forgets the old chunk instead of flushing it. */
    atomic_fetch_add_explicit(&client->leaked_bytes, chunk_size + tags_size, memory_order_relaxed);
  } else {
    free(client->trace_chunk);
    free(client->trace_tags);
  }
  client->trace_chunk = chunk;
  client->trace_tags = tags;
  return 0;
}

int client_request(client_t* client, const char* key, const char* body, size_t len, char* status,
                   size_t status_cap) {
  uint64_t started = monotonic_ns();
  uint64_t id = client->next_request_id++;
  char* frame = NULL;
  size_t frame_len = 0;
  if (encode_request_frame(id, key, body, len, &frame, &frame_len) != 0) return -1;
  uint64_t digest = fnv1a(frame, frame_len, 0xcbf29ce484222325ull);

  char* response = NULL;
  size_t response_len = 0, body_offset = 0;
  if (receive_response(id, digest, len / 2 + 1024, &response, &response_len, &body_offset) != 0) {
    free(frame);
    return -1;
  }
  int result = 0;
  long content_length = parse_headers(response, body_offset);
  if (content_length < 0 || (size_t)content_length != response_len - body_offset) {
    errno = EPROTO;
    result = -1;
  }
  if (result == 0) {
    result = client_session_cache_response(client, response + body_offset, response_len - body_offset,
                                           response, body_offset);
  }
  if (result == 0) result = client_trace_buffer_append(client, id, key, monotonic_ns() - started);
  if (result == 0) {
    atomic_fetch_add_explicit(&client->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&client->bytes_sent, frame_len, memory_order_relaxed);
    atomic_fetch_add_explicit(&client->bytes_received, response_len, memory_order_relaxed);
    if (status && status_cap > 0) {
      snprintf(status, status_cap, "200 OK id=%llu crc=%016llx", (unsigned long long)id,
               (unsigned long long)fnv1a(response, response_len, digest));
    }
  }
  free(response);
  free(frame);
  return result;
}

void client_stats(const client_t* client, client_stats_t* stats) {
  stats->requests = atomic_load_explicit(&client->requests, memory_order_relaxed);
  stats->leaked_bytes = atomic_load_explicit(&client->leaked_bytes, memory_order_relaxed);
  stats->bytes_sent = atomic_load_explicit(&client->bytes_sent, memory_order_relaxed);
  stats->bytes_received = atomic_load_explicit(&client->bytes_received, memory_order_relaxed);
}

void client_close(client_t* client) {
  if (!client) return;
  if (!client->leaky) {
    free(client->session_body);
    free(client->session_headers);
    free(client->trace_chunk);
    free(client->trace_tags);
  }
  /* In leaky mode the held blocks are lost too: `leaked_bytes` already counts them. */
  free(client);
}
