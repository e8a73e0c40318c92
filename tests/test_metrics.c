/* SPDX-License-Identifier: Apache-2.0 */
/* test_metrics.c — behaviour of every metric type, children, registries,
 * collectors and the text format, through the public API. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "batch_util.h"
#include "promc/promc.h"

BU_REGISTRY_FIXTURE(reg)

static char *render(void) {
  static promc_buf b;
  return bu_render_reuse(reg, PROMC_FORMAT_TEXT, NULL, &b);
}

static void counter_exposes_total_and_adds_exactly(void **state) {
  (void)state;
  promc_counter *c, *c2;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "requests", .help = "Requests.", .registry = reg}), 0);
  assert_int_equal(promc_counter_new(&c2, &(promc_opts){.name = "jobs_total", .help = "Jobs.", .registry = reg}), 0);
  assert_string_equal(promc_metric_name(PROMC_METRIC(c2)), "jobs");
  for (int i = 0; i < 1000; i++) promc_counter_inc(c);
  promc_counter_add(c, 0.25);
  promc_counter_add_int(c, 10);
  promc_counter_add(c, 2.0);
  assert_true(promc_counter_get(c) == 1012.25);
  char *t = render();
  bu_assert_contains(t, "# HELP requests_total Requests.\n# TYPE requests_total counter\nrequests_total 1012.25\n");
  bu_assert_contains(t, "# TYPE jobs_total counter\njobs_total 0\n");
  bu_assert_not_contains(t, "_created");
}

static void counter_rejects_negative_and_nan_add(void **state) {
  (void)state;
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "h", .registry = reg}), 0);
  promc_counter_add(c, 5);
  assert_int_equal(promc_counter_add(c, -1), PROMC_EVALUE);
  assert_int_equal(promc_counter_add(c, NAN), PROMC_EVALUE);
  assert_int_equal(promc_counter_add(c, -INFINITY), PROMC_EVALUE);
  assert_true(promc_counter_get(c) == 5);
  assert_int_equal(promc_counter_reset(c), 0);
  assert_true(promc_counter_get(c) == 0);
}

static void created_samples_switch_on(void **state) {
  (void)state;
  promc_counter *c;
  promc_histogram *h;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "x", .help = "h", .registry = reg}), 0);
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "y", .help = "h", .registry = reg}), 0);
  promc_registry_set_created(reg, 1);
  char *t = render();
  bu_assert_contains(t, "# TYPE x_created gauge\nx_created 1");
  bu_assert_contains(t, "# TYPE y_created gauge\ny_created 1");
}

static void gauge_operations(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "temp", .help = "T.", .registry = reg}), 0);
  promc_gauge_set(g, 10);
  promc_gauge_inc(g);
  promc_gauge_dec(g);
  promc_gauge_dec(g);
  promc_gauge_add(g, 0.5);
  promc_gauge_sub(g, 2);
  assert_true(promc_gauge_get(g) == 7.5);
  double before = promc_wall_seconds();
  promc_gauge_set_to_current_time(g);
  assert_true(promc_gauge_get(g) >= before && promc_gauge_get(g) < before + 5);
  promc_gauge_set(g, -INFINITY);
  bu_assert_contains(render(), "temp -Inf\n");
}

static double seven(void *u) { return *(double *)u; }

static void function_valued_children(void **state) {
  (void)state;
  promc_gauge *g;
  promc_counter *c;
  double v = 7, w = 42;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "queue", .help = "q", .registry = reg,
                                                     PROMC_LABEL_NAMES("q")}),
                   0);
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "bytes", .help = "b", .registry = reg}), 0);
  promc_gauge *a = promc_gauge_labels(g, "a");
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(a), seven, &v), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(c), seven, &w), 0);
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(g), seven, &v), PROMC_ECARD);
  char *t = render();
  bu_assert_contains(t, "queue{q=\"a\"} 7\n");
  bu_assert_contains(t, "bytes_total 42\n");
  v = 8;
  bu_assert_contains(render(), "queue{q=\"a\"} 8\n");
  assert_int_equal(promc_metric_set_function(PROMC_METRIC(a), NULL, NULL), 0);
  promc_gauge_set(a, 3);
  bu_assert_contains(render(), "queue{q=\"a\"} 3\n");
}

static void histogram_buckets_and_consistency(void **state) {
  (void)state;
  promc_histogram *h, *d;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "lat_seconds", .help = "L.", .unit = "seconds",
                                                         .registry = reg, PROMC_BUCKETS(0.1, 1, 10)}),
                   0);
  assert_int_equal(promc_histogram_new(&d, &(promc_opts){.name = "def", .help = "d", .registry = reg}), 0);
  double obs[] = {0.05, 0.1, 0.5, 1, 5, 50, NAN};
  for (size_t i = 0; i < 6; i++) promc_histogram_observe(h, obs[i]);
  uint64_t cum[4], count;
  double sum;
  assert_int_equal(promc_histogram_get(h, cum, 4, &count, &sum), 0);
  assert_int_equal(cum[0], 2); /* 0.05, 0.1 (le is inclusive) */
  assert_int_equal(cum[1], 4);
  assert_int_equal(cum[2], 5);
  assert_int_equal(cum[3], 6);
  assert_int_equal(count, 6);
  assert_true(fabs(sum - 56.65) < 1e-12);
  char *t = render();
  bu_assert_contains(t, "lat_seconds_bucket{le=\"0.1\"} 2\nlat_seconds_bucket{le=\"1\"} 4\n"
                     "lat_seconds_bucket{le=\"10\"} 5\nlat_seconds_bucket{le=\"+Inf\"} 6\n"
                     "lat_seconds_count 6\nlat_seconds_sum 56.65\n");
  /* the default buckets are client_python's */
  bu_assert_contains(t, "def_bucket{le=\"0.005\"} 0\n");
  bu_assert_contains(t, "def_bucket{le=\"0.075\"} 0\ndef_bucket{le=\"0.1\"} 0\n");
  bu_assert_contains(t, "def_bucket{le=\"7.5\"} 0\ndef_bucket{le=\"10\"} 0\ndef_bucket{le=\"+Inf\"} 0\n");
  promc_histogram_observe(h, obs[6]); /* NaN: +Inf bucket, sum NaN */
  bu_assert_contains(render(), "lat_seconds_bucket{le=\"+Inf\"} 7\nlat_seconds_count 7\nlat_seconds_sum NaN\n");
}

