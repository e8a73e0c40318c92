/* SPDX-License-Identifier: Apache-2.0 */
/* test_mp.c — multi-process mode: exact aggregation across forked processes,
 * series created after the fork, folding of dead processes (exit and
 * SIGKILL), slot reuse, gauge modes, and recovery from a process killed
 * while it held the shared lock. Each test uses its own registry and family
 * names (the shared directory is keyed by family name). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "asan_detect.h"

#include "promc/multiprocess.h"
#include "promc/promc.h"

static char tmpdir[] = "/tmp/promc-mp-test-XXXXXX";

static int group_setup(void **state) {
  (void)state;
  if (!mkdtemp(tmpdir)) return -1;
  return promc_multiprocess_enable(&(promc_mp_opts){.dir = tmpdir, .max_processes = 16});
}
static int group_teardown(void **state) {
  (void)state;
  promc_shutdown();
  rmdir(tmpdir); /* the mapping's file was unlinked at enable: the directory is empty */
  return 0;
}

/* ------------------------------------------------------------ helpers */
static char *render(promc_registry *r) {
  static promc_buf b;
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0); /* NUL-terminate */
  return b.data;
}

/* The value of the sample line starting with `name_and_labels `; NAN if absent. */
static double sample(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ') return strtod(p + kl + 1, NULL);
  return NAN;
}

static int count_lines(const char *text, const char *prefix) {
  int n = 0;
  size_t pl = strlen(prefix);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, prefix, pl) == 0) n++;
  return n;
}

static void expect_sample(const char *text, const char *key, double want) {
  double got = sample(text, key);
  if (!(got == want)) fail_msg("%s: want %.17g, got %.17g in:\n%s", key, want, got, text);
}

/* A child process: runs fn(arg), then reports on `done` and waits for a
 * byte on `go` before exiting (so the parent can inspect it alive). */
struct child {
  pid_t pid;
  int done[2], go[2];
};

static void child_start(struct child *c, void (*fn)(void *), void *arg) {
  assert_int_equal(pipe(c->done), 0);
  assert_int_equal(pipe(c->go), 0);
  c->pid = fork();
  assert_true(c->pid >= 0);
  if (c->pid == 0) {
    close(c->done[0]);
    close(c->go[1]);
    fn(arg);
    char x = 1;
    if (write(c->done[1], &x, 1) != 1) _exit(3);
    ssize_t r;
    do r = read(c->go[0], &x, 1);
    while (r < 0 && errno == EINTR);
    _exit(0);
  }
  close(c->done[1]);
  close(c->go[0]);
}

static void child_wait_done(struct child *c) {
  char x;
  ssize_t r;
  do r = read(c->done[0], &x, 1);
  while (r < 0 && errno == EINTR);
  assert_int_equal(r, 1);
}

static void child_exit(struct child *c) {
  char x = 1;
  assert_int_equal(write(c->go[1], &x, 1), 1);
  int st;
  assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  close(c->done[0]);
  close(c->go[1]);
}

static void child_kill(struct child *c) {
  assert_int_equal(kill(c->pid, SIGKILL), 0);
  int st;
  assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
  assert_true(WIFSIGNALED(st));
  close(c->done[0]);
  close(c->go[1]);
}

static double now_s(void) { return (double)promc_monotonic_ns() / 1e9; }

/* A child left stalled inside the shared lock when a test fails is killed
 * by the test's teardown, so a failure never leaves a process behind. */
static pid_t stalled = -1;
static int kill_stalled(void **state) {
  (void)state;
  if (stalled > 0) {
    kill(stalled, SIGKILL);
    waitpid(stalled, NULL, 0);
  }
  stalled = -1;
  return 0;
}

/* --------------------------------------------- exact aggregation */
static promc_counter *agg_plain, *agg_lab;
static promc_histogram *agg_hist;
static promc_summary *agg_sum;

