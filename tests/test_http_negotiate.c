/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_negotiate.c — the core's HTTP helpers (src/expose/negotiate.c):
 * Accept → format, Accept-Encoding → gzip, query string → name[] filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "promc/promc.h"

#define ALL 0u
#define TEXT_OM (PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) | PROMC_FORMAT_BIT(PROMC_FORMAT_OPENMETRICS))
#define TEXT_ONLY PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT)

static const char *const PROM_242 =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
static const char *const PROTO_FIRST =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
    "text/plain;version=0.0.4;q=0.3,application/openmetrics-text;version=1.0.0;q=0.5";

static void negotiate_picks_format_by_q_and_mask(void **state) {
  (void)state;
  static const struct {
    const char *accept;
    unsigned allowed;
    promc_format want;
  } cases[] = {
      {NULL, ALL, PROMC_FORMAT_TEXT},
      {"", ALL, PROMC_FORMAT_TEXT},
      {"*/*", ALL, PROMC_FORMAT_TEXT},
      {"application/json", ALL, PROMC_FORMAT_TEXT},
      {"text/plain", ALL, PROMC_FORMAT_TEXT},
      {"text/plain;version=0.0.4", ALL, PROMC_FORMAT_TEXT},
      {PROM_242, ALL, PROMC_FORMAT_OPENMETRICS},
      {PROM_242, TEXT_ONLY, PROMC_FORMAT_TEXT},
      {"application/openmetrics-text", ALL, PROMC_FORMAT_OPENMETRICS},
      {"Application/OpenMetrics-Text; version=\"1.0.0\"", ALL, PROMC_FORMAT_OPENMETRICS},
      {"application/openmetrics-text;version=0.0.1", ALL, PROMC_FORMAT_OPENMETRICS},
      {"application/openmetrics-text;version=2.0.0", ALL, PROMC_FORMAT_TEXT},
      {"application/openmetrics-text;q=0", ALL, PROMC_FORMAT_TEXT},
      {PROTO_FIRST, ALL, PROMC_FORMAT_PROTOBUF},
      {PROTO_FIRST, TEXT_OM, PROMC_FORMAT_OPENMETRICS},
      {PROTO_FIRST, TEXT_ONLY, PROMC_FORMAT_TEXT},
      /* protobuf needs both proto= and encoding=delimited */
      {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily", ALL, PROMC_FORMAT_TEXT},
      {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", ALL,
       PROMC_FORMAT_TEXT},
      /* equal q: the first listed wins */
      {"text/plain;version=0.0.4,application/openmetrics-text", ALL, PROMC_FORMAT_TEXT},
      {"application/openmetrics-text,text/plain", ALL, PROMC_FORMAT_OPENMETRICS},
      /* higher q later wins */
      {"text/plain;q=0.2, application/openmetrics-text;q=0.9", ALL, PROMC_FORMAT_OPENMETRICS},
      /* malformed q is ignored (not acceptable) */
      {"application/openmetrics-text;q=abc,text/plain;q=0.1", ALL, PROMC_FORMAT_TEXT},
      {"application/openmetrics-text;q=1.5", ALL, PROMC_FORMAT_TEXT},
      {",,, ;;; ,", ALL, PROMC_FORMAT_TEXT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promc_format f = (promc_format)99;
    assert_int_equal(promc_negotiate_format(cases[i].accept, cases[i].allowed, &f), 0);
    if (f != cases[i].want)
      fail_msg("case %zu: Accept \"%s\" mask %u gave %d, want %d", i,
               cases[i].accept ? cases[i].accept : "(null)", cases[i].allowed, (int)f,
               (int)cases[i].want);
  }
  assert_int_equal(promc_negotiate_format("text/plain", 0, NULL), PROMC_EINVAL);
}

static void accepts_gzip_honours_q(void **state) {
  (void)state;
  static const struct {
    const char *h;
    int want;
  } cases[] = {
      {NULL, 0},
      {"", 0},
      {"gzip", 1},
      {"GZIP", 1},
      {"x-gzip", 1},
      {"deflate, gzip;q=1.0, *;q=0.5", 1},
      {"gzip;q=0", 0},
      {"gzip; q=0.000", 0},
      {"gzip;q=0.001", 1},
      {"identity", 0},
      {"br, deflate", 0},
      {"*", 1},
      {"*;q=0", 0},
      {"gzip;q=0, *", 0}, /* explicit refusal beats the wildcard */
      {"gzipper", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (promc_accepts_gzip(cases[i].h) != cases[i].want)
      fail_msg("Accept-Encoding \"%s\": want %d", cases[i].h ? cases[i].h : "(null)", cases[i].want);
}

static void query_names_decodes_like_parse_qs(void **state) {
  (void)state;
  static const struct {
    const char *q;
    size_t n;
    const char *names[4];
  } cases[] = {
      {NULL, 0, {NULL}},
      {"", 0, {NULL}},
      {"name[]=a", 1, {"a"}},
      {"?name[]=a&name[]=b", 2, {"a", "b"}},
      {"/metrics?name%5B%5D=http_status_total&name%5b%5d=x", 2, {"http_status_total", "x"}},
      {"name[]=a%5Fb&other=1&name=c&name[]=", 1, {"a_b"}},
      {"name[]=a+b&name[]=%zz", 2, {"a b", "%zz"}},
      {"name[]=a;name[]=b", 1, {"a;name[]=b"}}, /* ";" is no separator (Python 3.10+, Go) */
      {"name[]=a#name[]=b", 1, {"a"}},
      {"name[]", 0, {NULL}},
      {"&&name[]=%41&&", 1, {"A"}},
      {"xname[]=a&name[]x=b", 0, {NULL}},
      /* a NUL cannot be in a name: "" (selects nothing), never the text before it */
      {"name[]=e%00", 1, {""}},
      {"name[]=%00&name[]=a%00b&name[]=c", 3, {"", "", "c"}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[256];
    const char *names[8];
    size_t n = 99;
    assert_int_equal(promc_query_names(cases[i].q, buf, sizeof buf, names, 8, &n), 0);
    if (n != cases[i].n) fail_msg("case %zu \"%s\": %zu names, want %zu", i, cases[i].q, n, cases[i].n);
    for (size_t k = 0; k < n; k++) assert_string_equal(names[k], cases[i].names[k]);
  }
}

static void query_names_reports_full(void **state) {
  (void)state;
  char buf[64];
  const char *names[2];
  size_t n = 0;
  assert_int_equal(promc_query_names("name[]=a&name[]=b&name[]=c", buf, sizeof buf, names, 2, &n),
                   PROMC_EFULL);
  assert_int_equal(n, 2);
  assert_string_equal(names[1], "b");
  /* buffer too small for the second name */
  char small[4];
  assert_int_equal(promc_query_names("name[]=ab&name[]=cd", small, sizeof small, names, 2, &n),
                   PROMC_EFULL);
  assert_int_equal(n, 1);
  assert_string_equal(names[0], "ab");
  /* strlen(query) + 1 always suffices */
  const char *q = "name[]=x&name[]=y%20z";
  char exact[32];
  assert_true(strlen(q) + 1 <= sizeof exact);
  assert_int_equal(promc_query_names(q, exact, strlen(q) + 1, names, 2, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(promc_query_names("name[]=a", buf, sizeof buf, names, 2, NULL), PROMC_EINVAL);
  assert_int_equal(promc_query_names("name[]=a", NULL, 10, names, 2, &n), PROMC_EINVAL);
}

/* "e%00" must not select family e: the name it encodes is no metric's. */
static void query_name_with_nul_selects_nothing(void **state) {
  (void)state;
  promc_registry *r;
  promc_gauge *g;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "e", .help = "E.", .registry = r}), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "f", .help = "F.", .registry = r}), 0);
  static const struct {
    const char *q, *want;
  } cases[] = {{"name[]=e%00", ""}, {"name[]=e%00x", ""}, {"name[]=e%00&name[]=f", "# TYPE f gauge\n"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[64];
    const char *names[4];
    size_t n = 0;
    assert_int_equal(promc_query_names(cases[i].q, buf, sizeof buf, names, 4, &n), 0);
    promc_buf b = {0};
    promc_render_opts o = {.names = names, .nnames = n};
    assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, &o, &b), 0);
    const char *out = b.len ? b.data : "";
    if (strstr(out, "# TYPE e ") || (cases[i].want[0] && !strstr(out, cases[i].want)) || (!cases[i].want[0] && b.len))
      fail_msg("query \"%s\" rendered:\n%s", cases[i].q, out);
    promc_buf_free(&b);
  }
  promc_registry_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(negotiate_picks_format_by_q_and_mask),
      cmocka_unit_test(accepts_gzip_honours_q),
      cmocka_unit_test(query_names_decodes_like_parse_qs),
      cmocka_unit_test(query_names_reports_full),
      cmocka_unit_test(query_name_with_nul_selects_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
