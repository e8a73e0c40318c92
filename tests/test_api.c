/* SPDX-License-Identifier: Apache-2.0 */
/* test_api.c — API contracts users rely on when porting: NULL as the default
 * registry in the render functions, promc_buf's NUL termination, explicit
 * +Inf buckets, and counter_name_as_given (text and protobuf keep the name,
 * OpenMetrics appends _total, names stay owned for collisions and name[]). */
#include <limits.h>
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

static char *render_fmt(promc_format f, const promc_render_opts *o) {
  static promc_buf b;
  return bu_render_reuse(reg, f, o, &b);
}

/* ---------------------------------------------- NULL = the default registry */
static void render_null_renders_the_default_registry(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "api_default_gauge", .help = "In the default."}), 0);
  promc_gauge_set(g, 42);
  for (promc_format f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++) {
    promc_buf want = {0}, got = {0}, got2 = {0};
    assert_int_equal(promc_registry_render_buf(promc_default_registry(), f, NULL, &want), 0);
    assert_int_equal(promc_registry_render(NULL, f, NULL, promc_buf_write, &got), 0);
    assert_int_equal(promc_registry_render_buf(NULL, f, NULL, &got2), 0);
    assert_true(want.len > 0);
    assert_int_equal(got.len, want.len);
    assert_int_equal(got2.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    assert_memory_equal(got2.data, want.data, want.len);
    if (f == PROMC_FORMAT_TEXT) bu_assert_contains(got.data, "api_default_gauge 42\n");
    promc_buf_free(&want);
    promc_buf_free(&got);
    promc_buf_free(&got2);
  }
  /* the other arguments are still checked */
  assert_int_equal(promc_registry_render(NULL, PROMC_FORMAT_TEXT, NULL, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_registry_render_buf(NULL, PROMC_FORMAT_TEXT, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_metric_destroy(PROMC_METRIC(g)), 0);
}

/* ------------------------------------------------------- promc_buf termination */
static void buf_is_nul_terminated_after_every_write(void **state) {
  (void)state;
  promc_buf b = {0};
  assert_int_equal(promc_buf_write(&b, "abc", 3), 0);
  assert_int_equal(b.len, 3);
  assert_true(b.cap > b.len);
  assert_int_equal(b.data[3], '\0');
  assert_string_equal(b.data, "abc");
  /* growing past the first block keeps the terminator */
  static char big[10000];
  memset(big, 'x', sizeof big);
  assert_int_equal(promc_buf_write(&b, big, sizeof big), 0);
  assert_int_equal(b.len, 3 + sizeof big);
  assert_int_equal(b.data[b.len], '\0');
  assert_int_equal(strlen(b.data), b.len);
  /* reset by hand: the old bytes stay until the next write terminates */
  b.len = 0;
  assert_int_equal(promc_buf_write(&b, "", 0), 0);
  assert_string_equal(b.data, "");
  promc_buf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
}

static void rendered_buf_is_a_c_string_and_empty_render_leaves_data_null(void **state) {
  (void)state;
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_null(b.data); /* nothing rendered, nothing written */
  assert_int_equal(b.len, 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "api_c", .help = "c", .registry = reg}), 0);
  for (promc_format f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_OPENMETRICS; f++) {
    b.len = 0;
    assert_int_equal(promc_registry_render_buf(reg, f, NULL, &b), 0);
    assert_non_null(b.data);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(strlen(b.data), b.len);
  }
  promc_buf_free(&b);
}

