/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_attack.c — the built-in server under attack, with the figures
 * the server promises (docs/http.md, "How it behaves under attack"):
 *   halfclose  4,800 half-closed requests ("GET /met", then close) in 3 s:
 *              fresh scrapes succeed within 1 s of the burst; during 100 of
 *              them a second, at least 9 of 10 scrapes do; stop within 1 s;
 *   slowloris  600 connections trickling a header byte every 5 s, plain and
 *              TLS, and 300 stalled TLS handshakes (against 256 slots): a
 *              fresh scrape succeeds within 1 s, 10 times out of 10;
 *   badpass    300 clients sending a wrong password as fast as answers come,
 *              plain or TLS: a scraper with the right password, on a fresh
 *              connection 10 times a second for 25 s, sees p99 < 1 s.
 * Every attack runs on 127.0.0.1, in one thread, bounded in connections and
 * time.  Run one group: test_http_attack halfclose|slowloris|badpass_plain|
 * badpass_tls. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http_attack.h"
#include "http_test_util.h"
#include "promc/http.h"
#include "promc/promc.h"

static promc_registry *reg;
static char certdir[64];
static char cert[128], key[128];

static void make_cert(void) {
  if (certdir[0]) return;
  REQUIRE_TOOL("openssl");
  snprintf(certdir, sizeof certdir, "/tmp/promc-attack-XXXXXX");
  assert_non_null(mkdtemp(certdir));
  char script[512];
  snprintf(script, sizeof script,
           "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
           "-keyout srv.key -out srv.pem -days 2 -subj /CN=127.0.0.1 2>&1",
           certdir);
  char *const argv[] = {(char *)"sh", (char *)"-c", script, NULL};
  char out[2048];
  if (run_tool(argv, out, sizeof out, NULL, 0, 60) != 0) fail_msg("openssl failed: %s", out);
  snprintf(cert, sizeof cert, "%s/srv.pem", certdir);
  snprintf(key, sizeof key, "%s/srv.key", certdir);
}

static void remove_cert(void) {
  if (!certdir[0]) return;
  char script[256];
  snprintf(script, sizeof script, "rm -rf %s", certdir);
  char *const argv[] = {(char *)"sh", (char *)"-c", script, NULL};
  run_tool(argv, NULL, 0, NULL, 0, 10);
  certdir[0] = '\0';
}

static promc_http_server *start(int tls, unsigned max_conns, const promc_http_user *u, size_t nu) {
  promc_http_opts o = {.addr = "127.0.0.1", .registry = reg, .max_connections = max_conns,
                       .users = u, .nusers = nu};
  if (tls) {
    make_cert();
    o.tls_cert_file = cert;
    o.tls_key_file = key;
  }
  promc_http_server *s;
  if (promc_http_start(&s, &o) != 0) fail_msg("start: %s", promc_errmsg());
  return s;
}

static double stop_timed(promc_http_server *s) {
  double t0 = atk_now();
  promc_http_stop(s);
  return atk_now() - t0;
}

/* ------------------------------------------------------------ halfclose */
static void half_closed_requests_do_not_wedge_the_server(void **state) {
  (void)state;
  promc_http_server *s = start(0, 0, NULL, 0);
  unsigned port = promc_http_port(s);
  _Atomic int stop = 0;
  struct atk_spec burst = {.port = port, .rate = 1600, .total = 4800, .max_s = 8, .stop = &stop};
  atk_halfclose(&burst);
  double t_end = atk_now();
  double took;
  int first = atk_probe(port, 0, NULL, 1.0, &took);
  double first_at = atk_now() - t_end;
  int after = atk_probes(port, 0, NULL, 9, 0.05, 1.0, NULL);

  struct atk_spec steady = {.port = port, .rate = 100, .max_s = 15, .stop = &stop};
  pthread_t t;
  double t_steady = atk_now();
  assert_int_equal(pthread_create(&t, NULL, atk_halfclose, &steady), 0);
  usleep(500 * 1000);
  int during = atk_probes(port, 0, NULL, 10, 0.5, 1.0, NULL);
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  t_steady = atk_now() - t_steady;
  double stop_s = stop_timed(s);
  print_message("burst: %ld sent; first scrape %d %.3f s after it; %d/9 more; steady: %ld sent, "
                "%d/10 scrapes; stop %.2f s\n",
                burst.done, first, first_at, after, steady.done, during, stop_s);
  assert_true(burst.done >= 4000); /* the attack really happened */
  if (first != 200 || first_at > 1.0) fail_msg("no scrape within 1 s of the burst (status %d)", first);
  assert_int_equal(after, 9);
  assert_true(steady.done >= (long)(0.8 * 100 * t_steady)); /* it kept up 100/s */
  if (during < 9) fail_msg("%d/10 scrapes within 1 s during 100 half-closed requests/s", during);
  if (stop_s > 1.0) fail_msg("promc_http_stop took %.2f s", stop_s);
}

/* ------------------------------------------------------------ slowloris */
static void hold_and_probe(void *(*attack)(void *), int tls, int conns, unsigned max_conns,
                           const char *what) {
  promc_http_server *s = start(tls, max_conns, NULL, 0);
  unsigned port = promc_http_port(s);
  _Atomic int stop = 0;
  struct atk_spec a = {.port = port, .tls = tls, .conns = conns, .period_s = 5, .max_s = 40, .stop = &stop};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, attack, &a), 0);
  sleep(4); /* every attacker connected, the server full */
  double lat[10];
  int ok = atk_probes(port, tls, NULL, 10, 0.2, 1.0, lat);
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  double stop_s = stop_timed(s);
  print_message("%s: %d/10 scrapes within 1 s (median %.3f s); attackers up at most %d at once, "
                "%ld reopened; stop %.2f s\n",
                what, ok, atk_percentile(lat, 10, 50), a.held_max, a.reconnects, stop_s);
  if (ok != 10) fail_msg("%s: only %d/10 fresh scrapes within 1 s", what, ok);
  /* the attack really had more connections than the server has slots */
  assert_true(a.held_max > (int)(max_conns ? max_conns : 512));
  assert_true(stop_s < 1.0);
}

