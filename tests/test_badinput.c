/* SPDX-License-Identifier: Apache-2.0 */
/* test_badinput.c — every public entry point handed bad input returns its
 * documented error, sets a message, and leaves earlier values intact. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "promc/promc.h"

static promc_registry *reg;
static promc_counter *ctr, *ctr_l, *ctr_child;
static promc_gauge *gauge;
static promc_histogram *hist, *hist_l;
static promc_summary *summ;
static promc_info *info;
static promc_enum *en;
static promc_registry *other;

static const char *exposition(void) {
  static promc_buf b;
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
  return b.data;
}

/* A fixed set of recorded values; every bad call must leave it as it was. */
static void record_baseline(void) {
  promc_counter_add(ctr, 41);
  promc_counter_add(ctr_child, 7);
  promc_gauge_set(gauge, 2.5);
  promc_histogram_observe(hist, 0.3);
  promc_summary_observe(summ, 4);
  promc_info_set(info, 1, (const char *[]){"v"}, (const char *[]){"1"});
  promc_enum_set(en, 1);
}

static int setup(void **state) {
  (void)state;
  if (promc_registry_new(&reg) || promc_registry_new(&other)) return -1;
  int rc = promc_counter_new(&ctr, &(promc_opts){.name = "base_total", .help = "b", .registry = reg});
  rc |= promc_counter_new(&ctr_l, &(promc_opts){.name = "lab", .help = "l", .registry = reg, PROMC_LABEL_NAMES("a", "b")});
  rc |= promc_gauge_new(&gauge, &(promc_opts){.name = "g", .help = "g", .registry = reg});
  rc |= promc_histogram_new(&hist, &(promc_opts){.name = "h", .help = "h", .registry = reg});
  rc |= promc_histogram_new(&hist_l, &(promc_opts){.name = "hl", .help = "h", .registry = reg, PROMC_LABEL_NAMES("x")});
  rc |= promc_summary_new(&summ, &(promc_opts){.name = "s", .help = "s", .registry = reg});
  rc |= promc_info_new(&info, &(promc_opts){.name = "i", .help = "i", .registry = reg});
  rc |= promc_enum_new(&en, &(promc_opts){.name = "e", .help = "e", .registry = reg, PROMC_STATES("a", "b")});
  if (rc) return -1;
  ctr_child = promc_counter_labels(ctr_l, "x", "y");
  record_baseline();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  promc_registry_free(reg);
  promc_registry_free(other);
  return 0;
}

