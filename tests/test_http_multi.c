/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_multi.c — the built-in server and a handler serving several
 * registries as one: text (accepted by promtool), OpenMetrics with one
 * "# EOF", protobuf equal to the registries' renders joined; a name in two
 * registries gives 500 by default and, with CONTINUE_ON_ERROR, 200 with the
 * first family only; misused options are PROMC_EINVAL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"
#include "batch_util.h"


static void promtool_accepts(const char *text) {
  char path[] = "/tmp/promc_multi_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  char cmd[128], out[4096], err[4096];
  snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
  char *argv[] = {"sh", "-c", cmd, NULL};
  int st = run_tool(argv, out, sizeof out, err, sizeof err, 30);
  unlink(path);
  if (st != 0) fail_msg("promtool check metrics: status %d (Debian package prometheus): %s%s", st, out, err);
}

static void served_as_one(void **state) {
  (void)state;
  promc_registry *a = bu_reg_with("a", 1, "a_level"), *b = bu_reg_with("b", 2, NULL);
  promc_registry *const regs[] = {a, b};
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registries = regs,
                                                           .nregistries = 2}),
                   0);
  unsigned port = promc_http_port(s);
  struct http_resp r;
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "# HELP a_total A counter.\n# TYPE a_total counter\na_total 1\n"
                              "# HELP a_level A gauge.\n# TYPE a_level gauge\na_level 2.5\n"
                              "# HELP b_total A counter.\n# TYPE b_total counter\nb_total 2\n");
  promtool_accepts(r.body);
  http_resp_free(&r);

  assert_int_equal(http_get_ex(port, "GET", "/metrics", "Accept: application/openmetrics-text;version=1.0.0\r\n", &r),
                   0);
  assert_int_equal(r.status, 200);
  assert_int_equal(bu_count_of(r.body, "# EOF"), 1);
  assert_true(r.body_len > 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
  assert_non_null(strstr(r.body, "a_total 1\n"));
  assert_non_null(strstr(r.body, "b_total 2\n"));
  http_resp_free(&r);

  assert_int_equal(http_get_ex(port, "GET", "/metrics",
                               "Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                               "encoding=delimited\r\n",
                               &r),
                   0);
  assert_int_equal(r.status, 200);
  promc_buf one = {0}, two = {0};
  assert_int_equal(promc_registry_render_buf(a, PROMC_FORMAT_PROTOBUF, NULL, &one), 0);
  assert_int_equal(promc_registry_render_buf(b, PROMC_FORMAT_PROTOBUF, NULL, &two), 0);
  assert_int_equal(r.body_len, one.len + two.len);
  assert_memory_equal(r.body, one.data, one.len);
  assert_memory_equal(r.body + one.len, two.data, two.len);
  promc_buf_free(&one);
  promc_buf_free(&two);
  http_resp_free(&r);

  /* name[] across both */
  assert_int_equal(http_get(port, "/metrics?name[]=b_total&name[]=a_level", &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "# HELP a_level A gauge.\n# TYPE a_level gauge\na_level 2.5\n"
                              "# HELP b_total A counter.\n# TYPE b_total counter\nb_total 2\n");
  http_resp_free(&r);
  promc_http_stop(s);
  promc_registry_free(a);
  promc_registry_free(b);
}

static void duplicate_is_500_or_first_only(void **state) {
  (void)state;
  promc_registry *a = bu_reg_with("a", 1, NULL), *b = bu_reg_with("b", 2, "a_total");
  promc_registry *const regs[] = {a, b};
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registries = regs,
                                                           .nregistries = 2}),
                   0);
  struct http_resp r;
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_int_equal(r.status, 500);
  assert_non_null(strstr(r.body, "PROMC_EDUP"));
  assert_non_null(strstr(r.body, "\"a_total\""));
  http_resp_free(&r);
  promc_http_stop(s);

  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registries = regs,
                                                           .nregistries = 2,
                                                           .error_handling = PROMC_HTTP_CONTINUE_ON_ERROR}),
                   0);
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "a_total 1\n"));
  assert_null(strstr(r.body, "a_total 2.5"));
  assert_null(strstr(r.body, "A gauge."));
  assert_non_null(strstr(r.body, "b_total 2\n"));
  http_resp_free(&r);
  /* counted as a gathering error, into registries[0]: the first scrape (this
   * one, rendered before it counts, is the second) */
  assert_int_equal(http_get(promc_http_port(s), "/metrics?name[]=promhttp_metric_handler_errors_total", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "promhttp_metric_handler_errors_total{cause=\"gathering\"} 1\n"));
  assert_non_null(strstr(r.body, "promhttp_metric_handler_errors_total{cause=\"encoding\"} 0\n"));
  http_resp_free(&r);
  promc_http_stop(s);

  /* the handler too */
  promc_http_handler *h;
  assert_int_equal(promc_http_handler_new(&h, &(promc_http_handler_opts){.registries = regs, .nregistries = 2}), 0);
  promc_http_handler_free(h);
  promc_registry_free(a);
  promc_registry_free(b);
}

static void misuse_is_einval(void **state) {
  (void)state;
  promc_registry *a = bu_reg_with("a", 1, NULL);
  promc_registry *const regs[] = {a, NULL}, *const twice[] = {a, a};
  promc_http_server *s = (promc_http_server *)&s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = a, .registries = regs,
                                                           .nregistries = 1}),
                   PROMC_EINVAL);
  assert_null(s);
  assert_non_null(strstr(promc_errmsg(), "both"));
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .nregistries = 1}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registries = regs}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registries = regs,
                                                           .nregistries = 2}),
                   PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registries = twice,
                                                           .nregistries = 2}),
                   PROMC_EINVAL);
  promc_http_handler *h = (promc_http_handler *)&h;
  assert_int_equal(promc_http_handler_new(&h, &(promc_http_handler_opts){.registry = a, .registries = regs,
                                                                          .nregistries = 1}),
                   PROMC_EINVAL);
  assert_null(h);
  promc_registry_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(served_as_one),
      cmocka_unit_test(duplicate_is_500_or_first_only),
      cmocka_unit_test(misuse_is_einval),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
