/* SPDX-License-Identifier: Apache-2.0 */
/* test_concurrency.c — writers on shared children while a scraper renders in
 * a loop: final values are exact, and every scrape shows each histogram with
 * _count equal to its +Inf bucket and buckets that never decrease.
 * Usage: test_concurrency [increments-per-thread] [threads] */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc/promc.h"
#include "stress_check.h"

static long N = 10000000;
static int T = 2;
static promc_registry *reg;
static promc_counter *shared, *fam;
static promc_histogram *hist;
static promc_gauge *churn;
static atomic_int go, writers_done;
static long scrapes;

static void *writer(void *arg) {
  long id = (long)arg;
  while (!atomic_load(&go)) {
  }
  promc_counter *child = promc_counter_labels(fam, "GET", "/shared", "200");
  char name[32];
  for (long i = 0; i < N; i++) {
    promc_counter_inc(shared);
    promc_counter_inc(child);
    promc_histogram_observe(hist, (i & 7) * 0.25); /* exact binary fractions: the sum is exact */
    if ((i & 1023) == 0) {
      /* lookups race with child creation (table growth) in another family */
      if (promc_counter_labels(fam, "GET", "/shared", "200") != child) CHECK(0, "child handle changed");
      snprintf(name, sizeof name, "t%ld-%ld", id, i >> 10);
      if (i < 4000L * 1024) promc_gauge_set(promc_gauge_labels(churn, name), 1);
    }
  }
  atomic_fetch_add(&writers_done, 1);
  return NULL;
}

/* Parses every "h_bucket" / "h_count" line of one scrape. */
static void check_scrape(const char *t, uint64_t *last_count, double *last_shared) {
  uint64_t prev = 0, inf = 0, count = 0;
  int nb = 0;
  for (const char *p = strstr(t, "\nh_bucket{"); p; p = strstr(p + 1, "\nh_bucket{")) {
    uint64_t v = strtoull(strchr(p, '}') + 2, NULL, 10);
    CHECK(v >= prev, "bucket decreased: %" PRIu64 " after %" PRIu64, v, prev);
    prev = v;
    nb++;
    if (strncmp(p, "\nh_bucket{le=\"+Inf\"}", 20) == 0) inf = v;
  }
  const char *c = strstr(t, "\nh_count ");
  CHECK(c && nb == 15, "histogram lines missing (%d buckets)", nb);
  if (c) count = strtoull(c + 9, NULL, 10);
  CHECK(count == inf, "_count %" PRIu64 " != +Inf bucket %" PRIu64, count, inf);
  CHECK(count >= *last_count, "_count went backwards");
  *last_count = count;
  const char *s = strstr(t, "\nshared_total ");
  double sv = s ? strtod(s + 14, NULL) : -1;
  CHECK(sv >= *last_shared, "counter went backwards (%f < %f)", sv, *last_shared);
  *last_shared = sv;
}

static void *scraper(void *arg) {
  (void)arg;
  promc_buf b = {0};
  uint64_t last_count = 0;
  double last_shared = 0;
  while (!atomic_load(&go)) {
  }
  do {
    b.len = 0;
    if (promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b) != 0) CHECK(0, "render failed");
    check_scrape(b.data, &last_count, &last_shared);
    scrapes++;
  } while (atomic_load(&writers_done) < T);
  promc_buf_free(&b);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) N = atol(argv[1]);
  if (argc > 2) T = atoi(argv[2]);
  if (N < 1 || T < 2 || T > 64) {
    fprintf(stderr, "usage: %s [increments>0] [threads>=2]\n", argv[0]);
    return 2;
  }
  if (promc_registry_new(&reg) ||
      promc_counter_new(&shared, &(promc_opts){.name = "shared", .help = "s", .registry = reg}) ||
      promc_counter_new(&fam, &(promc_opts){.name = "req", .help = "r", .registry = reg,
                                            PROMC_LABEL_NAMES("method", "path", "code")}) ||
      promc_histogram_new(&hist, &(promc_opts){.name = "h", .help = "h", .registry = reg}) ||
      promc_gauge_new(&churn, &(promc_opts){.name = "churn", .help = "c", .registry = reg, PROMC_LABEL_NAMES("id")})) {
    fprintf(stderr, "setup: %s\n", promc_errmsg());
    return 1;
  }
  pthread_t w[64], s;
  for (long i = 0; i < T; i++) pthread_create(&w[i], NULL, writer, (void *)i);
  pthread_create(&s, NULL, scraper, NULL);
  atomic_store(&go, 1);
  for (int i = 0; i < T; i++) pthread_join(w[i], NULL);
  pthread_join(s, NULL);

  double want = (double)N * T;
  CHECK(promc_counter_get(shared) == want, "shared counter %f, want %f", promc_counter_get(shared), want);
  CHECK(promc_counter_get(promc_counter_labels(fam, "GET", "/shared", "200")) == want, "labelled child wrong");
  uint64_t cum[15], count;
  double sum;
  promc_histogram_get(hist, cum, 15, &count, &sum);
  CHECK(count == (uint64_t)want, "histogram count %" PRIu64, count);
  double want_sum = 0; /* per thread: N/8 full rounds of 0+.25+...+1.75 = 7, plus the tail */
  for (long i = 0; i < N; i++) want_sum += (i & 7) * 0.25;
  CHECK(sum == want_sum * T, "histogram sum %f, want %f", sum, want_sum * T);
  CHECK(scrapes > 0, "no scrape ran");
  printf("%d threads x %ld ops: %ld scrapes checked, %ld failures\n", T, N, scrapes, failures);
  promc_registry_free(reg);
  promc_shutdown();
  return failures ? 1 : 0;
}
