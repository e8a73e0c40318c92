/* SPDX-License-Identifier: Apache-2.0 */
/* http_bench.c — the scrape benchmark's server: 1,000 labelled counter
 * series (method x path x status = 10 x 10 x 10, the values of the peer
 * benchmarks' `http` mode in ../shared/peer-bench) behind promc's HTTP
 * server on 127.0.0.1:PORT for SECS seconds (or until SIGINT/SIGTERM).
 *   http_bench PORT SECS [THREADS]
 * Load comes from wrk: see bench/scrape_wrk.sh. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "promc/http.h"
#include "promc/promc.h"

int main(int argc, char **argv) {
  unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 9104;
  int secs = argc > 2 ? atoi(argv[2]) : 20;
  unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 0;
  promc_registry *reg;
  promc_counter *c;
  if (promc_registry_new(&reg) ||
      promc_counter_new(&c, &(promc_opts){.name = "bench_requests_total", .help = "Requests.",
                                          .registry = reg,
                                          PROMC_LABEL_NAMES("method", "path", "status")})) {
    fprintf(stderr, "http_bench: %s\n", promc_errmsg());
    return 1;
  }
  for (int a = 0; a < 10; a++)
    for (int b = 0; b < 10; b++)
      for (int d = 0; d < 10; d++) {
        char m[16], p[32], s[8];
        snprintf(m, sizeof m, "m%d", a);
        snprintf(p, sizeof p, "/api/v1/res%d", b);
        snprintf(s, sizeof s, "%d", 200 + d);
        promc_counter_add_int(promc_counter_labels(c, m, p, s), (uint64_t)(a + b + d + 1));
      }
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  promc_http_server *srv;
  if (promc_http_start(&srv, &(promc_http_opts){.addr = "127.0.0.1", .port = (uint16_t)port,
                                                .registry = reg, .threads = threads})) {
    fprintf(stderr, "http_bench: %s\n", promc_errmsg());
    return 1;
  }
  fprintf(stderr, "listening\n");
  struct timespec ts = {secs, 0};
  sigtimedwait(&sigs, NULL, &ts);
  promc_http_stop(srv);
  promc_registry_free(reg);
  return 0;
}
