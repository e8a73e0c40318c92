/* SPDX-License-Identifier: Apache-2.0 */
/* test_http.c — libpromc-http against a real server on 127.0.0.1 (port 0),
 * driven by a raw-socket client (and curl for TLS): routing, methods, HEAD,
 * gzip, name[] filtering, negotiation, errors, basic auth, TLS and mutual
 * TLS, embedding in a libmicrohttpd daemon, and 1,000 start/stop cycles
 * without a leaked fd or thread. */
#include <crypt.h>
#include <dirent.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

/* A registry with fixed values, so two scrapes give the same bytes. */
static promc_registry *make_registry(void) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *a, *c;
  promc_gauge *b;
  assert_int_equal(promc_counter_new(&a, &(promc_opts){.name = "alpha", .help = "A counter.", .registry = r}), 0);
  assert_int_equal(promc_gauge_new(&b, &(promc_opts){.name = "beta", .help = "A gauge.", .registry = r}), 0);
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "gamma_requests", .help = "Labelled.",
                                                       .registry = r, PROMC_LABEL_NAMES("code")}),
                   0);
  promc_counter_add_int(a, 7);
  promc_gauge_set(b, 2.5);
  /* enough text that gzip has something to do */
  for (int i = 0; i < 200; i++) {
    char code[16];
    snprintf(code, sizeof code, "%d", 100 + i);
    promc_counter_add_int(promc_counter_labels(c, code), (uint64_t)i);
  }
  return r;
}

struct fixture {
  promc_registry *reg;
  promc_http_server *srv;
  unsigned port;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  f->reg = make_registry();
  if (promc_http_start(&f->srv, &(promc_http_opts){.addr = "127.0.0.1", .registry = f->reg}) != 0) {
    fprintf(stderr, "start: %s\n", promc_errmsg());
    return -1;
  }
  f->port = promc_http_port(f->srv);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  promc_http_stop(f->srv);
  promc_registry_free(f->reg);
  free(f);
  return 0;
}