static void *hammer(void *arg) {
  for (int i = 0; i < 100000; i++) promc_counter_inc((promc_counter *)arg);
  return NULL;
}

static void agg_work(void *arg) {
  long id = (long)arg;
  /* 4 threads on one counter: the core would stripe it if it could, and a
   * striped count would be invisible to other processes */
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, hammer, agg_plain);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  promc_counter_add(agg_plain, 0.5);
  promc_counter_add_int(promc_counter_labels(agg_lab, "shared"), 10);
  char mine[32];
  snprintf(mine, sizeof mine, "child%ld", id); /* a tuple only this child creates */
  promc_counter_add_int(promc_counter_labels(agg_lab, mine), (uint64_t)id);
  for (int i = 0; i < 100; i++) promc_histogram_observe(agg_hist, i < 50 ? 0.5 : 5.0);
  promc_summary_observe(agg_sum, 2.0);
}

static void counters_histograms_summaries_aggregate_exactly(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&agg_plain, &(promc_opts){.name = "agg_plain", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_counter_new(&agg_lab, &(promc_opts){.name = "agg_lab", .help = "h", .registry = r,
                                                               PROMC_LABEL_NAMES("who")}),
                   0);
  assert_int_equal(promc_histogram_new(&agg_hist, &(promc_opts){.name = "agg_hist", .help = "h", .registry = r,
                                                                  PROMC_BUCKETS(1, 10)}),
                   0);
  assert_int_equal(promc_summary_new(&agg_sum, &(promc_opts){.name = "agg_sum", .help = "h", .registry = r}), 0);
  promc_counter_inc(agg_plain); /* the parent's own contribution */
  promc_counter_add_int(promc_counter_labels(agg_lab, "shared"), 1);

  struct child c[4];
  for (long i = 0; i < 4; i++) child_start(&c[i], agg_work, (void *)(i + 1));
  for (int i = 0; i < 4; i++) child_wait_done(&c[i]);

  for (int phase = 0; phase < 3; phase++) {
    /* phase 0: all alive; 1: two exited, two SIGKILLed; 2: a second scrape */
    if (phase == 1) {
      child_exit(&c[0]);
      child_exit(&c[1]);
      child_kill(&c[2]);
      child_kill(&c[3]);
    }
    char *t = render(r);
    expect_sample(t, "agg_plain_total", 1 + 4 * 400000 + 4 * 0.5);
    expect_sample(t, "agg_lab_total{who=\"shared\"}", 1 + 4 * 10);
    expect_sample(t, "agg_lab_total{who=\"child1\"}", 1);
    expect_sample(t, "agg_lab_total{who=\"child4\"}", 4);
    expect_sample(t, "agg_hist_bucket{le=\"1\"}", 200);
    expect_sample(t, "agg_hist_bucket{le=\"10\"}", 400);
    expect_sample(t, "agg_hist_bucket{le=\"+Inf\"}", 400);
    expect_sample(t, "agg_hist_count", 400);
    expect_sample(t, "agg_hist_sum", 4 * (50 * 0.5 + 50 * 5.0));
    expect_sample(t, "agg_sum_count", 4);
    expect_sample(t, "agg_sum_sum", 8);
    promc_mp_stats st;
    assert_int_equal(promc_multiprocess_stats(&st), 0);
    assert_int_equal(st.live_processes, phase == 0 ? 5 : 1);
  }
  /* the parent's own view is its own contribution only */
  assert_true(promc_counter_get(agg_plain) == 1);
  promc_registry_free(r);
}

/* ------------------------------------------- slots are reused */
static promc_counter *reuse_c;
static promc_gauge *reuse_g;
static void reuse_work(void *arg) {
  (void)arg;
  promc_counter_inc(reuse_c);
  promc_gauge_set(reuse_g, 7);
}