static void many_buckets_use_binary_search(void **state) {
  (void)state;
  double b[100];
  assert_int_equal(promc_linear_buckets(1, 1, 100, b), 0);
  promc_histogram *h;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "big", .help = "b", .registry = reg,
                                                         .buckets = b, .nbuckets = 100}),
                   0);
  for (int v = 0; v <= 101; v++) promc_histogram_observe(h, v);
  uint64_t cum[101];
  assert_int_equal(promc_histogram_get(h, cum, 101, NULL, NULL), 0);
  for (int i = 0; i < 100; i++) assert_int_equal(cum[i], (uint64_t)(i + 2)); /* 0..i+1 */
  assert_int_equal(cum[100], 102);
  bu_assert_contains(render(), "big_bucket{le=\"100\"} 101\nbig_bucket{le=\"+Inf\"} 102\n");
}

static void bucket_helpers(void **state) {
  (void)state;
  double b[4];
  assert_int_equal(promc_linear_buckets(0.5, 0.25, 4, b), 0);
  assert_true(b[0] == 0.5 && b[3] == 1.25);
  assert_int_equal(promc_exponential_buckets(1, 2, 4, b), 0);
  assert_true(b[0] == 1 && b[1] == 2 && b[3] == 8);
  assert_int_equal(promc_exponential_buckets(0, 2, 4, b), PROMC_EINVAL);
  assert_int_equal(promc_exponential_buckets(1, 1, 4, b), PROMC_EINVAL);
  assert_int_equal(promc_linear_buckets(0, 0, 4, b), PROMC_EINVAL);
  assert_int_equal(promc_linear_buckets(0, 1, 0, b), PROMC_EINVAL);
}

static void summary_count_and_sum(void **state) {
  (void)state;
  promc_summary *s;
  assert_int_equal(promc_summary_new(&s, &(promc_opts){.name = "size_bytes", .help = "S.", .registry = reg,
                                                       PROMC_LABEL_NAMES("path")}),
                   0);
  promc_summary *a = promc_summary_labels(s, "/a");
  promc_summary_observe(a, 3);
  promc_summary_observe(a, 4.5);
  uint64_t n;
  double sum;
  assert_int_equal(promc_summary_get(a, &n, &sum), 0);
  assert_int_equal(n, 2);
  assert_true(sum == 7.5);
  bu_assert_contains(render(), "# TYPE size_bytes summary\nsize_bytes_count{path=\"/a\"} 2\nsize_bytes_sum{path=\"/a\"} 7.5\n");
}