static void serves_metrics_and_root(void **state) {
  struct fixture *f = *state;
  assert_true(f->port > 0);
  const char *paths[] = {"/metrics", "/"};
  for (int i = 0; i < 2; i++) {
    struct http_resp r;
    assert_int_equal(http_get(f->port, paths[i], &r), 0);
    assert_int_equal(r.status, 200);
    char ct[128];
    assert_non_null(resp_header(&r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, promc_format_content_type(PROMC_FORMAT_TEXT));
    assert_non_null(strstr(r.body, "# TYPE alpha_total counter\nalpha_total 7\n"));
    assert_non_null(strstr(r.body, "beta 2.5\n"));
    assert_non_null(strstr(r.body, "gamma_requests_total{code=\"299\"} 199\n"));
    http_resp_free(&r);
  }
}

static void unknown_path_is_404(void **state) {
  struct fixture *f = *state;
  const char *paths[] = {"/metricsx", "/favicon.ico", "/metrics/", "/a/b/c"};
  for (int i = 0; i < 4; i++) {
    struct http_resp r;
    assert_int_equal(http_get(f->port, paths[i], &r), 0);
    assert_int_equal(r.status, 404);
    assert_null(strstr(r.body, "alpha_total"));
    http_resp_free(&r);
  }
}

static void other_methods_are_405_with_allow(void **state) {
  struct fixture *f = *state;
  const char *methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
  for (int i = 0; i < 5; i++) {
    struct http_resp r;
    assert_int_equal(http_get_ex(f->port, methods[i], "/metrics", "Content-Length: 0\r\n", &r), 0);
    assert_int_equal(r.status, 405);
    char allow[64];
    assert_non_null(resp_header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, HEAD");
    http_resp_free(&r);
  }
}

static void head_has_length_and_no_body(void **state) {
  struct fixture *f = *state;
  struct http_resp g, h;
  assert_int_equal(http_get(f->port, "/metrics", &g), 0);
  assert_int_equal(http_get_ex(f->port, "HEAD", "/metrics", NULL, &h), 0);
  assert_int_equal(h.status, 200);
  assert_int_equal(h.body_len, 0);
  char cl[32], ct[128];
  assert_non_null(resp_header(&h, "Content-Length", cl, sizeof cl));
  assert_int_equal(strtoull(cl, NULL, 10), g.body_len);
  assert_non_null(resp_header(&h, "Content-Type", ct, sizeof ct));
  assert_string_equal(ct, promc_format_content_type(PROMC_FORMAT_TEXT));
  http_resp_free(&g);
  http_resp_free(&h);
}

static void gzip_body_inflates_to_the_plain_body(void **state) {
  struct fixture *f = *state;
  struct http_resp plain, gz;
  assert_int_equal(http_get(f->port, "/metrics", &plain), 0);
  assert_int_equal(http_get_ex(f->port, "GET", "/metrics", "Accept-Encoding: deflate, gzip\r\n", &gz), 0);
  assert_int_equal(gz.status, 200);
  char ce[32], vary[64];
  assert_non_null(resp_header(&gz, "Content-Encoding", ce, sizeof ce));
  assert_string_equal(ce, "gzip");
  assert_non_null(resp_header(&gz, "Vary", vary, sizeof vary));
  assert_non_null(strcasestr(vary, "Accept-Encoding"));
  assert_true(gz.body_len > 18 && gz.body_len < plain.body_len);
  assert_int_equal((unsigned char)gz.body[0], 0x1f); /* gzip magic */
  assert_int_equal((unsigned char)gz.body[1], 0x8b);

  z_stream z = {0};
  assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
  size_t cap = plain.body_len + 1024;
  unsigned char *out = malloc(cap);
  z.next_in = (Bytef *)gz.body;
  z.avail_in = (uInt)gz.body_len;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
  size_t n = cap - z.avail_out;
  inflateEnd(&z);
  assert_int_equal(n, plain.body_len);
  assert_memory_equal(out, plain.body, n);
  free(out);
  http_resp_free(&plain);
  http_resp_free(&gz);

  /* q=0 refuses gzip */
  struct http_resp r;
  assert_int_equal(http_get_ex(f->port, "GET", "/metrics", "Accept-Encoding: gzip;q=0, identity\r\n", &r), 0);
  assert_int_equal(r.status, 200);
  assert_null(resp_header(&r, "Content-Encoding", ce, sizeof ce));
  assert_non_null(strstr(r.body, "alpha_total 7"));
  http_resp_free(&r);
}

static void name_filter_selects_families(void **state) {
  struct fixture *f = *state;
  struct http_resp r;
  /* counters are matched by their exposed _total name; encoded key works */
  assert_int_equal(http_get(f->port, "/metrics?name[]=alpha_total&name%5B%5D=beta", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  assert_non_null(strstr(r.body, "beta 2.5\n"));
  assert_null(strstr(r.body, "gamma_requests"));
  http_resp_free(&r);

  assert_int_equal(http_get(f->port, "/?name[]=gamma_requests_total", &r), 0);
  assert_null(strstr(r.body, "alpha_total"));
  assert_non_null(strstr(r.body, "gamma_requests_total{code=\"100\"} 0\n"));
  http_resp_free(&r);

  assert_int_equal(http_get(f->port, "/metrics?name[]=no_such_metric", &r), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  http_resp_free(&r);

  /* a blank name[] is dropped (client_python's parse_qs): everything */
  assert_int_equal(http_get(f->port, "/metrics?name[]=", &r), 0);
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  assert_non_null(strstr(r.body, "gamma_requests_total"));
  http_resp_free(&r);
  /* a name that decodes to a NUL byte selects nothing, not the family its
   * first bytes name */
  assert_int_equal(http_get(f->port, "/metrics?name[]=beta%00", &r), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  http_resp_free(&r);
  assert_int_equal(http_get(f->port, "/metrics?name[]=beta%00&name[]=alpha_total", &r), 0);
  assert_null(strstr(r.body, "beta"));
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  http_resp_free(&r);
}

/* The Content-Type always matches the body: OpenMetrics (ending "# EOF")
 * when the core renders it, else the text fallback. */
static void accept_header_picks_a_consistent_format(void **state) {
  struct fixture *f = *state;
  const char *accepts[] = {
      "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n",
      ("Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
       "text/plain;version=0.0.4;q=0.3\r\n"),
      "Accept: text/plain;version=0.0.4\r\n",
      "Accept: application/json\r\n"};
  for (int i = 0; i < 4; i++) {
    struct http_resp r;
    assert_int_equal(http_get_ex(f->port, "GET", "/metrics", accepts[i], &r), 0);
    assert_int_equal(r.status, 200);
    char ct[160];
    assert_non_null(resp_header(&r, "Content-Type", ct, sizeof ct));
    if (strcmp(ct, promc_format_content_type(PROMC_FORMAT_OPENMETRICS)) == 0) {
      assert_true(i == 0);
      assert_true(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    } else if (strcmp(ct, promc_format_content_type(PROMC_FORMAT_PROTOBUF)) == 0) {
      assert_true(i == 1);
      assert_null(strstr(r.body, "# TYPE"));
    } else {
      assert_string_equal(ct, promc_format_content_type(PROMC_FORMAT_TEXT));
      assert_non_null(strstr(r.body, "# TYPE alpha_total counter\n"));
    }
    http_resp_free(&r);
  }
}

static int failing_collect(promc_collect *ctx, void *user) {
  (void)ctx;
  (void)user;
  return -1;
}

static void failing_collector_gives_500(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  assert_int_equal(promc_registry_add_collector(reg, &(promc_collector){.name = "broken", .collect = failing_collect}), 0);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg}), 0);
  struct http_resp r;
  assert_int_equal(http_get(promc_http_port(s), "/metrics", &r), 0);
  assert_int_equal(r.status, 500);
  assert_non_null(strstr(r.body, "An error has occurred while serving metrics"));
  http_resp_free(&r);
  promc_http_stop(s);
  promc_registry_free(reg);
}

static int count_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void start_stop_1000_times_leaks_nothing(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  int fds = count_dir("/proc/self/fd"), threads = count_dir("/proc/self/task");
  for (int i = 0; i < 1000; i++) {
    promc_http_server *s = NULL;
    int rc = promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                      .threads = (unsigned)(1 + i % 3)});
    if (rc) fail_msg("start %d: %s: %s", i, promc_errname(rc), promc_errmsg());
    if (i % 100 == 0) { /* scrape now and then, gzip too, so buffers are pooled and freed */
      struct http_resp r;
      assert_int_equal(http_get_ex(promc_http_port(s), "GET", "/metrics", "Accept-Encoding: gzip\r\n", &r), 0);
      assert_int_equal(r.status, 200);
      http_resp_free(&r);
    }
    promc_http_stop(s);
  }
  assert_int_equal(count_dir("/proc/self/fd"), fds);
  assert_int_equal(count_dir("/proc/self/task"), threads);
  promc_registry_free(reg);
}

static void start_reports_errors(void **state) {
  struct fixture *f = *state;
  promc_http_server *s = (promc_http_server *)&s;
  /* the port is taken by the fixture's server */
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .port = (uint16_t)f->port}),
                   PROMC_ENET);
  assert_null(s);
  assert_non_null(strstr(promc_errmsg(), "cannot start"));
  assert_int_equal(promc_http_start(NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.tls_cert_file = "/nonexistent"}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1",
                                                           .tls_client_ca_file = "/nonexistent"}),
                   PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1",
                                                           .tls_cert_file = "/nonexistent/c.pem",
                                                           .tls_key_file = "/nonexistent/k.pem"}),
                   PROMC_EIO);
  assert_non_null(strstr(promc_errmsg(), "/nonexistent/c.pem"));
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "not an address at all"}), PROMC_EINVAL);
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .gzip_level = 10}), PROMC_EINVAL);
  promc_http_user bad[] = {{"u", "plaintext"}};
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .users = bad, .nusers = 1}),
                   PROMC_EINVAL);
  promc_http_user bad2[] = {{"u", "$2b$10$tooshort"}};
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .users = bad2, .nusers = 1}),
                   PROMC_EINVAL);
  promc_http_user noname[] = {{"", "$2b$04$abcdefghijklmnopqrstuu5vbqGjsC1RvdvPpj8dbgF2l1qJxX6Fi"}};
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .users = noname, .nusers = 1}),
                   PROMC_EINVAL);
  assert_null(s);
  assert_int_equal(promc_http_port(NULL), 0);
  promc_http_stop(NULL);
}