static void dead_slots_are_freed_and_reused(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&reuse_c, &(promc_opts){.name = "reuse", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_gauge_new(&reuse_g, &(promc_opts){.name = "reuse_live", .help = "h", .registry = r,
                                                            .mp_gauge_mode = PROMC_MP_GAUGE_LIVESUM}),
                   0);
  promc_mp_stats before;
  assert_int_equal(promc_multiprocess_stats(&before), 0);
  /* 60 deaths with 16 slots: only folding makes room */
  for (int i = 0; i < 60; i++) {
    struct child c;
    child_start(&c, reuse_work, NULL);
    child_wait_done(&c);
    if (i % 2) child_kill(&c);
    else child_exit(&c);
  }
  char *t = render(r);
  expect_sample(t, "reuse_total", 60);
  assert_true(isnan(sample(t, "reuse_live"))); /* live-only: every writer is dead */
  promc_mp_stats st;
  assert_int_equal(promc_multiprocess_stats(&st), 0);
  assert_int_equal(st.overflow_forks, before.overflow_forks);
  assert_int_equal(st.live_processes, 1);
  assert_true(st.folds >= before.folds + 60);
  promc_registry_free(r);
}

/* --------------------------------------------------- mark_dead */
static promc_counter *md_c;
static promc_gauge *md_g;
static void md_work(void *arg) {
  (void)arg;
  promc_counter_add_int(md_c, 5);
  promc_gauge_set(md_g, 3);
}

static void mark_dead_folds_at_once(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&md_c, &(promc_opts){.name = "md", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_gauge_new(&md_g, &(promc_opts){.name = "md_live", .help = "h", .registry = r,
                                                          .mp_gauge_mode = PROMC_MP_GAUGE_LIVEALL}),
                   0);
  struct child c;
  child_start(&c, md_work, NULL);
  child_wait_done(&c);
  char *t = render(r);
  char key[64];
  snprintf(key, sizeof key, "md_live{pid=\"%ld\"}", (long)c.pid);
  expect_sample(t, key, 3);
  promc_mp_stats a, b;
  assert_int_equal(promc_multiprocess_stats(&a), 0);
  child_exit(&c);
  assert_int_equal(promc_multiprocess_mark_dead(c.pid), 0);
  assert_int_equal(promc_multiprocess_mark_dead(c.pid), PROMC_ENOTFOUND);
  assert_int_equal(promc_multiprocess_mark_dead(getpid()), PROMC_EINVAL);
  assert_int_equal(promc_multiprocess_stats(&b), 0);
  assert_int_equal(b.folds, a.folds + 1);
  t = render(r);
  expect_sample(t, "md_total", 5);
  assert_true(isnan(sample(t, key)));
  promc_registry_free(r);
}

/* --------------------------------------------------- gauge modes */
struct gm_case {
  const char *name;
  promc_mp_gauge_mode mode;
  double want;  /* single-value modes */
  int per_pid;  /* 1 = a pid label: want each live (and for ALL dead) value */
  int dead_too; /* per_pid: dead processes' values are kept */
};
static const struct gm_case gm_cases[] = {
    {"gm_all", PROMC_MP_GAUGE_ALL, 0, 1, 1},
    {"gm_liveall", PROMC_MP_GAUGE_LIVEALL, 0, 1, 0},
    {"gm_min", PROMC_MP_GAUGE_MIN, 5, 0, 0},
    {"gm_max", PROMC_MP_GAUGE_MAX, 50, 0, 0},
    {"gm_sum", PROMC_MP_GAUGE_SUM, 95, 0, 0},
    {"gm_livesum", PROMC_MP_GAUGE_LIVESUM, 40, 0, 0},
    {"gm_mostrecent", PROMC_MP_GAUGE_MOSTRECENT, 50, 0, 0},
    {"gm_livemin", PROMC_MP_GAUGE_LIVEMIN, 10, 0, 0},
    {"gm_livemax", PROMC_MP_GAUGE_LIVEMAX, 30, 0, 0},
    {"gm_livemostrecent", PROMC_MP_GAUGE_LIVEMOSTRECENT, 30, 0, 0},
};
#define GM_N (sizeof gm_cases / sizeof gm_cases[0])
static promc_gauge *gm[GM_N];
static const double gm_values[4] = {10, 5, 30, 50}; /* children 0..3; 1 and 3 die */