static void info_and_enum(void **state) {
  (void)state;
  promc_info *i;
  promc_enum *e;
  assert_int_equal(promc_info_new(&i, &(promc_opts){.name = "build", .help = "Build.", .registry = reg}), 0);
  assert_int_equal(promc_info_set(i, 2, (const char *[]){"version", "commit"}, (const char *[]){"1.2", "ab\"c"}), 0);
  assert_int_equal(promc_enum_new(&e, &(promc_opts){.name = "task_state", .help = "State.", .registry = reg,
                                                    PROMC_LABEL_NAMES("task"), PROMC_STATES("idle", "running")}),
                   0);
  promc_enum *t1 = promc_enum_labels(e, "t1");
  assert_int_equal(promc_enum_get(t1), 0);
  assert_int_equal(promc_enum_state(t1, "running"), 0);
  assert_int_equal(promc_enum_get(t1), 1);
  assert_int_equal(promc_enum_state(t1, "nope"), PROMC_ENOTFOUND);
  assert_int_equal(promc_enum_set(t1, 2), PROMC_EVALUE);
  assert_int_equal(promc_enum_get(t1), 1);
  char *t = render();
  bu_assert_contains(t, "# TYPE build_info gauge\nbuild_info{version=\"1.2\",commit=\"ab\\\"c\"} 1\n");
  bu_assert_contains(t, "task_state{task=\"t1\",task_state=\"idle\"} 0\ntask_state{task=\"t1\",task_state=\"running\"} 1\n");
  assert_int_equal(promc_info_set(i, 1, (const char *[]){"version"}, (const char *[]){"1.3"}), 0);
  bu_assert_contains(render(), "build_info{version=\"1.3\"} 1\n");
}

static void children_are_stable_removable_and_escaped(void **state) {
  (void)state;
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "http", .help = "H.", .registry = reg,
                                                       PROMC_LABEL_NAMES("method", "path")}),
                   0);
  promc_counter *a = promc_counter_labels(c, "GET", "/a\"b\\c\nd");
  assert_non_null(a);
  assert_ptr_equal(a, promc_counter_labels(c, "GET", "/a\"b\\c\nd"));
  promc_counter *b = promc_counter_labels(c, "GE", "T/a");
  assert_ptr_not_equal(a, b); /* value boundaries matter */
  promc_counter_inc(a);
  promc_counter_add(b, 2);
  char *t = render();
  bu_assert_contains(t, "http_total{method=\"GET\",path=\"/a\\\"b\\\\c\\nd\"} 1\nhttp_total{method=\"GE\",path=\"T/a\"} 2\n");
  /* remove: gone from output, the handle still accepts writes, re-adding starts at 0 */
  assert_int_equal(promc_metric_remove(c, "GET", "/a\"b\\c\nd"), 0);
  assert_int_equal(promc_metric_remove(c, "GET", "/a\"b\\c\nd"), PROMC_ENOTFOUND);
  promc_counter_inc(a);
  t = render();
  bu_assert_not_contains(t, "method=\"GET\"");
  assert_ptr_equal(promc_counter_labels(c, "GET", "/a\"b\\c\nd"), a);
  assert_true(promc_counter_get(a) == 0);
  assert_int_equal(promc_metric_clear(PROMC_METRIC(c)), 0);
  bu_assert_not_contains(render(), "http_total{");
  assert_true(promc_counter_get(b) == 2); /* cleared children keep their memory */
}

static void many_children_grow_the_table(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "many", .help = "m", .registry = reg,
                                                     PROMC_LABEL_NAMES("id", "x")}),
                   0);
  promc_gauge *h[5000];
  char id[16];
  for (int i = 0; i < 5000; i++) {
    snprintf(id, sizeof id, "%d", i);
    h[i] = promc_gauge_labels(g, id, "same");
    assert_non_null(h[i]);
    promc_gauge_set(h[i], i);
  }
  for (int i = 0; i < 5000; i++) {
    snprintf(id, sizeof id, "%d", i);
    assert_ptr_equal(h[i], promc_gauge_labels(g, id, "same"));
  }
  char *t = render();
  bu_assert_contains(t, "many{id=\"0\",x=\"same\"} 0\nmany{id=\"1\",x=\"same\"} 1\n");
  bu_assert_contains(t, "many{id=\"4999\",x=\"same\"} 4999\n");
}

