/* libcapture_tls.so: dlopened, with a large thread-local buffer: ld.so allocates the thread's
 * block of it (through malloc) at the first access, from tls_touch. */
#define NOINLINE __attribute__((noinline))

__thread char tls_buffer[100000] __attribute__((aligned(16)));

NOINLINE int tls_touch(void) {
  tls_buffer[0] = 1;
  tls_buffer[sizeof(tls_buffer) - 1] = 2;
  return tls_buffer[0] + tls_buffer[sizeof(tls_buffer) - 1];
}
