/*
 * The C reference for `npm run bench:jit`: the seed program's work in a loop, timed per iteration.
 * Each iteration maps one page read+write, copies the adder in, seals it read+execute, calls it once and
 * unmaps it: the same steps ExecutablePage takes, without the FFI. Prints one line:
 *   <iterations> <median ns> <p99 ns>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 20000;
  int warmup = iterations / 10;
  long page = sysconf(_SC_PAGESIZE);
  unsigned char code[] = {0x48, 0xc7, 0xc0, 0, 0, 0, 0, 0x48, 0x01, 0xf8, 0xc3};
  uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)iterations);
  volatile int64_t sink = 0;
  if (samples == NULL || iterations < 1) return 1;
  for (int i = -warmup; i < iterations; i++) {
    uint64_t start = now_ns();
    void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 71; }
    int32_t term = i;
    memcpy(code + 3, &term, sizeof term);
    memcpy(p, code, sizeof code);
    if (mprotect(p, (size_t)page, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 71; }
    sink += ((int32_t (*)(int32_t))p)(1);
    munmap(p, (size_t)page);
    if (i >= 0) samples[i] = now_ns() - start;
  }
  qsort(samples, (size_t)iterations, sizeof(uint64_t), compare);
  printf("%d %llu %llu\n", iterations, (unsigned long long)samples[iterations / 2],
         (unsigned long long)samples[(size_t)(iterations * 0.99)]);
  return sink == 0 ? 1 : 0;
}