static void b64(const char *in, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen(in), o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)in[i] << 16;
    if (i + 1 < n) v |= (unsigned char)in[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)in[i + 2];
    out[o++] = t[(v >> 18) & 63];
    out[o++] = t[(v >> 12) & 63];
    out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? t[v & 63] : '=';
  }
  out[o] = '\0';
}

static void make_bcrypt(const char *password, char *out, size_t outsz) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof setting));
  struct crypt_data *cd = calloc(1, sizeof *cd);
  const char *h = crypt_r(password, setting, cd);
  assert_non_null(h);
  assert_true(h[0] == '$');
  snprintf(out, outsz, "%s", h);
  free(cd);
}

static int auth_status(unsigned port, const char *user, const char *pass, struct http_resp *r) {
  char hdr[512] = "";
  if (user) {
    char up[256], enc[400];
    snprintf(up, sizeof up, "%s:%s", user, pass);
    b64(up, enc);
    snprintf(hdr, sizeof hdr, "Authorization: Basic %s\r\n", enc);
  }
  if (http_get_ex(port, "GET", "/metrics", hdr, r) != 0) return -1;
  return r->status;
}

static void basic_auth_accepts_right_password_only(void **state) {
  (void)state;
  char h1[128], h2[128];
  make_bcrypt("s3cret", h1, sizeof h1);
  make_bcrypt("other pass", h2, sizeof h2);
  promc_http_user users[] = {{"prometheus", h1}, {"alice", h2}};
  promc_registry *reg = make_registry();
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .users = users, .nusers = 2}),
                   0);
  unsigned port = promc_http_port(s);
  struct http_resp r;
  char www[128];
  for (int round = 0; round < 2; round++) { /* second round hits the cache */
    assert_int_equal(auth_status(port, "prometheus", "s3cret", &r), 200);
    assert_non_null(strstr(r.body, "alpha_total 7"));
    http_resp_free(&r);
    assert_int_equal(auth_status(port, "alice", "other pass", &r), 200);
    http_resp_free(&r);
  }
  static const char *const wrong[][2] = {{"prometheus", "s3creT"}, {"prometheus", ""},
                                         {"prometheus", "s3cret "}, {"alice", "s3cret"},
                                         {"mallory", "s3cret"}, {"", ""}};
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    assert_int_equal(auth_status(port, wrong[i][0], wrong[i][1], &r), 401);
    assert_non_null(resp_header(&r, "WWW-Authenticate", www, sizeof www));
    assert_string_equal(www, "Basic realm=\"promc\"");
    assert_null(strstr(r.body, "alpha_total"));
    http_resp_free(&r);
  }
  assert_int_equal(auth_status(port, NULL, NULL, &r), 401); /* no credentials */
  assert_non_null(resp_header(&r, "WWW-Authenticate", www, sizeof www));
  http_resp_free(&r);
  /* auth comes before routing: a stranger learns nothing about paths */
  assert_int_equal(http_get(port, "/nope", &r), 0);
  assert_int_equal(r.status, 401);
  http_resp_free(&r);
  /* the cached good password still works, a wrong one still fails */
  assert_int_equal(auth_status(port, "prometheus", "s3cret", &r), 200);
  http_resp_free(&r);
  assert_int_equal(auth_status(port, "prometheus", "wrong", &r), 401);
  http_resp_free(&r);
  promc_http_stop(s);
  promc_registry_free(reg);
}

