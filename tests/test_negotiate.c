/* SPDX-License-Identifier: Apache-2.0 */
/* test_negotiate.c — content negotiation as Prometheus drives it:
 * the Accept headers real Prometheus servers send, curl's, none, an
 * OpenMetrics-only client and nonsense, each to the format it must get.
 * The Prometheus 2.42 headers are checked against the installed Debian
 * prometheus binary, so the table holds what that server really sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "promc/promc.h"

/* scrape.go acceptHeader of Prometheus 2.42 (no native histograms) */
static const char PROM_242[] =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/* scrape.go scrapeAcceptHeaderWithProtobuf of 2.42 (--enable-feature=native-histograms) */
static const char PROM_242_PROTO[] =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
    "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/* Later Prometheus releases weight each configured scrape protocol
 * (scrape_protocols), protobuf first when native histograms are on. */
static const char PROM_LATER_PROTO[] =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
static const char PROM_LATER[] =
    "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

static void negotiate_table(void **state) {
  (void)state;
  static const struct {
    const char *what, *accept;
    promc_format want;
  } cases[] = {
      {"Prometheus 2.42", PROM_242, PROMC_FORMAT_OPENMETRICS},
      {"Prometheus 2.42, native histograms", PROM_242_PROTO, PROMC_FORMAT_PROTOBUF},
      {"later Prometheus, native histograms", PROM_LATER_PROTO, PROMC_FORMAT_PROTOBUF},
      {"later Prometheus", PROM_LATER, PROMC_FORMAT_OPENMETRICS},
      {"curl", "*/*", PROMC_FORMAT_TEXT},
      {"no header", NULL, PROMC_FORMAT_TEXT},
      {"empty header", "", PROMC_FORMAT_TEXT},
      {"OpenMetrics only", "application/openmetrics-text;version=1.0.0", PROMC_FORMAT_OPENMETRICS},
      {"OpenMetrics, no version", "application/openmetrics-text", PROMC_FORMAT_OPENMETRICS},
      {"protobuf only", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
       PROMC_FORMAT_PROTOBUF},
      {"protobuf, spaces", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
       PROMC_FORMAT_PROTOBUF},
      {"text only", "text/plain;version=0.0.4", PROMC_FORMAT_TEXT},
      {"browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", PROMC_FORMAT_TEXT},
      {"nonsense", "\x01garbage;;;q=,,,=;", PROMC_FORMAT_TEXT},
      {"nonsense q", "application/openmetrics-text;q=banana", PROMC_FORMAT_TEXT},
      {"unknown OpenMetrics version", "application/openmetrics-text;version=9.9.9", PROMC_FORMAT_TEXT},
      {"protobuf, text encoding", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
       PROMC_FORMAT_TEXT},
      {"weights decide, not order", "text/plain;version=0.0.4;q=0.2,application/openmetrics-text;version=1.0.0;q=0.9",
       PROMC_FORMAT_OPENMETRICS},
      {"refused with q=0", "application/openmetrics-text;q=0,text/plain;q=0.1", PROMC_FORMAT_TEXT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promc_format got = (promc_format)-1;
    assert_int_equal(promc_negotiate_format(cases[i].accept, 0, &got), 0);
    if (got != cases[i].want) fail_msg("%s: got format %d, want %d", cases[i].what, (int)got, (int)cases[i].want);
  }
  /* a server without protobuf gets OpenMetrics from the protobuf-first header */
  promc_format got;
  assert_int_equal(promc_negotiate_format(PROM_242_PROTO,
                                          PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) | PROMC_FORMAT_BIT(PROMC_FORMAT_OPENMETRICS),
                                          &got),
                   0);
  assert_int_equal(got, PROMC_FORMAT_OPENMETRICS);
  assert_int_equal(promc_negotiate_format("*/*", 0, NULL), PROMC_EINVAL);
}

/* The 2.42 headers above are byte for byte what the installed Prometheus
 * sends (they are string constants in its binary). */
static void prometheus_binary_sends_these_headers(void **state) {
  (void)state;
  FILE *f = fopen("/usr/bin/prometheus", "rb");
  if (!f) fail_msg("/usr/bin/prometheus not found (Debian package prometheus is a test dependency)");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *bin = malloc((size_t)n);
  assert_non_null(bin);
  assert_int_equal(fread(bin, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  assert_non_null(memmem(bin, (size_t)n, PROM_242, sizeof PROM_242 - 1));
  assert_non_null(memmem(bin, (size_t)n, PROM_242_PROTO, sizeof PROM_242_PROTO - 1));
  free(bin);
}

/* Every negotiated format renders, with its Content-Type. */
static void negotiated_formats_render(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "x", .help = "h", .registry = r}), 0);
  const char *accept[] = {PROM_242, PROM_242_PROTO, "*/*"};
  const char *ctype[] = {"application/openmetrics-text; version=1.0.0; charset=utf-8",
                         "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
                         "text/plain; version=0.0.4; charset=utf-8"};
  for (int i = 0; i < 3; i++) {
    promc_format fmt;
    assert_int_equal(promc_negotiate_format(accept[i], 0, &fmt), 0);
    assert_string_equal(promc_format_content_type(fmt), ctype[i]);
    promc_buf b = {0};
    assert_int_equal(promc_registry_render_buf(r, fmt, NULL, &b), 0);
    assert_true(b.len > 0);
    promc_buf_free(&b);
  }
  promc_registry_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(negotiate_table),
      cmocka_unit_test(prometheus_binary_sends_these_headers),
      cmocka_unit_test(negotiated_formats_render),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
