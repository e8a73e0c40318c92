/* SPDX-License-Identifier: Apache-2.0 */
/* bench_render.c — what a scrape costs the instrumented program, and what a
 * render costs per value. Public API only, so bench/render_compare.sh builds
 * it against another revision of promc too.
 *
 *   bench_render create [CHILDREN] [NEW]
 *       A counter family of CHILDREN children (default 100,000); one thread
 *       renders the registry back to back (text, into a promc_buf) while
 *       this one creates NEW (default 2,000) new children, one every 100 µs,
 *       timing each creation. Prints p50, p99 and max in µs.
 *   bench_render values zero|int [CHILDREN] [REPS]
 *       Renders a counter family of CHILDREN children (default 100,000)
 *       whose values are all 0 (zero) or small integers 1..999 (int), REPS
 *       times (default 15), into a reused promc_buf. Prints the median ms.
 *       REPS = 1 is the run to give callgrind.
 *   bench_render mixed text|openmetrics|protobuf [REPS]
 *       bench_core's test f (100,000 counter and 1,000 histogram children,
 *       3 labels each) rendered REPS times (default 15) in that format;
 *       prints the median ms. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc/promc.h"
#include "bench_f.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static promc_registry *reg;
static promc_counter *fam;
static atomic_int stop;
static atomic_long scrapes;

static void fill(long n, int zero) {
  promc_registry_new(&reg);
  if (promc_counter_new(&fam, &(promc_opts){.name = "requests", .help = "Requests.",
                                            PROMC_LABEL_NAMES("method", "path", "code"), .registry = reg}) != 0) {
    fprintf(stderr, "counter_new: %s\n", promc_errmsg());
    exit(1);
  }
  char p[32], c[16];
  for (long i = 0; i < n; i++) {
    snprintf(p, sizeof p, "/api/v1/res%ld", i / 10);
    snprintf(c, sizeof c, "%ld", 200 + i % 10);
    promc_counter *ch = promc_counter_labels(fam, i % 2 ? "GET" : "POST", p, c);
    if (!zero) promc_counter_add(ch, (double)(1 + i % 999));
  }
}

static void *scraper(void *arg) {
  (void)arg;
  promc_buf b = {0};
  while (!atomic_load(&stop)) {
    b.len = 0;
    promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b);
    atomic_fetch_add(&scrapes, 1);
  }
  promc_buf_free(&b);
  return NULL;
}

static void create(long n, long nnew) {
  fill(n, 0);
  double *lat = malloc((size_t)nnew * sizeof *lat);
  pthread_t t;
  pthread_create(&t, NULL, scraper, NULL);
  while (atomic_load(&scrapes) < 1) {
  } /* the first scrape is under way or done */
  char p[32];
  double t_start = now_ns();
  for (long i = 0; i < nnew; i++) {
    snprintf(p, sizeof p, "/new/%ld", i);
    double t0 = now_ns();
    promc_counter *c = promc_counter_labels(fam, "PUT", p, "201");
    lat[i] = (now_ns() - t0) / 1e3;
    promc_counter_inc(c);
    struct timespec d = {0, 100000};
    nanosleep(&d, NULL);
  }
  double span = (now_ns() - t_start) / 1e9;
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  qsort(lat, (size_t)nnew, sizeof *lat, cmp_d);
  printf("create_p50 %.1f us\n", lat[nnew / 2]);
  printf("create_p99 %.1f us\n", lat[(nnew * 99) / 100]);
  printf("create_max %.1f us\n", lat[nnew - 1]);
  printf("scrapes_during %.0f per_s\n", (double)atomic_load(&scrapes) / span);
  free(lat);
}

static void values(int zero, long n, int reps) {
  fill(n, zero);
  promc_buf b = {0};
  double *ms = malloc((size_t)reps * sizeof *ms);
  for (int r = 0; r < reps; r++) {
    b.len = 0;
    double t0 = now_ns();
    promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b);
    ms[r] = (now_ns() - t0) / 1e6;
  }
  qsort(ms, (size_t)reps, sizeof *ms, cmp_d);
  printf("render_%s_ms %.3f ms\n", zero ? "zero" : "int", ms[reps / 2]);
  printf("render_%s_bytes %zu B\n", zero ? "zero" : "int", b.len);
  free(ms);
  promc_buf_free(&b);
}

static void mixed(const char *fmt, int reps) {
  promc_format f = !strcmp(fmt, "openmetrics") ? PROMC_FORMAT_OPENMETRICS
                   : !strcmp(fmt, "protobuf")  ? PROMC_FORMAT_PROTOBUF
                                               : PROMC_FORMAT_TEXT;
  promc_registry_new(&reg);
  bench_f_counters(reg);
  bench_f_histograms(reg);
  promc_buf b = {0};
  double *ms = malloc((size_t)reps * sizeof *ms);
  for (int r = 0; r < reps; r++) {
    b.len = 0;
    double t0 = now_ns();
    promc_registry_render_buf(reg, f, NULL, &b);
    ms[r] = (now_ns() - t0) / 1e6;
  }
  qsort(ms, (size_t)reps, sizeof *ms, cmp_d);
  printf("mixed_%s_ms %.3f ms\n", fmt, ms[reps / 2]);
  free(ms);
  promc_buf_free(&b);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "create")) {
    create(argc > 2 ? atol(argv[2]) : 100000, argc > 3 ? atol(argv[3]) : 2000);
  } else if (!strcmp(mode, "values") && argc > 2 && (!strcmp(argv[2], "zero") || !strcmp(argv[2], "int"))) {
    values(!strcmp(argv[2], "zero"), argc > 3 ? atol(argv[3]) : 100000, argc > 4 ? atoi(argv[4]) : 15);
  } else if (!strcmp(mode, "mixed") && argc > 2) {
    mixed(argv[2], argc > 3 ? atoi(argv[3]) : 15);
  } else {
    fprintf(stderr, "usage: %s create [CHILDREN] [NEW] | values zero|int [CHILDREN] [REPS] | "
                    "mixed text|openmetrics|protobuf [REPS]\n", argv[0]);
    return 2;
  }
  return 0;
}
