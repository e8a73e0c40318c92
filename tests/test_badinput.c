/* test_badinput.c — every public entry point handed bad input returns its
 * documented error, sets a message, and leaves earlier values intact. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
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
  assert_null(promc_counter_labels(ctr_l, "a", NULL)); /* NULL value */
  assert_null(promc_counter_labels(ctr_child, "x", "y")); /* a child is not a family */
  assert_null(promc_metric_labelsv(NULL, 0, NULL));
  assert_null(promc_metric_labelsv(PROMC_METRIC(ctr_l), 2, NULL));
  assert_int_equal(promc_metric_remove(ctr_l, "x"), PROMC_ECARD);
  assert_int_equal(promc_metric_remove(ctr_l, "no", "such"), PROMC_ENOTFOUND);
  assert_int_equal(promc_metric_removev(NULL, 0, NULL), PROMC_EINVAL);
  assert_int_equal(promc_metric_removev(PROMC_METRIC(ctr_l), 2, (const char *[]){"a", NULL}), PROMC_EINVAL);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(create_rejects_bad_options, setup, teardown),
      cmocka_unit_test_setup_teardown(hot_path_rejects_null_and_family_handles, setup, teardown),
      cmocka_unit_test_setup_teardown(labels_reject_wrong_counts_and_nulls, setup, teardown),
      cmocka_unit_test_setup_teardown(registry_calls_reject_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(other_calls_reject_bad_input, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
