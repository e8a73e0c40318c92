/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_mw.c — the request middleware of promc/http.h: every bad option
 * refused with its code and nothing left registered, and a libmicrohttpd
 * daemon with a pool of 4 threads answering 8 clients' keep-alive requests
 * at once, counted exactly per method and code, with the application's own
 * con_cls and completion function working as without the middleware. */
#include <microhttpd.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"

static _Atomic long app_allocs, app_frees, app_first_calls_seen_null;

static enum MHD_Result app(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *data, size_t *size, void **con_cls) {
  (void)cls;
  (void)method;
  (void)version;
  (void)data;
  if (!*con_cls) {
    long *calls = calloc(1, sizeof *calls);
    if (!calls) return MHD_NO;
    atomic_fetch_add(&app_allocs, 1);
    atomic_fetch_add(&app_first_calls_seen_null, 1);
    *con_cls = calls;
    return MHD_YES;
  }
  long *calls = *con_cls;
  ++*calls;
  if (*size) {
    *size = 0;
    return MHD_YES;
  }
  int ok = strcmp(url, "/ok") == 0;
  static const char ok_body[] = "fine\n", nf_body[] = "no such page\n";
  const char *body = ok ? ok_body : nf_body;
  size_t len = ok ? sizeof ok_body - 1 : sizeof nf_body - 1;
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
  enum MHD_Result res = promc_http_mw_queue_response(c, ok ? 200u : 404u, r, len);
  MHD_destroy_response(r);
  return res;
}

static void app_done(void *cls, struct MHD_Connection *c, void **con_cls,
                     enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  if (*con_cls) atomic_fetch_add(&app_frees, 1);
  free(*con_cls);
  *con_cls = NULL;
}

static char *render(promc_registry *r) {
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  char *s = strndup(b.data ? b.data : "", b.len);
  promc_buf_free(&b);
  return s;
}