/* --------------------------------------------------------- explicit +Inf */
static void explicit_inf_bucket_is_accepted_once(void **state) {
  (void)state;
  promc_histogram *h, *h2;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "api_with_inf", .help = "h", .registry = reg,
                                                         PROMC_BUCKETS(1, 2, INFINITY)}),
                   0);
  assert_int_equal(promc_histogram_new(&h2, &(promc_opts){.name = "api_without_inf", .help = "h", .registry = reg,
                                                          PROMC_BUCKETS(1, 2)}),
                   0);
  promc_histogram_observe(h, 1.5);
  promc_histogram_observe(h, 7);
  promc_histogram_observe(h2, 1.5);
  promc_histogram_observe(h2, 7);
  uint64_t cum[3], count;
  double sum;
  assert_int_equal(promc_histogram_get(h, cum, 3, &count, &sum), 0);
  assert_int_equal(cum[0], 0);
  assert_int_equal(cum[1], 1);
  assert_int_equal(cum[2], 2);
  assert_int_equal(count, 2);
  assert_int_equal(promc_histogram_get(h, cum, 2, &count, &sum), PROMC_EINVAL);
  assert_int_equal(promc_histogram_get(h2, cum, 3, &count, &sum), 0);
  assert_int_equal(cum[2], 2);
  char *t = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_contains(t, "api_with_inf_bucket{le=\"1\"} 0\napi_with_inf_bucket{le=\"2\"} 1\n"
                     "api_with_inf_bucket{le=\"+Inf\"} 2\napi_with_inf_count 2\n");
  bu_assert_contains(t, "api_without_inf_bucket{le=\"1\"} 0\napi_without_inf_bucket{le=\"2\"} 1\n"
                     "api_without_inf_bucket{le=\"+Inf\"} 2\napi_without_inf_count 2\n");
  /* +Inf anywhere but last, and -Inf, are refused */
  promc_histogram *bad;
  assert_int_equal(promc_histogram_new(&bad, &(promc_opts){.name = "api_bad1", .help = "h", .registry = reg,
                                                           PROMC_BUCKETS(INFINITY, 2)}),
                   PROMC_EBUCKETS);
  assert_int_equal(promc_histogram_new(&bad, &(promc_opts){.name = "api_bad2", .help = "h", .registry = reg,
                                                           PROMC_BUCKETS(-INFINITY, 2)}),
                   PROMC_EBUCKETS);
}

/* ------------------------------------------------- counter_name_as_given */
static void counter_name_as_given_in_text_and_protobuf_not_openmetrics(void **state) {
  (void)state;
  promc_counter *c, *l, *t;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "legacy_requests", .help = "Requests.",
                                                       .registry = reg, .counter_name_as_given = 1}),
                   0);
  assert_int_equal(promc_counter_new(&l, &(promc_opts){.name = "legacy_errors", .help = "Errors.", .registry = reg,
                                                       .counter_name_as_given = 1, PROMC_LABEL_NAMES("code")}),
                   0);
  assert_int_equal(promc_counter_new(&t, &(promc_opts){.name = "legacy_jobs_total", .help = "Jobs.",
                                                       .registry = reg, .counter_name_as_given = 1}),
                   0);
  assert_string_equal(promc_metric_name(PROMC_METRIC(c)), "legacy_requests");
  promc_counter_add_int(c, 3);
  promc_counter_inc(promc_counter_labels(l, "500"));
  promc_counter_inc(t);

  char *txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_contains(txt, "# HELP legacy_requests Requests.\n# TYPE legacy_requests counter\nlegacy_requests 3\n");
  bu_assert_contains(txt,
                     "# HELP legacy_errors Errors.\n# TYPE legacy_errors counter\nlegacy_errors{code=\"500\"} 1\n");
  bu_assert_contains(txt, "# TYPE legacy_jobs_total counter\nlegacy_jobs_total 1\n"); /* as given: with _total */
  bu_assert_not_contains(txt, "legacy_requests_total");
  bu_assert_not_contains(txt, "legacy_errors_total");

  promc_registry_set_created(reg, 1);
  txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_contains(txt, "# TYPE legacy_requests_created gauge\nlegacy_requests_created ");
  promc_registry_set_created(reg, 0);

  char *om = render_fmt(PROMC_FORMAT_OPENMETRICS, NULL);
  bu_assert_contains(om, "# HELP legacy_requests Requests.\n# TYPE legacy_requests counter\nlegacy_requests_total 3\n");
  bu_assert_contains(om, "legacy_errors_total{code=\"500\"} 1\n");
  bu_assert_contains(om, "# TYPE legacy_jobs counter\n");
  bu_assert_contains(om, "legacy_jobs_total 1\n");

  /* protobuf: MetricFamily.name (field 1) is the name as given */
  promc_buf pb = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_PROTOBUF, NULL, &pb), 0);
  static const char want_c[] = "\x0a\x0flegacy_requests\x12";
  static const char want_l[] = "\x0a\x0dlegacy_errors\x12";
  static const char want_t[] = "\x0a\x11legacy_jobs_total\x12";
  assert_non_null(memmem(pb.data, pb.len, want_c, sizeof want_c - 1));
  assert_non_null(memmem(pb.data, pb.len, want_l, sizeof want_l - 1));
  assert_non_null(memmem(pb.data, pb.len, want_t, sizeof want_t - 1));
  assert_null(memmem(pb.data, pb.len, "legacy_requests_total", 21));
  promc_buf_free(&pb);
}