static void create_rejects_bad_options(void **state) {
  (void)state;
  static const double non_monotone[] = {1, 0.5, 2}, dup_bucket[] = {1, 1}, nan_bucket[] = {1, NAN};
  static const char *const bad_const[] = {"__x"}, *const cval[] = {"v"}, *const null_val[] = {NULL};
  static const char *const dupconst[] = {"a"};
  const struct {
    const char *what;
    promc_type type;
    promc_opts o;
    int expect;
  } cases[] = {
      {"NULL name", PROMC_TYPE_COUNTER, {.help = "h"}, PROMC_EINVAL},
      {"NULL help", PROMC_TYPE_GAUGE, {.name = "ok1"}, PROMC_EINVAL},
      {"empty name", PROMC_TYPE_GAUGE, {.name = "", .help = "h"}, PROMC_ENAME},
      {"name with dash", PROMC_TYPE_GAUGE, {.name = "a-b", .help = "h"}, PROMC_ENAME},
      {"name starting with digit", PROMC_TYPE_GAUGE, {.name = "1abc", .help = "h"}, PROMC_ENAME},
      {"name with space", PROMC_TYPE_COUNTER, {.name = "a b", .help = "h"}, PROMC_ENAME},
      {"name not ending in unit", PROMC_TYPE_GAUGE, {.name = "temp", .help = "h", .unit = "celsius"}, PROMC_ENAME},
      {"invalid unit", PROMC_TYPE_GAUGE, {.name = "temp_c-d", .help = "h", .unit = "c-d"}, PROMC_ENAME},
      {"label with dash", PROMC_TYPE_GAUGE, {.name = "ok2", .help = "h", PROMC_LABEL_NAMES("a-b")}, PROMC_ELABEL},
      {"label with colon", PROMC_TYPE_GAUGE, {.name = "ok3", .help = "h", PROMC_LABEL_NAMES("a:b")}, PROMC_ELABEL},
      {"label __reserved", PROMC_TYPE_GAUGE, {.name = "ok4", .help = "h", PROMC_LABEL_NAMES("__name__")}, PROMC_ELABEL},
      {"le on histogram", PROMC_TYPE_HISTOGRAM, {.name = "ok5", .help = "h", PROMC_LABEL_NAMES("le")}, PROMC_ELABEL},
      {"quantile on summary", PROMC_TYPE_SUMMARY, {.name = "ok6", .help = "h", PROMC_LABEL_NAMES("quantile")}, PROMC_ELABEL},
      {"duplicate label", PROMC_TYPE_COUNTER, {.name = "ok7", .help = "h", PROMC_LABEL_NAMES("a", "a")}, PROMC_ELABEL},
      {"NULL label name", PROMC_TYPE_COUNTER, {.name = "ok8", .help = "h", PROMC_LABEL_NAMES(NULL)}, PROMC_ELABEL},
      {"label count without array", PROMC_TYPE_COUNTER, {.name = "ok9", .help = "h", .nlabel_names = 2}, PROMC_EINVAL},
      {"enum label named like it", PROMC_TYPE_STATESET, {.name = "st", .help = "h", PROMC_LABEL_NAMES("st"), PROMC_STATES("a")}, PROMC_ELABEL},
      {"enum without states", PROMC_TYPE_STATESET, {.name = "st2", .help = "h"}, PROMC_EINVAL},
      {"enum duplicate states", PROMC_TYPE_STATESET, {.name = "st3", .help = "h", PROMC_STATES("a", "a")}, PROMC_EVALUE},
      {"non-monotone buckets", PROMC_TYPE_HISTOGRAM, {.name = "hb1", .help = "h", .buckets = non_monotone, .nbuckets = 3}, PROMC_EBUCKETS},
      {"equal buckets", PROMC_TYPE_HISTOGRAM, {.name = "hb2", .help = "h", .buckets = dup_bucket, .nbuckets = 2}, PROMC_EBUCKETS},
      {"NaN bucket", PROMC_TYPE_HISTOGRAM, {.name = "hb3", .help = "h", .buckets = nan_bucket, .nbuckets = 2}, PROMC_EBUCKETS},
      {"zero buckets", PROMC_TYPE_HISTOGRAM, {.name = "hb4", .help = "h", .buckets = dup_bucket, .nbuckets = 0}, PROMC_EBUCKETS},
      {"reserved const label", PROMC_TYPE_GAUGE, {.name = "c1", .help = "h", .const_label_names = bad_const, .const_label_values = cval, .nconst_labels = 1}, PROMC_ELABEL},
      {"NULL const value", PROMC_TYPE_GAUGE, {.name = "c2", .help = "h", .const_label_names = cval, .const_label_values = null_val, .nconst_labels = 1}, PROMC_EINVAL},
      {"const label clashes with label", PROMC_TYPE_GAUGE, {.name = "c3", .help = "h", PROMC_LABEL_NAMES("a"), .const_label_names = dupconst, .const_label_values = cval, .nconst_labels = 1}, PROMC_ELABEL},
      {"duplicate name", PROMC_TYPE_GAUGE, {.name = "g", .help = "h"}, PROMC_EDUP},
      {"gauge named like counter sample", PROMC_TYPE_GAUGE, {.name = "base_total", .help = "h"}, PROMC_EDUP},
      {"counter colliding with counter", PROMC_TYPE_COUNTER, {.name = "base", .help = "h"}, PROMC_EDUP},
      {"gauge on histogram bucket name", PROMC_TYPE_GAUGE, {.name = "h_bucket", .help = "h"}, PROMC_EDUP},
      {"gauge on summary count name", PROMC_TYPE_GAUGE, {.name = "s_count", .help = "h"}, PROMC_EDUP},
      {"histogram over gauge name", PROMC_TYPE_HISTOGRAM, {.name = "g", .help = "h"}, PROMC_EDUP},
      {"gauge on info name", PROMC_TYPE_GAUGE, {.name = "i_info", .help = "h"}, PROMC_EDUP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promc_opts o = cases[i].o;
    o.registry = reg;
    void *out = (void *)0x1;
    int rc;
    switch (cases[i].type) {
      case PROMC_TYPE_COUNTER: rc = promc_counter_new((promc_counter **)&out, &o); break;
      case PROMC_TYPE_GAUGE: rc = promc_gauge_new((promc_gauge **)&out, &o); break;
      case PROMC_TYPE_HISTOGRAM: rc = promc_histogram_new((promc_histogram **)&out, &o); break;
      case PROMC_TYPE_SUMMARY: rc = promc_summary_new((promc_summary **)&out, &o); break;
      default: rc = promc_enum_new((promc_enum **)&out, &o); break;
    }
    if (rc != cases[i].expect)
      fail_msg("%s: got %s (%s), want %s", cases[i].what, promc_errname(rc), promc_errmsg(),
               promc_errname(cases[i].expect));
    assert_null(out);
    assert_true(strlen(promc_errmsg()) > 0);
  }
  /* NULL out / NULL opts */
  assert_int_equal(promc_counter_new(NULL, &(promc_opts){.name = "x", .help = "h"}), PROMC_EINVAL);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, NULL), PROMC_EINVAL);
}

