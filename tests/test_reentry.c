/* SPDX-License-Identifier: Apache-2.0 */
/* test_reentry.c — what a collector, value callback or render write
 * function may do while its render holds locks: each call either works or
 * returns PROMC_ESTATE with a message, never deadlocks, and what was
 * recorded stays. Every case runs under an alarm, so a deadlock fails the
 * test in seconds instead of hanging ctest.
 * Default mode (unit): set_function / info_set on the family being
 * rendered (refused), on other families (work), children created from a
 * callback (work), and everything that would take another registry's lock
 * or create or free a family (refused).
 * --stress (label stress): two threads rendering two registries whose
 * collectors render, or whose value callbacks set functions on, each
 * other's, both inside their callbacks at once (a barrier makes sure).
 * --mp (multi-process mode, label stress): a fork while a value callback
 * creates or destroys a store-held family. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asan_detect.h"
#include "promc/multiprocess.h"
#include "promc/promc.h"

#define WATCHDOG_S 20

static char *render(promc_registry *r) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b);
  if (rc != 0) fail_msg("render: %d %s", rc, promc_errmsg());
  if (promc_buf_write(&b, "", 1) != 0) fail_msg("out of memory");
  return b.data;
}

static void expect_in(promc_registry *r, const char *needle) {
  char *t = render(r);
  if (!strstr(t, needle)) fail_msg("\"%s\" not in:\n%s", needle, t);
  free(t);
}

struct call {
  int rc;
  char msg[600];
};

static void note(struct call *c, int rc) {
  c->rc = rc;
  snprintf(c->msg, sizeof c->msg, "%s", rc ? promc_errmsg() : "");
}

static void expect_refused(const struct call *c, const char *what, const char *needle) {
  if (c->rc != PROMC_ESTATE) fail_msg("%s: %d (%s), want PROMC_ESTATE", what, c->rc, c->msg);
  if (!strstr(c->msg, needle)) fail_msg("%s: message \"%s\" lacks \"%s\"", what, c->msg, needle);
  if (!strstr(c->msg, "outside the scrape")) fail_msg("%s: message \"%s\" says nothing to do", what, c->msg);
}

static void expect_ok(const struct call *c, const char *what) {
  if (c->rc != 0) fail_msg("%s: %d (%s), want 0", what, c->rc, c->msg);
}

/* ---------------------------------------- set_function on its own family */
static double seven(void *u) {
  (void)u;
  return 7;
}

struct own {
  promc_gauge *g, *lab, *lab_child;
  struct call self, sibling, off;
};

static double setting_itself(void *u) {
  struct own *o = u;
  note(&o->self, promc_metric_set_function((promc_metric *)o->g, seven, NULL));
  note(&o->off, promc_metric_set_function((promc_metric *)o->g, NULL, NULL));
  return 3;
}

static double setting_a_sibling(void *u) {
  struct own *o = u;
  promc_gauge *other = promc_gauge_labels(o->lab, "b");
  note(&o->sibling, promc_metric_set_function((promc_metric *)other, seven, NULL));
  return 4;
}

