/* SPDX-License-Identifier: Apache-2.0 */
/* test_inline.c — promc/inline.h against the library functions it mirrors:
 * the same sequence of calls through either gives the same exposition, the
 * same errors, the same move to stripes under contention, and exact totals
 * from several threads. Linked against libpromc.a, as inline.h requires.
 * Usage: test_inline [stress]   (stress: more threads and rounds) */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"
#include "core/internal.h" /* to see a counter's stripe block */

static int g_stress;

struct fams {
  promc_registry *r;
  promc_counter *plain, *reqs, *get, *post;
  promc_gauge *temp, *cold;
  promc_histogram *lat, *lat_get, *longh, *mixed;
};

static void fams_new(struct fams *f) {
  static const double bounds[] = {0.1, 1, 10};
  double longb[40];
  for (int i = 0; i < 40; i++) longb[i] = (double)i * 0.5;
  static const char *const method[] = {"method"};
  assert_int_equal(promc_registry_new(&f->r), 0);
  assert_int_equal(promc_counter_new(&f->plain, &(promc_opts){.name = "plain", .help = "p", .registry = f->r}), 0);
  assert_int_equal(promc_counter_new(&f->reqs, &(promc_opts){.name = "reqs", .help = "r", .registry = f->r,
                                                              .label_names = method, .nlabel_names = 1}),
                   0);
  f->get = promc_counter_labels(f->reqs, "GET");
  f->post = promc_counter_labels(f->reqs, "POST");
  assert_non_null(f->get);
  assert_non_null(f->post);
  assert_int_equal(promc_gauge_new(&f->temp, &(promc_opts){.name = "temp", .help = "t", .registry = f->r}), 0);
  assert_int_equal(promc_gauge_new(&f->cold, &(promc_opts){.name = "cold", .help = "c", .registry = f->r}), 0);
  assert_int_equal(promc_histogram_new(&f->lat, &(promc_opts){.name = "lat", .help = "l", .registry = f->r,
                                                               .label_names = method, .nlabel_names = 1,
                                                               .buckets = bounds, .nbuckets = 3}),
                   0);
  f->lat_get = promc_histogram_labels(f->lat, "GET");
  assert_non_null(f->lat_get);
  assert_int_equal(promc_histogram_new(&f->longh, &(promc_opts){.name = "longh", .help = "h", .registry = f->r,
                                                                 .buckets = longb, .nbuckets = 40}),
                   0);
  assert_int_equal(promc_histogram_new(&f->mixed, &(promc_opts){.name = "mixed", .help = "m", .registry = f->r,
                                                                 .buckets = bounds, .nbuckets = 3}),
                   0);
}

/* The same operations, through inline.h or through the library. */
static void apply(struct fams *f, int inl) {
  static const double obs[] = {-1, 0, 0.1, 0.10000000000000001, 0.5, 1, 7, 10, 10.5, 1e9, -INFINITY, INFINITY};
  for (int i = 0; i < 1000; i++) {
    if (inl) {
      promc_counter_inc_inline(f->plain);
      promc_counter_add_int_inline(f->get, (uint64_t)i);
      promc_counter_inc_inline(f->post);
      promc_gauge_inc_inline(f->temp);
      promc_gauge_add_inline(f->temp, -0.25);
    } else {
      promc_counter_inc(f->plain);
      promc_counter_add_int(f->get, (uint64_t)i);
      promc_counter_inc(f->post);
      promc_gauge_inc(f->temp);
      promc_gauge_add(f->temp, -0.25);
    }
  }
  if (inl) {
    promc_counter_add_int_inline(f->post, 0);
    promc_gauge_dec_inline(f->temp);
    promc_gauge_set_inline(f->cold, -273.15);
  } else {
    promc_counter_add_int(f->post, 0);
    promc_gauge_dec(f->temp);
    promc_gauge_set(f->cold, -273.15);
  }
  for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++) {
    double v = obs[i];
    if (inl) {
      promc_histogram_observe_inline(f->lat_get, v);
      promc_histogram_observe_inline(f->longh, v * 3);
    } else {
      promc_histogram_observe(f->lat_get, v);
      promc_histogram_observe(f->longh, v * 3);
    }
  }
  /* NaN last: it lands in +Inf and makes the sum NaN for both */
  /* a negative observation, a positive sum: still no _sum (nor _count) in OpenMetrics */
  if (inl) {
    promc_histogram_observe_inline(f->mixed, -1);
    promc_histogram_observe_inline(f->mixed, 5);
  } else {
    promc_histogram_observe(f->mixed, -1);
    promc_histogram_observe(f->mixed, 5);
  }
  if (inl) {
    promc_histogram_observe_inline(f->longh, NAN);
    promc_histogram_observe_inline(f->lat_get, NAN);
  } else {
    promc_histogram_observe(f->longh, NAN);
    promc_histogram_observe(f->lat_get, NAN);
  }
}