static void hot_path_rejects_null_and_family_handles(void **state) {
  (void)state;
  const char *before = exposition();
  char *copy = strdup(before);
  assert_int_equal(promc_counter_inc(NULL), PROMC_EINVAL);
  assert_int_equal(promc_counter_add(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_counter_add_int(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_counter_inc(ctr_l), PROMC_ECARD); /* labelled family, not a child */
  assert_int_equal(promc_counter_add(ctr_l, 1), PROMC_ECARD);
  assert_int_equal(promc_counter_add(ctr, -1), PROMC_EVALUE);
  assert_int_equal(promc_counter_add(ctr, NAN), PROMC_EVALUE);
  assert_int_equal(promc_counter_add(ctr_child, -0.5), PROMC_EVALUE);
  assert_int_equal(promc_gauge_set(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_gauge_inc(NULL), PROMC_EINVAL);
  assert_int_equal(promc_gauge_dec(NULL), PROMC_EINVAL);
  assert_int_equal(promc_gauge_add(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_gauge_set_to_current_time(NULL), PROMC_EINVAL);
  assert_int_equal(promc_histogram_observe(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_histogram_observe(hist_l, 1), PROMC_ECARD);
  assert_int_equal(promc_summary_observe(NULL, 1), PROMC_EINVAL);
  assert_int_equal(promc_enum_set(NULL, 0), PROMC_EINVAL);
  assert_int_equal(promc_enum_set(en, 9), PROMC_EVALUE);
  assert_int_equal(promc_enum_state(en, NULL), PROMC_EINVAL);
  assert_int_equal(promc_enum_state(en, "zzz"), PROMC_ENOTFOUND);
  assert_true(promc_counter_get(NULL) == 0);
  assert_true(promc_gauge_get(NULL) == 0);
  assert_int_equal(promc_enum_get(NULL), -1);
  assert_string_equal(exposition(), copy);
  free(copy);
}

static void labels_reject_wrong_counts_and_nulls(void **state) {
  (void)state;
  char *copy = strdup(exposition());
  assert_null(promc_counter_labels(ctr_l, "only-one"));
  assert_int_equal(strstr(promc_errmsg(), "2 label names, 1 values") != NULL, 1);
  assert_null(promc_counter_labels(ctr_l, "a", "b", "c"));
  assert_null(promc_counter_labels(ctr, "x"));        /* unlabelled family */
  /* a NULL value is the empty string (not an error): see labels_treat_null_as_empty */
  assert_null(promc_counter_labels(ctr_child, "x", "y")); /* a child is not a family */
  assert_null(promc_metric_labelsv(NULL, 0, NULL));
  assert_null(promc_metric_labelsv(PROMC_METRIC(ctr_l), 2, NULL));
  assert_int_equal(promc_metric_remove(ctr_l, "x"), PROMC_ECARD);
  assert_int_equal(promc_metric_remove(ctr_l, "no", "such"), PROMC_ENOTFOUND);
  assert_int_equal(promc_metric_removev(NULL, 0, NULL), PROMC_EINVAL);
  assert_int_equal(promc_metric_removev(PROMC_METRIC(ctr_l), 2, (const char *[]){"a", NULL}), PROMC_ENOTFOUND);
  assert_int_equal(promc_metric_clear(NULL), PROMC_EINVAL);
  assert_int_equal(promc_metric_clear(PROMC_METRIC(ctr_child)), PROMC_EINVAL);
  assert_string_equal(exposition(), copy);
  free(copy);
}

static void registry_calls_reject_bad_input(void **state) {
  (void)state;
  char *copy = strdup(exposition());
  assert_int_equal(promc_registry_new(NULL), PROMC_EINVAL);
  assert_int_equal(promc_register(NULL, PROMC_METRIC(ctr)), PROMC_EINVAL);
  assert_int_equal(promc_register(reg, NULL), PROMC_EINVAL);
  assert_int_equal(promc_register(other, PROMC_METRIC(ctr)), PROMC_ESTATE); /* registered in reg */
  assert_int_equal(promc_register(other, PROMC_METRIC(ctr_child)), PROMC_EINVAL);
  assert_int_equal(promc_unregister(NULL), PROMC_EINVAL);
  assert_int_equal(promc_unregister(PROMC_METRIC(ctr_child)), PROMC_EINVAL);
  assert_int_equal(promc_metric_destroy(PROMC_METRIC(ctr_child)), PROMC_ETYPE);
  assert_int_equal(promc_metric_destroy(NULL), 0);
  assert_int_equal(promc_registry_add_collector(reg, NULL), PROMC_EINVAL);
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "x"}), PROMC_EINVAL);
  assert_int_equal(promc_registry_remove_collector(reg, "none"), PROMC_ENOTFOUND);
  assert_int_equal(promc_registry_remove_collector(NULL, "x"), PROMC_EINVAL);
  assert_int_equal(promc_registry_render(NULL, PROMC_FORMAT_TEXT, NULL, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_registry_render(reg, PROMC_FORMAT_TEXT, NULL, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_registry_render(reg, (promc_format)42, NULL, promc_buf_write, NULL), PROMC_EINVAL);
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_set_allocator(NULL), PROMC_EINVAL);
  assert_int_equal(promc_set_allocator(&(promc_allocator){malloc, realloc, free}), PROMC_ESTATE);
  promc_registry_free(NULL);
  assert_string_equal(exposition(), copy);
  free(copy);
}

static void other_calls_reject_bad_input(void **state) {
  (void)state;
  char *copy = strdup(exposition());
  const char *nm[] = {"le2"}, *vv[] = {"x"};
  assert_int_equal(promc_info_set(NULL, 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_info_set((promc_info *)gauge, 1, nm, vv), PROMC_ETYPE);
  assert_int_equal(promc_info_set(info, 1, (const char *[]){"bad-name"}, vv), PROMC_ELABEL);
  assert_int_equal(promc_info_set(info, 1, (const char *[]){"__x"}, vv), PROMC_ELABEL);
  assert_int_equal(promc_info_set(info, 1, nm, (const char *[]){NULL}), PROMC_EINVAL);
  assert_int_equal(promc_info_set(info, 2, (const char *[]){"a", "a"}, (const char *[]){"1", "2"}), PROMC_ELABEL);
  assert_int_equal(promc_metric_set_function(NULL, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(hist), NULL, NULL), PROMC_ETYPE);
  assert_int_equal(promc_histogram_get(NULL, NULL, 0, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_histogram_get((promc_histogram *)gauge, NULL, 0, NULL, NULL), PROMC_ETYPE);
  uint64_t small[2];
  assert_int_equal(promc_histogram_get(hist, small, 2, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_histogram_get(hist_l, NULL, 0, NULL, NULL), PROMC_ECARD);
  assert_int_equal(promc_summary_get(NULL, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_summary_get((promc_summary *)gauge, NULL, NULL), PROMC_ETYPE);
  promc_timer t = promc_timer_start(PROMC_METRIC(ctr));
  assert_int_equal(promc_timer_stop(&t, NULL), PROMC_ETYPE);
  assert_int_equal(promc_timer_stop(NULL, NULL), PROMC_EINVAL);
  assert_string_equal(exposition(), copy);
  free(copy);
}

/* ---------------------------------------------------------------- text */
/* Bytes that are not UTF-8, each of a different kind. */
static const char *const k_bad_utf8[] = {
    "\xff\xfe",             /* never in UTF-8 */
    "caf\xe9",              /* Latin-1 */
    "\xc3",                 /* cut after the lead byte */
    "a\xe2\x82",            /* cut inside a 3-byte sequence */
    "\xf0\x9f\x98",         /* cut inside a 4-byte sequence */
    "\x80",                 /* stray continuation byte */
    "ok\xbfok",             /* stray continuation byte inside */
    "\xc0\xaf",             /* overlong "/" */
    "\xc1\xbf",             /* overlong 2-byte */
    "\xe0\x80\xaf",         /* overlong 3-byte */
    "\xf0\x80\x80\xaf",     /* overlong 4-byte */
    "\xed\xa0\x80",         /* surrogate U+D800 */
    "\xed\xbf\xbf",         /* surrogate U+DFFF */
    "\xf4\x90\x80\x80",     /* U+110000, above the last code point */
    "\xf5\x80\x80\x80",     /* lead byte above U+10FFFF */
    "\xf8\x88\x80\x80\x80", /* 5-byte form */
    "\xc3\x28",             /* lead byte, then no continuation */
};
/* Valid edge cases that must still be taken. */
static const char *const k_good_utf8[] = {
    "", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\xed\x9f\xbf" /* U+D7FF */,
    "\xee\x80\x80" /* U+E000 */, "\xf4\x8f\xbf\xbf" /* U+10FFFF */, "\xef\xbf\xbd" /* U+FFFD */,
    "\xc2\x80" /* U+0080 */, "\xe0\xa0\x80" /* U+0800 */, "\xf0\x90\x80\x80" /* U+10000 */,
};
#define NBAD (sizeof k_bad_utf8 / sizeof k_bad_utf8[0])

static char *render_fmt(promc_format f) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(reg, f, NULL, &b);
  if (rc) fail_msg("render: %s (%s)", promc_errname(rc), promc_errmsg());
  return b.data; /* the caller frees */
}

/* The exposition in text and OpenMetrics, to compare before and after. */
struct snapshot {
  char *text, *om;
};
static struct snapshot snap(void) { return (struct snapshot){render_fmt(PROMC_FORMAT_TEXT), render_fmt(PROMC_FORMAT_OPENMETRICS)}; }
static void snap_same(struct snapshot a, const char *what) {
  struct snapshot b = snap();
  if (strcmp(a.text, b.text) != 0) fail_msg("%s changed the text exposition:\n%s", what, b.text);
  if (strcmp(a.om, b.om) != 0) fail_msg("%s changed the OpenMetrics exposition:\n%s", what, b.om);
  free(b.text);
  free(b.om);
}
static void snap_free(struct snapshot a) {
  free(a.text);
  free(a.om);
}

/* A collector that, told to, hands one bad text to the collector API. */
struct text_col {
  const char *bad; /* NULL = only the good family */
  int where;       /* 0: help, 1: label value, 2: info label value */
  int rc;
};
static int collect_text(promc_collect *ctx, void *user) {
  struct text_col *t = user;
  int rc = promc_collect_family(ctx, "col_ok", "Good.", PROMC_TYPE_GAUGE, NULL);
  rc |= promc_collect_sample(ctx, 1, (const char *[]){"k"}, (const char *[]){"v"}, 1);
  if (t->bad && t->where == 1)
    t->rc = promc_collect_sample(ctx, 1, (const char *[]){"k"}, (const char *[]){t->bad}, 2);
  rc |= promc_collect_family(ctx, "col_i", "Info.", PROMC_TYPE_INFO, NULL);
  rc |= promc_collect_sample(ctx, 1, (const char *[]){"v"}, (const char *[]){"1"}, 1);
  if (t->bad && t->where == 2)
    t->rc = promc_collect_sample(ctx, 1, (const char *[]){"v"}, (const char *[]){t->bad}, 1);
  if (t->bad && t->where == 0) {
    t->rc = promc_collect_family(ctx, "col_bad", t->bad, PROMC_TYPE_GAUGE, NULL);
    if (t->rc == 0) promc_collect_sample(ctx, 0, NULL, NULL, 2);
  }
  return rc ? -1 : 0;
}

static void text_that_is_not_utf8_is_refused_everywhere(void **state) {
  (void)state;
  promc_gauge *gl;
  promc_counter *ex;
  assert_int_equal(promc_gauge_new(&gl, &(promc_opts){.name = "gl", .help = "h", .registry = reg, PROMC_LABEL_NAMES("k")}), 0);
  assert_int_equal(promc_counter_new(&ex, &(promc_opts){.name = "ex", .help = "h", .registry = reg, .exemplars = 1}), 0);
  struct text_col tc = {0};
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "t", .collect = collect_text, .user = &tc}), 0);
  struct snapshot before = snap();
  for (size_t i = 0; i < NBAD; i++) {
    const char *bad = k_bad_utf8[i];
    char what[64];
    snprintf(what, sizeof what, "bad text #%zu", i);
    /* label value at lookup: NULL, the message says why */
    assert_null(promc_gauge_labels(gl, bad));
    if (!strstr(promc_errmsg(), "UTF-8")) fail_msg("%s: lookup message \"%s\"", what, promc_errmsg());
    assert_null(promc_gauge_labels(gl, bad)); /* and again: it was not stored */
    /* const label value, help text, enum state at creation */
    promc_gauge *g = (promc_gauge *)0x1;
    const char *cn[] = {"c"}, *cv[] = {bad};
    int rc = promc_gauge_new(&g, &(promc_opts){.name = "cg", .help = "h", .registry = reg, .const_label_names = cn,
                                               .const_label_values = cv, .nconst_labels = 1});
    if (rc != PROMC_EVALUE) fail_msg("%s: const label value gave %s", what, promc_errname(rc));
    assert_null(g);
    rc = promc_gauge_new(&g, &(promc_opts){.name = "hg", .help = bad, .registry = reg});
    if (rc != PROMC_EVALUE) fail_msg("%s: help gave %s", what, promc_errname(rc));
    assert_non_null(strstr(promc_errmsg(), "UTF-8"));
    promc_enum *e = (promc_enum *)0x1;
    rc = promc_enum_new(&e, &(promc_opts){.name = "es", .help = "h", .registry = reg, PROMC_STATES("a", bad)});
    if (rc != PROMC_EVALUE) fail_msg("%s: enum state gave %s", what, promc_errname(rc));
    assert_null(e);
    /* info label value: the earlier labels stay */
    rc = promc_info_set(info, 2, (const char *[]){"v", "w"}, (const char *[]){"2", bad});
    if (rc != PROMC_EVALUE) fail_msg("%s: info value gave %s", what, promc_errname(rc));
    /* exemplar label value (already refused before this test existed) */
    assert_int_equal(promc_counter_inc_exemplar(ex, 1, (const char *[]){"t"}, (const char *[]){bad}), PROMC_EVALUE);
    /* collector help, sample label value, info label value */
    for (int w = 0; w < 3; w++) {
      tc = (struct text_col){.bad = bad, .where = w, .rc = 1};
      snap_same(before, what);
      if (tc.rc != PROMC_EVALUE) fail_msg("%s: collector place %d gave %s", what, w, promc_errname(tc.rc));
    }
    tc.bad = NULL;
    snap_same(before, what);
  }
  /* valid text of every length is still taken */
  for (size_t i = 0; i < sizeof k_good_utf8 / sizeof k_good_utf8[0]; i++) {
    if (!promc_gauge_labels(gl, k_good_utf8[i])) fail_msg("good text #%zu refused: %s", i, promc_errmsg());
    assert_int_equal(promc_info_set(info, 1, (const char *[]){"v"}, (const char *[]){k_good_utf8[i]}), 0);
  }
  snap_free(before);
}

static void enum_name_must_serve_as_its_state_label(void **state) {
  (void)state;
  struct snapshot before = snap();
  static const char *const bad[] = {"ns:state", ":x", "a:b:c", "__internal"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    promc_enum *e = (promc_enum *)0x1;
    int rc = promc_enum_new(&e, &(promc_opts){.name = bad[i], .help = "h", .registry = reg, PROMC_STATES("a")});
    if (rc != PROMC_ENAME) fail_msg("enum \"%s\": got %s", bad[i], promc_errname(rc));
    assert_null(e);
    assert_non_null(strstr(promc_errmsg(), bad[i]));
  }
  snap_same(before, "enum names");
  snap_free(before);
  /* a colon stays fine in the names of other types */
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "ns:gauge", .help = "h", .registry = reg}), 0);
}

