/* SPDX-License-Identifier: Apache-2.0 */
/* test_lifetime.c — registration and lifetime rules of the core.
 * Default mode (unit): a family is in at most one registry (sequential
 * cases), double unregister, the counter stripe pool surviving
 * promc_shutdown while families in other registries (or in none) still use
 * it, and callbacks that come back to the registry being rendered (a
 * collector or value callback creating, registering, unregistering,
 * destroying a metric, rendering, adding or removing a collector) getting
 * PROMC_ESTATE instead of deadlocking, under a watchdog alarm.
 * --stress (label stress): threads racing to register one family into two
 * registries, and to unregister it twice, over many rounds: exactly one
 * wins each race, and the renders and frees that follow are clean under
 * ASan and TSan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

static char *render(promc_registry *r) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b);
  if (rc != 0) fail_msg("render: %d %s", rc, promc_errmsg());
  if (promc_buf_write(&b, "", 1) != 0) fail_msg("out of memory");
  return b.data;
}

static int shows(promc_registry *r, const char *needle) {
  char *t = render(r);
  int found = strstr(t, needle) != NULL;
  free(t);
  return found;
}

static promc_counter *counter_in(promc_registry *r, const char *name, int no_register) {
  promc_counter *c = NULL;
  int rc = promc_counter_new(&c, &(promc_opts){.name = name, .help = "h", .registry = r, .no_register = no_register});
  if (rc != 0) fail_msg("counter_new %s: %s", name, promc_errmsg());
  return c;
}

/* ------------------------------------------------------- one registry only */
static void family_joins_one_registry_only(void **state) {
  (void)state;
  promc_registry *a, *b;
  assert_int_equal(promc_registry_new(&a), 0);
  assert_int_equal(promc_registry_new(&b), 0);
  promc_counter *c = counter_in(a, "only_in_a", 0);
  promc_counter_inc(c);
  assert_int_equal(promc_register(b, (promc_metric *)c), PROMC_ESTATE);
  assert_non_null(strstr(promc_errmsg(), "only_in_a"));
  assert_int_equal(promc_register(a, (promc_metric *)c), PROMC_ESTATE);
  assert_false(shows(b, "only_in_a"));
  promc_registry_free(a); /* frees the family; b must not see it any more */
  assert_false(shows(b, "only_in_a"));
  promc_registry_free(b);
}

static void unregister_twice_and_move(void **state) {
  (void)state;
  promc_registry *a, *b;
  assert_int_equal(promc_registry_new(&a), 0);
  assert_int_equal(promc_registry_new(&b), 0);
  promc_counter *c = counter_in(a, "mover", 0);
  promc_counter_add_int(c, 7);
  assert_int_equal(promc_unregister((promc_metric *)c), 0);
  assert_int_equal(promc_unregister((promc_metric *)c), PROMC_ENOTFOUND);
  assert_non_null(strstr(promc_errmsg(), "not registered"));
  assert_int_equal(promc_register(b, (promc_metric *)c), 0);
  assert_true(shows(b, "mover_total 7"));
  assert_false(shows(a, "mover"));
  assert_int_equal(promc_register(a, (promc_metric *)c), PROMC_ESTATE);
  assert_int_equal(promc_metric_destroy((promc_metric *)c), 0);
  assert_false(shows(b, "mover"));
  promc_registry_free(a);
  promc_registry_free(b);
}

/* ------------------------------------------------------------- stripe pool */
/* Moves an unlabelled counter to stripes the way contention does: its own
 * thread's sampled checkpoints (every 256th increment of 1) must come
 * further apart than 256, which add_int in between arranges. */
static void promote_to_stripes(promc_counter *c) {
  struct promc_series *s = promc__series(c);
  for (int round = 0; round < 64 && !atomic_load(&s->cells[2]); round++) {
    for (int i = 0; i < 256; i++) promc_counter_inc(c);
    promc_counter_add_int(c, 256);
  }
  if (!atomic_load(&s->cells[2])) fail_msg("the counter did not move to stripes");
}

static double value_of(promc_registry *r, const char *sample) {
  char *t = render(r);
  const char *p = strstr(t, sample);
  double v = p ? strtod(p + strlen(sample), NULL) : -1;
  free(t);
  return v;
}

