/* SPDX-License-Identifier: Apache-2.0 */
/* test_helpers.c — the instrumentation helpers (client_python's time(),
 * count_exceptions(), track_inprogress(), set_function(),
 * set_to_current_time()): timers into histogram/summary/gauge, failure
 * counting, in-progress tracking across threads, scrape-time values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "batch_util.h"

BU_REGISTRY_FIXTURE(g_reg)

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ timers */
static void timer_block_puts_sleep_in_right_bucket(void **state) {
  (void)state;
  promc_histogram *h;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "work_seconds", .help = "h",
                                                          PROMC_BUCKETS(0.05, 0.1, 0.5, 1),
                                                          .registry = g_reg}),
                   0);
  PROMC_TIME_BLOCK(h) { bu_sleep_ms(200); }
  uint64_t cum[5], count;
  double sum;
  assert_int_equal(promc_histogram_get(h, cum, 5, &count, &sum), 0);
  /* 0.2 s: not in le=0.05 or le=0.1, in le=0.5 (0.3 s of scheduling slack) */
  assert_int_equal(cum[0], 0);
  assert_int_equal(cum[1], 0);
  assert_int_equal(cum[2], 1);
  assert_int_equal(cum[3], 1);
  assert_int_equal(cum[4], 1);
  assert_int_equal(count, 1);
  assert_true(sum >= 0.2 && sum < 0.5);
  /* the same seen by a scrape */
  char *text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "work_seconds_bucket{le=\"0.1\"}") == 0);
  assert_true(bu_sample(text, "work_seconds_bucket{le=\"0.5\"}") == 1);
  assert_true(bu_sample(text, "work_seconds_count") == 1);
  free(text);
}

/* promc.h: "Leaving the block by break ends it normally". */
static void time_block_break_still_records(void **state) {
  (void)state;
  promc_histogram *h;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "step_seconds", .help = "h",
                                                          PROMC_BUCKETS(0.05, 1), .registry = g_reg}),
                   0);
  for (int i = 0; i < 3; i++) {
    PROMC_TIME_BLOCK(h) {
      if (i == 1) break;
    }
  }
  uint64_t cum[3], count;
  double sum;
  assert_int_equal(promc_histogram_get(h, cum, 3, &count, &sum), 0);
  if (count != 3) fail_msg("3 timed blocks (one left by break) recorded %llu observations", (unsigned long long)count);
  assert_int_equal(cum[0], 3); /* three near-zero durations */
}

#ifdef PROMC_HAVE_TIME_SCOPE
static int timed_with_early_return(promc_summary *s, int fail) {
  PROMC_TIME_SCOPE(s);
  bu_sleep_ms(30);
  if (fail) return -1; /* the cleanup attribute records this exit too */
  bu_sleep_ms(30);
  return 0;
}
#endif

static void timer_scope_and_manual_timers(void **state) {
  (void)state;
  promc_summary *s;
  assert_int_equal(promc_summary_new(&s, &(promc_opts){.name = "call_seconds", .help = "s", .registry = g_reg}), 0);
  uint64_t count;
  double sum;
#ifdef PROMC_HAVE_TIME_SCOPE
  assert_int_equal(timed_with_early_return(s, 1), -1);
  assert_int_equal(timed_with_early_return(s, 0), 0);
  assert_int_equal(promc_summary_get(s, &count, &sum), 0);
  assert_int_equal(count, 2);
  assert_true(sum >= 0.09 && sum < 0.5);
#else
  fail_msg("PROMC_TIME_SCOPE is expected with GCC and Clang");
#endif
  /* manual timer into a gauge: set, not added */
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "last_run_seconds", .help = "g", .registry = g_reg}), 0);
  promc_gauge_set(g, 100);
  promc_timer t = promc_timer_start(PROMC_METRIC(g));
  bu_sleep_ms(20);
  double secs = -1;
  assert_int_equal(promc_timer_stop(&t, &secs), 0);
  assert_true(secs >= 0.02 && secs < 0.5);
  assert_true(promc_gauge_get(g) == secs);
  /* a second stop is ignored */
  assert_int_equal(promc_timer_stop(&t, NULL), 0);
  assert_true(promc_gauge_get(g) == secs);
  /* a counter cannot take a duration */
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "ticks", .help = "c", .registry = g_reg}), 0);
  promc_timer tc = promc_timer_start(PROMC_METRIC(c));
  assert_int_equal(promc_timer_stop(&tc, NULL), PROMC_ETYPE);
  assert_true(promc_counter_get(c) == 0);
  assert_int_equal(promc_timer_stop(NULL, NULL), PROMC_EINVAL);
  /* the monotonic clock is CLOCK_MONOTONIC in nanoseconds */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t mono = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  int64_t got = promc_monotonic_ns();
  assert_true(got >= mono && got - mono < 100000000);
}

