/*
 * The C reference for the batch kernels in `npm run bench:jit`: xs[i] += term over n int32s in place, as
 * a scalar loop, with SSE2 intrinsics and with AVX2 intrinsics, the vector loops unrolled four registers
 * at a time with a scalar tail, as the JIT's kernels are. Built with -O2 -fno-tree-vectorize, so that
 * the scalar loop stays scalar; the AVX2 function is compiled for AVX2 by its target attribute alone, so
 * the binary runs (its scalar and SSE2 kernels) on any x86-64.
 *
 *   batch-kernels <scalar|sse2|avx2> <n> <passes>
 *   batch-kernels page <entry> <n> <passes>     (a JIT page's code as hex on standard input)
 *
 * The second form times a page the JIT generated, `void apply_all(int32_t *xs, size_t n)` at byte offset
 * <entry> of its code, in the same loop and on the same aligned array as the C kernels: the kernel's code
 * set against the compiler's, without the FFI call that a pass from JavaScript pays. The page is mapped
 * read+write, written, then made read+execute, as the JIT does; its term is taken to be 7, like the C
 * kernels'.
 *
 * Built with -shared -fPIC, the same file is a library whose batch_add_<level> functions bench/batch-
 * kernels.ts calls through koffi, as the JIT's pages are called.
 *
 * Fills n values at a 64-byte aligned address, the kernels' best case (a load or store that straddles two
 * cache lines costs more; the JIT's kernels step to an aligned address first, these do not), runs a tenth
 * of the passes to warm up, then times `passes` passes as one block and prints one line: <values per
 * nanosecond>. Exits 1 if the results are wrong, 2 on bad arguments, 3 if the CPU lacks AVX2 for the avx2
 * kernel, 4 if the page's code is malformed or cannot be mapped.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Unsigned arithmetic wraps around at 32 bits, as the JIT's adds do; signed overflow would be undefined. */
static inline int32_t wrapping_add(int32_t x, int32_t term) { return (int32_t)((uint32_t)x + (uint32_t)term); }

__attribute__((noinline)) void batch_add_scalar(int32_t *xs, size_t n, int32_t term) {
  for (size_t i = 0; i < n; i++) xs[i] = wrapping_add(xs[i], term);
}

__attribute__((noinline)) void batch_add_sse2(int32_t *xs, size_t n, int32_t term) {
  const __m128i t = _mm_set1_epi32(term);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i a = _mm_loadu_si128((const __m128i *)(xs + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(xs + i + 4));
    __m128i c = _mm_loadu_si128((const __m128i *)(xs + i + 8));
    __m128i d = _mm_loadu_si128((const __m128i *)(xs + i + 12));
    _mm_storeu_si128((__m128i *)(xs + i), _mm_add_epi32(a, t));
    _mm_storeu_si128((__m128i *)(xs + i + 4), _mm_add_epi32(b, t));
    _mm_storeu_si128((__m128i *)(xs + i + 8), _mm_add_epi32(c, t));
    _mm_storeu_si128((__m128i *)(xs + i + 12), _mm_add_epi32(d, t));
  }
  for (; i + 4 <= n; i += 4)
    _mm_storeu_si128((__m128i *)(xs + i), _mm_add_epi32(_mm_loadu_si128((const __m128i *)(xs + i)), t));
  for (; i < n; i++) xs[i] = wrapping_add(xs[i], term);
}

__attribute__((noinline, target("avx2"))) void batch_add_avx2(int32_t *xs, size_t n, int32_t term) {
  const __m256i t = _mm256_set1_epi32(term);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(xs + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(xs + i + 8));
    __m256i c = _mm256_loadu_si256((const __m256i *)(xs + i + 16));
    __m256i d = _mm256_loadu_si256((const __m256i *)(xs + i + 24));
    _mm256_storeu_si256((__m256i *)(xs + i), _mm256_add_epi32(a, t));
    _mm256_storeu_si256((__m256i *)(xs + i + 8), _mm256_add_epi32(b, t));
    _mm256_storeu_si256((__m256i *)(xs + i + 16), _mm256_add_epi32(c, t));
    _mm256_storeu_si256((__m256i *)(xs + i + 24), _mm256_add_epi32(d, t));
  }
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_si256((__m256i *)(xs + i), _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(xs + i)), t));
  for (; i < n; i++) xs[i] = wrapping_add(xs[i], term);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The JIT page's batch entry, and a kernel with the C kernels' signature that calls it. */
static void (*page_entry)(int32_t *, size_t);
static void batch_add_page(int32_t *xs, size_t n, int32_t term) {
  (void)term; /* compiled into the page */
  page_entry(xs, n);
}

/* Reads hex from standard input into a fresh page, sealed read+execute; 0 on success. */
static int load_page(size_t entry) {
  const long page_size = sysconf(_SC_PAGESIZE);
  unsigned char *page = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 4;
  size_t length = 0;
  unsigned int byte;
  while (length < (size_t)page_size && scanf("%2x", &byte) == 1) page[length++] = (unsigned char)byte;
  if (entry >= length || mprotect(page, (size_t)page_size, PROT_READ | PROT_EXEC) != 0) return 4;
  page_entry = (void (*)(int32_t *, size_t))(void *)(page + entry);
  return 0;
}

int main(int argc, char **argv) {
  /* argv[first] and argv[first + 1] are <n> and <passes>: after the level, or after `page <entry>`. */
  int first = 2;
  void (*kernel)(int32_t *, size_t, int32_t) = NULL;
  if (argc == 5 && strcmp(argv[1], "page") == 0) {
    int failed = load_page(strtoull(argv[2], NULL, 10));
    if (failed) return failed;
    kernel = batch_add_page;
    first = 3;
  } else if (argc != 4) return 2;
  else if (strcmp(argv[1], "scalar") == 0) kernel = batch_add_scalar;
  else if (strcmp(argv[1], "sse2") == 0) kernel = batch_add_sse2;
  else if (strcmp(argv[1], "avx2") == 0) {
    if (!__builtin_cpu_supports("avx2")) return 3;
    kernel = batch_add_avx2;
  } else return 2;
  size_t n = strtoull(argv[first], NULL, 10);
  long passes = strtol(argv[first + 1], NULL, 10);
  if (n == 0 || passes < 1) return 2;
  int32_t *xs = aligned_alloc(64, (n * sizeof *xs + 63) / 64 * 64);
  if (xs == NULL) return 2;
  for (size_t i = 0; i < n; i++) xs[i] = (int32_t)i;

  const int32_t term = 7;
  long warmup = passes / 10 + 1;
  for (long pass = 0; pass < warmup; pass++) kernel(xs, n, term);
  uint64_t start = now_ns();
  for (long pass = 0; pass < passes; pass++) kernel(xs, n, term);
  uint64_t elapsed = now_ns() - start;

  int32_t added = (int32_t)((uint32_t)term * (uint32_t)(warmup + passes));
  for (size_t i = 0; i < n; i++)
    if (xs[i] != wrapping_add((int32_t)i, added)) return 1;
  printf("%.6f\n", (double)n * (double)passes / (double)elapsed);
  free(xs);
  return 0;
}
