// FindThreadStack: the bounds of the calling thread's own stack, found without allocating.
//
// It runs on the sampled path, which a signal handler can reach while the interrupted code is
// inside malloc: pthread_getattr_np would allocate there (stdio on /proc/self/maps for the main
// thread, a CPU set for the others) and corrupt the heap. This reads /proc/self/maps with raw
// system calls into a buffer on the stack instead.
//
// "Own stack" means the main thread's [stack] mapping, or, for another thread, the mapping that
// holds both the stack pointer and the thread's descriptor (glibc keeps it at the top of the
// thread's stack block, for its own stacks and for ones given with pthread_attr_setstack). An
// alternate signal stack or a coroutine's stack is neither: the lookup then fails.
#pragma once

#include <cstdint>

namespace clwleak {

// `stack_pointer` is an address in the caller's frame. On success [*low, *high) is the stack the
// thread runs on (for the main thread, down to its size limit).
bool FindThreadStack(uintptr_t stack_pointer, uintptr_t* low, uintptr_t* high);

}  // namespace clwleak