static void set_function_on_the_family_being_rendered_is_refused(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  struct own o = {0};
  assert_int_equal(promc_gauge_new(&o.g, &(promc_opts){.name = "own", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_gauge_new(&o.lab, &(promc_opts){.name = "lab", .help = "h", .registry = r,
                                                          PROMC_LABEL_NAMES("k")}),
                   0);
  assert_int_equal(promc_metric_set_function((promc_metric *)o.g, setting_itself, &o), 0);
  o.lab_child = promc_gauge_labels(o.lab, "a");
  assert_non_null(o.lab_child);
  assert_int_equal(promc_metric_set_function((promc_metric *)o.lab_child, setting_a_sibling, &o), 0);
  char *t = render(r);
  expect_refused(&o.self, "set_function on its own gauge", "being rendered by this thread");
  expect_refused(&o.off, "set_function(NULL) on its own gauge", "\"own\"");
  expect_refused(&o.sibling, "set_function on a child of the same family", "\"lab\"");
  /* the callbacks set before stay, and the scrape went on */
  assert_non_null(strstr(t, "own 3\n"));
  assert_non_null(strstr(t, "lab{k=\"a\"} 4\n"));
  free(t);
  t = render(r);
  assert_non_null(strstr(t, "own 3\n"));
  assert_non_null(strstr(t, "lab{k=\"b\"} 0\n")); /* created by the callback; its function was refused */
  free(t);
  /* outside the scrape the same calls work */
  assert_int_equal(promc_metric_set_function((promc_metric *)o.g, seven, NULL), 0);
  expect_in(r, "own 7\n");
  promc_registry_free(r);
  alarm(0);
}

/* --------------------------- info_set from the write function of its render */
struct info_sink {
  promc_info *info;
  int calls;
  struct call set;
  promc_buf out;
};

static int info_setting_sink(void *user, const char *data, size_t len) {
  struct info_sink *s = user;
  if (s->calls++ == 0)
    note(&s->set, promc_info_set(s->info, 1, (const char *[]){"version"}, (const char *[]){"replaced"}));
  return promc_buf_write(&s->out, data, len);
}

static void info_set_from_the_write_function_of_its_render_is_refused(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  struct info_sink s = {0};
  assert_int_equal(promc_info_new(&s.info, &(promc_opts){.name = "build", .help = "h", .registry = r}), 0);
  /* longer than the render's own buffer: the write function is called
   * while the info family's render holds its value lock */
  size_t big = 40000;
  char *v = malloc(big + 1);
  assert_non_null(v);
  memset(v, 'x', big);
  v[big] = 0;
  assert_int_equal(promc_info_set(s.info, 1, (const char *[]){"version"}, (const char *[]){v}), 0);
  free(v);
  assert_int_equal(promc_registry_render(r, PROMC_FORMAT_TEXT, NULL, info_setting_sink, &s), 0);
  expect_refused(&s.set, "info_set from the write function", "\"build\"");
  assert_non_null(strstr(s.out.data, "build_info{version=\"xxxx"));
  promc_buf_free(&s.out);
  expect_in(r, "build_info{version=\"xxxx"); /* the labels set before stay */
  assert_int_equal(promc_info_set(s.info, 1, (const char *[]){"version"}, (const char *[]){"1.2"}), 0);
  expect_in(r, "build_info{version=\"1.2\"} 1");
  promc_registry_free(r);
  alarm(0);
}

/* ------------------------------------------- other families keep working */
struct others {
  promc_gauge *same_reg, *other_reg, *driver;
  promc_counter *children;
  promc_info *info;
  struct call set_same, set_other, info_other, child, collector_set;
};

static double eleven(void *u) {
  (void)u;
  return 11;
}

static double setting_others(void *u) {
  struct others *o = u;
  note(&o->set_same, promc_metric_set_function((promc_metric *)o->same_reg, eleven, NULL));
  note(&o->set_other, promc_metric_set_function((promc_metric *)o->other_reg, eleven, NULL));
  note(&o->info_other, promc_info_set(o->info, 1, (const char *[]){"v"}, (const char *[]){"from_callback"}));
  promc_counter *c = promc_counter_labels(o->children, "made_in_callback");
  note(&o->child, c ? 0 : -1);
  if (c) promc_counter_add(c, 2);
  return 1;
}

static int setting_collector(promc_collect *ctx, void *u) {
  struct others *o = u;
  note(&o->collector_set, promc_metric_set_function((promc_metric *)o->driver, eleven, NULL));
  (void)ctx;
  return 0;
}

static void callbacks_may_set_other_families_and_create_children(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  promc_registry *a, *b;
  assert_int_equal(promc_registry_new(&a), 0);
  assert_int_equal(promc_registry_new(&b), 0);
  struct others o = {0};
  assert_int_equal(promc_gauge_new(&o.driver, &(promc_opts){.name = "driver", .help = "h", .registry = a}), 0);
  assert_int_equal(promc_gauge_new(&o.same_reg, &(promc_opts){.name = "same_reg", .help = "h", .registry = a}), 0);
  assert_int_equal(promc_gauge_new(&o.other_reg, &(promc_opts){.name = "other_reg", .help = "h", .registry = b}), 0);
  assert_int_equal(promc_info_new(&o.info, &(promc_opts){.name = "other_info", .help = "h", .registry = b}), 0);
  assert_int_equal(promc_counter_new(&o.children, &(promc_opts){.name = "kids", .help = "h", .registry = a,
                                                                 PROMC_LABEL_NAMES("k")}),
                   0);
  assert_int_equal(promc_metric_set_function((promc_metric *)o.driver, setting_others, &o), 0);
  char *t = render(a);
  expect_ok(&o.set_same, "set_function on another family of the registry");
  expect_ok(&o.set_other, "set_function on a family of another registry");
  expect_ok(&o.info_other, "info_set on a family of another registry");
  expect_ok(&o.child, "a child created from a value callback");
  assert_non_null(strstr(t, "driver 1\n"));
  free(t);
  t = render(a);
  assert_non_null(strstr(t, "same_reg 11\n"));
  assert_non_null(strstr(t, "kids_total{k=\"made_in_callback\"} 4\n")); /* this render's callback added 2 more */
  free(t);
  expect_in(b, "other_reg 11\n");
  expect_in(b, "other_info{v=\"from_callback\"} 1\n");
  /* a collector holds no value lock: even the family it drives can be set */
  assert_int_equal(promc_registry_add_collector(a, &(promc_collector){.name = "setter", .collect = setting_collector,
                                                                       .user = &o}),
                   0);
  free(render(a));
  expect_ok(&o.collector_set, "set_function from a collector");
  expect_in(a, "driver 11\n");
  promc_registry_free(a);
  promc_registry_free(b);
  alarm(0);
}

/* ------------------------------------- other registries: refused, not waited */
struct reach {
  promc_registry *other, *fresh; /* fresh: never rendered */
  promc_counter *kept;  /* registered in other */
  promc_counter *loose; /* no_register */
  struct call c[10];
};

static int noop_collect(promc_collect *ctx, void *u) {
  (void)ctx;
  (void)u;
  return 0;
}

static void reach_into_other(struct reach *e) {
  promc_buf b = {0};
  note(&e->c[0], promc_registry_render_buf(e->other, PROMC_FORMAT_TEXT, NULL, &b));
  promc_buf_free(&b);
  promc_registry *pair[2] = {e->fresh, e->other};
  note(&e->c[1], promc_registries_render_buf(pair, 2, PROMC_FORMAT_TEXT, NULL, &b));
  promc_buf_free(&b);
  promc_counter *c = NULL;
  note(&e->c[2], promc_counter_new(&c, &(promc_opts){.name = "made_elsewhere", .help = "h", .registry = e->other}));
  note(&e->c[3], promc_counter_new(&c, &(promc_opts){.name = "made_loose", .help = "h", .no_register = 1}));
  note(&e->c[4], promc_register(e->other, (promc_metric *)e->loose));
  note(&e->c[5], promc_unregister((promc_metric *)e->kept));
  note(&e->c[6], promc_metric_destroy((promc_metric *)e->kept));
  note(&e->c[7], promc_registry_add_collector(e->other, &(promc_collector){.name = "late", .collect = noop_collect}));
  note(&e->c[8], promc_registry_remove_collector(e->other, "absent"));
  promc_registry_free(e->fresh); /* refused: recorded, nothing freed */
  note(&e->c[9], strstr(promc_errmsg(), "registry_free") ? PROMC_ESTATE : 0);
}

static int reaching_collector(promc_collect *ctx, void *u) {
  (void)ctx;
  reach_into_other(u);
  return 0;
}

static double reaching_value(void *u) {
  reach_into_other(u);
  return 5;
}

static void check_reach(struct reach *e, const char *from) {
  static const char *const what[10] = {"render",   "registries_render", "create in it",
                                       "create unregistered", "register", "unregister",
                                       "destroy",  "add_collector",     "remove_collector",
                                       "registry_free"};
  for (int i = 0; i < 10; i++) {
    char w[120];
    snprintf(w, sizeof w, "%s from a %s", what[i], from);
    if (i == 9) { /* registry_free returns nothing: its message is the record */
      if (e->c[i].rc != PROMC_ESTATE) fail_msg("%s: nothing recorded", w);
      continue;
    }
    expect_refused(&e->c[i], w, "while this thread renders a registry");
  }
}

static void other_registries_are_refused_from_callbacks(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  for (int by_value = 0; by_value < 2; by_value++) {
    promc_registry *r;
    struct reach e = {0};
    assert_int_equal(promc_registry_new(&r), 0);
    assert_int_equal(promc_registry_new(&e.other), 0);
    assert_int_equal(promc_registry_new(&e.fresh), 0);
    assert_int_equal(promc_counter_new(&e.kept, &(promc_opts){.name = "kept", .help = "h", .registry = e.other}), 0);
    assert_int_equal(promc_counter_new(&e.loose, &(promc_opts){.name = "loose", .help = "h", .no_register = 1}), 0);
    promc_counter_add(e.kept, 3);
    if (by_value) {
      promc_gauge *g;
      assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "reacher", .help = "h", .registry = r}), 0);
      assert_int_equal(promc_metric_set_function((promc_metric *)g, reaching_value, &e), 0);
    } else {
      assert_int_equal(promc_registry_add_collector(r, &(promc_collector){.name = "reacher",
                                                                           .collect = reaching_collector, .user = &e}),
                       0);
    }
    free(render(r));
    check_reach(&e, by_value ? "value callback" : "collector");
    /* nothing was lost, and out of the scrape the same calls work */
    char *t = render(e.other);
    assert_non_null(strstr(t, "kept_total 3\n"));
    assert_null(strstr(t, "made_elsewhere"));
    assert_null(strstr(t, "loose"));
    free(t);
    assert_int_equal(promc_register(e.other, (promc_metric *)e.loose), 0);
    expect_in(e.other, "loose_total 0\n");
    assert_int_equal(promc_metric_destroy((promc_metric *)e.kept), 0);
    assert_true(strstr(t = render(e.fresh), "") != NULL); /* still alive */
    free(t);
    promc_registry_free(r);
    promc_registry_free(e.other);
    promc_registry_free(e.fresh);
  }
  alarm(0);
}

