/* SPDX-License-Identifier: Apache-2.0 */
/* bench_core.c — hot-path and render benchmarks, the same operations as
 * ../shared/peer-bench (prometheus-cpp, client_golang, VictoriaMetrics,
 * client_python), plus the physical references measured in the same process.
 * Usage: bench_core micro [N]   tests a-e and the references
 *        bench_core expo        test f: 100,000 counter + 1,000 histogram children
 *        bench_core lookup [N]  labelled lookup + inc: 100 children (test c's
 *                               pattern) and 1,000,000 in random order, beside
 *                               the cost of one DRAM miss; bench/lookup_go is
 *                               its client_golang twin
 * Output lines: "promc <test> <value> <unit>" */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "promc/promc.h"
#include "bench_f.h"
#ifdef PROMC_BENCH_INLINE /* bench_core only: inline.h needs the static library */
#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"
#endif

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of the process: on a shared machine it leaves out the time spent
 * descheduled, which wall time does not (the caches other jobs pollute stay). */
static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long rss_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, strlen(key)) == 0) v = atol(line + strlen(key));
  if (f) fclose(f);
  return v;
}

static double vals[1024];
static const char *methods[] = {"GET", "POST", "PUT", "DELETE"};
static const char *paths[] = {"/api", "/api/users", "/api/orders", "/health", "/metrics"};
static const char *statuses[] = {"200", "201", "404", "500", "503"};

static _Alignas(128) _Atomic unsigned long ref_cell;
static volatile double ref_store;
static atomic_int go;

