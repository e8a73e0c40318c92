/* SPDX-License-Identifier: Apache-2.0 */
/* bench_middleware.c — the request middleware's own cost per request, with
 * no network and no other thread: one libmicrohttpd daemon in external-loop
 * mode (MHD_run) fed a keep-alive connection over a socketpair, answering
 * GET /hello, with and without the middleware, in alternating rounds on one
 * thread.  Prints "promc_mw_inproc <ns per request> ns", the same for bare,
 * and the median over rounds of the per-round difference.
 *
 *   bench_middleware [REQUESTS_PER_ROUND] [ROUNDS]   (default 20000 7) */
#define _GNU_SOURCE
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "promc/http.h"

static struct MHD_Response *hello;
static int marker;

static enum MHD_Result app(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *data, size_t *size, void **con_cls) {
  (void)cls;
  (void)url;
  (void)method;
  (void)version;
  (void)data;
  (void)size;
  if (!*con_cls) {
    *con_cls = &marker;
    return MHD_YES;
  }
  return promc_http_mw_queue_response(c, MHD_HTTP_OK, hello, 6);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct rig {
  struct MHD_Daemon *d;
  int client;
};

static int rig_start(struct rig *r, promc_http_mw *mw) {
  r->d = mw ? MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, promc_http_mw_access, mw,
                               MHD_OPTION_NOTIFY_COMPLETED, promc_http_mw_completed, mw,
                               MHD_OPTION_END)
            : MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, app, NULL, MHD_OPTION_END);
  if (!r->d) return -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return -1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (MHD_add_connection(r->d, sv[1], (struct sockaddr *)&sa, sizeof sa) != MHD_YES) return -1;
  r->client = sv[0];
  return 0;
}

/* One keep-alive request and its whole response ("hello\n" ends it). */
static int one(struct rig *r) {
  static const char req[] = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(r->client, req, sizeof req - 1, 0) != (ssize_t)(sizeof req - 1)) return -1;
  char buf[1024];
  size_t len = 0;
  for (int spins = 0; spins < 1000000; spins++) {
    MHD_run(r->d);
    ssize_t k = recv(r->client, buf + len, sizeof buf - len, 0);
    if (k > 0) {
      len += (size_t)k;
      if (len >= 6 && memcmp(buf + len - 6, "hello\n", 6) == 0) return 0;
      if (len == sizeof buf) return -1;
    }
  }
  return -1;
}

static double round_ns(struct rig *r, int n) {
  double t0 = now_ns();
  for (int i = 0; i < n; i++)
    if (one(r) != 0) return -1;
  return (now_ns() - t0) / n;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? atoi(argv[2]) : 7;
  if (n <= 0 || rounds <= 0 || rounds > 99) return 2;
  hello = MHD_create_response_from_buffer(6, (void *)"hello\n", MHD_RESPMEM_PERSISTENT);
  promc_registry *reg;
  promc_http_mw *mw;
  if (!hello || promc_registry_new(&reg) != 0 ||
      promc_http_mw_new(&mw, &(promc_http_mw_opts){.handler = app, .registry = reg}) != 0) {
    fprintf(stderr, "bench_middleware: %s\n", promc_errmsg());
    return 1;
  }
  struct rig with, bare;
  if (rig_start(&with, mw) != 0 || rig_start(&bare, NULL) != 0) {
    fprintf(stderr, "bench_middleware: cannot start the daemons\n");
    return 1;
  }
  round_ns(&with, n / 10); /* warm: pool, label children, caches */
  round_ns(&bare, n / 10);
  double a[99], b[99], d[99];
  for (int i = 0; i < rounds; i++) {
    a[i] = round_ns(&with, n);
    b[i] = round_ns(&bare, n);
    if (a[i] < 0 || b[i] < 0) {
      fprintf(stderr, "bench_middleware: a request failed\n");
      return 1;
    }
    d[i] = a[i] - b[i];
  }
  qsort(a, (size_t)rounds, sizeof a[0], cmp);
  qsort(b, (size_t)rounds, sizeof b[0], cmp);
  qsort(d, (size_t)rounds, sizeof d[0], cmp);
  printf("promc_mw_inproc %.0f ns\npromc_bare_inproc %.0f ns\npromc_mw_overhead %.0f ns (rounds %.0f..%.0f)\n",
         a[rounds / 2], b[rounds / 2], d[rounds / 2], d[0], d[rounds - 1]);
  promc_buf out = {0};
  promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &out);
  const char *line = out.data ? strstr(out.data, "http_requests_total{") : NULL;
  if (line) fprintf(stderr, "%.*s\n", (int)strcspn(line, "\n"), line);
  promc_buf_free(&out);
  close(with.client);
  close(bare.client);
  MHD_stop_daemon(with.d);
  MHD_stop_daemon(bare.d);
  promc_http_mw_free(mw);
  promc_registry_free(reg);
  MHD_destroy_response(hello);
  return 0;
}