static void gm_work(void *arg) {
  long i = (long)arg;
  for (size_t k = 0; k < GM_N; k++) {
    promc_gauge *child = promc_gauge_labels(gm[k], "x");
    promc_gauge_set(child, gm_values[i] - 1);
    promc_gauge_inc(child); /* an add counts as a write too */
  }
}

static void gauge_modes_combine_processes(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  for (size_t k = 0; k < GM_N; k++)
    assert_int_equal(promc_gauge_new(&gm[k], &(promc_opts){.name = gm_cases[k].name, .help = "h", .registry = r,
                                                            .mp_gauge_mode = gm_cases[k].mode,
                                                            PROMC_LABEL_NAMES("k")}),
                     0);
  /* one after the other, so "most recent" is child 3 (dead), then child 2 */
  struct child c[4];
  for (long i = 0; i < 4; i++) {
    child_start(&c[i], gm_work, (void *)i);
    child_wait_done(&c[i]);
  }
  child_kill(&c[1]);
  child_exit(&c[3]);
  char *t = render(r);
  for (size_t k = 0; k < GM_N; k++) {
    const struct gm_case *gc = &gm_cases[k];
    char key[128];
    if (!gc->per_pid) {
      snprintf(key, sizeof key, "%s{k=\"x\"}", gc->name);
      expect_sample(t, key, gc->want);
      continue;
    }
    int want_lines = 0;
    for (int i = 0; i < 4; i++) {
      bool dead = i == 1 || i == 3;
      snprintf(key, sizeof key, "%s{k=\"x\",pid=\"%ld\"}", gc->name, (long)c[i].pid);
      if (!dead || gc->dead_too) {
        expect_sample(t, key, gm_values[i]);
        want_lines++;
      } else if (!isnan(sample(t, key))) {
        fail_msg("%s: dead process %d still shown in:\n%s", gc->name, i, t);
      }
    }
    snprintf(key, sizeof key, "%s{", gc->name);
    assert_int_equal(count_lines(t, key), want_lines);
  }
  /* the parent's own unlabelled gauge in "all" mode carries its pid */
  promc_gauge *own;
  assert_int_equal(promc_gauge_new(&own, &(promc_opts){.name = "gm_own", .help = "h", .registry = r}), 0);
  promc_gauge_set(own, 1.5);
  t = render(r);
  char key[64];
  snprintf(key, sizeof key, "gm_own{pid=\"%ld\"}", (long)getpid());
  expect_sample(t, key, 1.5);
  child_exit(&c[0]);
  child_exit(&c[2]);
  t = render(r);
  snprintf(key, sizeof key, "gm_livesum{k=\"x\"}");
  assert_true(isnan(sample(t, key)));
  expect_sample(t, "gm_sum{k=\"x\"}", 95);
  expect_sample(t, "gm_min{k=\"x\"}", 5);
  expect_sample(t, "gm_max{k=\"x\"}", 50);
  promc_registry_free(r);
}

static void gauge_pid_label_is_reserved_in_all_modes(void **state) {
  (void)state;
  promc_registry *r;
  promc_gauge *g;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "pidlab", .help = "h", .registry = r,
                                                      PROMC_LABEL_NAMES("pid")}),
                   PROMC_ELABEL);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "pidlab", .help = "h", .registry = r,
                                                      .mp_gauge_mode = PROMC_MP_GAUGE_SUM, PROMC_LABEL_NAMES("pid")}),
                   0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "badmode", .help = "h", .registry = r,
                                                      .mp_gauge_mode = (promc_mp_gauge_mode)99}),
                   PROMC_EINVAL);
  promc_registry_free(r);
}