static void counter_name_as_given_keeps_every_name_for_collisions(void **state) {
  (void)state;
  promc_counter *c, *x;
  promc_gauge *g;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "legacy_requests", .help = "r", .registry = reg,
                                                       .counter_name_as_given = 1}),
                   0);
  /* what the text format shows, and what OpenMetrics shows, are both taken */
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "legacy_requests", .help = "g", .registry = reg}),
                   PROMC_EDUP);
  bu_assert_contains(promc_errmsg(), "legacy_requests");
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "legacy_requests_total", .help = "g", .registry = reg}),
                   PROMC_EDUP);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "legacy_requests_created", .help = "g",
                                                     .registry = reg}),
                   PROMC_EDUP);
  assert_int_equal(promc_counter_new(&x, &(promc_opts){.name = "legacy_requests_total", .help = "c",
                                                       .registry = reg}),
                   PROMC_EDUP);
  /* the reverse order: a flagged counter cannot take a gauge's name */
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "legacy_depth", .help = "g", .registry = reg}), 0);
  assert_int_equal(promc_counter_new(&x, &(promc_opts){.name = "legacy_depth", .help = "c", .registry = reg,
                                                       .counter_name_as_given = 1}),
                   PROMC_EDUP);
  /* other types refuse the option, with a message */
  promc_histogram *h;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "legacy_g", .help = "g", .registry = reg,
                                                     .counter_name_as_given = 1}),
                   PROMC_EINVAL);
  bu_assert_contains(promc_errmsg(), "counter_name_as_given");
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "legacy_h", .help = "h", .registry = reg,
                                                         .counter_name_as_given = 1}),
                   PROMC_EINVAL);
  /* the unit rule still applies to the name */
  assert_int_equal(promc_counter_new(&x, &(promc_opts){.name = "legacy_bytes", .help = "b", .unit = "seconds",
                                                       .registry = reg, .counter_name_as_given = 1}),
                   PROMC_ENAME);
}

static void counter_name_as_given_is_selected_by_every_name(void **state) {
  (void)state;
  promc_counter *c;
  promc_gauge *g;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "legacy_requests", .help = "r", .registry = reg,
                                                       .counter_name_as_given = 1}),
                   0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "legacy_other", .help = "g", .registry = reg}), 0);
  const char *sel[] = {"legacy_requests", "legacy_requests_total", "legacy_requests_created"};
  for (size_t i = 0; i < 3; i++) {
    promc_render_opts o = {.names = &sel[i], .nnames = 1};
    char *t = render_fmt(PROMC_FORMAT_TEXT, &o);
    bu_assert_contains(t, "\nlegacy_requests 0\n");
    bu_assert_not_contains(t, "legacy_other");
    char *om = render_fmt(PROMC_FORMAT_OPENMETRICS, &o);
    bu_assert_contains(om, "\nlegacy_requests_total 0\n");
    bu_assert_not_contains(om, "legacy_other");
  }
  const char *none[] = {"legacy_requests_totalx"};
  promc_render_opts o = {.names = none, .nnames = 1};
  bu_assert_not_contains(render_fmt(PROMC_FORMAT_TEXT, &o), "legacy_requests");
}

/* The codes are ABI: each keeps its number, name and text (written out here,
 * not taken from PROMC_ERROR_MAP, so an edit of the list is caught). */
