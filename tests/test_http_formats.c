/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_formats.c — promc_http_opts.formats: a server limited to the
 * text format answers Prometheus' OpenMetrics-first Accept header in text,
 * so counters created with counter_name_as_given keep their names; text +
 * protobuf answers protobuf when asked; the default still negotiates
 * OpenMetrics; unknown bits are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

/* What Prometheus 2.42 sends (tests/test_negotiate.c checks it against
 * the installed binary), without and with native histograms. */
static const char ACCEPT_PROM[] =
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n";
static const char ACCEPT_PROM_PROTO[] =
    "Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
    "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n";

static promc_registry *reg;

static int setup(void **state) {
  (void)state;
  if (promc_registry_new(&reg) != 0) return -1;
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "legacy_requests", .help = "r", .registry = reg,
                                          .counter_name_as_given = 1}) != 0)
    return -1;
  promc_counter_add_int(c, 4);
  return 0;
}
static int teardown(void **state) {
  (void)state;
  promc_registry_free(reg);
  return 0;
}

/* One scrape with the given Accept header line; returns the Content-Type. */
static void scrape(unsigned formats, const char *accept, struct http_resp *r, char *ctype, size_t cap) {
  promc_http_server *srv;
  int rc = promc_http_start(&srv, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .formats = formats});
  if (rc) fail_msg("promc_http_start: %s", promc_errmsg());
  assert_int_equal(http_get_ex(promc_http_port(srv), "GET", "/metrics", accept, r), 0);
  promc_http_stop(srv);
  assert_int_equal(r->status, 200);
  if (!resp_header(r, "Content-Type", ctype, cap)) fail_msg("no Content-Type in\n%s", r->head);
}

static void text_only_answers_prometheus_in_text(void **state) {
  (void)state;
  const unsigned text = PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT);
  const char *accepts[] = {ACCEPT_PROM, ACCEPT_PROM_PROTO};
  for (size_t i = 0; i < 2; i++) {
    struct http_resp r;
    char ct[256];
    scrape(text, accepts[i], &r, ct, sizeof ct);
    assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
    if (!strstr(r.body, "# TYPE legacy_requests counter\nlegacy_requests 4\n")) fail_msg("body:\n%s", r.body);
    http_resp_free(&r);
  }
}

static void text_and_protobuf_answers_protobuf_but_not_openmetrics(void **state) {
  (void)state;
  const unsigned m = PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) | PROMC_FORMAT_BIT(PROMC_FORMAT_PROTOBUF);
  struct http_resp r;
  char ct[256];
  scrape(m, ACCEPT_PROM, &r, ct, sizeof ct);
  assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
  http_resp_free(&r);
  scrape(m, ACCEPT_PROM_PROTO, &r, ct, sizeof ct);
  assert_string_equal(ct, promc_format_content_type(PROMC_FORMAT_PROTOBUF));
  static const char name[] = "\x0a\x0flegacy_requests\x12"; /* MetricFamily.name as given */
  assert_non_null(memmem(r.body, r.body_len, name, sizeof name - 1));
  http_resp_free(&r);
}

static void default_still_negotiates_openmetrics(void **state) {
  (void)state;
  struct http_resp r;
  char ct[256];
  scrape(0, ACCEPT_PROM, &r, ct, sizeof ct);
  assert_string_equal(ct, promc_format_content_type(PROMC_FORMAT_OPENMETRICS));
  if (!strstr(r.body, "legacy_requests_total 4\n")) fail_msg("body:\n%s", r.body);
  http_resp_free(&r);
}

static void unknown_format_bits_are_refused(void **state) {
  (void)state;
  promc_http_server *srv = (promc_http_server *)1;
  assert_int_equal(promc_http_start(&srv, &(promc_http_opts){.addr = "127.0.0.1", .formats = 1u << 7}),
                   PROMC_EINVAL);
  assert_null(srv);
  assert_non_null(strstr(promc_errmsg(), "formats"));
  promc_http_handler *h = (promc_http_handler *)1;
  assert_int_equal(promc_http_handler_new(&h, &(promc_http_handler_opts){.formats = 1u << 3}), PROMC_EINVAL);
  assert_null(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(text_only_answers_prometheus_in_text, setup, teardown),
      cmocka_unit_test_setup_teardown(text_and_protobuf_answers_protobuf_but_not_openmetrics, setup, teardown),
      cmocka_unit_test_setup_teardown(default_still_negotiates_openmetrics, setup, teardown),
      cmocka_unit_test(unknown_format_bits_are_refused),
  };
  int rc = cmocka_run_group_tests_name("http_formats", tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