static void labels_treat_null_as_empty(void **state) {
  (void)state;
  promc_counter *a = promc_counter_labels(ctr_l, NULL, "y");
  assert_non_null(a);
  assert_ptr_equal(a, promc_counter_labels(ctr_l, "", "y"));
  assert_int_equal(promc_counter_inc(a), 0);
  assert_ptr_equal(promc_metric_labelsv(PROMC_METRIC(ctr_l), 2, (const char *[]){NULL, NULL}),
                   promc_counter_labels(ctr_l, "", ""));
  assert_non_null(strstr(exposition(), "lab_total{a=\"\",b=\"y\"} 1\n"));
  assert_int_equal(promc_metric_removev(PROMC_METRIC(ctr_l), 2, (const char *[]){NULL, "y"}), 0);
  assert_null(strstr(exposition(), "b=\"y\"} 1"));
}

/* A collector emitting one unparseable thing (case k) after good families. */
struct bad_col {
  int k;
  int rc;
};
static int collect_bad(promc_collect *ctx, void *user) {
  struct bad_col *b = user;
  static const double bounds[] = {1, 2};
  static const uint64_t cum[] = {1, 2, 3};
  const char *nm[] = {"k", "k"}, *vv[] = {"1", "2"};
  int rc = promc_collect_family(ctx, "cb_lat", "H.", PROMC_TYPE_HISTOGRAM, NULL);
  rc |= promc_collect_histogram(ctx, 1, nm, vv, 2, bounds, cum, 3);
  if (b->k >= 1 && b->k <= 4) {
    switch (b->k) {
      case 1: b->rc = promc_collect_histogram(ctx, 2, nm, vv, 2, bounds, cum, 3); break; /* k twice */
      case 2: b->rc = promc_collect_histogram(ctx, 1, (const char *[]){"le"}, vv, 2, bounds, cum, 3); break;
      case 3: b->rc = promc_collect_histogram(ctx, 1, nm, vv, 0, bounds, cum, 3); break;
      case 4: b->rc = promc_collect_histogram(ctx, 1, nm, vv, 2, NULL, cum, 3); break;
    }
  }
  if (b->k == 25) b->rc = promc_collect_histogram(ctx, 1, nm, vv, 0, NULL, cum, 3); /* memcmp(NULL) once */
  if (b->k == 5) b->rc = promc_collect_histogram(ctx, 1, nm, vv, 2, (const double[]){1, INFINITY}, cum, 3);
  if (b->k == 26) b->rc = promc_collect_histogram(ctx, 1, nm, vv, 2, bounds, cum, 3); /* the child again */
  rc |= promc_collect_family(ctx, "cb_q", "Q.", PROMC_TYPE_GAUGE_HISTOGRAM, NULL);
  rc |= promc_collect_histogram(ctx, 0, NULL, NULL, 2, bounds, cum, 3);
  if (b->k == 6) b->rc = promc_collect_histogram(ctx, 1, (const char *[]){"le"}, vv, 2, bounds, cum, 3);
  if (b->k == 27) b->rc = promc_collect_histogram(ctx, 0, NULL, NULL, 2, bounds, cum, 3);
  rc |= promc_collect_family(ctx, "cb_s", "S.", PROMC_TYPE_SUMMARY, NULL);
  rc |= promc_collect_summary(ctx, 0, NULL, NULL, 3, 4, 1, (const double[]){0.5}, (const double[]){1});
  if (b->k == 7) b->rc = promc_collect_summary(ctx, 1, (const char *[]){"quantile"}, vv, 3, 4, 0, NULL, NULL);
  if (b->k == 28) b->rc = promc_collect_summary(ctx, 0, NULL, NULL, 3, 4, 0, NULL, NULL);
  if (b->k == 8)
    b->rc = promc_collect_summary(ctx, 1, nm, vv, 3, 4, 1, (const double[]){0.5}, (const double[]){-1});
  if (b->k == 9)
    b->rc = promc_collect_summary(ctx, 1, nm, vv, 3, 4, 2, (const double[]){0.5, 0.5}, (const double[]){1, 1});
  rc |= promc_collect_family(ctx, "cb_events", "C.", PROMC_TYPE_COUNTER, NULL);
  rc |= promc_collect_sample(ctx, 0, NULL, NULL, 5);
  if (b->k == 10) b->rc = promc_collect_sample(ctx, 1, nm, vv, -1);
  if (b->k == 11) b->rc = promc_collect_sample(ctx, 1, nm, vv, NAN);
  if (b->k == 12) b->rc = promc_collect_sample(ctx, 2, (const char *[]){"a", "a"}, vv, 1);
  if (b->k == 29) b->rc = promc_collect_sample(ctx, 0, NULL, NULL, 6);
  /* families that clash: with one emitted above, or with a registered one */
  static const struct {
    const char *name;
    promc_type type;
  } clash[] = {
      {"cb_lat", PROMC_TYPE_GAUGE},        /* 13: the same name again */
      {"cb_events_total", PROMC_TYPE_COUNTER}, /* 14: the same counter, with its suffix */
      {"cb_lat_bucket", PROMC_TYPE_GAUGE},  /* 15: a sample name of the histogram */
      {"cb_events_created", PROMC_TYPE_GAUGE}, /* 16 */
      {"cb_q_gsum", PROMC_TYPE_GAUGE},      /* 17 */
      {"g", PROMC_TYPE_GAUGE},              /* 18: the registered gauge g */
      {"base_total", PROMC_TYPE_GAUGE},     /* 19: the registered counter base */
      {"h_sum", PROMC_TYPE_UNTYPED},        /* 20: the registered histogram h */
      {"g", PROMC_TYPE_COUNTER},            /* 21: counter g exposes g, g_total, g_created */
      {"i", PROMC_TYPE_INFO},               /* 22: the registered info i */
      {"s", PROMC_TYPE_GAUGE},              /* 23: the registered summary s */
  };
  if (b->k >= 13 && b->k < 13 + (int)(sizeof clash / sizeof clash[0])) {
    b->rc = promc_collect_family(ctx, clash[b->k - 13].name, "X.", clash[b->k - 13].type, NULL);
    /* its samples are refused too: no family is open */
    int r2 = promc_collect_sample(ctx, 0, NULL, NULL, 1);
    if (b->rc && r2 != PROMC_ESTATE) b->rc = 99;
  }
  return rc ? -1 : 0;
}

