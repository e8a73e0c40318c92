/* SPDX-License-Identifier: Apache-2.0 */
/* test_render_stress.c — scrapes walk a family's children without its lock.
 *
 * 1. creation_not_blocked: while a scrape of family g is in progress (held
 *    inside one of g's value callbacks), another thread creates a new child
 *    of g. With the family lock held across the scrape, that creation waits
 *    for the scrape, which waits for it: the callback times out and the test
 *    fails. Now the creation finishes within the callback.
 * 2. The stress run: C threads each create K children of a labelled counter
 *    family in order (and add a known amount to each), while a scraper
 *    renders the registry continuously. Every scrape must parse; list each
 *    series once; show, per creating thread, exactly a prefix of what that
 *    thread created (a scrape sees a prefix of creation order); never show
 *    fewer children than the scrape before; and never show a value above the
 *    child's final one. The last scrape shows every child with its exact
 *    value. An info family has its labels replaced meanwhile (the text a
 *    scrape copies must stay alive), a gauge callback runs each scrape, and
 *    a thread removes and revives children of a third family (each shows
 *    at most once, with 0 or 1: revival resets it, then it gets 1).
 * Usage: test_render_stress [children-per-thread] [threads] */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc/promc.h"
#include "stress_check.h"


static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sink(void *user, const char *data, size_t len) {
  (void)user, (void)data, (void)len;
  return 0;
}

/* ---------------------------------------------------- creation_not_blocked */
static promc_gauge *blk_fam;
static atomic_int blk_in_callback, blk_created, blk_created_in_callback;

static void *blk_creator(void *arg) {
  (void)arg;
  while (!atomic_load(&blk_in_callback)) {
  }
  promc_gauge *g = promc_gauge_labels(blk_fam, "new");
  if (g) promc_gauge_set(g, 1);
  atomic_store(&blk_created, g ? 1 : -1);
  return NULL;
}

static double blk_callback(void *user) {
  (void)user;
  atomic_store(&blk_in_callback, 1);
  double deadline = now_s() + 5.0; /* generous: a loaded machine may be slow to run the creator */
  while (!atomic_load(&blk_created) && now_s() < deadline) {
  }
  /* judged here, while the scrape is still in progress (once it ends, a
   * blocked creator gets through at once) */
  atomic_store(&blk_created_in_callback, atomic_load(&blk_created));
  return 7;
}

static void creation_not_blocked(void) {
  promc_registry *reg;
  promc_registry_new(&reg);
  int rc = promc_gauge_new(&blk_fam, &(promc_opts){.name = "blk", .help = "h", PROMC_LABEL_NAMES("k"),
                                                   .registry = reg});
  CHECK(rc == 0, "gauge_new: %d", rc);
  promc_metric_set_function(PROMC_METRIC(promc_gauge_labels(blk_fam, "cb")), blk_callback, NULL);
  pthread_t t;
  pthread_create(&t, NULL, blk_creator, NULL);
  double t0 = now_s();
  rc = promc_registry_render(reg, PROMC_FORMAT_TEXT, NULL, sink, NULL);
  double waited = now_s() - t0;
  pthread_join(t, NULL);
  int created_during = atomic_load(&blk_created_in_callback);
  CHECK(rc == 0, "render: %d", rc);
  CHECK(created_during == 1, "a child could not be created while its family was being scraped (%.2f s)", waited);
  promc_registry_free(reg);
}

/* -------------------------------------------------------------- stress */
static long K = 20000;
static int C = 3;
static promc_counter *fam;
static promc_info *info;
static promc_counter *rfam;
static atomic_int go, creators_done;
static atomic_long scrapes_so_far;

/* Child j of thread t gets value want(t, j). */
static uint64_t want(long t, long j) { return (uint64_t)(1 + (t * 7 + j) % 13); }

static void *creator(void *arg) {
  long t = (long)arg;
  char ts[16], js[24];
  snprintf(ts, sizeof ts, "%ld", t);
  while (!atomic_load(&go)) {
  }
  for (long j = 0; j < K; j++) {
    if (j == K / 2) /* halfway: make sure scrapes overlap creation, however the threads are scheduled */
      while (atomic_load(&scrapes_so_far) < 2) sched_yield();
    snprintf(js, sizeof js, "%ld", j);
    promc_counter *c = promc_counter_labels(fam, ts, js);
    if (!c) {
      CHECK(0, "labels(%ld, %ld) failed: %s", t, j, promc_errmsg());
      break;
    }
    promc_counter_inc(c); /* the rest after its neighbours exist */
    if (j > 0) {
      snprintf(js, sizeof js, "%ld", j - 1);
      promc_counter *p = promc_counter_labels(fam, ts, js);
      promc_counter_add(p, (double)(want(t, j - 1) - 1));
    }
  }
  snprintf(js, sizeof js, "%ld", K - 1);
  promc_counter_add(promc_counter_labels(fam, ts, js), (double)(want(t, K - 1) - 1));
  atomic_fetch_add(&creators_done, 1);
  return NULL;
}

static void *info_churn(void *arg) {
  (void)arg;
  char v[32];
  for (long i = 0; atomic_load(&creators_done) < C; i++) {
    snprintf(v, sizeof v, "build-%ld", i);
    promc_info_set(info, 1, (const char *const[]){"version"}, (const char *const[]){v});
  }
  return NULL;
}

static void *revive_churn(void *arg) {
  (void)arg;
  static const char *const keys[] = {"a", "b", "c", "d"};
  for (long i = 0; atomic_load(&creators_done) < C; i++) {
    const char *k = keys[i & 3];
    promc_metric_remove(rfam, k);
    promc_counter_inc(promc_counter_labels(rfam, k)); /* revived from zero */
  }
  return NULL;
}