/* ------------------------- the default registry first asked for by a callback */
static struct call g_default_call;

static int rendering_default(promc_collect *ctx, void *u) {
  (void)ctx;
  (void)u;
  promc_buf b = {0};
  note(&g_default_call, promc_registry_render_buf(NULL, PROMC_FORMAT_TEXT, NULL, &b));
  promc_buf_free(&b);
  return 0;
}

static void default_registry_made_in_a_callback_keeps_its_collectors(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_registry_add_collector(r, &(promc_collector){.name = "d", .collect = rendering_default}), 0);
  free(render(r)); /* the first promc_default_registry() of this process is inside a collector */
  expect_refused(&g_default_call, "render of the default registry", "while this thread renders a registry");
  expect_in(NULL, "promc_build_info{"); /* its default collectors went in all the same */
  promc_registry_free(r);
  alarm(0);
}

/* ------------------------------------------------------------------ stress */
static pthread_barrier_t g_both_inside, g_round_done;

struct pair_render {
  promc_registry *self, *peer;
  struct call nested;
  int rounds;
};

static int rendering_peer(promc_collect *ctx, void *u) {
  (void)ctx;
  struct pair_render *p = u;
  pthread_barrier_wait(&g_both_inside); /* both threads hold their own registry's lock now */
  promc_buf b = {0};
  note(&p->nested, promc_registry_render_buf(p->peer, PROMC_FORMAT_TEXT, NULL, &b));
  promc_buf_free(&b);
  return 0;
}

