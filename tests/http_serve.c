/* SPDX-License-Identifier: Apache-2.0 */
/* http_serve.c — a test helper for tests/integration/e2e_tls_prometheus.py:
 * libpromc-http with every production option on, serving the default
 * registry plus a marker gauge on 127.0.0.1 (a free port, written to a file)
 * until SIGTERM/SIGINT.  The password is hashed here with bcrypt (cost 4) so
 * the test needs no hashing tool.
 *   http_serve PORT_FILE CERT KEY CLIENT_CA USER PASSWORD */
#include <crypt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc/http.h"
#include "promc/promc.h"

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: http_serve PORT_FILE CERT KEY CLIENT_CA USER PASSWORD\n");
    return 2;
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data *cd = calloc(1, sizeof *cd);
  const char *hash = cd && crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof setting)
                         ? crypt_r(argv[6], setting, cd)
                         : NULL;
  if (!hash || hash[0] != '$') {
    fprintf(stderr, "http_serve: bcrypt failed\n");
    return 1;
  }
  promc_gauge *g;
  if (promc_gauge_new(&g, &(promc_opts){.name = "tls_e2e_marker", .help = "Served over mTLS."})) {
    fprintf(stderr, "http_serve: %s\n", promc_errmsg());
    return 1;
  }
  promc_gauge_set(g, 1);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  promc_http_user users[] = {{argv[5], hash}};
  promc_http_server *s;
  if (promc_http_start(&s, &(promc_http_opts){.addr = "127.0.0.1", .tls_cert_file = argv[2],
                                              .tls_key_file = argv[3], .tls_client_ca_file = argv[4],
                                              .users = users, .nusers = 1})) {
    fprintf(stderr, "http_serve: %s\n", promc_errmsg());
    return 1;
  }
  free(cd);
  FILE *f = fopen(argv[1], "w");
  if (!f || fprintf(f, "%u\n", (unsigned)promc_http_port(s)) < 0 || fclose(f) != 0) {
    fprintf(stderr, "http_serve: cannot write %s\n", argv[1]);
    promc_http_stop(s);
    return 1;
  }
  int sig;
  while (sigwait(&sigs, &sig) != 0) {
  }
  promc_http_stop(s);
  promc_shutdown();
  return 0;
}