struct two {
  promc_counter *c;
  long n;
};
static void *inc_thread(void *arg) {
  struct two *t = arg;
  while (!atomic_load_explicit(&go, memory_order_acquire)) {
  }
  for (long i = 0; i < t->n; i++) promc_counter_inc(t->c);
  return NULL;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void micro(long N) {
  promc_registry *reg;
  promc_registry_new(&reg);
  double t0;

  /* a. unlabelled counter, 1 thread, against its reference (a bare relaxed
   * atomic add) measured in alternation: 7 rounds of each, medians, so that
   * drift in the machine's speed hits both alike. The inline.h variant
   * (bench_core only) takes its turn in the same rounds. */
  promc_counter *c;
  promc_counter_new(&c, &(promc_opts){.name = "bench_ops_total", .help = "ops", .registry = reg});
  double ref_t[7], inc_t[7], ratio_t[7];
#ifdef PROMC_BENCH_INLINE
  double inl_t[7], inl_ratio_t[7];
#endif
  long R = N / 7;
  for (int r = 0; r < 7; r++) {
    t0 = now_ns();
    for (long i = 0; i < R; i++) atomic_fetch_add_explicit(&ref_cell, 1, memory_order_relaxed);
    ref_t[r] = (now_ns() - t0) / (double)R;
    t0 = now_ns();
    for (long i = 0; i < R; i++) promc_counter_inc(c);
    inc_t[r] = (now_ns() - t0) / (double)R;
    ratio_t[r] = inc_t[r] / ref_t[r];
#ifdef PROMC_BENCH_INLINE
    t0 = now_ns();
    promc_counter *ci = c; /* a handle in a register, as in a hot loop (c's address was taken) */
    for (long i = 0; i < R; i++) promc_counter_inc_inline(ci);
    inl_t[r] = (now_ns() - t0) / (double)R;
    inl_ratio_t[r] = inl_t[r] / ref_t[r];
#endif
  }
  qsort(ref_t, 7, sizeof(double), cmp_double);
  qsort(inc_t, 7, sizeof(double), cmp_double);
  qsort(ratio_t, 7, sizeof(double), cmp_double);
  printf("promc ref_atomic_add_1t %.3f ns/op\n", ref_t[3]);
  printf("promc a_counter_inc_1t %.3f ns/op\n", inc_t[3]);
  printf("promc a_ratio_to_atomic_add %.3f x\n", ratio_t[3]);
#ifdef PROMC_BENCH_INLINE
  qsort(inl_t, 7, sizeof(double), cmp_double);
  qsort(inl_ratio_t, 7, sizeof(double), cmp_double);
  printf("promc a_counter_inc_inline_1t %.3f ns/op\n", inl_t[3]);
  printf("promc a_inline_ratio_to_atomic_add %.3f x\n", inl_ratio_t[3]);
#endif
  t0 = now_ns();
  for (long i = 0; i < N; i++) ref_store = vals[i & 1023];
  printf("promc ref_plain_store %.3f ns/op\n", (now_ns() - t0) / (double)N);

  /* b. the same counter, 2 threads (aggregate ns per op) */
  struct two t = {c, N / 2};
  pthread_t th[2];
  atomic_store(&go, 0);
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, inc_thread, &t);
  t0 = now_ns();
  atomic_store_explicit(&go, 1, memory_order_release);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  printf("promc b_counter_inc_2t %.3f ns/op\n", (now_ns() - t0) / (2.0 * (double)t.n));

  /* c. labelled lookup + inc, 3 labels, cycling over 100 existing children */
  promc_counter *l;
  promc_counter_new(&l, &(promc_opts){.name = "bench_req_total", .help = "req", .registry = reg,
                                      PROMC_LABEL_NAMES("method", "path", "status")});
  for (int k = 0; k < 100; k++) promc_counter_labels(l, methods[k / 25], paths[(k / 5) % 5], statuses[k % 5]);
  long NC = N / 5;
  t0 = now_ns();
  for (long i = 0; i < NC; i++) {
    int k = (int)(i % 100);
    promc_counter_inc(promc_counter_labels(l, methods[k / 25], paths[(k / 5) % 5], statuses[k % 5]));
  }
  printf("promc c_labeled_inc %.3f ns/op\n", (now_ns() - t0) / (double)NC);

  /* d. histogram, default buckets, values spread over them */
  promc_histogram *h;
  promc_histogram_new(&h, &(promc_opts){.name = "bench_lat_seconds", .help = "lat", .registry = reg});
  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_histogram_observe(h, vals[i & 1023]);
  printf("promc d_histogram_observe %.3f ns/op\n", (now_ns() - t0) / (double)N);

  /* e. gauge set, inc/dec */
  promc_gauge *g;
  promc_gauge_new(&g, &(promc_opts){.name = "bench_gauge", .help = "g", .registry = reg});
  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_gauge_set(g, vals[i & 1023]);
  printf("promc e_gauge_set %.3f ns/op\n", (now_ns() - t0) / (double)N);
  t0 = now_ns();
  for (long i = 0; i < N; i += 2) {
    promc_gauge_inc(g);
    promc_gauge_dec(g);
  }
  printf("promc e2_gauge_incdec %.3f ns/op\n", (now_ns() - t0) / (double)N);

  double want = (double)(7 * R) + 2.0 * (double)(N / 2);
#ifdef PROMC_BENCH_INLINE
  want += (double)(7 * R);
#endif
  if (promc_counter_get(c) != want) fprintf(stderr, "count mismatch %f != %f\n", promc_counter_get(c), want);
  promc_registry_free(reg);
}

/* The same generator and shuffle as bench/lookup_go, so that both walk the
 * children in the same order. */
