/* clwleak.h — the worker-facing API of clwleak (C and C++).
 *
 * A worker includes this header to tell the profiler how many requests it has served and to ask for
 * a snapshot now. Every symbol is a weak reference to a function exported by libclwleak.so: when the
 * preload is absent the references resolve to NULL and the macros below do nothing, so a program that
 * includes this header runs unchanged without the preload and needs no link flag.
 *
 *   clwleak_request_done();      one request finished (thread-safe, a relaxed atomic add)
 *   clwleak_requests_add(n);     n requests finished
 *   clwleak_snapshot_now();      write a snapshot now and wait until it is flushed to the file;
 *                                returns 0 when written, -1 without the preload or on failure.
 *                                Not async-signal-safe: do not call it from a signal handler.
 *   clwleak_active();            1 when libclwleak.so is loaded and profiling this process.
 *
 * The weak references need a position-independent caller (Debian's default PIE, or -fPIC): a
 * non-PIE executable resolves them at link time and never sees the preload.
 */
#ifndef CLWLEAK_CLWLEAK_H
#define CLWLEAK_CLWLEAK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

extern void clwleak_request_done(void) __attribute__((weak));
extern void clwleak_requests_add(uint64_t n) __attribute__((weak));
extern int clwleak_snapshot_now(void) __attribute__((weak));
extern int clwleak_active(void) __attribute__((weak));

#ifdef __cplusplus
}
#endif

/* A function-like macro does not expand its own name again inside its expansion, so each macro
 * below calls the real (weak) function when the preload provides it and does nothing otherwise.
 * Taking the address (&clwleak_request_done) still names the weak symbol itself. */
#define clwleak_request_done() (clwleak_request_done ? clwleak_request_done() : (void)0)
#define clwleak_requests_add(n) (clwleak_requests_add ? clwleak_requests_add(n) : (void)0)
#define clwleak_snapshot_now() (clwleak_snapshot_now ? clwleak_snapshot_now() : -1)
#define clwleak_active() (clwleak_active ? clwleak_active() : 0)

#endif /* CLWLEAK_CLWLEAK_H */