static void *render_loop(void *u) {
  struct pair_render *p = u;
  for (int i = 0; i < p->rounds; i++) {
    promc_buf b = {0};
    int rc = promc_registry_render_buf(p->self, PROMC_FORMAT_TEXT, NULL, &b);
    if (rc) fprintf(stderr, "render: %d %s\n", rc, promc_errmsg());
    if (p->nested.rc != PROMC_ESTATE) fprintf(stderr, "nested render: %d %s\n", p->nested.rc, p->nested.msg);
    if (rc || p->nested.rc != PROMC_ESTATE || !b.data || !strstr(b.data, "mine_total 1")) {
      promc_buf_free(&b);
      return (void *)1;
    }
    promc_buf_free(&b);
  }
  return NULL;
}

static void registries_whose_collectors_render_each_other_do_not_deadlock(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  promc_registry *a, *b;
  assert_int_equal(promc_registry_new(&a), 0);
  assert_int_equal(promc_registry_new(&b), 0);
  promc_counter *ca, *cb;
  assert_int_equal(promc_counter_new(&ca, &(promc_opts){.name = "mine", .help = "h", .registry = a}), 0);
  assert_int_equal(promc_counter_new(&cb, &(promc_opts){.name = "mine", .help = "h", .registry = b}), 0);
  promc_counter_inc(ca);
  promc_counter_inc(cb);
  struct pair_render pa = {.self = a, .peer = b, .rounds = 200}, pb = {.self = b, .peer = a, .rounds = 200};
  promc_collector xa = {.name = "x", .collect = rendering_peer, .user = &pa};
  promc_collector xb = {.name = "x", .collect = rendering_peer, .user = &pb};
  assert_int_equal(promc_registry_add_collector(a, &xa), 0);
  assert_int_equal(promc_registry_add_collector(b, &xb), 0);
  assert_int_equal(pthread_barrier_init(&g_both_inside, NULL, 2), 0);
  pthread_t t1, t2;
  assert_int_equal(pthread_create(&t1, NULL, render_loop, &pa), 0);
  assert_int_equal(pthread_create(&t2, NULL, render_loop, &pb), 0);
  void *r1, *r2;
  pthread_join(t1, &r1);
  pthread_join(t2, &r2);
  pthread_barrier_destroy(&g_both_inside);
  assert_null(r1);
  assert_null(r2);
  expect_refused(&pa.nested, "render of the peer", "while this thread renders a registry");
  promc_registry_free(a);
  promc_registry_free(b);
  alarm(0);
}