static void shutdown_keeps_stripes_of_live_families(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *in_default = counter_in(NULL, "in_default", 0);
  promote_to_stripes(in_default);
  promc_counter *live = counter_in(r, "live", 0);
  promote_to_stripes(live);
  promc_counter *loose = counter_in(NULL, "loose", 1); /* in no registry */
  promote_to_stripes(loose);
  double before = value_of(r, "\nlive_total ");
  assert_true(before > 0);

  promc_shutdown(); /* frees the default registry, not what r and loose use */
  for (int i = 0; i < 1000; i++) promc_counter_inc(live);
  for (int i = 0; i < 1000; i++) promc_counter_inc(loose);
  assert_true(value_of(r, "\nlive_total ") == before + 1000);

  /* the pool goes with the last family, and comes back for new ones */
  promc_registry_free(r);
  assert_int_equal(promc_metric_destroy((promc_metric *)loose), 0);
  promc_registry *r2;
  assert_int_equal(promc_registry_new(&r2), 0);
  promc_counter *again = counter_in(r2, "again", 0);
  promote_to_stripes(again);
  promc_counter_inc(again);
  assert_true(value_of(r2, "\nagain_total ") > 256);
  promc_registry_free(r2);
  promc_shutdown();
}

/* ------------------------------------------------- re-entry from callbacks */
struct reentry {
  promc_registry *r, *other;
  promc_counter *victim;   /* registered in r */
  promc_counter *loose;    /* no_register */
  int rc[10];
  char msg[10][512];
};

static void note(struct reentry *e, int i, int rc) {
  e->rc[i] = rc;
  snprintf(e->msg[i], sizeof e->msg[i], "%s", rc ? promc_errmsg() : "");
}

static int meddling_collector(promc_collect *ctx, void *user) {
  struct reentry *e = user;
  promc_counter *c = NULL;
  note(e, 0, promc_counter_new(&c, &(promc_opts){.name = "made_in_scrape", .help = "h", .registry = e->r}));
  note(e, 1, promc_register(e->r, (promc_metric *)e->loose));
  note(e, 2, promc_unregister((promc_metric *)e->victim));
  note(e, 3, promc_metric_destroy((promc_metric *)e->victim));
  promc_buf b = {0};
  note(e, 4, promc_registry_render_buf(e->r, PROMC_FORMAT_TEXT, NULL, &b));
  promc_buf_free(&b);
  note(e, 5, promc_registry_add_collector(e->r, &(promc_collector){.name = "late", .collect = meddling_collector}));
  note(e, 6, promc_registry_remove_collector(e->r, "meddler"));
  /* another registry is refused too (test_reentry.c has the rest) */
  promc_counter *elsewhere = NULL;
  note(e, 7, promc_counter_new(&elsewhere, &(promc_opts){.name = "made_elsewhere", .help = "h", .registry = e->other}));
  note(e, 8, promc_registry_render_buf(e->other, PROMC_FORMAT_TEXT, NULL, &b));
  promc_buf_free(&b);
  assert_int_equal(promc_collect_family(ctx, "meddler_ok", "h", PROMC_TYPE_GAUGE, NULL), 0);
  assert_int_equal(promc_collect_sample(ctx, 0, NULL, NULL, 1), 0);
  return 0;
}

