/* ctor_host TLS_LIBRARY: linked to libcapture_ctor.so, whose constructor allocated 777,777 bytes
 * before main (and before libclwleak.so's constructor); leaks 4,242 bytes itself; then dlopens
 * TLS_LIBRARY and touches its thread-local buffer, which ld.so allocates. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

extern void* ctor_block;
static void* kept;

NOINLINE static void main_keep(void) {
  kept = malloc(4242);
  memset(kept, 17, 4242);
}

/* The size of libcapture_tls.so's TLS block: its PT_TLS segment's memory size. */
static int FindTls(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  if (info->dlpi_name == NULL || strstr(info->dlpi_name, "libcapture_tls.so") == NULL) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type == PT_TLS) *(size_t*)data = info->dlpi_phdr[i].p_memsz;
  }
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  main_keep();
  void* library = dlopen(argv[1], RTLD_NOW);
  if (library == NULL || ctor_block == NULL) return 1;
  int (*touch)(void) = (int (*)(void))dlsym(library, "tls_touch");
  size_t tls_size = 0;
  dl_iterate_phdr(FindTls, &tls_size);
  printf("touched %d\n", touch());
  print_truth("main", "ctor_allocates", 777777, 1);
  print_truth("main", "main_keep", 4242, 1);
  /* glibc 2.36 allocates a dlopened module's block with malloc(size) when its alignment is at most
   * malloc's (16), as here. */
  print_truth("main", "tls_touch", tls_size, 1);
  return 0;
}
