/* rtld_next_host: runs libcapture_next.so, which frees libc's blocks with the free that
 * dlsym(RTLD_NEXT, "free") returns to it. */
#include "truth.h"

int next_run(int blocks);

int main(void) {
  printf("rtld_next run ok=%d\n", next_run(1000));
  print_truth("main", "next_keep", 4 * 2500, 4);
  print_truth("main", "next_churn", 0, 0);
  return 0;
}