struct cross {
  promc_gauge *self, *peer;
  struct call set;
  int rounds;
  promc_registry *reg;
};

static struct cross g_cross[2];

static double setting_peer_0(void *u);
static double setting_peer_1(void *u);

static double setting_peer_n(int i) {
  struct cross *x = &g_cross[i];
  pthread_barrier_wait(&g_both_inside); /* both threads hold their own family's value lock now */
  note(&x->set, promc_metric_set_function((promc_metric *)x->peer, i ? setting_peer_0 : setting_peer_1, NULL));
  return 2;
}
static double setting_peer_0(void *u) {
  (void)u;
  return setting_peer_n(0);
}
static double setting_peer_1(void *u) {
  (void)u;
  return setting_peer_n(1);
}

static int g_cross_results[2][3];

static void *cross_loop(void *u) {
  int i = (int)(intptr_t)u;
  struct cross *x = &g_cross[i];
  for (int k = 0; k < x->rounds; k++) {
    char *t = render(x->reg);
    int ok = strstr(t, "fam 2\n") != NULL;
    free(t);
    /* neither starts its next render (and takes its value lock again)
     * before the other's has finished */
    pthread_barrier_wait(&g_round_done);
    if (!ok) return (void *)1;
    int rc = x->set.rc;
    g_cross_results[i][rc == 0 ? 0 : rc == PROMC_ESTATE ? 1 : 2]++;
    if (rc == PROMC_ESTATE && !strstr(x->set.msg, "outside the scrape")) return (void *)2;
  }
  return NULL;
}

static void renders_whose_callbacks_set_each_others_family_do_not_deadlock(void **state) {
  (void)state;
  alarm(WATCHDOG_S);
  promc_registry *r[2];
  for (int i = 0; i < 2; i++) {
    assert_int_equal(promc_registry_new(&r[i]), 0);
    g_cross[i].reg = r[i];
    g_cross[i].rounds = 3; /* each round costs the bounded wait once */
    assert_int_equal(promc_gauge_new(&g_cross[i].self, &(promc_opts){.name = "fam", .help = "h", .registry = r[i]}), 0);
  }
  g_cross[0].peer = g_cross[1].self;
  g_cross[1].peer = g_cross[0].self;
  assert_int_equal(promc_metric_set_function((promc_metric *)g_cross[0].self, setting_peer_0, NULL), 0);
  assert_int_equal(promc_metric_set_function((promc_metric *)g_cross[1].self, setting_peer_1, NULL), 0);
  assert_int_equal(pthread_barrier_init(&g_both_inside, NULL, 2), 0);
  assert_int_equal(pthread_barrier_init(&g_round_done, NULL, 2), 0);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, cross_loop, (void *)(intptr_t)i), 0);
  void *res[2];
  for (int i = 0; i < 2; i++) pthread_join(t[i], &res[i]);
  pthread_barrier_destroy(&g_both_inside);
  pthread_barrier_destroy(&g_round_done);
  assert_null(res[0]);
  assert_null(res[1]);
  /* each round one side went along the lock order and waited; the other
   * gave up after the bounded wait */
  for (int i = 0; i < 2; i++) assert_int_equal(g_cross_results[i][2], 0);
  assert_int_equal(g_cross_results[0][0] + g_cross_results[1][0], 3);
  assert_int_equal(g_cross_results[0][1] + g_cross_results[1][1], 3);
  for (int i = 0; i < 2; i++) promc_registry_free(r[i]);
  alarm(0);
}

/* ---------------------------------------------------------- multi-process */
static char tmpdir[] = "/tmp/promc-reentry-XXXXXX";
static atomic_int g_in_callback;
static int g_mp_action; /* 0: create a family; 1: destroy one */
static promc_counter *g_doomed;
static struct call g_mp_call;