static void error_codes_keep_numbers_names_and_texts(void **state) {
  (void)state;
  static const struct {
    int code, want;
    const char *name, *text;
  } k[] = {
      {PROMC_OK, 0, "PROMC_OK", "success"},
      {PROMC_EINVAL, -1, "PROMC_EINVAL", "invalid argument"},
      {PROMC_ENAME, -2, "PROMC_ENAME", "invalid metric name"},
      {PROMC_ELABEL, -3, "PROMC_ELABEL", "invalid or reserved label name"},
      {PROMC_EDUP, -4, "PROMC_EDUP", "duplicate or colliding name"},
      {PROMC_ECARD, -5, "PROMC_ECARD", "wrong number of label values"},
      {PROMC_EVALUE, -6, "PROMC_EVALUE", "value not allowed"},
      {PROMC_EBUCKETS, -7, "PROMC_EBUCKETS", "invalid histogram buckets"},
      {PROMC_ENOMEM, -8, "PROMC_ENOMEM", "out of memory"},
      {PROMC_ETYPE, -9, "PROMC_ETYPE", "wrong metric type"},
      {PROMC_ENOTFOUND, -10, "PROMC_ENOTFOUND", "not found"},
      {PROMC_EIO, -11, "PROMC_EIO", "output failed"},
      {PROMC_ESTATE, -12, "PROMC_ESTATE", "wrong state for this call"},
      {PROMC_EUNSUPP, -13, "PROMC_EUNSUPP", "not supported"},
      {PROMC_ECALLBACK, -14, "PROMC_ECALLBACK", "a callback failed"},
      {PROMC_ENET, -15, "PROMC_ENET", "network error"},
      {PROMC_EHTTP, -16, "PROMC_EHTTP", "HTTP error status"},
      {PROMC_EFULL, -17, "PROMC_EFULL", "storage full"},
      {PROMC_ETIMEOUT, -18, "PROMC_ETIMEOUT", "timed out"},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    assert_int_equal(k[i].code, k[i].want);
    assert_string_equal(promc_errname(k[i].code), k[i].name);
    assert_string_equal(promc_strerror(k[i].code), k[i].text);
  }
  static const int unknown[] = {1, -19, -1000, INT_MIN, INT_MAX};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    assert_string_equal(promc_strerror(unknown[i]), "unknown error");
    assert_string_equal(promc_errname(unknown[i]), "PROMC_E?");
  }
#define COUNT_ONE(name, value, text) +1
  assert_int_equal(0 PROMC_ERROR_MAP(COUNT_ONE), sizeof k / sizeof k[0]);
#undef COUNT_ONE
}