/* --------------------------------------------------------- count failures */
static int g_calls;
/* fails (returns -5) on every third invocation */
static long flaky(void) { return (++g_calls % 3 == 0) ? -5 : 42; }
/* a predicate for a call that reports errors as values > 400 */
static int http_error(long rc, void *user) {
  (*(int *)user)++;
  return rc >= 400;
}

static void count_failures_counts_every_third(void **state) {
  (void)state;
  promc_counter *errs;
  assert_int_equal(promc_counter_new(&errs, &(promc_opts){.name = "job_failures", .help = "f", .registry = g_reg}),
                   0);
  g_calls = 0;
  int ok = 0;
  for (int i = 0; i < 30; i++) {
    long rc = promc_count_failures(errs, flaky(), NULL, NULL);
    assert_true(rc == 42 || rc == -5); /* returned unchanged */
    if (rc == 42) ok++;
  }
  assert_int_equal(ok, 20);
  assert_true(promc_counter_get(errs) == 10);
  char *text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "job_failures_total") == 10);
  free(text);

  int seen = 0;
  promc_counter *http;
  assert_int_equal(promc_counter_new(&http, &(promc_opts){.name = "http_failures", .help = "f", .registry = g_reg}),
                   0);
  const long codes[] = {200, 404, 500, 201, -1};
  for (size_t i = 0; i < 5; i++) assert_int_equal(promc_count_failures(http, codes[i], http_error, &seen), codes[i]);
  assert_int_equal(seen, 5);
  assert_true(promc_counter_get(http) == 2); /* -1 is not an error for this predicate */
}

/* ------------------------------------------------------------- in progress */
enum { NTHREADS = 4 };
static pthread_barrier_t g_in, g_out;
static promc_gauge *g_inprog;

static void *worker(void *arg) {
  (void)arg;
  PROMC_TRACK_INPROGRESS(g_inprog) {
    pthread_barrier_wait(&g_in);  /* all inside */
    pthread_barrier_wait(&g_out); /* main has looked */
  }
  return NULL;
}

static void inprogress_rises_and_falls_across_threads(void **state) {
  (void)state;
  assert_int_equal(promc_gauge_new(&g_inprog, &(promc_opts){.name = "jobs_in_progress", .help = "g", .registry = g_reg}),
                   0);
  for (int round = 0; round < 3; round++) {
    pthread_barrier_init(&g_in, NULL, NTHREADS + 1);
    pthread_barrier_init(&g_out, NULL, NTHREADS + 1);
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, NULL), 0);
    pthread_barrier_wait(&g_in);
    assert_true(promc_gauge_get(g_inprog) == NTHREADS);
    char *text = bu_render(g_reg, NULL);
    assert_true(bu_sample(text, "jobs_in_progress") == NTHREADS);
    free(text);
    pthread_barrier_wait(&g_out);
    for (int i = 0; i < NTHREADS; i++) pthread_join(th[i], NULL);
    assert_true(promc_gauge_get(g_inprog) == 0);
    pthread_barrier_destroy(&g_in);
    pthread_barrier_destroy(&g_out);
  }
}

