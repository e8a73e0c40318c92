/* SPDX-License-Identifier: Apache-2.0 */
/* A program outside the tree using an installed libpromc-http: a counter
 * made through the core must be served by the HTTP library's scrape, which
 * holds only when both use one copy of the core. */
#define _POSIX_C_SOURCE 200809L
#include <promc/http.h>
#include <promc/promc.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int scrape(uint16_t port, char *out, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
    close(fd);
    return -1;
  }
  size_t len = 0;
  ssize_t r;
  while (len + 1 < cap && (r = read(fd, out + len, cap - 1 - len)) > 0) len += (size_t)r;
  out[len] = '\0';
  close(fd);
  return 0;
}

int main(void) {
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "consumer_http_runs", .help = "Runs."}) != 0)
    return 1;
  promc_counter_inc(c);
  promc_http_server *srv;
  if (promc_http_start(&srv, &(promc_http_opts){.addr = "127.0.0.1"}) != 0) {
    printf("consumer_http: start: %s\n", promc_errmsg());
    return 1;
  }
  static char body[1 << 16];
  int ok = scrape(promc_http_port(srv), body, sizeof body) == 0 &&
           strstr(body, "\nconsumer_http_runs_total 1\n") != NULL;
  promc_http_stop(srv);
  printf("consumer_http (promc %s): %s\n", promc_version(), ok ? "ok" : "counter not served");
  promc_shutdown();
  return ok ? 0 : 1;
}