/* ------------------------------------------------- typed run-time lookups */
static void typed_labelsv_for_every_kind(void **state) {
  (void)state;
  promc_counter *c;
  promc_gauge *g;
  promc_histogram *h;
  promc_summary *su;
  promc_info *in;
  promc_enum *e;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "tv_c", .help = "c", .registry = reg,
                                                       PROMC_LABEL_NAMES("a", "b")}), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "tv_g", .help = "g", .registry = reg,
                                                     PROMC_LABEL_NAMES("a")}), 0);
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "tv_h", .help = "h", .registry = reg,
                                                         PROMC_LABEL_NAMES("a"), PROMC_BUCKETS(1)}), 0);
  assert_int_equal(promc_summary_new(&su, &(promc_opts){.name = "tv_s", .help = "s", .registry = reg,
                                                        PROMC_LABEL_NAMES("a")}), 0);
  assert_int_equal(promc_info_new(&in, &(promc_opts){.name = "tv_i", .help = "i", .registry = reg,
                                                     PROMC_LABEL_NAMES("a")}), 0);
  assert_int_equal(promc_enum_new(&e, &(promc_opts){.name = "tv_e", .help = "e", .registry = reg,
                                                    PROMC_LABEL_NAMES("a"), PROMC_STATES("on", "off")}), 0);
  const char *ab[2] = {"x", "y\"z"}, *one[1] = {"v"};
  promc_counter *cc = promc_counter_labelsv(c, 2, ab);
  assert_non_null(cc);
  assert_ptr_equal(cc, promc_counter_labels(c, "x", "y\"z")); /* the macro is the same lookup */
  promc_counter_add_int(cc, 2);
  promc_gauge_set(promc_gauge_labelsv(g, 1, one), 5);
  promc_histogram_observe(promc_histogram_labelsv(h, 1, one), 0.5);
  promc_summary_observe(promc_summary_labelsv(su, 1, one), 3);
  assert_int_equal(promc_info_set(promc_info_labelsv(in, 1, one), 1, (const char *const[]){"k"},
                                  (const char *const[]){"w"}), 0);
  assert_int_equal(promc_enum_set(promc_enum_labelsv(e, 1, one), 1), 0);
  char *txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_contains(txt, "tv_c_total{a=\"x\",b=\"y\\\"z\"} 2\n");
  bu_assert_contains(txt, "tv_g{a=\"v\"} 5\n");
  bu_assert_contains(txt, "tv_h_bucket{a=\"v\",le=\"1\"} 1\n");
  bu_assert_contains(txt, "tv_s_sum{a=\"v\"} 3\n");
  bu_assert_contains(txt, "tv_i_info{a=\"v\",k=\"w\"} 1\n");
  bu_assert_contains(txt, "tv_e{a=\"v\",tv_e=\"off\"} 1\n");

  /* errors as the generic lookup, plus a handle of the wrong type */
  assert_null(promc_counter_labelsv(c, 1, one));
  assert_non_null(strstr(promc_errmsg(), "2 label names, 1 values given"));
  assert_null(promc_counter_labelsv(cc, 2, ab));
  assert_non_null(strstr(promc_errmsg(), "already a child"));
  assert_null(promc_counter_labelsv(NULL, 2, ab));
  assert_non_null(strstr(promc_errmsg(), "NULL metric handle"));
  assert_null(promc_counter_labelsv((promc_counter *)(void *)g, 1, one));
  assert_string_equal(promc_errmsg(), "promc_counter_labelsv: \"tv_g\" is a gauge, not a counter");
  assert_null(promc_gauge_labelsv((promc_gauge *)(void *)h, 1, one));
  assert_non_null(strstr(promc_errmsg(), "is a histogram, not a gauge"));

  /* removev twins */
  assert_int_equal(promc_counter_removev(c, 2, ab), 0);
  assert_int_equal(promc_counter_removev(c, 2, ab), PROMC_ENOTFOUND);
  assert_int_equal(promc_gauge_removev((promc_gauge *)(void *)c, 2, ab), PROMC_ETYPE);
  assert_non_null(strstr(promc_errmsg(), "promc_gauge_removev: \"tv_c\" is a counter"));
  assert_int_equal(promc_gauge_removev(g, 1, one), 0);
  assert_int_equal(promc_histogram_removev(h, 1, one), 0);
  assert_int_equal(promc_summary_removev(su, 1, one), 0);
  assert_int_equal(promc_info_removev(in, 1, one), 0);
  assert_int_equal(promc_enum_removev(e, 1, one), 0);
  txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_not_contains(txt, "a=\"");
  assert_ptr_equal(promc_counter_labelsv(c, 2, ab), cc); /* revived: same child, from zero */
}

/* ------------------------------------------------------------ raw labels */
static char dup_msg[512];
static int dup_collect(promc_collect *ctx, void *user) {
  (void)user;
  promc_collect_family(ctx, "rl_ext", "Ext.", PROMC_TYPE_GAUGE, NULL);
  const char *n[2] = {"a", "b"}, *v[2] = {"x\"y", "p\\q\nr"};
  promc_collect_sample(ctx, 2, n, v, 1);
  if (promc_collect_sample(ctx, 2, n, v, 2) == PROMC_EDUP) snprintf(dup_msg, sizeof dup_msg, "%s", promc_errmsg());
  return 0;
}

