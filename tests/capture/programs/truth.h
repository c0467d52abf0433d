/* truth.h: what every capture-suite program shares. Each program prints its own truth, one line
 * per leaking site, for the test to compare with the profile libclwleak.so wrote in exact mode:
 *
 *   truth <process> <function> <live bytes> <live count> [<kind>]
 *
 * <process> is "main" (the program), "forked" (a child made by fork) or "spawned" (a child that
 * exec'd a new image); <function> is the leaking function, which appears in the frames of every
 * stack that allocated the site's live blocks; <kind>, when given, is the allocation kind of every
 * one of those stacks ("heap", "mmap", "shared_anon", "reserved"). Nothing else a program prints
 * may differ between a bare run and one under the preload (no addresses, no pids). */
#ifndef CLWLEAK_CAPTURE_TRUTH_H
#define CLWLEAK_CAPTURE_TRUTH_H

#include <stdio.h>

/* Leaking functions must keep their frame: never inlined, never a tail call to malloc (the
 * programs are also built with -fno-optimize-sibling-calls). */
#define NOINLINE __attribute__((noinline))

static inline void print_truth(const char* process, const char* function, unsigned long long bytes,
                               unsigned long long count) {
  printf("truth %s %s %llu %llu\n", process, function, bytes, count);
  fflush(stdout);
}

static inline void print_truth_kind(const char* process, const char* function,
                                    unsigned long long bytes, unsigned long long count,
                                    const char* kind) {
  printf("truth %s %s %llu %llu %s\n", process, function, bytes, count, kind);
  fflush(stdout);
}

#endif