static void const_labels_on_every_child(void **state) {
  (void)state;
  static const char *cn[] = {"env", "zone"}, *cv[] = {"prod", "a\"1"};
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "ops", .help = "o", .registry = reg,
                                                       PROMC_LABEL_NAMES("op"), PROMC_CONST_LABELS(cn, cv)}),
                   0);
  promc_counter_inc(promc_counter_labels(c, "read"));
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "up1", .help = "u", .registry = reg,
                                                     PROMC_CONST_LABELS(cn, cv)}),
                   0);
  char *t = render();
  bu_assert_contains(t, "ops_total{env=\"prod\",zone=\"a\\\"1\",op=\"read\"} 1\n");
  bu_assert_contains(t, "up1{env=\"prod\",zone=\"a\\\"1\"} 0\n");
}

static void registry_register_unregister_and_collisions(void **state) {
  (void)state;
  promc_counter *c;
  promc_gauge *g, *g2;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "foo", .help = "f", .registry = reg}), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "foo_total", .help = "g", .registry = reg}), PROMC_EDUP);
  assert_non_null(strstr(promc_errmsg(), "foo_total"));
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "foo_created", .help = "g", .registry = reg}), PROMC_EDUP);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "bar", .help = "g", .no_register = 1}), 0);
  bu_assert_not_contains(render(), "bar");
  assert_int_equal(promc_register(reg, PROMC_METRIC(g)), 0);
  assert_int_equal(promc_register(reg, PROMC_METRIC(g)), PROMC_ESTATE);
  promc_gauge_set(g, 3);
  bu_assert_contains(render(), "bar 3\n");
  assert_int_equal(promc_unregister(PROMC_METRIC(g)), 0);
  assert_int_equal(promc_unregister(PROMC_METRIC(g)), PROMC_ENOTFOUND);
  bu_assert_not_contains(render(), "bar 3");
  assert_int_equal(promc_gauge_new(&g2, &(promc_opts){.name = "bar", .help = "g", .registry = reg}), 0);
  assert_int_equal(promc_register(reg, PROMC_METRIC(g)), PROMC_EDUP);
  assert_int_equal(promc_metric_destroy(PROMC_METRIC(g)), 0);
  assert_int_equal(promc_metric_destroy(PROMC_METRIC(g2)), 0);
  /* families keep registration order */
  promc_gauge *z, *a;
  assert_int_equal(promc_gauge_new(&z, &(promc_opts){.name = "zz", .help = "z", .registry = reg}), 0);
  assert_int_equal(promc_gauge_new(&a, &(promc_opts){.name = "aa", .help = "a", .registry = reg}), 0);
  char *t = render();
  assert_true(strstr(t, "# TYPE zz") < strstr(t, "# TYPE aa"));
}

static void default_registry_is_used_without_registry(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "promc_test_default_gauge", .help = "d"}), 0);
  promc_gauge_set(g, 5);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(promc_default_registry(), PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_non_null(strstr(b.data, "promc_test_default_gauge 5\n"));
  promc_buf_free(&b);
  assert_int_equal(promc_metric_destroy(PROMC_METRIC(g)), 0);
}

static int my_collect(promc_collect *ctx, void *user) {
  int *calls = user;
  (*calls)++;
  promc_collect_family(ctx, "ext_temperature_celsius", "From elsewhere.", PROMC_TYPE_GAUGE, "celsius");
  promc_collect_sample(ctx, 1, (const char *[]){"room"}, (const char *[]){"a\\b"}, 21.5);
  promc_collect_family(ctx, "ext_events_total", "Events.", PROMC_TYPE_COUNTER, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 3);
  promc_collect_family(ctx, "ext_lat", "Lat.", PROMC_TYPE_HISTOGRAM, NULL);
  promc_collect_histogram(ctx, 0, NULL, NULL, 2, (const double[]){1, 2}, (const uint64_t[]){1, 3, 4}, 5.5);
  promc_collect_family(ctx, "ext_sum", "Sum.", PROMC_TYPE_SUMMARY, NULL);
  promc_collect_summary(ctx, 0, NULL, NULL, 4, 2.5, 1, (const double[]){0.5}, (const double[]){0.7});
  /* bad input from a collector is refused, not rendered */
  assert_int_equal(promc_collect_sample(ctx, 1, (const char *[]){"__x"}, (const char *[]){"v"}, 1), PROMC_ELABEL);
  assert_int_equal(promc_collect_family(ctx, "bad name", "x", PROMC_TYPE_GAUGE, NULL), PROMC_ENAME);
  assert_int_equal(promc_collect_sample(ctx, 0, NULL, NULL, 1), PROMC_ESTATE);
  return *calls > 1 ? -1 : 0;
}