/* ------------------------------------------------------------------ TLS */
static char g_tls_dir[64];

static void sh(const char *script) {
  char *const argv[] = {(char *)"sh", (char *)"-ec", (char *)script, NULL};
  char err[4096];
  int rc = run_tool(argv, NULL, 0, err, sizeof err, 60);
  if (rc != 0) fail_msg("shell step failed (%d): %s\n%s", rc, script, err);
}

/* A CA, a server certificate for 127.0.0.1, a client certificate from the
 * CA and one from an unrelated CA, all made now with the openssl CLI. */
static void make_certs(void) {
  REQUIRE_TOOL("openssl");
  REQUIRE_TOOL("curl");
  snprintf(g_tls_dir, sizeof g_tls_dir, "/tmp/promc-http-tls-XXXXXX");
  assert_non_null(mkdtemp(g_tls_dir));
  char script[4096];
  snprintf(script, sizeof script,
           "cd %s\n"
           "ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
           "openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj /CN=promc-test-ca 2>/dev/null\n"
           "openssl req -x509 $ec -keyout rogue-ca.key -out rogue-ca.pem -days 2 -subj /CN=rogue-ca 2>/dev/null\n"
           "printf 'basicConstraints=CA:FALSE\\nsubjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > srv.ext\n"
           "printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=clientAuth\\n' > cli.ext\n"
           "openssl req $ec -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null\n"
           "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile srv.ext 2>/dev/null\n"
           "openssl req $ec -keyout cli.key -out cli.csr -subj /CN=scraper 2>/dev/null\n"
           "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2 -extfile cli.ext 2>/dev/null\n"
           "openssl req $ec -keyout rogue.key -out rogue.csr -subj /CN=rogue 2>/dev/null\n"
           "openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -CAcreateserial -out rogue.pem -days 2 -extfile cli.ext 2>/dev/null\n",
           g_tls_dir);
  sh(script);
}