static void collector_reentry_is_refused(void **state) {
  (void)state;
  alarm(30); /* a deadlock fails the test instead of hanging ctest */
  struct reentry e = {0};
  assert_int_equal(promc_registry_new(&e.r), 0);
  assert_int_equal(promc_registry_new(&e.other), 0);
  e.victim = counter_in(e.r, "victim", 0);
  e.loose = counter_in(e.r, "loose", 1);
  promc_collector meddler = {.name = "meddler", .collect = meddling_collector, .user = &e};
  assert_int_equal(promc_registry_add_collector(e.r, &meddler), 0);
  char *t = render(e.r);
  for (int i = 0; i < 7; i++) {
    if (e.rc[i] != PROMC_ESTATE) fail_msg("call %d from the collector: %d (%s)", i, e.rc[i], e.msg[i]);
    if (!strstr(e.msg[i], "being rendered") && !strstr(e.msg[i], "registry it renders"))
      fail_msg("call %d: message \"%s\"", i, e.msg[i]);
  }
  for (int i = 7; i < 9; i++)
    if (e.rc[i] != PROMC_ESTATE || !strstr(e.msg[i], "while this thread renders a registry"))
      fail_msg("call %d (another registry) from the collector: %d (%s)", i, e.rc[i], e.msg[i]);
  assert_non_null(strstr(t, "victim_total 0"));
  assert_non_null(strstr(t, "meddler_ok 1"));
  assert_null(strstr(t, "made_in_scrape"));
  assert_null(strstr(t, "loose"));
  free(t);
  assert_false(shows(e.other, "made_elsewhere"));
  /* out of the scrape the same calls work again */
  assert_int_equal(promc_registry_remove_collector(e.r, "meddler"), 0);
  assert_int_equal(promc_register(e.r, (promc_metric *)e.loose), 0);
  assert_int_equal(promc_metric_destroy((promc_metric *)e.victim), 0);
  assert_true(shows(e.r, "loose_total 0"));
  assert_false(shows(e.r, "victim"));
  promc_registry_free(e.r);
  promc_registry_free(e.other);
  alarm(0);
}

static promc_registry *g_fn_reg;
static int g_fn_rc = 1;
static double registering_value(void *user) {
  (void)user;
  promc_gauge *g = NULL;
  g_fn_rc = promc_gauge_new(&g, &(promc_opts){.name = "made_in_callback", .help = "h", .registry = g_fn_reg});
  return 42;
}

static void value_callback_reentry_is_refused(void **state) {
  (void)state;
  alarm(30);
  assert_int_equal(promc_registry_new(&g_fn_reg), 0);
  promc_gauge *g = NULL;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "by_callback", .help = "h", .registry = g_fn_reg}), 0);
  assert_int_equal(promc_metric_set_function((promc_metric *)g, registering_value, NULL), 0);
  char *t = render(g_fn_reg);
  assert_int_equal(g_fn_rc, PROMC_ESTATE);
  assert_non_null(strstr(t, "by_callback 42"));
  assert_null(strstr(t, "made_in_callback"));
  free(t);
  promc_registry_free(g_fn_reg);
  alarm(0);
}

/* ------------------------------------------------------------------ stress */
#define ROUNDS 20000
#define RACE_SECONDS 8 /* and at most this long per race (sanitizer builds are slower) */
#define FILLERS 1000 /* families per registry: a longer collision check and list walk, a wider window */

enum race_call { RACE_REGISTER, RACE_UNREGISTER };
struct racer {
  pthread_barrier_t *go;
  enum race_call call;
  promc_registry *target;
  promc_counter *volatile *fam;
  atomic_int *ready;
  atomic_int *done; /* set by the main thread before its last start barrier */
  int rc;
};

/* Each round: wait for the start, make the call, report at the second
 * barrier; the main thread sets up the next round in between. After the
 * barrier both racers spin until the other is there too, so that their
 * calls start within nanoseconds of each other, not a futex wake apart. */
static void *race_main(void *arg) {
  struct racer *me = arg;
  for (int i = 0;; i++) { /* until the main thread says done at a start barrier */
    pthread_barrier_wait(me->go);
    if (atomic_load(me->done)) break;
    atomic_fetch_add(me->ready, 1);
    for (unsigned spins = 0; atomic_load(me->ready) < 2 * (i + 1);)
      if (++spins % 16384 == 0) sched_yield(); /* the other racer is not running: let it */
    me->rc = me->call == RACE_REGISTER ? promc_register(me->target, (promc_metric *)*me->fam)
                                       : promc_unregister((promc_metric *)*me->fam);
    pthread_barrier_wait(me->go);
  }
  return NULL;
}