static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Fisher-Yates; sattolo = 1 gives one cycle through every element. */
static void shuffle(uint32_t *a, uint32_t n, uint64_t seed, int sattolo) {
  for (uint32_t i = 0; i < n; i++) a[i] = i;
  for (uint32_t i = n - 1; i > 0; i--) {
    uint32_t j = (uint32_t)(splitmix64(&seed) % (sattolo ? i : (uint64_t)i + 1));
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  return v[n / 2];
}

/* One dependent load that misses every cache: a pointer chase through one
 * random cycle over all the 64-byte lines of `bytes` of memory. With 4 KiB
 * pages the TLB misses too, as it does for a lookup among a million children
 * on malloc's heap; huge = 1 asks for 2 MiB pages (madvise), which leaves
 * mostly the DRAM access itself. */
static double dram_miss_ns(size_t bytes, long steps, int huge, double *cpu) {
  uint32_t n = (uint32_t)(bytes / 64);
  uint32_t *perm = malloc((size_t)n * sizeof *perm);
  uint32_t *mem = aligned_alloc((size_t)2 << 20, (size_t)n * 64);
  if (mem) madvise(mem, (size_t)n * 64, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  if (!perm || !mem) {
    fprintf(stderr, "lookup: out of memory for the reference\n");
    exit(1);
  }
  shuffle(perm, n, 42, 1);
  for (uint32_t i = 0; i < n; i++) mem[(size_t)i * 16] = perm[i]; /* line i points to line perm[i] */
  free(perm);
  uint32_t at = 0;
  for (long i = 0; i < steps / 10; i++) at = mem[(size_t)at * 16]; /* warm the page tables a little */
  double t0 = now_ns(), c0 = cpu_ns();
  for (long i = 0; i < steps; i++) at = mem[(size_t)at * 16];
  double ns = (now_ns() - t0) / (double)steps;
  *cpu = (cpu_ns() - c0) / (double)steps;
  if (at == UINT32_MAX) printf("unreachable\n"); /* keeps the chase */
  free(mem);
  return ns;
}

#define LK_ROUNDS 5
#define LK_M 1000000u

static void lookup(long N) {
  double t[LK_ROUNDS], tc[LK_ROUNDS], cpu;

  /* labelled lookup + inc over 100 children, test c's access pattern */
  promc_registry *reg;
  promc_registry_new(&reg);
  promc_counter *l;
  promc_counter_new(&l, &(promc_opts){.name = "bench_req_total", .help = "req", .registry = reg,
                                      PROMC_LABEL_NAMES("method", "path", "status")});
  for (int k = 0; k < 100; k++) promc_counter_labels(l, methods[k / 25], paths[(k / 5) % 5], statuses[k % 5]);
  long R = N / LK_ROUNDS;
  for (int r = 0; r < LK_ROUNDS; r++) {
    double t0 = now_ns(), c0 = cpu_ns();
    for (long i = 0; i < R; i++) {
      int k = (int)(i % 100);
      promc_counter_inc(promc_counter_labels(l, methods[k / 25], paths[(k / 5) % 5], statuses[k % 5]));
    }
    t[r] = (now_ns() - t0) / (double)R;
    tc[r] = (cpu_ns() - c0) / (double)R;
  }
  double sum = 0;
  for (int k = 0; k < 100; k++)
    sum += promc_counter_get(promc_counter_labels(l, methods[k / 25], paths[(k / 5) % 5], statuses[k % 5]));
  if (sum != (double)(R * LK_ROUNDS)) {
    fprintf(stderr, "lookup: lookup_100 counted %.0f, want %ld\n", sum, R * LK_ROUNDS);
    exit(1);
  }
  printf("promc lookup_100 %.3f ns/op\n", median(t, LK_ROUNDS));
  printf("promc lookup_100_cpu %.3f ns/op\n", median(tc, LK_ROUNDS));
  promc_registry_free(reg);

  /* the cost of one miss, measured before the million children exist */
  double miss = dram_miss_ns((size_t)1 << 30, 4000000, 0, &cpu), miss_cpu = cpu;
  printf("promc ref_dram_miss %.3f ns/op\n", miss);
  printf("promc ref_dram_miss_cpu %.3f ns/op\n", miss_cpu);
  printf("promc ref_dram_miss_hugepages %.3f ns/op\n", dram_miss_ns((size_t)1 << 30, 4000000, 1, &cpu));
  printf("promc ref_dram_miss_hugepages_cpu %.3f ns/op\n", cpu);

  /* 1,000,000 children of a 3-label counter: 100 x 100 x 100 values, made
   * beforehand; the children are visited in one random order per round */
  static char a[100][8], b[100][16], d[100][4];
  for (int i = 0; i < 100; i++) {
    snprintf(a[i], sizeof a[i], "m%d", i);
    snprintf(b[i], sizeof b[i], "/api/v1/res%d", i);
    snprintf(d[i], sizeof d[i], "%d", 100 + i);
  }
  uint32_t *order = malloc(LK_M * sizeof *order);
  if (!order) {
    fprintf(stderr, "lookup: out of memory\n");
    exit(1);
  }
  shuffle(order, LK_M, 7, 0);
  promc_registry_new(&reg);
  promc_counter_new(&l, &(promc_opts){.name = "bench_requests_total", .help = "req", .registry = reg,
                                      PROMC_LABEL_NAMES("method", "path", "status")});
  double t0 = now_ns();
  for (uint32_t k = 0; k < LK_M; k++)
    if (!promc_counter_labels(l, a[k / 10000], b[(k / 100) % 100], d[k % 100])) {
      fprintf(stderr, "lookup: creating child %u: %s\n", k, promc_errmsg());
      exit(1);
    }
  double create = (now_ns() - t0) / LK_M;
  for (int r = 0; r < LK_ROUNDS; r++) {
    t0 = now_ns();
    double c0 = cpu_ns();
    for (uint32_t i = 0; i < LK_M; i++) {
      uint32_t k = order[i];
      promc_counter_inc(promc_counter_labels(l, a[k / 10000], b[(k / 100) % 100], d[k % 100]));
    }
    t[r] = (now_ns() - t0) / LK_M;
    tc[r] = (cpu_ns() - c0) / LK_M;
  }
  for (uint32_t k = 0; k < LK_M; k += 9973)
    if (promc_counter_get(promc_counter_labels(l, a[k / 10000], b[(k / 100) % 100], d[k % 100])) != LK_ROUNDS) {
      fprintf(stderr, "lookup: child %u was not counted %d times\n", k, LK_ROUNDS);
      exit(1);
    }
  double rnd = median(t, LK_ROUNDS), rnd_cpu = median(tc, LK_ROUNDS);
  printf("promc lookup_1m_create %.3f ns/op\n", create);
  printf("promc lookup_1m_random %.3f ns/op\n", rnd);
  printf("promc lookup_1m_random_cpu %.3f ns/op\n", rnd_cpu);
  printf("promc lookup_1m_random_in_misses %.3f x\n", rnd / miss);
  printf("promc lookup_1m_random_in_misses_cpu %.3f x\n", rnd_cpu / miss_cpu);
  free(order);
  promc_registry_free(reg);
}

static void expo(void) {
  long rss0 = rss_kb("VmRSS:");
  promc_registry *reg;
  promc_registry_new(&reg);
  bench_f_counters(reg);
  long rss1 = rss_kb("VmRSS:");
  bench_f_histograms(reg);
  long rss2 = rss_kb("VmRSS:");
  printf("promc f_rss_counter_bytes_per_series %.1f B\n", (double)(rss1 - rss0) * 1024.0 / 100000);
  printf("promc f_rss_hist_bytes_per_series %.1f B\n", (double)(rss2 - rss1) * 1024.0 / 1000);
  printf("promc f_rss_total_bytes_per_series %.1f B\n", (double)(rss2 - rss0) * 1024.0 / 101000);
  promc_buf buf = {0};
  double ts[7];
  for (int r = 0; r < 7; r++) {
    buf.len = 0; /* the buffer is reused, as a server would */
    double t0 = now_ns();
    promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &buf);
    ts[r] = (now_ns() - t0) / 1e6;
  }
  qsort(ts, 7, sizeof ts[0], cmp_double);
  printf("promc f_render_ms %.3f ms\n", ts[3]);
  printf("promc f_render_bytes %zu B\n", buf.len);
  printf("promc f_rss_after_register %ld kB\n", rss2);
  printf("promc f_peak_rss %ld kB\n", rss_kb("VmHWM:"));
  promc_buf_free(&buf);
  promc_registry_free(reg);
}

int main(int argc, char **argv) {
  for (int k = 0; k < 1024; k++) vals[k] = 0.002 * pow(10.0, 4.0 * k / 1024);
  const char *mode = argc > 1 ? argv[1] : "micro";
  if (!strcmp(mode, "micro")) micro(argc > 2 ? atol(argv[2]) : 50000000L);
  else if (!strcmp(mode, "expo")) expo();
  else if (!strcmp(mode, "lookup")) lookup(argc > 2 ? atol(argv[2]) : 10000000L);
  else {
    fprintf(stderr, "usage: %s micro [N] | expo | lookup [N]\n", argv[0]);
    return 2;
  }
  promc_shutdown();
  return 0;
}
