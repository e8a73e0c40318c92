/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_resilience.c — misbehaving clients must not take the scrape
 * down: 200 idle connections held open while a normal scrape still answers
 * within 1 s; garbage bytes, a 1 MiB header, an absurd URL, a request cut
 * off mid-way are answered with an error or dropped, and the next scrape
 * succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

struct fixture {
  promc_registry *reg;
  promc_http_server *srv;
  unsigned port;
};

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  if (promc_registry_new(&f->reg) != 0) return -1;
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "still_alive", .help = "x", .registry = f->reg}) != 0)
    return -1;
  promc_counter_inc(c);
  if (promc_http_start(&f->srv, &(promc_http_opts){.addr = "127.0.0.1", .registry = f->reg}) != 0) return -1;
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

/* A normal scrape; returns its duration in seconds (fails the test if it
 * does not answer 200 with the metric). */
static double good_scrape(unsigned port) {
  double t0 = now_s();
  struct http_resp r;
  assert_int_equal(http_get(port, "/metrics", &r), 0);
  double dt = now_s() - t0;
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "still_alive_total 1\n"));
  http_resp_free(&r);
  return dt;
}

static void scrape_answers_while_200_connections_idle(void **state) {
  struct fixture *f = *state;
  enum { N = 200 };
  int fds[N];
  for (int i = 0; i < N; i++) {
    fds[i] = tcp_connect(f->port, 2000);
    assert_true(fds[i] >= 0);
    /* half of them start a request and stall (slowloris), half say nothing */
    if (i % 2) assert_int_equal(send_all(fds[i], "GET /metrics HTTP/1.1\r\nHost: x\r\n", 33), 0);
  }
  usleep(200 * 1000); /* let the server accept them all */
  for (int k = 0; k < 5; k++) {
    double dt = good_scrape(f->port);
    if (dt >= 1.0) fail_msg("scrape took %.3f s with %d idle connections open", dt, N);
  }
  for (int i = 0; i < N; i++) close(fds[i]);
  good_scrape(f->port);
}

/* Sends raw bytes, reads whatever comes back (bounded), closes; returns the
 * status answered, 0 when the server dropped the connection. */
static int raw_exchange(unsigned port, const char *data, size_t n) {
  int fd = tcp_connect(port, 3000);
  assert_true(fd >= 0);
  int status = 0;
  (void)send_all(fd, data, n); /* the server may stop reading: fine */
  {
    shutdown(fd, SHUT_WR);
    struct http_resp r;
    if (read_resp(fd, &r, 0) == 0) status = r.status;
    http_resp_free(&r);
  }
  close(fd);
  return status;
}

static void garbage_is_rejected_and_server_survives(void **state) {
  struct fixture *f = *state;
  char junk[4096];
  unsigned seed = 12345;
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(rand_r(&seed) & 0xff);
  int st = raw_exchange(f->port, junk, sizeof junk);
  assert_true(st == 0 || st >= 400);
  good_scrape(f->port);
  static const char *const bad[] = {
      "\r\n\r\n\r\n",
      "GET\r\n\r\n",
      "GET /metrics HTTP/9.9\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /metrics?name[]=%zz%00&name[]=%%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS ClientHello on plain HTTP */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    st = raw_exchange(f->port, bad[i], strlen(bad[i]));
    assert_true(st == 0 || st == 200 || st >= 400);
    good_scrape(f->port);
  }
}

static void huge_header_is_refused(void **state) {
  struct fixture *f = *state;
  size_t big = 1u << 20;
  char *req = malloc(big + 256);
  int n = snprintf(req, 256, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
  memset(req + n, 'a', big);
  memcpy(req + n + big, "\r\n\r\n", 5);
  int st = raw_exchange(f->port, req, (size_t)n + big + 4);
  assert_true(st == 0 || st >= 400); /* 431, or dropped: never served */
  free(req);
  good_scrape(f->port);
}

static void absurd_url_is_refused(void **state) {
  struct fixture *f = *state;
  size_t big = 256u << 10;
  char *req = malloc(big + 256);
  memcpy(req, "GET /metrics?", 13);
  for (size_t i = 0; i < big; i++) req[13 + i] = "name[]=x&"[i % 9];
  size_t n = 13 + big;
  n += (size_t)sprintf(req + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
  int st = raw_exchange(f->port, req, n);
  assert_true(st == 0 || st >= 400);
  free(req);
  /* and a long but legal path is a plain 404 */
  char path[3000] = "/";
  memset(path + 1, 'p', sizeof path - 2);
  path[sizeof path - 1] = '\0';
  struct http_resp r;
  assert_int_equal(http_get(f->port, path, &r), 0);
  assert_int_equal(r.status, 404);
  http_resp_free(&r);
  good_scrape(f->port);
}

/* Past max_connections the server stops accepting: an extra client waits in
 * the kernel's backlog, unanswered, until the idle timeout closes a held
 * connection and frees a slot. */
static void connection_limit_and_idle_timeout(void **state) {
  (void)state;
  promc_registry *reg;
  assert_int_equal(promc_registry_new(&reg), 0);
  promc_http_server *s;
  assert_int_equal(promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .registry = reg,
                                                           .max_connections = 4, .timeout_seconds = 2,
                                                           .threads = 1}),
                   0);
  unsigned port = promc_http_port(s);
  int fds[4];
  for (int i = 0; i < 4; i++) assert_true((fds[i] = tcp_connect(port, 2000)) >= 0);
  usleep(200 * 1000);
  double t0 = now_s();
  int fd = tcp_connect(port, 8000);
  assert_true(fd >= 0);
  const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  assert_int_equal(send_all(fd, req, sizeof req - 1), 0);
  struct pollfd p = {fd, POLLIN, 0};
  assert_int_equal(poll(&p, 1, 700), 0); /* not served while the 4 slots are held */
  struct http_resp r;
  assert_int_equal(read_resp(fd, &r, 0), 0); /* served once the idle ones time out */
  double dt = now_s() - t0;
  assert_int_equal(r.status, 200);
  if (dt < 1.5 || dt > 6) fail_msg("extra client served after %.2f s; the idle timeout is 2 s", dt);
  http_resp_free(&r);
  close(fd);
  for (int i = 0; i < 4; i++) {
    char c;
    assert_int_equal(recv(fds[i], &c, 1, 0), 0); /* closed by the server's timeout */
    close(fds[i]);
  }
  promc_http_stop(s);
  promc_registry_free(reg);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(scrape_answers_while_200_connections_idle, setup, teardown),
      cmocka_unit_test_setup_teardown(garbage_is_rejected_and_server_survives, setup, teardown),
      cmocka_unit_test_setup_teardown(huge_header_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(absurd_url_is_refused, setup, teardown),
      cmocka_unit_test(connection_limit_and_idle_timeout),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  promc_shutdown();
  return rc;
}