/* A second collector: the names of the first are taken in this scrape too. */
static int collect_second(promc_collect *ctx, void *user) {
  struct bad_col *b = user;
  if (b->k != 24) return 0;
  b->rc = promc_collect_family(ctx, "cb_s", "Again.", PROMC_TYPE_SUMMARY, NULL);
  return 0;
}

static void collectors_cannot_emit_what_no_parser_reads(void **state) {
  (void)state;
  struct bad_col b = {0};
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "bad", .collect = collect_bad, .user = &b}), 0);
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "bad2", .collect = collect_second, .user = &b}), 0);
  struct snapshot before = snap();
  assert_non_null(strstr(before.om, "cb_lat_bucket{k=\"1\",le=\"+Inf\"} 3\n"));
  static const int want[] = {0, PROMC_ELABEL, PROMC_ELABEL, PROMC_EBUCKETS, PROMC_EINVAL, PROMC_EBUCKETS,
                             PROMC_ELABEL, PROMC_ELABEL, PROMC_EVALUE, PROMC_EVALUE, PROMC_EVALUE, PROMC_EVALUE,
                             PROMC_ELABEL, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP,
                             PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP,
                             PROMC_EINVAL, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP, PROMC_EDUP};
  int failures = 0; /* every case is tried, and each failing one named */
  for (int k = 1; k < (int)(sizeof want / sizeof want[0]); k++) {
    b = (struct bad_col){.k = k, .rc = 1};
    struct snapshot after = snap();
    bool same = strcmp(before.text, after.text) == 0 && strcmp(before.om, after.om) == 0;
    if (b.rc != want[k] || !same) {
      print_error("collector case %d: got %s (%s), want %s; exposition %s\n", k, promc_errname(b.rc), promc_errmsg(),
                  promc_errname(want[k]), same ? "unchanged" : "CHANGED");
      failures++;
    }
    snap_free(after);
  }
  snap_free(before);
  assert_int_equal(failures, 0);
}