/* ------------------------------- a lock holder killed mid-update */
static promc_counter *lk_c;
static void lk_stall_create(void *arg) {
  (void)arg;
  setenv("PROMC__MP_TEST_STALL", "create", 1);
  promc_counter_inc(promc_counter_labels(lk_c, "stalled")); /* never returns */
}

static pid_t wait_holder(pid_t pid) {
  double t0 = now_s();
  promc_mp_stats st;
  do {
    assert_int_equal(promc_multiprocess_stats(&st), 0);
    if (st.lock_holder == pid) return pid;
    usleep(1000);
  } while (now_s() - t0 < 10);
  fail_msg("child %ld never took the lock", (long)pid);
  return 0;
}

static void killed_creator_does_not_wedge_others(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&lk_c, &(promc_opts){.name = "lk", .help = "h", .registry = r,
                                                           PROMC_LABEL_NAMES("k")}),
                   0);
  promc_counter_inc(promc_counter_labels(lk_c, "before"));
  promc_mp_stats a;
  assert_int_equal(promc_multiprocess_stats(&a), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    lk_stall_create(NULL);
    _exit(1);
  }
  stalled = pid;
  wait_holder(pid);
  /* another worker wants to create a series meanwhile: it waits for the lock */
  int done[2];
  assert_int_equal(pipe(done), 0);
  pid_t other = fork();
  assert_true(other >= 0);
  if (other == 0) {
    promc_counter *o = promc_counter_labels(lk_c, "other");
    promc_counter_add_int(o, 5);
    double t = now_s();
    _exit(write(done[1], &t, sizeof t) == sizeof t ? 0 : 1);
  }
  usleep(100000);
  /* it published the entry but had not indexed it when it stopped */
  double killed_at = now_s();
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  stalled = -1;
  double other_done = 0;
  assert_int_equal(read(done[0], &other_done, sizeof other_done), sizeof other_done);
  int ost;
  assert_int_equal(waitpid(other, &ost, 0), other);
  assert_true(WIFEXITED(ost) && WEXITSTATUS(ost) == 0);
  close(done[0]);
  close(done[1]);
  if (other_done - killed_at >= 1.0) fail_msg("the waiting worker needed %.3f s after the kill", other_done - killed_at);

  double t0 = now_s();
  promc_counter *s = promc_counter_labels(lk_c, "stalled"); /* must find the published entry */
  assert_non_null(s);
  promc_counter_add_int(s, 2);
  promc_counter_inc(promc_counter_labels(lk_c, "after"));
  char *t = render(r);
  double dt = now_s() - t0;
  if (dt >= 1.0) fail_msg("creation and scrape took %.3f s after the holder died", dt);
  expect_sample(t, "lk_total{k=\"before\"}", 1);
  expect_sample(t, "lk_total{k=\"stalled\"}", 2);
  expect_sample(t, "lk_total{k=\"after\"}", 1);
  expect_sample(t, "lk_total{k=\"other\"}", 5);
  assert_int_equal(count_lines(t, "lk_total{k=\"stalled\"}"), 1);
  promc_mp_stats b;
  assert_int_equal(promc_multiprocess_stats(&b), 0);
  assert_int_equal(b.recoveries, a.recoveries + 1);
  assert_int_equal(b.series, a.series + 3); /* "stalled" once, "other", "after" */
  assert_int_equal(b.lock_holder, 0);
  promc_registry_free(r);
}

static promc_counter *fk_c;
static promc_histogram *fk_h;
static void fk_work(void *arg) {
  (void)arg;
  promc_counter_add_int(fk_c, 1000);
  promc_histogram_observe(fk_h, 0.5);
  promc_histogram_observe(fk_h, 3);
}

