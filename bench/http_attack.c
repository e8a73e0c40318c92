/* SPDX-License-Identifier: Apache-2.0 */
/* http_attack.c — measures libpromc-http under the attacks of
 * tests/http_attack.h, against a server started in this process on
 * 127.0.0.1 (a free port).  It uses only options every version of
 * promc_http_opts has, so bench/http_attack.sh can build it against an older
 * libpromc-http and compare.
 *
 *   http_attack halfclose              4,800 half-closed requests in 3 s, then
 *                                      10 fresh scrapes; 100/s for 10 s with a
 *                                      scrape a second; promc_http_stop's time
 *   http_attack slowloris [tls]        600 connections, a header byte each 5 s
 *                                      (default 512 slots)
 *   http_attack stall                  300 stalled TLS handshakes against
 *                                      max_connections = 256
 *   http_attack badpass [tls] [SECS]   300 wrong-password clients; a scraper
 *                                      with the right password, 10 a second
 * TLS scenarios take CERT and KEY from $ATK_CERT and $ATK_KEY.  Output: one
 * "name value" line per figure. */
#include <crypt.h>
#include <signal.h>

#include "../tests/http_attack.h"
#include "promc/http.h"
#include "promc/promc.h"

static promc_registry *reg;

static promc_http_server *start(int tls, unsigned max_conns, const promc_http_user *users, size_t nusers) {
  promc_http_server *s;
  promc_http_opts o = {.addr = "127.0.0.1", .registry = reg, .max_connections = max_conns,
                       .users = users, .nusers = nusers};
  if (tls) {
    o.tls_cert_file = getenv("ATK_CERT");
    o.tls_key_file = getenv("ATK_KEY");
    if (!o.tls_cert_file || !o.tls_key_file) {
      fprintf(stderr, "set ATK_CERT and ATK_KEY for TLS\n");
      exit(2);
    }
  }
  if (promc_http_start(&s, &o) != 0) {
    fprintf(stderr, "promc_http_start: %s\n", promc_errmsg());
    exit(1);
  }
  return s;
}

static double stop_timed(promc_http_server *s) {
  double t0 = atk_now();
  promc_http_stop(s);
  return atk_now() - t0;
}

static void report_probes(const char *name, unsigned port, int tls, const char *extra, int n, double gap) {
  double lat[64];
  int ok = atk_probes(port, tls, extra, n, gap, 1.0, lat);
  printf("%s_ok_within_1s %d/%d\n", name, ok, n);
  printf("%s_median_s %.3f\n", name, atk_percentile(lat, (size_t)n, 50));
}

static int halfclose(void) {
  promc_http_server *s = start(0, 0, NULL, 0);
  unsigned port = promc_http_port(s);
  _Atomic int stop = 0;
  struct atk_spec a = {.port = port, .rate = 1600, .total = 4800, .max_s = 6, .stop = &stop};
  double t0 = atk_now();
  atk_halfclose(&a);
  printf("burst_sent %ld\nburst_seconds %.2f\n", a.done, atk_now() - t0);
  report_probes("after_burst", port, 0, NULL, 10, 0.1);
  struct atk_spec b = {.port = port, .rate = 100, .max_s = 12, .stop = &stop};
  pthread_t t;
  pthread_create(&t, NULL, atk_halfclose, &b);
  sleep(1);
  report_probes("during_100_per_s", port, 0, NULL, 10, 1.0);
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("sustained_sent %ld\n", b.done);
  printf("stop_seconds %.2f\n", stop_timed(s));
  return 0;
}

static int hold(void *(*fn)(void *), int tls, int conns, unsigned max_conns, const char *name) {
  promc_http_server *s = start(tls, max_conns, NULL, 0);
  unsigned port = promc_http_port(s);
  _Atomic int stop = 0;
  struct atk_spec a = {.port = port, .tls = tls, .conns = conns, .period_s = 5, .max_s = 40, .stop = &stop};
  pthread_t t;
  pthread_create(&t, NULL, fn, &a);
  sleep(4); /* let them all connect and settle */
  report_probes(name, port, tls, NULL, 10, 0.2);
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  printf("%s_attackers_held_max %d\n%s_reopened %ld\n", name, a.held_max, name, a.reconnects);
  printf("stop_seconds %.2f\n", stop_timed(s));
  return 0;
}

static int badpass(int tls, int secs) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data cd;
  memset(&cd, 0, sizeof cd);
  if (!crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof setting)) return 1;
  const char *h = crypt_r("right", setting, &cd);
  if (!h || h[0] != '$') return 1;
  char *hash = strdup(h);
  promc_http_user users[] = {{"prometheus", hash}};
  promc_http_server *s = start(tls, 0, users, 1);
  unsigned port = promc_http_port(s);
  /* base64("prometheus:right") and base64("prometheus:wrong") */
  const char *good = "Authorization: Basic cHJvbWV0aGV1czpyaWdodA==\r\n";
  const char *bad = "Authorization: Basic cHJvbWV0aGV1czp3cm9uZw==\r\n";
  double t;
  if (atk_probe(port, tls, good, 5, &t) != 200) {
    fprintf(stderr, "the right password is refused\n");
    return 1;
  }
  _Atomic int stop = 0;
  struct atk_spec a = {.port = port, .tls = tls, .conns = 300, .auth_header = bad,
                       .max_s = secs + 10, .stop = &stop};
  pthread_t th;
  pthread_create(&th, NULL, atk_badpass, &a);
  sleep(1);
  size_t n = 0, cap = (size_t)secs * 20 + 16;
  double *lat = calloc(cap, sizeof *lat);
  double t_end = atk_now() + secs;
  while (atk_now() < t_end && n < cap) {
    double t0 = atk_now();
    int st = atk_probe(port, tls, good, 10, &lat[n]);
    if (st != 200) lat[n] = 10;
    n++;
    double left = 0.1 - (atk_now() - t0);
    if (left > 0) usleep((useconds_t)(left * 1e6));
  }
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  printf("scrapes %zu\n", n);
  printf("good_p50_s %.3f\n", atk_percentile(lat, n, 50));
  printf("good_p99_s %.3f\n", atk_percentile(lat, n, 99));
  printf("good_max_s %.3f\n", lat[n - 1]);
  printf("bad_answered %ld (401: %ld, 429: %ld, other: %ld)\n", a.done, a.status_401, a.status_429,
         a.status_other);
  printf("stop_seconds %.2f\n", stop_timed(s));
  free(lat);
  free(hash);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  atk_raise_nofile();
  if (promc_registry_new(&reg) != 0) return 1;
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "alive", .help = "x", .registry = reg}) != 0) return 1;
  promc_counter_inc(c);
  const char *what = argc > 1 ? argv[1] : "";
  int tls = argc > 2 && strcmp(argv[2], "tls") == 0;
  int rc = 2;
  if (strcmp(what, "halfclose") == 0) rc = halfclose();
  else if (strcmp(what, "slowloris") == 0)
    rc = hold(atk_slowloris, tls, 600, 0, tls ? "slowloris_tls" : "slowloris");
  else if (strcmp(what, "stall") == 0) rc = hold(atk_stall, 1, 300, 256, "tls_stall");
  else if (strcmp(what, "badpass") == 0)
    rc = badpass(tls, argc > 2 && atoi(argv[argc - 1]) > 0 ? atoi(argv[argc - 1]) : 30);
  else fprintf(stderr, "usage: http_attack halfclose | slowloris [tls] | stall | badpass [tls] [SECS]\n");
  promc_registry_free(reg);
  return rc;
}