static void raw_labels_are_keys_and_escaped_on_output(void **state) {
  (void)state;
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "rl", .help = "r", .registry = reg,
                                                       PROMC_LABEL_NAMES("a", "b"), .exemplars = 1,
                                                       PROMC_CONST_LABELS(((const char *[]){"k"}),
                                                                          ((const char *[]){"c\"v"}))}),
                   0);
  /* the length of each value is part of the key */
  promc_counter *ab_c = promc_counter_labels(c, "ab", "c"), *a_bc = promc_counter_labels(c, "a", "bc");
  assert_non_null(ab_c);
  assert_non_null(a_bc);
  assert_ptr_not_equal(ab_c, a_bc);
  /* a NULL value is "" */
  assert_ptr_equal(promc_counter_labels(c, NULL, "z"), promc_counter_labels(c, "", "z"));
  /* long values: a 2-byte length prefix, and a key too long for the stack */
  static char v200[201], v5000[5001];
  memset(v200, 'x', 200);
  memset(v5000, 'y', 5000);
  promc_counter *l1 = promc_counter_labels(c, v200, "q"), *l2 = promc_counter_labels(c, v5000, v200);
  assert_non_null(l1);
  assert_non_null(l2);
  assert_ptr_equal(l1, promc_counter_labels(c, v200, "q"));
  assert_ptr_equal(l2, promc_counter_labels(c, v5000, v200));
  v5000[4999] = 'z';
  assert_ptr_not_equal(l2, promc_counter_labels(c, v5000, v200));
  /* values that need escaping in text, raw in protobuf */
  promc_counter *esc = promc_counter_labels(c, "q\"x", "b\\s\nn");
  assert_int_equal(promc_counter_inc_exemplar(esc, 1, (const char *[]){"t"}, (const char *[]){"e\"x"}), 0);
  char *txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_contains(txt, "rl_total{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} 1\n");
  bu_assert_contains(txt, "rl_total{k=\"c\\\"v\",a=\"ab\",b=\"c\"} 0\n");
  char *om = render_fmt(PROMC_FORMAT_OPENMETRICS, NULL);
  bu_assert_contains(om, "rl_total{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} 1 # {t=\"e\\\"x\"} 1\n");
  promc_buf pb = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_PROTOBUF, NULL, &pb), 0);
  /* LabelPair{name "b", value "b\s<newline>n"}, {name "k", value c"v}, exemplar {t: e"x} */
  static const char want_b[] = "\x0a\x01" "b\x12\x05" "b\\s\nn";
  static const char want_k[] = "\x0a\x01" "k\x12\x03" "c\"v";
  static const char want_t[] = "\x0a\x01" "t\x12\x03" "e\"x";
  assert_non_null(memmem(pb.data, pb.len, want_b, sizeof want_b - 1));
  assert_non_null(memmem(pb.data, pb.len, want_k, sizeof want_k - 1));
  assert_non_null(memmem(pb.data, pb.len, want_t, sizeof want_t - 1));
  promc_buf_free(&pb);

  /* a collector's label set in a message is shown escaped */
  promc_collector col = {.name = "rl_col", .collect = dup_collect};
  assert_int_equal(promc_registry_add_collector(reg, &col), 0);
  dup_msg[0] = 0;
  txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  assert_string_equal(dup_msg, "collector \"rl_col\": \"rl_ext\" was given the label set {a=\"x\\\"y\",b=\"p\\\\q\\nr\"} twice");
  bu_assert_contains(txt, "rl_ext{a=\"x\\\"y\",b=\"p\\\\q\\nr\"} 1\n");
}

/* A child of several lines has its label block on each of them, escaped,
 * with the line's own le, quantile or state pair after it. */
static int multi_collect(promc_collect *ctx, void *user) {
  (void)user;
  const char *n[2] = {"a", "b"}, *v[2] = {"x\"y", "p\\q\nr"};
  double b[] = {0.5}, q[] = {0.5};
  uint64_t cum[] = {1, 4};
  promc_collect_family(ctx, "rm_col_s", "S.", PROMC_TYPE_SUMMARY, NULL);
  promc_collect_summary(ctx, 2, n, v, 5, 7.5, 1, q, (double[]){1});
  promc_collect_family(ctx, "rm_col_gh", "G.", PROMC_TYPE_GAUGE_HISTOGRAM, NULL);
  promc_collect_histogram(ctx, 2, n, v, 1, b, cum, 3);
  return 0;
}
static int to_buf(void *user, const char *d, size_t n) { return promc_buf_write(user, d, n); }