static void race(enum race_call call) {
  promc_registry *reg[2];
  for (int k = 0; k < 2; k++) {
    assert_int_equal(promc_registry_new(&reg[k]), 0);
    for (int i = 0; i < FILLERS; i++) {
      char name[32];
      snprintf(name, sizeof name, "filler_%d_%d", k, i);
      (void)counter_in(reg[k], name, 0);
    }
  }
  pthread_barrier_t go;
  pthread_barrier_init(&go, NULL, 3);
  promc_counter *volatile fam = NULL;
  atomic_int ready = 0, done = 0;
  struct racer rs[2];
  pthread_t th[2];
  for (int k = 0; k < 2; k++) {
    rs[k] = (struct racer){.go = &go, .call = call, .target = reg[k], .fam = &fam, .ready = &ready, .done = &done};
    assert_int_equal(pthread_create(&th[k], NULL, race_main, &rs[k]), 0);
  }
  int loser_code = call == RACE_REGISTER ? PROMC_ESTATE : PROMC_ENOTFOUND;
  const char *what = call == RACE_REGISTER ? "register" : "unregister";
  char why[256] = ""; /* the first failure; the racers are stopped before the test fails */
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rounds = 0;
  for (int i = 0; i < ROUNDS && !why[0]; i++, rounds++) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (i >= 100 && t.tv_sec - t0.tv_sec >= RACE_SECONDS) break;
    fam = counter_in(reg[0], "contested", call == RACE_REGISTER);
    pthread_barrier_wait(&go);
    pthread_barrier_wait(&go); /* both calls returned */
    int w0 = rs[0].rc == 0, w1 = rs[1].rc == 0;
    bool check = i % 50 == 0; /* renders are slow with all the fillers: every 50th round */
    if (w0 && w1) {
      snprintf(why, sizeof why, "round %d: both %s calls returned 0", i, what);
    } else if (w0 + w1 != 1 || rs[w0 ? 1 : 0].rc != loser_code) {
      snprintf(why, sizeof why, "round %d: the %s calls returned %d and %d", i, what, rs[0].rc, rs[1].rc);
    } else if (check && call == RACE_REGISTER) {
      promc_counter_inc(fam);
      int in0 = shows(reg[0], "contested_total 1"), in1 = shows(reg[1], "contested_total 1");
      /* the loser's message is on its own thread: check the same refusal here */
      int again = promc_register(reg[w0 ? 1 : 0], (promc_metric *)fam);
      if (in0 + in1 != 1 || in0 != w0)
        snprintf(why, sizeof why, "round %d: shown in registry 0: %d, 1: %d", i, in0, in1);
      else if (again != PROMC_ESTATE || !strstr(promc_errmsg(), "already registered"))
        snprintf(why, sizeof why, "round %d: registering the winner again: %d %s", i, again, promc_errmsg());
    } else if (check && shows(reg[0], "contested_total")) {
      snprintf(why, sizeof why, "round %d: still shown after unregister", i);
    }
    if (!why[0] && promc_metric_destroy((promc_metric *)fam) != 0)
      snprintf(why, sizeof why, "round %d: destroy: %s", i, promc_errmsg());
  }
  atomic_store(&done, 1);
  pthread_barrier_wait(&go); /* the racers see done and return */
  for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
  pthread_barrier_destroy(&go);
  /* after a failure the registry lists may be corrupt: leave them */
  if (why[0]) fail_msg("%s race: %s", what, why);
  for (int k = 0; k < 2; k++) promc_registry_free(reg[k]);
  print_message("%s race: %d rounds, one winner each\n", what, rounds);
}

static void register_race_has_one_winner(void **state) {
  (void)state;
  race(RACE_REGISTER);
}

static void unregister_race_has_one_winner(void **state) {
  (void)state;
  race(RACE_UNREGISTER);
}

/* test_lifetime [--stress] [test-name-pattern] */
int main(int argc, char **argv) {
  int stress = argc > 1 && strcmp(argv[1], "--stress") == 0;
  if (argc > 1 + stress) cmocka_set_test_filter(argv[1 + stress]);
  if (stress) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_race_has_one_winner),
        cmocka_unit_test(unregister_race_has_one_winner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(family_joins_one_registry_only),
      cmocka_unit_test(unregister_twice_and_move),
      cmocka_unit_test(shutdown_keeps_stripes_of_live_families),
      cmocka_unit_test(collector_reentry_is_refused),
      cmocka_unit_test(value_callback_reentry_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