static double cb_value(void *user) { return (double)++*(long *)user; }

/* Checks one scrape; *last_total is the number of children the previous one showed. */
static void check_scrape(const char *text, size_t len, long *last_total, int final) {
  long *seen_n = calloc((size_t)C, sizeof *seen_n);
  unsigned char *seen = calloc((size_t)(C * K), 1);
  long total = 0;
  unsigned rseen = 0;
  const char *end = text + len;
  for (const char *p = text; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    CHECK(nl, "scrape does not end in a newline");
    if (!nl) break;
    if (strncmp(p, "c_total{", 8) == 0) {
      long t, j;
      uint64_t v;
      int n = 0;
      if (sscanf(p, "c_total{t=\"%ld\",j=\"%ld\"} %" SCNu64 "%n", &t, &j, &v, &n) != 3 || p + n != nl ||
          t < 0 || t >= C || j < 0 || j >= K) {
        CHECK(0, "unparsable line: %.*s", (int)(nl - p), p);
      } else {
        CHECK(!seen[t * K + j], "series t=%ld j=%ld listed twice", t, j);
        seen[t * K + j] = 1;
        seen_n[t]++;
        total++;
        CHECK(v <= want(t, j), "t=%ld j=%ld shows %" PRIu64 " (final %" PRIu64 ")", t, j, v, want(t, j));
        if (final) CHECK(v == want(t, j), "final t=%ld j=%ld = %" PRIu64 ", want %" PRIu64, t, j, v, want(t, j));
      }
    } else if (strncmp(p, "i_info{", 7) == 0) {
      CHECK(strncmp(p, "i_info{version=\"build-", 22) == 0 && strncmp(nl - 4, "\"} 1", 4) == 0,
            "info line torn: %.*s", (int)(nl - p), p);
    } else if (strncmp(p, "r_total{", 8) == 0) {
      char k = 0;
      unsigned long v = 9;
      int n = 0;
      CHECK(sscanf(p, "r_total{k=\"%c\"} %lu%n", &k, &v, &n) == 2 && p + n == nl && k >= 'a' && k <= 'd' &&
                v <= 1 && !(rseen & (1u << (k - 'a'))),
            "revived child line: %.*s", (int)(nl - p), p);
      if (k >= 'a' && k <= 'd') rseen |= 1u << (k - 'a');
    } else if (strncmp(p, "g ", 2) == 0) {
      CHECK(atof(p + 2) >= 1, "callback gauge: %.*s", (int)(nl - p), p);
    } else {
      CHECK(p[0] == '#', "unexpected line: %.*s", (int)(nl - p), p);
    }
    p = nl + 1;
  }
  for (long t = 0; t < C; t++) /* each thread creates in order: a prefix of its own */
    for (long j = 0; j < seen_n[t]; j++)
      if (!seen[t * K + j]) {
        CHECK(0, "thread %ld: child %ld missing but %ld shown (not a prefix)", t, j, seen_n[t]);
        break;
      }
  CHECK(total >= *last_total, "scrape shows %ld children after %ld", total, *last_total);
  if (final) CHECK(total == C * K, "final scrape shows %ld children, want %ld", total, C * K);
  *last_total = total;
  free(seen);
  free(seen_n);
}

static void stress(void) {
  promc_registry *reg;
  promc_registry_new(&reg);
  promc_counter_new(&fam, &(promc_opts){.name = "c", .help = "h", PROMC_LABEL_NAMES("t", "j"), .registry = reg});
  promc_info_new(&info, &(promc_opts){.name = "i", .help = "h", .registry = reg});
  promc_info_set(info, 1, (const char *const[]){"version"}, (const char *const[]){"build-start"});
  promc_counter_new(&rfam, &(promc_opts){.name = "r", .help = "h", PROMC_LABEL_NAMES("k"), .registry = reg});
  promc_gauge *g;
  promc_gauge_new(&g, &(promc_opts){.name = "g", .help = "h", .registry = reg});
  long calls = 0;
  promc_metric_set_function(PROMC_METRIC(g), cb_value, &calls);
  pthread_t th[64], ic, rc_thread;
  for (long t = 0; t < C; t++) pthread_create(&th[t], NULL, creator, (void *)t);
  pthread_create(&ic, NULL, info_churn, NULL);
  pthread_create(&rc_thread, NULL, revive_churn, NULL);
  atomic_store(&go, 1);
  long scrapes = 0, last_total = 0;
  promc_buf buf = {0};
  for (int done = 0; !done;) {
    done = atomic_load(&creators_done) == C;
    buf.len = 0;
    int rc = promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &buf);
    CHECK(rc == 0, "render: %d %s", rc, promc_errmsg());
    check_scrape(buf.data, buf.len, &last_total, done);
    atomic_store(&scrapes_so_far, ++scrapes);
  }
  for (long t = 0; t < C; t++) pthread_join(th[t], NULL);
  pthread_join(ic, NULL);
  pthread_join(rc_thread, NULL);
  printf("stress: %ld scrapes, %ld children, %ld callback calls\n", scrapes, last_total, calls);
  CHECK(scrapes >= 3, "only %ld scrapes: nothing overlapped", scrapes);
  promc_buf_free(&buf);
  promc_registry_free(reg);
}

int main(int argc, char **argv) {
  if (argc > 1) K = atol(argv[1]);
  if (argc > 2) C = atoi(argv[2]);
  if (K < 1 || C < 1 || C > 64) {
    fprintf(stderr, "usage: %s [children-per-thread] [threads 1..64]\n", argv[0]);
    return 2;
  }
  creation_not_blocked();
  stress();
  if (failures) fprintf(stderr, "%ld failures\n", failures);
  else printf("ok\n");
  return failures ? 1 : 0;
}
