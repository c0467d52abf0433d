// bench_codec: the native library of the worker simulation (bench/workloads/worker.cc), standing in
// for a real worker's native dependency (a client, a codec). It allocates on its own: per-session
// state that lives across requests, a token dictionary that is bounded, and an output buffer per
// call that grows with realloc and that the caller releases. Nothing here leaks.
//
// Thread-safety: a Session belongs to one thread; different sessions may be used concurrently.
#pragma once

#include <cstddef>
#include <cstdint>

namespace codec {

struct Session;

// A session whose token dictionary holds at most `dictionary_capacity` distinct tokens.
Session* OpenSession(uint32_t dictionary_capacity);
void CloseSession(Session* session);

// Encodes `input`: every whitespace-separated token becomes its dictionary index (new tokens are
// added, and the dictionary is cleared when full). Returns a malloc'd buffer of *encoded_size bytes
// that the caller gives back with ReleaseBuffer.
unsigned char* Encode(Session* session, const char* input, size_t size, size_t* encoded_size);
void ReleaseBuffer(unsigned char* buffer);

// FNV-1a of a buffer, for the response.
uint64_t Digest(const unsigned char* data, size_t size);

}  // namespace codec