static void killed_folder_is_finished_exactly(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&fk_c, &(promc_opts){.name = "fk", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_histogram_new(&fk_h, &(promc_opts){.name = "fk_h", .help = "h", .registry = r,
                                                              PROMC_BUCKETS(1, 2)}),
                   0);
  promc_counter_add_int(fk_c, 7);
  struct child dead;
  child_start(&dead, fk_work, NULL);
  child_wait_done(&dead);
  child_exit(&dead);
  /* a second process folds the dead one and is killed half-way through */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    setenv("PROMC__MP_TEST_STALL", "fold", 1);
    (void)promc_multiprocess_reap();
    _exit(1);
  }
  stalled = pid;
  wait_holder(pid);
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  stalled = -1;
  double t0 = now_s();
  char *t = render(r);
  if (now_s() - t0 >= 1.0) fail_msg("scrape took too long after the folder died");
  expect_sample(t, "fk_total", 1007);
  expect_sample(t, "fk_h_bucket{le=\"1\"}", 1);
  expect_sample(t, "fk_h_bucket{le=\"+Inf\"}", 2);
  expect_sample(t, "fk_h_count", 2);
  expect_sample(t, "fk_h_sum", 3.5);
  t = render(r); /* and stays exact */
  expect_sample(t, "fk_total", 1007);
  expect_sample(t, "fk_h_count", 2);
  promc_registry_free(r);
}

static promc_counter *st_c;
static void stuck_holder_bounds_the_scrape(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&st_c, &(promc_opts){.name = "stuck", .help = "h", .registry = r,
                                                           PROMC_LABEL_NAMES("k")}),
                   0);
  for (int i = 0; i < 50; i++) {
    char v[8];
    snprintf(v, sizeof v, "%d", i);
    promc_counter_add_int(promc_counter_labels(st_c, v), (uint64_t)i);
  }
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    setenv("PROMC__MP_TEST_STALL", "create", 1);
    promc_counter_inc(promc_counter_labels(st_c, "new")); /* stays inside, alive */
    _exit(1);
  }
  stalled = pid;
  wait_holder(pid);
  /* the holder is alive: a scrape waits once (1 s), then reads without the lock */
  double t0 = now_s();
  char *t = render(r);
  double dt = now_s() - t0;
  if (dt >= 2.5) fail_msg("scrape took %.2f s with a stuck lock holder", dt);
  expect_sample(t, "stuck_total{k=\"49\"}", 49);
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  stalled = -1;
  t0 = now_s();
  t = render(r);
  if (now_s() - t0 >= 1.0) fail_msg("scrape slow after the stuck holder died");
  expect_sample(t, "stuck_total{k=\"0\"}", 0);
  expect_sample(t, "stuck_total{k=\"49\"}", 49);
  promc_registry_free(r);
}

/* ------------------------------------ more processes than slots */
static promc_counter *ov_c;
static void ov_work(void *arg) {
  (void)arg;
  promc_counter_add_int(ov_c, 3);
}

static void more_processes_than_slots_stay_exact(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&ov_c, &(promc_opts){.name = "ov", .help = "h", .registry = r}), 0);
  promc_mp_stats a, b;
  assert_int_equal(promc_multiprocess_stats(&a), 0);
  struct child c[20]; /* 16 slots, the parent holds one: at least 5 overflow */
  for (int i = 0; i < 20; i++) child_start(&c[i], ov_work, NULL);
  for (int i = 0; i < 20; i++) child_wait_done(&c[i]);
  assert_int_equal(promc_multiprocess_stats(&b), 0);
  assert_true(b.overflow_forks >= a.overflow_forks + 5);
  expect_sample(render(r), "ov_total", 60);
  for (int i = 0; i < 20; i++) child_exit(&c[i]);
  expect_sample(render(r), "ov_total", 60);
  promc_registry_free(r);
}