static void collectors_emit_at_scrape(void **state) {
  (void)state;
  int calls = 0;
  promc_collector c = {.name = "ext", .collect = my_collect, .user = &calls};
  assert_int_equal(promc_registry_add_collector(reg, &c), 0);
  assert_int_equal(promc_registry_add_collector(reg, &c), PROMC_EDUP);
  char *t = render();
  assert_int_equal(calls, 1);
  bu_assert_contains(t, "# TYPE ext_temperature_celsius gauge\next_temperature_celsius{room=\"a\\\\b\"} 21.5\n");
  bu_assert_contains(t, "# TYPE ext_events_total counter\next_events_total 3\n");
  bu_assert_contains(t, "ext_lat_bucket{le=\"1\"} 1\next_lat_bucket{le=\"2\"} 3\next_lat_bucket{le=\"+Inf\"} 4\n"
                     "ext_lat_count 4\next_lat_sum 5.5\n");
  bu_assert_contains(t, "ext_sum{quantile=\"0.5\"} 0.7\next_sum_count 4\next_sum_sum 2.5\n");
  bu_assert_not_contains(t, "bad name");
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), PROMC_ECALLBACK);
  assert_non_null(strstr(b.data, "ext_events_total 3")); /* what it emitted is kept */
  promc_buf_free(&b);
  assert_int_equal(promc_registry_remove_collector(reg, "ext"), 0);
  assert_int_equal(promc_registry_remove_collector(reg, "ext"), PROMC_ENOTFOUND);
  bu_assert_not_contains(render(), "ext_");
}

static void name_filter_selects_families(void **state) {
  (void)state;
  promc_counter *c;
  promc_histogram *h;
  promc_gauge *g;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "http_status", .help = "s", .registry = reg}), 0);
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "lat", .help = "l", .registry = reg}), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "http_status_totalx", .help = "g", .registry = reg}), 0);
  promc_buf b = {0};
  const char *names[] = {"http_status_total", "lat_bucket"};
  promc_render_opts o = {.names = names, .nnames = 2};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, &o, &b), 0);
  assert_non_null(strstr(b.data, "http_status_total 0"));
  assert_non_null(strstr(b.data, "lat_count 0"));
  assert_null(strstr(b.data, "totalx"));
  b.len = 0;
  const char *none[] = {"nothing"};
  o = (promc_render_opts){.names = none, .nnames = 1};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, &o, &b), 0);
  assert_int_equal(b.len, 0);
  promc_buf_free(&b);
}

static int refuse_after(void *user, const char *d, size_t n) {
  (void)d;
  size_t *left = user;
  if (*left < n) return -1;
  *left -= n;
  return 0;
}

static void sink_failure_is_reported(void **state) {
  (void)state;
  promc_gauge *g;
  char name[32];
  for (int i = 0; i < 3000; i++) {
    snprintf(name, sizeof name, "g%d", i);
    assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = name, .help = "a fairly long help text here", .registry = reg}), 0);
  }
  size_t left = 20000;
  assert_int_equal(promc_registry_render(reg, PROMC_FORMAT_TEXT, NULL, refuse_after, &left), PROMC_EIO);
  left = SIZE_MAX;
  assert_int_equal(promc_registry_render(reg, PROMC_FORMAT_TEXT, NULL, refuse_after, &left), 0);
}