/* One family given the same child again, apart and with its labels in
 * another order; an info family given its label set twice. */
static int collect_dups(promc_collect *ctx, void *user) {
  int *rc = user, k = 0;
  promc_collect_family(ctx, "dup_g", "G.", PROMC_TYPE_GAUGE, NULL);
  rc[k++] = promc_collect_sample(ctx, 2, (const char *[]){"a", "b"}, (const char *[]){"1", "2"}, 1);
  rc[k++] = promc_collect_sample(ctx, 1, (const char *[]){"a"}, (const char *[]){"2"}, 2);
  rc[k++] = promc_collect_sample(ctx, 2, (const char *[]){"b", "a"}, (const char *[]){"2", "1"}, 3);
  rc[k++] = promc_collect_sample(ctx, 1, (const char *[]){"a"}, (const char *[]){"1"}, 4); /* a subset: another child */
  rc[k++] = promc_collect_sample(ctx, 0, NULL, NULL, 5);
  rc[k++] = promc_collect_sample(ctx, 0, NULL, NULL, 6);
  promc_collect_family(ctx, "dup_i", "I.", PROMC_TYPE_INFO, NULL);
  rc[k++] = promc_collect_sample(ctx, 1, (const char *[]){"v"}, (const char *[]){"1"}, 1);
  rc[k++] = promc_collect_sample(ctx, 1, (const char *[]){"v"}, (const char *[]){"1"}, 1);
  promc_collect_family(ctx, "dup_other", "G.", PROMC_TYPE_GAUGE, NULL); /* the same set in another family */
  rc[k++] = promc_collect_sample(ctx, 1, (const char *[]){"a"}, (const char *[]){"2"}, 7);
  /* enough children to grow the set several times, then one of them again */
  promc_collect_family(ctx, "dup_many", "G.", PROMC_TYPE_GAUGE, NULL);
  int bad = 0;
  for (int i = 0; i < 1000; i++) {
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    bad += promc_collect_sample(ctx, 2, (const char *[]){"i", "j"}, (const char *[]){v, "x"}, i) != 0;
  }
  rc[k++] = bad;
  rc[k++] = promc_collect_sample(ctx, 2, (const char *[]){"j", "i"}, (const char *[]){"x", "500"}, 1);
  rc[k++] = promc_collect_sample(ctx, 2, (const char *[]){"i", "j"}, (const char *[]){"1000", "x"}, 1000);
  promc_collect_family(ctx, "dup_after", "G.", PROMC_TYPE_GAUGE, NULL); /* a fresh set after a big one */
  rc[k++] = promc_collect_sample(ctx, 2, (const char *[]){"i", "j"}, (const char *[]){"500", "x"}, 1);
  return 0;
}