/* ------------------------------------------- zombies are dead */
static promc_gauge *zb_g;
static void zombie_is_folded_before_it_is_reaped(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_gauge_new(&zb_g, &(promc_opts){.name = "zb", .help = "h", .registry = r,
                                                         .mp_gauge_mode = PROMC_MP_GAUGE_LIVESUM}),
                   0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    promc_gauge_set(zb_g, 5);
    _exit(0);
  }
  double t0 = now_s();
  char *t;
  /* not waited for: the child stays a zombie, which must count as dead */
  while (!isnan(sample(t = render(r), "zb")) && now_s() - t0 < 5) usleep(2000);
  assert_true(isnan(sample(t, "zb")));
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  promc_registry_free(r);
}

/* ----------------------- fork while another thread renders */
static promc_registry *fr_reg;
static promc_counter *fr_c;
static atomic_int fr_stop;
static void *fr_render(void *arg) {
  (void)arg;
  promc_buf b = {0};
  while (!atomic_load(&fr_stop)) {
    b.len = 0;
    promc_registry_render_buf(fr_reg, PROMC_FORMAT_TEXT, NULL, &b);
  }
  promc_buf_free(&b);
  return NULL;
}

static void fork_while_rendering_does_not_deadlock(void **state) {
  (void)state;
#ifdef TEST_ASAN
  /* AddressSanitizer's allocator (clang 14, gcc 12) takes no lock around
   * fork: a child forked while the rendering thread is inside malloc waits
   * on that thread's allocator lock for good, whatever the library does.
   * The plain build, with glibc's fork-safe malloc, runs this test. */
  print_message("not run under AddressSanitizer: its allocator is not fork-safe while another thread "
                "allocates; the plain build runs it\n");
  skip();
#endif
  assert_int_equal(promc_registry_new(&fr_reg), 0);
  assert_int_equal(promc_counter_new(&fr_c, &(promc_opts){.name = "fr", .help = "h", .registry = fr_reg,
                                                           PROMC_LABEL_NAMES("k")}),
                   0);
  for (int i = 0; i < 2000; i++) { /* so that the renderer spends its time holding the locks */
    char v[16];
    snprintf(v, sizeof v, "p%d", i);
    promc_counter_inc(promc_counter_labels(fr_c, v));
  }
  atomic_store(&fr_stop, 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fr_render, NULL), 0);
  for (int i = 0; i < 40; i++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* takes the family, registry and shared locks the renderer uses */
      char v[16];
      snprintf(v, sizeof v, "c%d", i);
      promc_counter_inc(promc_counter_labels(fr_c, v));
      promc_buf b = {0};
      promc_registry_render_buf(fr_reg, PROMC_FORMAT_TEXT, NULL, &b);
      _exit(0);
    }
    double t0 = now_s();
    int st;
    pid_t w;
    while ((w = waitpid(pid, &st, WNOHANG)) == 0 && now_s() - t0 < 10) usleep(1000);
    if (w != pid) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      atomic_store(&fr_stop, 1);
      pthread_join(th, NULL);
      fail_msg("child %d forked during a render did not finish in 10 s", i);
    }
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  atomic_store(&fr_stop, 1);
  pthread_join(th, NULL);
  char *t = render(fr_reg);
  expect_sample(t, "fr_total{k=\"c0\"}", 1);
  expect_sample(t, "fr_total{k=\"c39\"}", 1);
  promc_registry_free(fr_reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(counters_histograms_summaries_aggregate_exactly),
      cmocka_unit_test(dead_slots_are_freed_and_reused),
      cmocka_unit_test(mark_dead_folds_at_once),
      cmocka_unit_test(gauge_modes_combine_processes),
      cmocka_unit_test(gauge_pid_label_is_reserved_in_all_modes),
      cmocka_unit_test_teardown(killed_creator_does_not_wedge_others, kill_stalled),
      cmocka_unit_test_teardown(killed_folder_is_finished_exactly, kill_stalled),
      cmocka_unit_test_teardown(stuck_holder_bounds_the_scrape, kill_stalled),
      cmocka_unit_test(more_processes_than_slots_stay_exact),
      cmocka_unit_test(zombie_is_folded_before_it_is_reaped),
      cmocka_unit_test(fork_while_rendering_does_not_deadlock),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