static void doubles_print_shortest_round_trip(void **state) {
  (void)state;
  static const struct {
    double v;
    const char *text;
  } cases[] = {
      {0, "0"}, {-0.0, "-0"}, {1, "1"}, {-3, "-3"}, {0.1, "0.1"}, {1e-9, "1e-09"}, {1e21, "1e+21"},
      {123456789012345, "123456789012345"}, {1e15, "1e+15"}, {0.3, "0.3"}, {2.5, "2.5"},
      {1.0 / 3, "0.3333333333333333"}, {5e-324, "5e-324"}, {2.2250738585072014e-308, "2.2250738585072014e-308"}, {9007199254740993.0, "9007199254740992"}, {5.0e-7, "5e-07"}, {123456.7890123, "123456.7890123"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
      {INFINITY, "+Inf"}, {-INFINITY, "-Inf"}, {NAN, "NaN"}, {0.1 + 0.2, "0.30000000000000004"},
  };
  char buf[32];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = promc_format_double(cases[i].v, buf);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, cases[i].text);
    if (!isnan(cases[i].v) && !isinf(cases[i].v)) {
      double back = strtod(buf, NULL);
      assert_memory_equal(&back, &cases[i].v, sizeof back);
    }
  }
  /* random doubles all read back exactly */
  unsigned long long x = 88172645463325252ull;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double v;
    memcpy(&v, &x, sizeof v);
    if (isnan(v) || isinf(v)) continue;
    promc_format_double(v, buf);
    double back = strtod(buf, NULL);
    assert_memory_equal(&back, &v, sizeof v);
  }
}

/* Integers print as their decimal digits: every length (powers of ten and
 * their neighbours, where a digit count changes) and random ones. */
static void integers_print_every_digit_count(void **state) {
  (void)state;
  char buf[32], ref[32];
  double p = 1;
  for (int k = 0; k <= 15; k++, p *= 10) {
    for (double d = -1; d <= 1; d++) {
      double v = p + d;
      if (v < 0 || v >= 1e15) continue; /* 1e15 on is exponent form: the cases above */
      promc_format_double(v, buf);
      snprintf(ref, sizeof ref, "%.0f", v);
      assert_string_equal(buf, ref);
    }
  }
  unsigned long long x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double v = (double)(x % 1000000000000000ull >> (x % 50)); /* every magnitude below 1e15 */
    promc_format_double(v, buf);
    snprintf(ref, sizeof ref, "%.0f", v);
    assert_string_equal(buf, ref);
  }
}

static void errors_have_names_and_text(void **state) {
  (void)state;
  assert_string_equal(promc_errname(PROMC_ECARD), "PROMC_ECARD");
  assert_string_equal(promc_strerror(PROMC_ENAME), "invalid metric name");
  assert_string_equal(promc_strerror(12345), "unknown error");
  assert_string_equal(promc_version(), PROMC_VERSION_STRING);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(counter_exposes_total_and_adds_exactly, setup, teardown),
      cmocka_unit_test_setup_teardown(counter_rejects_negative_and_nan_add, setup, teardown),
      cmocka_unit_test_setup_teardown(created_samples_switch_on, setup, teardown),
      cmocka_unit_test_setup_teardown(gauge_operations, setup, teardown),
      cmocka_unit_test_setup_teardown(function_valued_children, setup, teardown),
      cmocka_unit_test_setup_teardown(histogram_buckets_and_consistency, setup, teardown),
      cmocka_unit_test_setup_teardown(many_buckets_use_binary_search, setup, teardown),
      cmocka_unit_test_setup_teardown(bucket_helpers, setup, teardown),
      cmocka_unit_test_setup_teardown(summary_count_and_sum, setup, teardown),
      cmocka_unit_test_setup_teardown(info_and_enum, setup, teardown),
      cmocka_unit_test_setup_teardown(children_are_stable_removable_and_escaped, setup, teardown),
      cmocka_unit_test_setup_teardown(many_children_grow_the_table, setup, teardown),
      cmocka_unit_test_setup_teardown(const_labels_on_every_child, setup, teardown),
      cmocka_unit_test_setup_teardown(registry_register_unregister_and_collisions, setup, teardown),
      cmocka_unit_test_setup_teardown(default_registry_is_used_without_registry, setup, teardown),
      cmocka_unit_test_setup_teardown(collectors_emit_at_scrape, setup, teardown),
      cmocka_unit_test_setup_teardown(name_filter_selects_families, setup, teardown),
      cmocka_unit_test_setup_teardown(sink_failure_is_reported, setup, teardown),
      cmocka_unit_test(doubles_print_shortest_round_trip),
      cmocka_unit_test(integers_print_every_digit_count),
      cmocka_unit_test(errors_have_names_and_text),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