static void remove_certs(void) {
  char script[256];
  snprintf(script, sizeof script, "rm -rf '%s'", g_tls_dir);
  sh(script);
}

/* curl over HTTPS; returns the HTTP status (0 if the request failed) and
 * the body in out. */
static int curl_https(unsigned port, const char *extra, char *out, size_t outsz) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd %s && curl -sS --max-time 10 %s -o body.out -w '%%{http_code}' https://127.0.0.1:%u/metrics; "
           "cat body.out 2>/dev/null; rm -f body.out",
           g_tls_dir, extra, port);
  char *const argv[] = {(char *)"sh", (char *)"-c", cmd, NULL};
  char err[2048];
  int rc = run_tool(argv, out, outsz, err, sizeof err, 30);
  assert_true(rc >= 0);
  return atoi(out); /* "000" when the TLS handshake failed */
}

static void tls_scrape_with_cacert(void **state) {
  (void)state;
  make_certs();
  char cert[128], key[128];
  snprintf(cert, sizeof cert, "%s/srv.pem", g_tls_dir);
  snprintf(key, sizeof key, "%s/srv.key", g_tls_dir);
  promc_registry *reg = make_registry();
  promc_http_server *s;
  int rc = promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                    .tls_cert_file = cert, .tls_key_file = key});
  if (rc) fail_msg("TLS start: %s", promc_errmsg());
  unsigned port = promc_http_port(s);
  char out[65536];
  assert_int_equal(curl_https(port, "--cacert ca.pem", out, sizeof out), 200);
  assert_non_null(strstr(out, "alpha_total 7"));
  /* without the CA curl must refuse the certificate: it really is TLS */
  assert_int_equal(curl_https(port, "", out, sizeof out), 0);
  /* plain HTTP to a TLS port gets no metrics */
  struct http_resp r;
  http_get(port, "/metrics", &r);
  assert_true(r.status == 0 || r.status >= 400);
  assert_true(!r.body || !strstr(r.body, "alpha_total"));
  http_resp_free(&r);
  promc_http_stop(s);

  /* mutual TLS: a client certificate from the CA is required */
  char ca[128];
  snprintf(ca, sizeof ca, "%s/ca.pem", g_tls_dir);
  rc = promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .tls_cert_file = cert,
                                               .tls_key_file = key, .tls_client_ca_file = ca});
  if (rc) fail_msg("mTLS start: %s", promc_errmsg());
  port = promc_http_port(s);
  int st = curl_https(port, "--cacert ca.pem", out, sizeof out);
  assert_true(st == 403 || st == 0); /* no client certificate: rejected */
  assert_null(strstr(out, "alpha_total"));
  st = curl_https(port, "--cacert ca.pem --cert rogue.pem --key rogue.key", out, sizeof out);
  assert_true(st == 403 || st == 0); /* a certificate from another CA: rejected */
  assert_null(strstr(out, "alpha_total"));
  assert_int_equal(curl_https(port, "--cacert ca.pem --cert cli.pem --key cli.key", out, sizeof out), 200);
  assert_non_null(strstr(out, "alpha_total 7"));
  promc_http_stop(s);
  promc_registry_free(reg);
  remove_certs();
}