static void slowloris_cannot_hold_the_slots(void **state) {
  (void)state;
  hold_and_probe(atk_slowloris, 0, 600, 0, "600 trickling connections");
}

static void slowloris_over_tls_cannot_hold_the_slots(void **state) {
  (void)state;
  hold_and_probe(atk_slowloris, 1, 600, 0, "600 trickling TLS connections");
}

static void stalled_tls_handshakes_cannot_hold_the_slots(void **state) {
  (void)state;
  hold_and_probe(atk_stall, 1, 300, 256, "300 stalled TLS handshakes, 256 slots");
}

/* -------------------------------------------------------------- badpass */
static void wrong_password_flood(int tls) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data *cd = calloc(1, sizeof *cd);
  assert_non_null(cd);
  assert_non_null(crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof setting));
  const char *h = crypt_r("right", setting, cd);
  assert_true(h && h[0] == '$');
  char *hash = strdup(h);
  free(cd);
  promc_http_user users[] = {{"prometheus", hash}};
  promc_http_server *s = start(tls, 0, users, 1);
  unsigned port = promc_http_port(s);
  /* base64 of "prometheus:right" and "prometheus:wrong" */
  const char *good = "Authorization: Basic cHJvbWV0aGV1czpyaWdodA==\r\n";
  const char *bad = "Authorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n";
  double t;
  assert_int_equal(atk_probe(port, tls, good, 5, &t), 200); /* the scraper's first scrape */

  enum { SECS = 25 };
  _Atomic int stop = 0;
  struct atk_spec a = {.port = port, .tls = tls, .conns = 300, .auth_header = bad, .max_s = SECS + 10,
                       .stop = &stop};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, atk_badpass, &a), 0);
  sleep(1);
  size_t n = 0, cap = SECS * 10 + 8;
  double *lat = calloc(cap, sizeof *lat);
  assert_non_null(lat);
  double t_end = atk_now() + SECS;
  while (atk_now() < t_end && n < cap) {
    double t0 = atk_now();
    if (atk_probe(port, tls, good, 5, &lat[n]) != 200) lat[n] = 5;
    n++;
    double left = 0.1 - (atk_now() - t0);
    if (left > 0) usleep((useconds_t)(left * 1e6));
  }
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  double stop_s = stop_timed(s);
  double p50 = atk_percentile(lat, n, 50), p99 = atk_percentile(lat, n, 99);
  print_message("%s: %zu scrapes with the right password: p50 %.3f s, p99 %.3f s, max %.3f s; "
                "wrong passwords answered %ld (401: %ld, 429: %ld, other: %ld); stop %.2f s\n",
                tls ? "TLS" : "plain", n, p50, p99, lat[n - 1], a.done, a.status_401, a.status_429,
                a.status_other, stop_s);
  free(lat);
  free(hash);
  if (p99 >= 1.0) fail_msg("the right password's p99 is %.3f s under 300 wrong-password clients", p99);
  assert_true(n >= 100);
  assert_true(a.done >= 300); /* the flood really was answered, not refused */
  assert_true(stop_s < 1.0);
}

static void wrong_password_flood_does_not_stall_the_scraper(void **state) {
  (void)state;
  wrong_password_flood(0);
}

static void wrong_password_flood_over_tls_does_not_stall_the_scraper(void **state) {
  (void)state;
  wrong_password_flood(1);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  atk_raise_nofile();
  const char *group = argc > 1 ? argv[1] : "";
  if (promc_registry_new(&reg) != 0) return 1;
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "alive", .help = "x", .registry = reg}) != 0) return 1;
  promc_counter_inc(c);
  int rc = -1;
  if (strcmp(group, "halfclose") == 0) {
    const struct CMUnitTest t[] = {cmocka_unit_test(half_closed_requests_do_not_wedge_the_server)};
    rc = cmocka_run_group_tests_name("halfclose", t, NULL, NULL);
  } else if (strcmp(group, "slowloris") == 0) {
    const struct CMUnitTest t[] = {
        cmocka_unit_test(slowloris_cannot_hold_the_slots),
        cmocka_unit_test(slowloris_over_tls_cannot_hold_the_slots),
        cmocka_unit_test(stalled_tls_handshakes_cannot_hold_the_slots),
    };
    rc = cmocka_run_group_tests_name("slowloris", t, NULL, NULL);
  } else if (strcmp(group, "badpass_plain") == 0) {
    const struct CMUnitTest t[] = {cmocka_unit_test(wrong_password_flood_does_not_stall_the_scraper)};
    rc = cmocka_run_group_tests_name("badpass_plain", t, NULL, NULL);
  } else if (strcmp(group, "badpass_tls") == 0) {
    const struct CMUnitTest t[] = {cmocka_unit_test(wrong_password_flood_over_tls_does_not_stall_the_scraper)};
    rc = cmocka_run_group_tests_name("badpass_tls", t, NULL, NULL);
  } else {
    fprintf(stderr, "usage: test_http_attack halfclose|slowloris|badpass_plain|badpass_tls\n");
  }
  remove_cert();
  promc_registry_free(reg);
  promc_shutdown();
  return rc == -1 ? 2 : rc;
}