static void mw_rejects_bad_options(void **state) {
  (void)state;
  promc_registry *reg;
  assert_int_equal(promc_registry_new(&reg), 0);
  promc_http_mw *mw = (promc_http_mw *)&mw;
  const char *extra17[17];
  for (int i = 0; i < 17; i++) extra17[i] = "PURGE";
  const char *empty[] = {""};
  struct {
    promc_http_mw_opts o;
    int code;
    const char *says;
  } bad[] = {
      {{.registry = reg}, PROMC_EINVAL, "handler"},
      {{.handler = app, .registry = reg, .labels = 4}, PROMC_EINVAL, "labels"},
      {{.handler = app, .registry = reg, .disable = 31}, PROMC_EINVAL, "every metric"},
      {{.handler = app, .registry = reg, .disable = 64}, PROMC_EINVAL, "disable"},
      {{.handler = app, .registry = reg, .extra_methods = extra17, .nextra_methods = 17}, PROMC_EINVAL, "extra"},
      {{.handler = app, .registry = reg, .extra_methods = empty, .nextra_methods = 1}, PROMC_EINVAL, "extra"},
      {{.handler = app, .registry = reg, .response_size_name = "9bad"}, PROMC_ENAME, "9bad"},
      {{.handler = app, .registry = reg, .size_buckets = (const double[]){5, 1}, .nsize_buckets = 2},
       PROMC_EBUCKETS, ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mw = (promc_http_mw *)&mw;
    assert_int_equal(promc_http_mw_new(&mw, &bad[i].o), bad[i].code);
    assert_null(mw);
    assert_non_null(strstr(promc_errmsg(), bad[i].says));
    char *text = render(reg);
    assert_string_equal(text, ""); /* the families made before the bad one are gone */
    free(text);
  }
  assert_int_equal(promc_http_mw_new(NULL, &bad[1].o), PROMC_EINVAL);
  assert_int_equal(promc_http_mw_new(&mw, NULL), PROMC_EINVAL);

  /* A second middleware on the same names: PROMC_EDUP, the first intact. */
  promc_http_mw *first;
  assert_int_equal(promc_http_mw_new(&first, &(promc_http_mw_opts){.handler = app, .registry = reg}), 0);
  assert_int_equal(promc_http_mw_new(&mw, &(promc_http_mw_opts){.handler = app, .registry = reg}), PROMC_EDUP);
  assert_null(mw);
  char *text = render(reg);
  assert_non_null(strstr(text, "# TYPE http_requests_total counter"));
  assert_non_null(strstr(text, "http_requests_in_flight 0"));
  free(text);
  promc_http_mw_free(first);
  text = render(reg);
  assert_string_equal(text, "");
  free(text);
  promc_http_mw_free(NULL);
  promc_registry_free(reg);
}

#define CLIENTS 8
#define PER_CLIENT 200 /* a multiple of 4 */

static unsigned port;

/* Each client: PER_CLIENT keep-alive requests cycling through four kinds. */
static const char *const kinds[4][2] = {
    {"GET", "/ok"}, {"GET", "/missing"}, {"Get", "/ok"}, {"purge", "/ok"}};

static void *client(void *arg) {
  (void)arg;
  int fd = tcp_connect(port, 20000);
  if (fd < 0) return (void *)1;
  for (int i = 0; i < PER_CLIENT; i++) {
    char req[256];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", kinds[i % 4][0], kinds[i % 4][1]);
    struct http_resp r;
    if (send_all(fd, req, strlen(req)) != 0 || read_resp(fd, &r, 0) != 0) {
      close(fd);
      return (void *)1;
    }
    int want = strcmp(kinds[i % 4][1], "/ok") == 0 ? 200 : 404;
    int got = r.status;
    http_resp_free(&r);
    if (got != want) {
      close(fd);
      return (void *)1;
    }
  }
  close(fd);
  return NULL;
}

static void mw_counts_concurrent_keepalive_requests(void **state) {
  (void)state;
  promc_registry *reg;
  assert_int_equal(promc_registry_new(&reg), 0);
  promc_http_mw *mw;
  const char *extra[] = {"PURGE"};
  const char *cn[] = {"svc"}, *cv[] = {"t"};
  assert_int_equal(promc_http_mw_new(&mw, &(promc_http_mw_opts){.handler = app,
                                                                .completed = app_done,
                                                                .registry = reg,
                                                                .requests_name = "web_requests_total",
                                                                .in_flight_name = "web_in_flight",
                                                                .extra_methods = extra,
                                                                .nextra_methods = 1,
                                                                .const_label_names = cn,
                                                                .const_label_values = cv,
                                                                .nconst_labels = 1,
                                                                .disable = PROMC_HTTP_MW_DURATION}),
                   0);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, promc_http_mw_access, mw,
      MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_NOTIFY_COMPLETED, promc_http_mw_completed, mw,
      MHD_OPTION_SOCK_ADDR,
      &(struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
      MHD_OPTION_END);
  assert_non_null(d);
  port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
  pthread_t t[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) assert_int_equal(pthread_create(&t[i], NULL, client, NULL), 0);
  for (int i = 0; i < CLIENTS; i++) {
    void *rv;
    pthread_join(t[i], &rv);
    assert_null(rv);
  }
  MHD_stop_daemon(d);

  long n = (long)CLIENTS * PER_CLIENT, quarter = n / 4;
  char *text = render(reg);
  char want[256];
  const char *lines[][2] = {{"get", "200"}, {"get", "404"}, {"unknown", "200"}, {"purge", "200"}};
  for (int i = 0; i < 4; i++) {
    snprintf(want, sizeof want, "web_requests_total{svc=\"t\",method=\"%s\",code=\"%s\"} %ld\n",
             lines[i][0], lines[i][1], quarter);
    if (!strstr(text, want)) fail_msg("no line %s in:\n%s", want, text);
    /* every response body was 5 or 13 bytes */
    snprintf(want, sizeof want, "http_response_size_bytes_sum{svc=\"t\",method=\"%s\",code=\"%s\"} %ld\n",
             lines[i][0], lines[i][1], quarter * (strcmp(lines[i][1], "200") == 0 ? 5 : 13));
    if (!strstr(text, want)) fail_msg("no line %s in:\n%s", want, text);
  }
  assert_non_null(strstr(text, "web_in_flight{svc=\"t\"} 0\n"));
  assert_null(strstr(text, "http_request_duration_seconds"));
  free(text);
  assert_int_equal(atomic_load(&app_allocs), n);
  assert_int_equal(atomic_load(&app_first_calls_seen_null), n);
  assert_int_equal(atomic_load(&app_frees), n);
  promc_http_mw_free(mw);
  promc_registry_free(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mw_rejects_bad_options),
      cmocka_unit_test(mw_counts_concurrent_keepalive_requests),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