/* ------------------------------------------------------------- embedding */
static enum MHD_Result my_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  (void)version;
  (void)upload_data;
  static int marker;
  if (!*con_cls) {
    *con_cls = &marker;
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  promc_http_handler *h = cls;
  if (strcmp(url, "/custom/metrics") == 0) return promc_http_handle(h, c, NULL, method);
  if (strncmp(url, "/std", 4) == 0) return promc_http_handle(h, c, url + 4, method);
  static const char mine[] = "my own page";
  struct MHD_Response *r = MHD_create_response_from_buffer(sizeof mine - 1, (void *)(uintptr_t)mine,
                                                           MHD_RESPMEM_PERSISTENT);
  enum MHD_Result rc = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return rc;
}

static void handler_answers_inside_a_user_daemon(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_handler *h;
  assert_int_equal(promc_http_handler_new(&h, &(promc_http_handler_opts){.registry = reg}), 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                          NULL, NULL, my_handler, h, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
  assert_non_null(d);
  unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
  struct http_resp r;
  assert_int_equal(http_get(port, "/custom/metrics?name[]=beta", &r), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "# HELP beta A gauge.\n# TYPE beta gauge\nbeta 2.5\n");
  http_resp_free(&r);
  assert_int_equal(http_get(port, "/elsewhere", &r), 0);
  assert_string_equal(r.body, "my own page");
  http_resp_free(&r);
  assert_int_equal(http_get(port, "/std/metrics", &r), 0); /* url given: routed by promc */
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  assert_int_equal(http_get(port, "/std/other", &r), 0);
  assert_int_equal(r.status, 404);
  http_resp_free(&r);
  assert_int_equal(http_get_ex(port, "DELETE", "/custom/metrics", NULL, &r), 0);
  assert_int_equal(r.status, 405);
  http_resp_free(&r);
  MHD_stop_daemon(d);
  promc_http_handler_free(h);
  promc_http_handler_free(NULL);
  assert_int_equal(promc_http_handler_new(NULL, NULL), PROMC_EINVAL);
  promc_registry_free(reg);
}

/* The default registry is served when none is given. */
static void default_registry_is_served(void **state) {
  (void)state;
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "promc_http_test_default", .help = "x"}), 0);
  promc_gauge_set(g, 42);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1"}), 0);
  struct http_resp r;
  assert_int_equal(http_get(promc_http_port(s), "/metrics?name[]=promc_http_test_default", &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "promc_http_test_default 42\n"));
  http_resp_free(&r);
  promc_http_stop(s);
  promc_metric_destroy(PROMC_METRIC(g));
}


/* Concurrent scrapes (plain and gzip, over 4 worker threads) while another
 * thread keeps counting: every scrape is a complete 200 and the pooled
 * buffers are never shared between two responses. */
struct conc_arg {
  unsigned port;
  int ok;
};

static void *scraper(void *p) {
  struct conc_arg *a = p;
  for (int i = 0; i < 40; i++) {
    struct http_resp r;
    int gz = i % 2;
    if (http_get_ex(a->port, "GET", "/metrics", gz ? "Accept-Encoding: gzip\r\n" : NULL, &r) != 0) return NULL;
    int good = r.status == 200;
    if (good && gz) {
      unsigned char out[65536];
      z_stream z = {0};
      inflateInit2(&z, 15 + 16);
      z.next_in = (Bytef *)r.body;
      z.avail_in = (uInt)r.body_len;
      z.next_out = out;
      z.avail_out = sizeof out - 1;
      good = inflate(&z, Z_FINISH) == Z_STREAM_END;
      size_t n = sizeof out - 1 - z.avail_out;
      inflateEnd(&z);
      out[n] = '\0';
      good = good && strstr((char *)out, "# TYPE spin_total counter") && strstr((char *)out, "beta 2.5\n");
    } else if (good) {
      good = strstr(r.body, "# TYPE spin_total counter") && strstr(r.body, "beta 2.5\n");
    }
    http_resp_free(&r);
    if (!good) return NULL;
    a->ok++;
  }
  return NULL;
}

