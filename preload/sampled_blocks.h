// Sampled heap blocks in inline mode (the next allocator is glibc's): each carries its record in a
// SampleHeader in front of the pointer the host sees (layout in sample_header.h), so free() and
// realloc() find a block's stack and weight without any table, and an unsampled free() costs one
// load of a word glibc is about to read anyway.
//
// interpose.cc calls these on the slow paths only: an allocation that took the thread's sample
// counter to zero, or a free/realloc/malloc_usable_size of a pointer for which HasSampleHeader().
//
// Thread-safety: any thread, signal handlers included (no locks; the stack table is lock-free).
#pragma once

#include <cstddef>

namespace clwleak {

// malloc (alignment 0, zero false), calloc (zero true) or an aligned allocation (alignment a power
// of two above 16) of `size` bytes whose counter reached zero. The block is sampled with a header,
// or, when DecideSample says no, allocated plainly.
void* AllocateSampled(size_t size, size_t alignment, bool zero);

// free() of a block with a header: a sampled block (counted as freed, then released) or a
// bootstrap block (never released).
void FreeSampled(void* user);

// realloc() of a block with a header, not a bootstrap one (interpose.cc moves those out). `size`
// 0 frees it, as glibc's realloc does.
void* ReallocateSampled(void* user, size_t size);

// realloc() of a plain block whose new size took the counter to zero: it may become sampled.
void* ReallocateIntoSample(void* user, size_t size);

// malloc_usable_size() of a block with a header, not a bootstrap one.
size_t UsableSizeSampled(void* user);

}  // namespace clwleak