/* The render without _created lines (wall-clock times of two registries). */
static char *render(promc_registry *r, promc_format fmt) {
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, fmt, NULL, &b), 0);
  assert_non_null(b.data);
  char *out = calloc(1, b.len + 1), *o = out;
  for (const char *p = b.data; *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
    if (!memmem(p, n, "_created", 8)) {
      memcpy(o, p, n);
      o += n;
    }
    p += n;
  }
  promc_buf_free(&b);
  return out;
}

static void inline_calls_render_as_the_library_calls(void **state) {
  (void)state;
  struct fams a, b;
  fams_new(&a);
  fams_new(&b);
  apply(&a, 1);
  apply(&b, 0);
  for (int fmt = PROMC_FORMAT_TEXT; fmt <= PROMC_FORMAT_OPENMETRICS; fmt++) {
    char *ta = render(a.r, (promc_format)fmt), *tb = render(b.r, (promc_format)fmt);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
  }
  /* and the values themselves, so that "equal" is not "equally empty" */
  assert_true(promc_counter_get(a.plain) == 1000);
  assert_true(promc_counter_get(a.get) == 999.0 * 1000 / 2);
  assert_true(promc_gauge_get(a.temp) == 749);
  assert_true(promc_gauge_get(a.cold) == -273.15);
  uint64_t cum[4], count;
  double sum;
  assert_int_equal(promc_histogram_get(a.lat_get, cum, 4, &count, &sum), 0);
  /* -1 0 0.1 0.1 -inf | 0.5 1 | 7 10 | 10.5 1e9 inf NaN */
  assert_int_equal(cum[0], 5);
  assert_int_equal(cum[1], 7);
  assert_int_equal(cum[2], 9);
  assert_int_equal(count, 13); /* NaN in +Inf only */
  assert_true(isnan(sum)); /* -inf + inf */
  uint64_t lcum[41];
  assert_int_equal(promc_histogram_get(a.longh, lcum, 41, &count, NULL), 0);
  uint64_t lcum_b[41];
  assert_int_equal(promc_histogram_get(b.longh, lcum_b, 41, NULL, NULL), 0);
  assert_memory_equal(lcum, lcum_b, sizeof lcum);
  assert_int_equal(count, 13);
  assert_int_equal(lcum[39], 7); /* up to 19.5: -3 0 0.3 0.3 1.5 3 -inf */
  char *om = render(a.r, PROMC_FORMAT_OPENMETRICS);
  assert_null(strstr(om, "lat_sum")); /* negative observations: OpenMetrics leaves the sum out */
  assert_null(strstr(om, "mixed_sum"));
  assert_non_null(strstr(om, "mixed_bucket{le=\"+Inf\"} 2\n"));
  assert_non_null(strstr(om, "plain_total 1000\n"));
  free(om);
  promc_registry_free(a.r);
  promc_registry_free(b.r);
}