static atomic_int g_stop;
static void *spinner(void *p) {
  promc_counter *c = p;
  while (!atomic_load(&g_stop)) promc_counter_inc(c);
  return NULL;
}

static void concurrent_scrapes_all_complete(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_counter *spin;
  assert_int_equal(promc_counter_new(&spin, &(promc_opts){.name = "spin", .help = "x", .registry = reg}), 0);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg, .threads = 4}), 0);
  pthread_t w, t[6];
  struct conc_arg a[6];
  atomic_store(&g_stop, 0);
  pthread_create(&w, NULL, spinner, spin);
  for (int i = 0; i < 6; i++) {
    a[i] = (struct conc_arg){promc_http_port(s), 0};
    pthread_create(&t[i], NULL, scraper, &a[i]);
  }
  for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
  atomic_store(&g_stop, 1);
  pthread_join(w, NULL);
  for (int i = 0; i < 6; i++) assert_int_equal(a[i].ok, 40);
  promc_http_stop(s);
  promc_registry_free(reg);
}


/* An IPv6 literal listens on IPv6 (the loopback ::1 here). */
static void listens_on_ipv6(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  int rc = promc_http_start(&s, &(promc_http_opts){.addr = "::1", .registry = reg});
  if (rc) fail_msg("start on ::1: %s (does this machine have IPv6 loopback?)", promc_errmsg());
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(promc_http_port(s)),
                            .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n";
  assert_int_equal(send_all(fd, req, sizeof req - 1), 0);
  struct http_resp r;
  assert_int_equal(read_resp(fd, &r, 0), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  http_resp_free(&r);
  close(fd);
  promc_http_stop(s);
  promc_registry_free(reg);
}

/* "::" is dual stack: the same server answers over IPv4 and IPv6. */
static void any_ipv6_address_listens_on_ipv4_too(void **state) {
  (void)state;
  promc_registry *reg = make_registry();
  promc_http_server *s;
  int rc = promc_http_start(&s, &(promc_http_opts){.addr = "::", .registry = reg});
  if (rc) fail_msg("start on ::: %s (does this machine have IPv6?)", promc_errmsg());
  unsigned port = promc_http_port(s);
  struct http_resp r;
  assert_int_equal(http_get(port, "/metrics", &r), 0); /* 127.0.0.1 */
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "alpha_total 7\n"));
  http_resp_free(&r);
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
                            .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n";
  assert_int_equal(send_all(fd, req, sizeof req - 1), 0);
  assert_int_equal(read_resp(fd, &r, 0), 0);
  assert_int_equal(r.status, 200);
  http_resp_free(&r);
  close(fd);
  promc_http_stop(s);
  promc_registry_free(reg);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(serves_metrics_and_root, setup, teardown),
      cmocka_unit_test_setup_teardown(unknown_path_is_404, setup, teardown),
      cmocka_unit_test_setup_teardown(other_methods_are_405_with_allow, setup, teardown),
      cmocka_unit_test_setup_teardown(head_has_length_and_no_body, setup, teardown),
      cmocka_unit_test_setup_teardown(gzip_body_inflates_to_the_plain_body, setup, teardown),
      cmocka_unit_test_setup_teardown(name_filter_selects_families, setup, teardown),
      cmocka_unit_test_setup_teardown(accept_header_picks_a_consistent_format, setup, teardown),
      cmocka_unit_test_setup_teardown(start_reports_errors, setup, teardown),
      cmocka_unit_test(failing_collector_gives_500),
      cmocka_unit_test(basic_auth_accepts_right_password_only),
      cmocka_unit_test(tls_scrape_with_cacert),
      cmocka_unit_test(handler_answers_inside_a_user_daemon),
      cmocka_unit_test(default_registry_is_served),
      cmocka_unit_test(listens_on_ipv6),
      cmocka_unit_test(any_ipv6_address_listens_on_ipv4_too),
      cmocka_unit_test(concurrent_scrapes_all_complete),
      cmocka_unit_test(start_stop_1000_times_leaks_nothing),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