static void collector_cannot_give_a_child_twice(void **state) {
  (void)state;
  int rc[13];
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "dups", .collect = collect_dups, .user = rc}), 0);
  static const int want[] = {0, 0, PROMC_EDUP, 0, 0, PROMC_EDUP, 0, PROMC_EDUP, 0, 0, PROMC_EDUP, 0, 0};
  for (int scrape = 0; scrape < 2; scrape++) { /* the sets are per scrape: the second sees the same */
    memset(rc, 0x7f, sizeof rc);
    promc_buf b = {0};
    assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
      if (rc[i] != want[i]) fail_msg("scrape %d sample %zu: got %s, want %s", scrape, i, promc_errname(rc[i]), promc_errname(want[i]));
    assert_non_null(strstr(b.data, "dup_g{a=\"1\",b=\"2\"} 1\n"));
    assert_non_null(strstr(b.data, "dup_g{a=\"2\"} 2\n"));
    assert_non_null(strstr(b.data, "dup_g{a=\"1\"} 4\n"));
    assert_non_null(strstr(b.data, "dup_g 5\n"));
    assert_null(strstr(b.data, "dup_g{a=\"1\",b=\"2\"} 3\n"));
    assert_null(strstr(b.data, "dup_g{b="));
    assert_null(strstr(b.data, "dup_g 6\n"));
    const char *i1 = strstr(b.data, "dup_i_info{v=\"1\"} 1\n");
    assert_non_null(i1);
    assert_null(strstr(i1 + 1, "dup_i_info{v=\"1\"} 1\n"));
    assert_non_null(strstr(b.data, "dup_other{a=\"2\"} 7\n"));
    assert_non_null(strstr(b.data, "dup_many{i=\"500\",j=\"x\"} 500\n"));
    assert_non_null(strstr(b.data, "dup_many{i=\"1000\",j=\"x\"} 1000\n"));
    assert_non_null(strstr(b.data, "dup_after{i=\"500\",j=\"x\"} 1\n"));
    promc_buf_free(&b);
  }
  /* OpenMetrics and protobuf are built from the same refused calls */
  promc_buf om = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_OPENMETRICS, NULL, &om), 0);
  assert_non_null(strstr(om.data, "dup_g{a=\"1\",b=\"2\"} 1\n"));
  assert_null(strstr(om.data, "dup_g{a=\"1\",b=\"2\"} 3\n"));
  assert_null(strstr(om.data, "dup_g 6\n"));
  promc_buf_free(&om);
  assert_int_equal(promc_registry_remove_collector(reg, "dups"), 0);
}

static void exemplar_timestamp_must_fit_protobuf(void **state) {
  (void)state;
  promc_counter *ex;
  promc_histogram *hx;
  assert_int_equal(promc_counter_new(&ex, &(promc_opts){.name = "ext", .help = "h", .registry = reg, .exemplars = 1}), 0);
  assert_int_equal(promc_histogram_new(&hx, &(promc_opts){.name = "hxt", .help = "h", .registry = reg, .exemplars = 1}), 0);
  assert_int_equal(promc_counter_add_exemplar(ex, 1, 0, NULL, NULL, 1.5e9), 0);
  struct snapshot before = snap();
  promc_buf pb0 = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_PROTOBUF, NULL, &pb0), 0);
  static const double bad[] = {253402300800.0 /* year 10000 */, 253402300800.5, 1e12, 9223372036854775807.0,
                               9223372036854775808.0 /* 2^63 */, 1e19, 9.3e18, 1.7e308, INFINITY, -INFINITY, NAN, -1};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (promc_counter_add_exemplar(ex, 1, 0, NULL, NULL, bad[i]) != PROMC_EINVAL) fail_msg("counter ts %g taken", bad[i]);
    if (promc_histogram_observe_exemplar(hx, 1, 0, NULL, NULL, bad[i]) != PROMC_EINVAL)
      fail_msg("histogram ts %g taken", bad[i]);
  }
  snap_same(before, "exemplar timestamps");
  promc_buf pb = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_PROTOBUF, NULL, &pb), 0);
  assert_int_equal(pb.len, pb0.len);
  assert_memory_equal(pb.data, pb0.data, pb.len);
  /* the largest double below 253402300800 (9999-12-31T23:59:59.99997Z) still fits, and renders */
  assert_int_equal(promc_counter_add_exemplar(ex, 1, 0, NULL, NULL, nextafter(253402300800.0, 0)), 0);
  assert_int_equal(promc_histogram_observe_exemplar(hx, 1, 0, NULL, NULL, 253402300799.0), 0);
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_PROTOBUF, NULL, &pb), 0);
  promc_buf_free(&pb);
  promc_buf_free(&pb0);
  snap_free(before);
}