static void inline_errors_match_the_library(void **state) {
  (void)state;
  struct fams f;
  fams_new(&f);
  assert_int_equal(promc_counter_inc_inline(NULL), PROMC_EINVAL);
  assert_int_equal(promc_counter_add_int_inline(NULL, 2), PROMC_EINVAL);
  assert_int_equal(promc_gauge_set_inline(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_gauge_inc_inline(NULL), PROMC_EINVAL);
  assert_int_equal(promc_histogram_observe_inline(NULL, 1), PROMC_EINVAL);
  /* a labelled family's own handle holds no value */
  assert_int_equal(promc_counter_inc_inline(f.reqs), PROMC_ECARD);
  assert_int_equal(promc_counter_inc(f.reqs), PROMC_ECARD);
  assert_int_equal(promc_counter_add_int_inline(f.reqs, 5), PROMC_ECARD);
  assert_int_equal(promc_histogram_observe_inline(f.lat, 1), PROMC_ECARD);
  assert_int_equal(promc_histogram_observe(f.lat, 1), PROMC_ECARD);
  uint64_t count = 1;
  assert_int_equal(promc_histogram_get(f.lat_get, NULL, 0, &count, NULL), 0);
  assert_int_equal(count, 0);
  assert_true(promc_counter_get(f.get) == 0);
  promc_registry_free(f.r);
}

static uint64_t stripe_block(promc_counter *c) {
  return atomic_load(&promc__series(c)->cells[2]);
}

/* One thread can show the contention check its signature: checkpoints (the
 * increment by 1 that reaches a multiple of 256) further apart than 256.
 * The same sequence must move a counter to stripes whether its increments
 * are inline or library calls, after the same number of sightings. */
static int sightings_to_stripes(promc_counter *c, int inl) {
  for (int round = 1; round <= 20; round++) {
    for (int i = 0; i < 256; i++) inl ? promc_counter_inc_inline(c) : promc_counter_inc(c);
    if (stripe_block(c)) return round;
    /* jump a checkpoint: not an increment by 1, so not sampled */
    inl ? promc_counter_add_int_inline(c, 256) : promc_counter_add_int(c, 256);
  }
  return 0;
}

static void inline_counter_moves_to_stripes_as_the_library_does(void **state) {
  (void)state;
  promc_registry *r;
  promc_counter *ci, *cl;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&ci, &(promc_opts){.name = "ci", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_counter_new(&cl, &(promc_opts){.name = "cl", .help = "h", .registry = r}), 0);
  int ri = sightings_to_stripes(ci, 1), rl = sightings_to_stripes(cl, 0);
  assert_true(rl > 1);
  assert_int_equal(ri, rl);
  assert_true(promc_counter_get(ci) == promc_counter_get(cl));
  /* striped: inline calls go through the library, and still count */
  double before = promc_counter_get(ci);
  for (int i = 0; i < 1000; i++) promc_counter_inc_inline(ci);
  promc_counter_add_int_inline(ci, 5);
  assert_true(promc_counter_get(ci) == before + 1005);
  assert_int_equal(atomic_load(&promc__series(ci)->cells[0]), (uint64_t)before); /* the cell saw none */
  promc_registry_free(r);
}

struct work {
  struct fams *f;
  promc_counter *striped;
  long n;
  int library; /* this thread uses the library calls, the others inline ones */
};

static void *worker(void *arg) {
  struct work *w = arg;
  for (long i = 0; i < w->n; i++) {
    double v = (double)(i & 3) * 0.5; /* 0 0.5 1 1.5: exact sums */
    if (w->library) {
      promc_counter_inc(w->f->plain);
      promc_counter_inc(w->striped);
      promc_counter_add_int(w->f->get, 3);
      promc_gauge_inc(w->f->temp);
      promc_histogram_observe(w->f->lat_get, v);
    } else {
      promc_counter_inc_inline(w->f->plain);
      promc_counter_inc_inline(w->striped);
      promc_counter_add_int_inline(w->f->get, 3);
      promc_gauge_inc_inline(w->f->temp);
      promc_histogram_observe_inline(w->f->lat_get, v);
    }
    if ((i & 1023) == 0) promc_gauge_set_inline(w->f->cold, (double)i); /* a racing store, read below */
  }
  return NULL;
}

static void inline_threads_give_exact_totals(void **state) {
  (void)state;
  int nthreads = g_stress ? 8 : 4;
  long n = g_stress ? 1000000 : 50000;
  struct fams f;
  fams_new(&f);
  /* one counter on stripes from the start: its inline calls all go to the library */
  promc_counter *striped;
  assert_int_equal(promc_counter_new(&striped, &(promc_opts){.name = "striped", .help = "s", .registry = f.r}), 0);
  assert_true(sightings_to_stripes(striped, 1) > 0);
  double striped0 = promc_counter_get(striped);
  pthread_t th[8];
  struct work w[8];
  for (int i = 0; i < nthreads; i++) {
    w[i] = (struct work){&f, striped, n, i == 0};
    assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
  }
  for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
  double total = (double)nthreads * (double)n;
  assert_true(promc_counter_get(f.plain) == total);
  assert_true(promc_counter_get(f.get) == 3 * total);
  assert_true(promc_counter_get(striped) == striped0 + total);
  assert_true(promc_gauge_get(f.temp) == total);
  uint64_t cum[4], count;
  double sum;
  assert_int_equal(promc_histogram_get(f.lat_get, cum, 4, &count, &sum), 0);
  assert_int_equal(count, (uint64_t)total);
  assert_int_equal(cum[0], (uint64_t)total / 4);     /* 0 */
  assert_int_equal(cum[1], (uint64_t)total * 3 / 4); /* 0.5, 1 */
  assert_int_equal(cum[2], (uint64_t)total);         /* 1.5 */
  assert_true(sum == total / 4 * 3);
  double cold = promc_gauge_get(f.cold);
  assert_true(cold >= 0 && cold < (double)n && fmod(cold, 1024) == 0);
  /* the render agrees with the reads */
  char *t = render(f.r, PROMC_FORMAT_TEXT), want[128], num[32];
  num[promc_format_double(total, num)] = 0;
  snprintf(want, sizeof want, "\nplain_total %s\n", num);
  assert_non_null(strstr(t, want));
  snprintf(want, sizeof want, "lat_count{method=\"GET\"} %s\n", num);
  assert_non_null(strstr(t, want));
  free(t);
  promc_registry_free(f.r);
}

/* The inline calls go out of line for any flag a gauge has, and for the
 * root flag of the others: ordinary children and unlabelled metrics, with
 * and without label bytes that need escaping, must have none. */
static void ordinary_children_take_the_inline_path(void **state) {
  (void)state;
  struct fams f;
  fams_new(&f);
  static const char *const who[] = {"who"};
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "g", .help = "g", .registry = f.r, .label_names = who,
                                                      .nlabel_names = 1}),
                   0);
  const void *plain[] = {f.plain, f.get, f.temp, f.lat_get, f.mixed, promc_gauge_labels(g, "a"),
                         promc_gauge_labels(g, "quote\"and\\back\nslash")};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    assert_non_null(plain[i]);
    assert_int_equal(promc__inline_handle(plain[i])->flags, 0);
  }
  assert_int_equal(promc__inline_handle(f.reqs)->flags, PROMC__INLINE_ROOT);
  promc_registry_free(f.r);
}

int main(int argc, char **argv) {
  g_stress = argc > 1 && strcmp(argv[1], "stress") == 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(inline_calls_render_as_the_library_calls),
      cmocka_unit_test(inline_errors_match_the_library),
      cmocka_unit_test(inline_counter_moves_to_stripes_as_the_library_does),
      cmocka_unit_test(inline_threads_give_exact_totals),
      cmocka_unit_test(ordinary_children_take_the_inline_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
