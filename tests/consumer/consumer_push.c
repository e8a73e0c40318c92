/* SPDX-License-Identifier: Apache-2.0 */
/* A program outside the tree using an installed libpromc-push: a push to a
 * closed port must fail with PROMC_ENET and leave its message in the core's
 * promc_errmsg(), which holds only when both use one copy of the core. */
#define _POSIX_C_SOURCE 200809L
#include <promc/push.h>
#include <promc/promc.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A loopback port nothing listens on: bound, read back, then closed. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  socklen_t n = sizeof a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &n) != 0)
    return -1;
  close(fd);
  return ntohs(a.sin_port);
}

int main(void) {
  promc_buf url = {0};
  if (promc_push_url(&url, "http://127.0.0.1:9091", "nightly", 0, NULL, NULL) != 0) return 1;
  int ok = strcmp(url.data, "http://127.0.0.1:9091/metrics/job/nightly") == 0;
  promc_buf_free(&url);
  int port = closed_port();
  char gw[64];
  snprintf(gw, sizeof gw, "http://127.0.0.1:%d", port);
  int rc = promc_push(gw, "nightly", &(promc_push_opts){.timeout_ms = 5000});
  ok = ok && port > 0 && rc == PROMC_ENET && promc_errmsg()[0] != '\0';
  printf("consumer_push (promc %s): %s (%s: %s)\n", promc_version(), ok ? "ok" : "wrong result",
         promc_errname(rc), promc_errmsg());
  promc_shutdown();
  return ok ? 0 : 1;
}