static void exemplar_label_names_are_not_reserved(void **state) {
  (void)state;
  promc_counter *ex;
  promc_histogram *hx;
  assert_int_equal(promc_counter_new(&ex, &(promc_opts){.name = "exr", .help = "h", .registry = reg, .exemplars = 1}), 0);
  assert_int_equal(promc_histogram_new(&hx, &(promc_opts){.name = "hxr", .help = "h", .registry = reg, .exemplars = 1}), 0);
  struct snapshot before = snap();
  static const char *const bad[] = {"__name__", "__", "__x", "__trace_id"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *nm[] = {"trace_id", bad[i]}, *v[] = {"1", "2"};
    if (promc_counter_add_exemplar(ex, 1, 2, nm, v, 0) != PROMC_ELABEL) fail_msg("counter took \"%s\"", bad[i]);
    if (promc_counter_inc_exemplar(ex, 1, nm + 1, v) != PROMC_ELABEL) fail_msg("counter inc took \"%s\"", bad[i]);
    if (promc_histogram_observe_exemplar(hx, 1, 1, nm + 1, v, 0) != PROMC_ELABEL) fail_msg("histogram took \"%s\"", bad[i]);
  }
  snap_same(before, "reserved exemplar label names");
  snap_free(before);
  /* one underscore is an ordinary name */
  assert_int_equal(promc_counter_inc_exemplar(ex, 1, (const char *[]){"_trace"}, (const char *[]){"1"}), 0);
}

static double fn_value(void *user) { return *(const double *)user; }

static bool has_bytes(const char *p, size_t n, const char *s) {
  for (size_t k = strlen(s), i = 0; i + k <= n; i++)
    if (memcmp(p + i, s, k) == 0) return true;
  return false;
}

/* A counter's value callback returning what no counter may expose: that
 * child is left out of every format (its _created too), the rest is
 * written, and the render succeeds (one bad value must not fail a scrape). */
static void counter_callback_cannot_expose_nan_or_negative(void **state) {
  (void)state;
  promc_counter *c, *cl;
  promc_gauge *g;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "cfn", .help = "h", .registry = reg}), 0);
  assert_int_equal(promc_counter_new(&cl, &(promc_opts){.name = "cfnl", .help = "h", .registry = reg, PROMC_LABEL_NAMES("k")}), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "gfn", .help = "h", .registry = reg}), 0);
  promc_counter *good = promc_counter_labels(cl, "good"), *bad = promc_counter_labels(cl, "bad");
  promc_counter_add(good, 2);
  promc_registry_set_created(reg, 1);
  static const double bad_values[] = {NAN, -7, -INFINITY, -0.5};
  double cv = 0, lv = 0, gv = NAN;
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(c), fn_value, &cv), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(bad), fn_value, &lv), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(g), fn_value, &gv), 0); /* a gauge may be NaN */
  static const promc_format fmts[] = {PROMC_FORMAT_TEXT, PROMC_FORMAT_OPENMETRICS, PROMC_FORMAT_PROTOBUF};
  for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
    cv = lv = bad_values[i];
    for (size_t f = 0; f < 3; f++) {
      promc_buf b = {0};
      int rc = promc_registry_render_buf(reg, fmts[f], NULL, &b);
      if (rc != 0)
        fail_msg("value %g format %d: got %s (%s)", bad_values[i], (int)fmts[f], promc_errname(rc), promc_errmsg());
      const char *out = b.data;
      assert_non_null(out);
      if (fmts[f] != PROMC_FORMAT_PROTOBUF) {
        assert_null(strstr(out, "\ncfn_total"));
        assert_null(strstr(out, "\ncfn_created"));
        assert_null(strstr(out, "k=\"bad\""));
        assert_non_null(strstr(out, "cfnl_total{k=\"good\"} 2"));
        assert_non_null(strstr(out, "\ngfn NaN\n"));
      } else {
        assert_false(has_bytes(out, b.len, "bad"));
        assert_true(has_bytes(out, b.len, "good"));
      }
      promc_buf_free(&b);
    }
  }
  cv = lv = 5;
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_OPENMETRICS, NULL, &b), 0);
  assert_non_null(strstr(b.data, "\ncfn_total 5\n"));
  assert_non_null(strstr(b.data, "cfnl_total{k=\"bad\"} 5\n"));
  promc_buf_free(&b);
  promc_registry_set_created(reg, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(create_rejects_bad_options, setup, teardown),
      cmocka_unit_test_setup_teardown(hot_path_rejects_null_and_family_handles, setup, teardown),
      cmocka_unit_test_setup_teardown(labels_reject_wrong_counts_and_nulls, setup, teardown),
      cmocka_unit_test_setup_teardown(registry_calls_reject_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(other_calls_reject_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(text_that_is_not_utf8_is_refused_everywhere, setup, teardown),
      cmocka_unit_test_setup_teardown(enum_name_must_serve_as_its_state_label, setup, teardown),
      cmocka_unit_test_setup_teardown(labels_treat_null_as_empty, setup, teardown),
      cmocka_unit_test_setup_teardown(collectors_cannot_emit_what_no_parser_reads, setup, teardown),
      cmocka_unit_test_setup_teardown(collector_cannot_give_a_child_twice, setup, teardown),
      cmocka_unit_test_setup_teardown(exemplar_timestamp_must_fit_protobuf, setup, teardown),
      cmocka_unit_test_setup_teardown(exemplar_label_names_are_not_reserved, setup, teardown),
      cmocka_unit_test_setup_teardown(counter_callback_cannot_expose_nan_or_negative, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