static double store_touching_value(void *u) {
  (void)u;
  atomic_store(&g_in_callback, 1);
  /* long enough for the fork on the main thread to take the store's list
   * lock and wait for this render's registry lock */
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  if (g_mp_action == 0) {
    promc_counter *c = NULL;
    note(&g_mp_call, promc_counter_new(&c, &(promc_opts){.name = "made_in_callback", .help = "h", .no_register = 1}));
  } else {
    note(&g_mp_call, promc_metric_destroy((promc_metric *)g_doomed));
  }
  return 1;
}

static void *render_once(void *u) {
  free(render(u));
  return NULL;
}

static void fork_while_a_callback_touches_the_store_does_not_deadlock(void **state) {
  (void)state;
#ifdef TEST_ASAN
  /* as test_mp's fork_while_rendering_does_not_deadlock: AddressSanitizer's
   * allocator takes no lock around fork, and the rendering thread allocates */
  print_message("not run under AddressSanitizer: its allocator is not fork-safe while another thread "
                "allocates; the plain build and ThreadSanitizer run it\n");
  skip();
#endif
  alarm(WATCHDOG_S);
  for (g_mp_action = 0; g_mp_action < 2; g_mp_action++) {
    promc_registry *r;
    assert_int_equal(promc_registry_new(&r), 0);
    promc_gauge *g;
    assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "touching", .help = "h", .registry = r,
                                                        .mp_gauge_mode = PROMC_MP_GAUGE_LIVESUM}),
                     0);
    /* a name per round: a store-held series outlives its family in this process's slot */
    const char *doomed = g_mp_action ? "doomed1" : "doomed0";
    assert_int_equal(promc_counter_new(&g_doomed, &(promc_opts){.name = doomed, .help = "h", .no_register = 1}), 0);
    promc_counter_add(g_doomed, 5);
    assert_int_equal(promc_metric_set_function((promc_metric *)g, store_touching_value, NULL), 0);
    atomic_store(&g_in_callback, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, render_once, r), 0);
    while (!atomic_load(&g_in_callback)) usleep(1000);
    pid_t pid = fork();
    assert_true(pid >= 0);
    /* the child leaves without exit-time checks: under ThreadSanitizer its
     * copy of the rendering thread would count as a leaked thread */
    if (pid == 0) syscall(SYS_exit_group, 0);
    int st;
    pid_t w = waitpid(pid, &st, 0);
    pthread_join(th, NULL);
    assert_int_equal(w, pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    expect_refused(&g_mp_call, g_mp_action ? "destroying a family" : "creating a family",
                   "while this thread renders a registry");
    if (promc_counter_get(g_doomed) != 5) fail_msg("doomed: %g", promc_counter_get(g_doomed)); /* not destroyed */
    assert_int_equal(promc_metric_destroy((promc_metric *)g_doomed), 0);
    promc_registry_free(r);
  }
  alarm(0);
}

static int mp_setup(void **state) {
  (void)state;
  if (!mkdtemp(tmpdir)) return -1;
  return promc_multiprocess_enable(&(promc_mp_opts){.dir = tmpdir, .max_processes = 16});
}

static int mp_teardown(void **state) {
  (void)state;
  promc_shutdown();
  rmdir(tmpdir);
  return 0;
}

/* [--stress | --mp] [test name pattern] */
int main(int argc, char **argv) {
  int mode = argc > 1 && argv[1][0] == '-' && argv[1][1] == '-';
  if (argc > 1 + mode) cmocka_set_test_filter(argv[1 + mode]);
  if (argc > 1 && strcmp(argv[1], "--mp") == 0) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_while_a_callback_touches_the_store_does_not_deadlock),
    };
    return cmocka_run_group_tests(tests, mp_setup, mp_teardown);
  }
  if (argc > 1 && strcmp(argv[1], "--stress") == 0) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registries_whose_collectors_render_each_other_do_not_deadlock),
        cmocka_unit_test(renders_whose_callbacks_set_each_others_family_do_not_deadlock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(default_registry_made_in_a_callback_keeps_its_collectors), /* first: no default registry yet */
      cmocka_unit_test(set_function_on_the_family_being_rendered_is_refused),
      cmocka_unit_test(info_set_from_the_write_function_of_its_render_is_refused),
      cmocka_unit_test(callbacks_may_set_other_families_and_create_children),
      cmocka_unit_test(other_registries_are_refused_from_callbacks),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  promc_shutdown();
  return failed;
}