/* promc.h: "PROMC_TRACK_INPROGRESS(g) { ...work... }   (break ok; not return)". */
static void track_inprogress_break_still_decrements(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "busy", .help = "g", .registry = g_reg}), 0);
  PROMC_TRACK_INPROGRESS(g) {
    assert_true(promc_gauge_get(g) == 1);
    break;
  }
  if (promc_gauge_get(g) != 0) fail_msg("after break out of PROMC_TRACK_INPROGRESS the gauge is %g, not 0", promc_gauge_get(g));
}

/* ------------------------------------------------------ values at scrape */
static double read_value(void *user) { return *(double *)user; }
static int g_fn_calls;
static double count_calls(void *user) {
  (void)user;
  return ++g_fn_calls;
}

static void set_function_read_at_scrape(void **state) {
  (void)state;
  double queue_len = 7;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "queue_length", .help = "g", .registry = g_reg}), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(g), read_value, &queue_len), 0);
  char *text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "queue_length") == 7);
  free(text);
  queue_len = 12.5;
  text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "queue_length") == 12.5);
  free(text);

  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "scrapes", .help = "c", .registry = g_reg}), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(c), count_calls, NULL), 0);
  g_fn_calls = 0;
  text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "scrapes_total") == 1);
  free(text);
  text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "scrapes_total") == 2);
  free(text);

  /* a labelled family: only children take a function */
  promc_gauge *lg;
  assert_int_equal(promc_gauge_new(&lg, &(promc_opts){.name = "pool_size", .help = "g", PROMC_LABEL_NAMES("pool"),
                                                      .registry = g_reg}),
                   0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(lg), read_value, &queue_len), PROMC_ECARD);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(promc_gauge_labels(lg, "db")), read_value, &queue_len), 0);
  text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "pool_size{pool=\"db\"}") == 12.5);
  free(text);
  /* histograms cannot */
  promc_histogram *h;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "lat_seconds", .help = "h", .registry = g_reg}), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(h), read_value, &queue_len), PROMC_ETYPE);
  assert_int_equal(promc_metric_set_function(NULL, read_value, &queue_len), PROMC_EINVAL);

  /* NULL turns it off: the stored value shows again */
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(g), NULL, NULL), 0);
  promc_gauge_set(g, 3);
  text = bu_render(g_reg, NULL);
  assert_true(bu_sample(text, "queue_length") == 3);
  free(text);
}

static void set_to_current_time_is_wall_clock(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "last_success_unixtime", .help = "g", .registry = g_reg}),
                   0);
  double before = wall();
  assert_int_equal(promc_gauge_set_to_current_time(g), 0);
  double after = wall();
  double v = promc_gauge_get(g);
  if (!(v >= before && v <= after)) fail_msg("gauge %.9f not in wall-clock window [%.9f, %.9f]", v, before, after);
  assert_true(v > 1.6e9); /* seconds since the epoch, not a monotonic reading */
  double w = promc_wall_seconds();
  assert_true(fabs(w - wall()) < 0.1);
  assert_int_equal(promc_gauge_set_to_current_time(NULL), PROMC_EINVAL);
}

int main(int argc, char **argv) {
  /* "--break": the break-out-of-block cases, a separate ctest entry
   * (test_helpers_break) so that they are reported on their own */
  if (argc == 2 && strcmp(argv[1], "--break") == 0) {
    const struct CMUnitTest brk[] = {
        cmocka_unit_test_setup_teardown(time_block_break_still_records, setup, teardown),
        cmocka_unit_test_setup_teardown(track_inprogress_break_still_decrements, setup, teardown),
    };
    return cmocka_run_group_tests_name("helpers_break", brk, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(timer_block_puts_sleep_in_right_bucket, setup, teardown),
      cmocka_unit_test_setup_teardown(timer_scope_and_manual_timers, setup, teardown),
      cmocka_unit_test_setup_teardown(count_failures_counts_every_third, setup, teardown),
      cmocka_unit_test_setup_teardown(inprogress_rises_and_falls_across_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(set_function_read_at_scrape, setup, teardown),
      cmocka_unit_test_setup_teardown(set_to_current_time_is_wall_clock, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
