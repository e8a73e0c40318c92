/* SPDX-License-Identifier: Apache-2.0 */
/* name_as_given_serve.c — serves two counters created with
 * counter_name_as_given (http_requests{method}, app_errors) and one without
 * (app_jobs) with libpromc-http on 127.0.0.1, for a real Prometheus to
 * scrape (tests/integration/name_as_given_prometheus.py).
 * Usage: name_as_given_serve text|all PORT_FILE
 *   text  the server answers every scrape in the text format (formats =
 *         PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT)); all  it negotiates freely.
 * Writes the port to PORT_FILE, then serves until SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "promc/http.h"
#include "promc/promc.h"

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "text") != 0 && strcmp(argv[1], "all") != 0)) {
    fprintf(stderr, "usage: %s text|all PORT_FILE\n", argv[0]);
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the server's threads start */
  promc_registry *r;
  promc_counter *reqs, *errs, *jobs;
  promc_http_server *srv;
  if (promc_registry_new(&r) ||
      promc_counter_new(&reqs, &(promc_opts){.name = "http_requests", .help = "Requests served.", .registry = r,
                                             .counter_name_as_given = 1, PROMC_LABEL_NAMES("method")}) ||
      promc_counter_new(&errs, &(promc_opts){.name = "app_errors", .help = "Errors.", .registry = r,
                                             .counter_name_as_given = 1}) ||
      promc_counter_new(&jobs, &(promc_opts){.name = "app_jobs", .help = "Jobs.", .registry = r})) {
    fprintf(stderr, "name_as_given_serve: %s\n", promc_errmsg());
    return 1;
  }
  promc_counter_add_int(promc_counter_labels(reqs, "GET"), 7);
  promc_counter_inc(errs);
  promc_counter_add_int(jobs, 5);
  unsigned formats = strcmp(argv[1], "text") == 0 ? PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) : 0;
  if (promc_http_start(&srv, &(promc_http_opts){.addr = "127.0.0.1", .registry = r, .formats = formats})) {
    fprintf(stderr, "name_as_given_serve: %s\n", promc_errmsg());
    return 1;
  }
  FILE *f = fopen(argv[2], "w");
  if (!f || fprintf(f, "%u\n", (unsigned)promc_http_port(srv)) < 0 || fclose(f) != 0) {
    fprintf(stderr, "name_as_given_serve: cannot write %s\n", argv[2]);
    return 1;
  }
  int sig;
  sigwait(&set, &sig);
  promc_http_stop(srv);
  promc_registry_free(r);
  return 0;
}