static void raw_labels_on_every_line_of_a_multi_line_child(void **state) {
  (void)state;
  promc_histogram *h, *u;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "rm_h", .help = "h", .registry = reg,
                                                         PROMC_LABEL_NAMES("a", "b"), PROMC_BUCKETS(0.5, 2),
                                                         PROMC_CONST_LABELS(((const char *[]){"k"}),
                                                                            ((const char *[]){"c\"v"}))}),
                   0);
  assert_int_equal(promc_histogram_new(&u, &(promc_opts){.name = "rm_u", .help = "u", .registry = reg,
                                                         PROMC_BUCKETS(0.5)}),
                   0);
  promc_histogram_observe(promc_histogram_labels(h, "q\"x", "b\\s\nn"), 1);
  promc_histogram_observe(promc_histogram_labels(h, "", ""), 3);
  promc_histogram_observe(u, 0.25);
  static char big[20001]; /* a block larger than the 16 KiB window */
  memset(big, 'w', 20000);
  big[7] = '"';
  promc_histogram_observe(promc_histogram_labels(h, big, "z"), 0.1);
  promc_summary *sm;
  assert_int_equal(promc_summary_new(&sm, &(promc_opts){.name = "rm_s", .help = "s", .registry = reg,
                                                        PROMC_LABEL_NAMES("a")}),
                   0);
  promc_summary_observe(promc_summary_labels(sm, "q\"x"), 2);
  promc_enum *e;
  assert_int_equal(promc_enum_new(&e, &(promc_opts){.name = "rm_e", .help = "e", .registry = reg,
                                                    PROMC_LABEL_NAMES("a"), PROMC_STATES("x\"y", "p\\q\nr")}),
                   0);
  promc_enum_set(promc_enum_labels(e, "v\n"), 1);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "rm_c", .help = "c", .registry = reg,
                                                       PROMC_LABEL_NAMES("a")}),
                   0);
  promc_counter_inc(promc_counter_labels(c, "q\"x"));
  promc_collector col = {.name = "rm_col", .collect = multi_collect};
  assert_int_equal(promc_registry_add_collector(reg, &col), 0);

  char *txt = render_fmt(PROMC_FORMAT_TEXT, NULL);
  bu_assert_contains(txt, "rm_h_bucket{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\",le=\"0.5\"} 0\n"
                          "rm_h_bucket{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\",le=\"2\"} 1\n"
                          "rm_h_bucket{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\",le=\"+Inf\"} 1\n"
                          "rm_h_count{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} 1\n"
                          "rm_h_sum{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} 1\n"
                          "rm_h_bucket{k=\"c\\\"v\",a=\"\",b=\"\",le=\"0.5\"} 0\n");
  bu_assert_contains(txt, "rm_u_bucket{le=\"0.5\"} 1\nrm_u_bucket{le=\"+Inf\"} 1\nrm_u_count 1\nrm_u_sum 0.25\n");
  bu_assert_contains(txt, "rm_s_count{a=\"q\\\"x\"} 1\nrm_s_sum{a=\"q\\\"x\"} 2\n");
  bu_assert_contains(txt, "rm_e{a=\"v\\n\",rm_e=\"x\\\"y\"} 0\nrm_e{a=\"v\\n\",rm_e=\"p\\\\q\\nr\"} 1\n");
  bu_assert_contains(txt, "rm_col_s{a=\"x\\\"y\",b=\"p\\\\q\\nr\",quantile=\"0.5\"} 1\n"
                          "rm_col_s_count{a=\"x\\\"y\",b=\"p\\\\q\\nr\"} 5\n"
                          "rm_col_s_sum{a=\"x\\\"y\",b=\"p\\\\q\\nr\"} 7.5\n");
  bu_assert_contains(txt, "rm_col_gh_bucket{a=\"x\\\"y\",b=\"p\\\\q\\nr\",le=\"+Inf\"} 4\n"
                          "# HELP rm_col_gh_gcount G.\n# TYPE rm_col_gh_gcount gauge\n"
                          "rm_col_gh_gcount{a=\"x\\\"y\",b=\"p\\\\q\\nr\"} 4\n");
  /* the long block, on each of its lines */
  size_t want_len = 200000;
  char *want = malloc(want_len), *w = want;
  static const char *const les[] = {"0.5", "2", "+Inf"};
  for (int i = 0; i < 3; i++)
    w += sprintf(w, "rm_h_bucket{k=\"c\\\"v\",a=\"wwwwwww\\\"%s\",b=\"z\",le=\"%s\"} 1\n", big + 8, les[i]);
  w += sprintf(w, "rm_h_count{k=\"c\\\"v\",a=\"wwwwwww\\\"%s\",b=\"z\"} 1\n", big + 8);
  bu_assert_contains(txt, want);
  /* the same bytes through a sink that is no promc_buf (the 16 KiB window) */
  for (promc_format f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_OPENMETRICS; f++) {
    promc_buf in_place = {0}, streamed = {0};
    promc_registry_set_created(reg, f == PROMC_FORMAT_TEXT);
    assert_int_equal(promc_registry_render_buf(reg, f, NULL, &in_place), 0);
    assert_int_equal(promc_registry_render(reg, f, NULL, to_buf, &streamed), 0);
    assert_int_equal(streamed.len, in_place.len);
    assert_memory_equal(streamed.data, in_place.data, in_place.len);
    promc_buf_free(&in_place);
    promc_buf_free(&streamed);
  }
  promc_registry_set_created(reg, 0);

  char *om = render_fmt(PROMC_FORMAT_OPENMETRICS, NULL);
  bu_assert_contains(om, "rm_h_bucket{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\",le=\"2.0\"} 1\n"
                         "rm_h_bucket{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\",le=\"+Inf\"} 1\n"
                         "rm_h_count{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} 1\n"
                         "rm_h_sum{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} 1\n"
                         "rm_h_created{k=\"c\\\"v\",a=\"q\\\"x\",b=\"b\\\\s\\nn\"} ");
  bu_assert_contains(om, "rm_u_count 1\nrm_u_sum 0.25\nrm_u_created ");
  bu_assert_contains(om, "rm_c_total{a=\"q\\\"x\"} 1\nrm_c_created{a=\"q\\\"x\"} ");
  bu_assert_contains(om, "rm_e{a=\"v\\n\",rm_e=\"x\\\"y\"} 0\nrm_e{a=\"v\\n\",rm_e=\"p\\\\q\\nr\"} 1\n");
  bu_assert_contains(om, "rm_col_gh_bucket{a=\"x\\\"y\",b=\"p\\\\q\\nr\",le=\"+Inf\"} 4\n"
                         "rm_col_gh_gcount{a=\"x\\\"y\",b=\"p\\\\q\\nr\"} 4\n"
                         "rm_col_gh_gsum{a=\"x\\\"y\",b=\"p\\\\q\\nr\"} 3\n");
  w = want;
  static const char *const om_les[] = {"0.5", "2.0", "+Inf"};
  for (int i = 0; i < 3; i++)
    w += sprintf(w, "rm_h_bucket{k=\"c\\\"v\",a=\"wwwwwww\\\"%s\",b=\"z\",le=\"%s\"} 1\n", big + 8, om_les[i]);
  bu_assert_contains(om, want);
  free(want);
}

