/* SPDX-License-Identifier: Apache-2.0 */
/* embed_mhd.c — a libmicrohttpd service instrumented with promc's request
 * middleware, serving its own metrics on /metrics of the same daemon.
 *
 *   embed_mhd [--listen ADDR:PORT] [--no-middleware]
 *   default 127.0.0.1:8080; port 0 picks a free one.  Prints
 *   "listening on ADDR:PORT" once it accepts.
 *
 * Routes (GET and HEAD; POST on /upload):
 *   /sleep?ms=N   sleeps N milliseconds (0-60000), answers "slept N ms\n"
 *   /hello        "hello\n" (no work at all: the benchmark's route)
 *   /fail         500 "failed\n"
 *   /upload       reads the body, answers "got N bytes\n"
 *   /metrics      the default registry (promc_http_handle)
 *   anything else 404 "not found\n"
 * The middleware records http_requests_total{method,code},
 * http_request_duration_seconds, http_requests_in_flight and the request and
 * response sizes.  --no-middleware runs the same handler without it (the
 * baseline of bench/middleware.sh).  SIGINT/SIGTERM stop it (exit 0). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc/http.h"

struct upload {
  size_t bytes;
};

static promc_http_handler *metrics;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             size_t len, int copy) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
  /* Without the middleware this is MHD_queue_response (it only adds the
   * size to what it records). */
  enum MHD_Result res = promc_http_mw_queue_response(c, status, r, len);
  MHD_destroy_response(r);
  return res;
}

static enum MHD_Result app(void *cls, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version, const char *data,
                           size_t *size, void **con_cls) {
  (void)cls;
  (void)version;
  (void)data;
  int post = strcmp(method, "POST") == 0;
  if (!*con_cls) { /* header in: the app's own per-request state */
    struct upload *u = calloc(1, sizeof *u);
    if (!u) return MHD_NO;
    *con_cls = u;
    return MHD_YES;
  }
  struct upload *u = *con_cls;
  if (*size) {
    u->bytes += *size;
    *size = 0;
    return MHD_YES;
  }
  char buf[64];
  if (strcmp(url, "/metrics") == 0) return promc_http_handle(metrics, c, NULL, method);
  if (strcmp(url, "/upload") == 0 && post) {
    int n = snprintf(buf, sizeof buf, "got %zu bytes\n", u->bytes);
    return reply(c, MHD_HTTP_OK, buf, (size_t)n, 1);
  }
  if (post) return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", 19, 0);
  if (strcmp(url, "/sleep") == 0) {
    const char *ms = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ms");
    char *end;
    long v = ms ? strtol(ms, &end, 10) : -1;
    if (!ms || *end || v < 0 || v > 60000) return reply(c, MHD_HTTP_BAD_REQUEST, "bad ms\n", 7, 0);
    struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    int n = snprintf(buf, sizeof buf, "slept %ld ms\n", v);
    return reply(c, MHD_HTTP_OK, buf, (size_t)n, 1);
  }
  if (strcmp(url, "/hello") == 0) return reply(c, MHD_HTTP_OK, "hello\n", 6, 0);
  if (strcmp(url, "/fail") == 0) return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "failed\n", 7, 0);
  return reply(c, MHD_HTTP_NOT_FOUND, "not found\n", 10, 0);
}

static void app_done(void *cls, struct MHD_Connection *c, void **con_cls,
                     enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  free(*con_cls);
  *con_cls = NULL;
}

int main(int argc, char **argv) {
  const char *listen = "127.0.0.1:8080";
  int bare = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) listen = argv[++i];
    else if (strcmp(argv[i], "--no-middleware") == 0) bare = 1;
    else {
      fprintf(stderr, "usage: %s [--listen ADDR:PORT] [--no-middleware]\n", argv[0]);
      return 2;
    }
  }
  char host[64];
  const char *colon = strrchr(listen, ':');
  struct sockaddr_in sa = {.sin_family = AF_INET};
  char *end;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || (size_t)(colon - listen) >= sizeof host || *end || port < 0 || port > 65535) {
    fprintf(stderr, "embed_mhd: --listen wants IPV4:PORT, not %s\n", listen);
    return 2;
  }
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = '\0';
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "embed_mhd: %s is no IPv4 address\n", host);
    return 2;
  }
  sa.sin_port = htons((uint16_t)port);

  if (promc_http_handler_new(&metrics, NULL) != 0) {
    fprintf(stderr, "embed_mhd: %s\n", promc_errmsg());
    return 1;
  }
  promc_http_mw *mw = NULL;
  if (!bare && promc_http_mw_new(&mw, &(promc_http_mw_opts){.handler = app, .completed = app_done}) != 0) {
    fprintf(stderr, "embed_mhd: %s\n", promc_errmsg());
    return 1;
  }
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before the daemon's threads start */

  /* The middleware calls app_done itself (.completed), with app's own
   * con_cls.  A thread per connection: a sleeping request holds its own thread, not
   * the scrapes of /metrics. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_ERROR_LOG;
  struct MHD_Daemon *d =
      bare ? MHD_start_daemon(flags, 0, NULL, NULL, app, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                              MHD_OPTION_NOTIFY_COMPLETED, app_done, NULL, MHD_OPTION_END)
           : MHD_start_daemon(flags, 0, NULL, NULL, promc_http_mw_access, mw,
                              MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                              promc_http_mw_completed, mw, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "embed_mhd: cannot listen on %s\n", listen);
    return 1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  printf("listening on %s:%u\n", host, di ? (unsigned)di->port : (unsigned)port);
  fflush(stdout);
  int sig;
  sigwait(&sigs, &sig);
  MHD_stop_daemon(d);
  promc_http_mw_free(mw);
  promc_http_handler_free(metrics);
  return 0;
}