int main(void) {
  /* an exact comparison of two renders of the default registry needs it
   * without the process collector, whose values move between renders */
  promc_default_collectors_disable();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(error_codes_keep_numbers_names_and_texts),
      cmocka_unit_test(render_null_renders_the_default_registry),
      cmocka_unit_test(buf_is_nul_terminated_after_every_write),
      cmocka_unit_test_setup_teardown(rendered_buf_is_a_c_string_and_empty_render_leaves_data_null, setup, teardown),
      cmocka_unit_test_setup_teardown(explicit_inf_bucket_is_accepted_once, setup, teardown),
      cmocka_unit_test_setup_teardown(counter_name_as_given_in_text_and_protobuf_not_openmetrics, setup, teardown),
      cmocka_unit_test_setup_teardown(counter_name_as_given_keeps_every_name_for_collisions, setup, teardown),
      cmocka_unit_test_setup_teardown(counter_name_as_given_is_selected_by_every_name, setup, teardown),
      cmocka_unit_test_setup_teardown(typed_labelsv_for_every_kind, setup, teardown),
      cmocka_unit_test_setup_teardown(raw_labels_are_keys_and_escaped_on_output, setup, teardown),
      cmocka_unit_test_setup_teardown(raw_labels_on_every_line_of_a_multi_line_child, setup, teardown),
  };
  int rc = cmocka_run_group_tests_name("api", tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
