/* SPDX-License-Identifier: Apache-2.0 */
/* app.c — the seed's app.py in C: an HTTP server on :8080 whose GET and POST
 * handlers sleep a random while and answer "Hello World!! from <path> as
 * GET|POST", instrumented with promc and exposed on :8000 for Prometheus.
 *
 *   app [--listen ADDR:PORT] [--metrics-listen ADDR:PORT] [--sleep-ms MIN-MAX]
 *       [--workers N]
 *   defaults 0.0.0.0:8080, 0.0.0.0:8000, 1000-4000 (0-0: no sleep), 0
 *
 * --workers N (N >= 1): a pre-fork server. The master turns on promc's
 * multi-process mode (backing file in $PROMC_MULTIPROC_DIR, else /dev/shm,
 * else /tmp), binds the app address, forks N workers that all accept on that
 * socket, serves the metrics of every worker on the metrics address, and
 * replaces any worker that dies (telling promc with mark_dead). Adds
 * app_worker_requests{pid}: GET/POST requests answered by each live worker.
 * Workers hold only the app socket (not the metrics one) and end when the
 * master ends, even by SIGKILL, so a new master can bind both addresses.
 *
 * Metrics, with the seed's names, labels and help text:
 *   http_get_requests_total / http_post_requests_total  successful requests;
 *       each GET also records an exemplar trace_id="<request id>" (the id is
 *       sent back in an X-Request-Id header), exposed in OpenMetrics and
 *       protobuf scrapes
 *   http_status_total{method,url,status_code}            every GET/POST answered;
 *       unlike the seed (whose author notes that failures never reach it),
 *       a path ending in /error answers 500 and is counted with
 *       status_code="500"
 *   exceptions_total              failed requests (promc_count_failures)
 *   http_get_request_processing_seconds  summary of every GET, failed ones
 *       included (PROMC_TIME_SCOPE, as the seed's @time() decorator)
 *   http_post_request_processing_seconds{method,url}  summary of successful
 *       POSTs, observed by hand as in the seed
 * url is the request path without the query string, as sent (not decoded),
 * each byte that is not part of valid UTF-8 replaced by U+FFFD: promc refuses
 * label values that are not UTF-8 (one such byte would make Prometheus drop
 * the whole scrape), and the request must still count.
 * Process metrics come with the default registry.  SIGINT/SIGTERM stop both
 * servers and exit 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "promc/http.h"
#include "promc/multiprocess.h"
#include "promc/promc.h"

static promc_counter *get_method_counter, *post_method_counter, *access_counter,
    *exception_counter;
static promc_summary *get_request_time, *post_request_time;
static promc_gauge *worker_requests; /* --workers only */
static unsigned sleep_min_ms = 1000, sleep_max_ms = 4000;

/* Per-request state: the raw request target (path and query, as sent), and
 * when the request started. */
struct request {
  char *target;
  int64_t start_ns;
  int seen;
};

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...) {
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
  va_list ap;
  va_start(ap, fmt);
  flockfile(stdout);
  printf("[%s] ", ts);
  vprintf(fmt, ap);
  putchar('\n');
  fflush(stdout);
  funlockfile(stdout);
  va_end(ap);
}

static void random_sleep(void) {
  static _Thread_local unsigned seed;
  if (sleep_max_ms == 0) return;
  if (!seed) seed = (unsigned)promc_monotonic_ns() ^ (unsigned)(uintptr_t)&seed;
  unsigned ms = sleep_min_ms + (unsigned)(rand_r(&seed) % (sleep_max_ms - sleep_min_ms + 1));
  log_line("waiting, %u ms...", ms);
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int ends_with_error(const char *path, size_t n) {
  return n >= 6 && memcmp(path + n - 6, "/error", 6) == 0;
}

static enum MHD_Result reply_id(struct MHD_Connection *c, unsigned status, const char *body,
                                const char *request_id) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  if (request_id) MHD_add_response_header(r, "X-Request-Id", request_id);
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body) {
  return reply_id(c, status, body, NULL);
}

/* A request id for the trace_id exemplar: process start and a sequence. */
static uint64_t g_boot; /* set in main before any server thread starts */
static void next_request_id(char out[40]) {
  static _Atomic uint64_t seq;
  snprintf(out, 40, "%08" PRIx64 "%08" PRIx64, g_boot & 0xffffffffu, (uint64_t)++seq);
}

/* Counts one answered request in http_status{method,url,status_code}. */
static void count_status(const char *method, const char *url, const char *status) {
  promc_counter_inc(promc_counter_labels(access_counter, method, url, status));
}

/* do_GET: returns 0 or -1 (failure, counted by the caller). Timed as a whole,
 * failures included, like the seed's @get_request_time.time(). */
static int do_get(struct MHD_Connection *c, struct request *rq, const char *url, enum MHD_Result *res) {
  PROMC_TIME_SCOPE(get_request_time);
  if (ends_with_error(url, strlen(url))) {
    count_status("GET", url, "500");
    *res = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error\n");
    return -1;
  }
  random_sleep();
  char body[8192];
  snprintf(body, sizeof body, "Hello World!! from %s as GET", rq->target);
  char id[40];
  next_request_id(id);
  *res = reply_id(c, MHD_HTTP_OK, body, id);
  promc_counter_add_exemplar(get_method_counter, 1, 1, (const char *const[]){"trace_id"},
                             (const char *const[]){id}, promc_wall_seconds());
  count_status("GET", url, "200");
  return 0;
}

static int do_post(struct MHD_Connection *c, struct request *rq, const char *url, enum MHD_Result *res) {
  if (ends_with_error(url, strlen(url))) {
    count_status("POST", url, "500");
    *res = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error\n");
    return -1;
  }
  random_sleep();
  char body[8192];
  snprintf(body, sizeof body, "Hello World!! from %s as POST", rq->target);
  *res = reply(c, MHD_HTTP_OK, body);
  double elapsed = (double)(promc_monotonic_ns() - rq->start_ns) / 1e9;
  promc_counter_inc(post_method_counter);
  count_status("POST", url, "200");
  promc_summary_observe(promc_summary_labels(post_request_time, "POST", url), elapsed);
  return 0;
}

/* libmicrohttpd passes the raw request target here first; what we return
 * becomes the request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  struct request *rq = calloc(1, sizeof *rq);
  if (!rq) return NULL;
  rq->target = strdup(uri ? uri : "/");
  rq->start_ns = promc_monotonic_ns();
  return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  struct request *rq = *con_cls;
  if (rq) {
    free(rq->target);
    free(rq);
    *con_cls = NULL;
  }
}

/* The length of the UTF-8 character at p (n bytes left), 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF included. */
static size_t utf8_char(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (!k || k > n) return 0;
  for (size_t i = 1; i < k; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
      (c == 0xF4 && p[1] > 0x8F))
    return 0;
  return k;
}

/* Copies n bytes of s into out (room for 3 * n + 1), each invalid byte
 * replaced by U+FFFD (EF BF BD). */
static void utf8_clean(const char *s, size_t n, char *out) {
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_char(p + i, n - i);
    if (k) {
      memcpy(out + o, p + i, k);
      o += k;
      i += k;
    } else {
      memcpy(out + o, "\xef\xbf\xbd", 3);
      o += 3;
      i++;
    }
  }
  out[o] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url_decoded,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)cls;
  (void)url_decoded;
  (void)version;
  (void)upload_data;
  struct request *rq = *con_cls;
  if (!rq || !rq->target) return MHD_NO;
  if (!rq->seen) { /* headers are in; the body (if any) comes next */
    rq->seen = 1;
    return MHD_YES;
  }
  if (*upload_data_size) { /* the seed reads and discards the body */
    *upload_data_size = 0;
    return MHD_YES;
  }
  /* url label: the path as sent, without the query string, made UTF-8 */
  size_t plen = strcspn(rq->target, "?#");
  char url[3 * 4096 + 1];
  if (plen >= 4096) return reply(c, MHD_HTTP_URI_TOO_LONG, "URI Too Long\n");
  utf8_clean(rq->target, plen, url);

  enum MHD_Result res = MHD_NO;
  if (strcmp(method, MHD_HTTP_METHOD_GET) == 0) {
    promc_count_failures(exception_counter, do_get(c, rq, url, &res), NULL, NULL);
  } else if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
    promc_count_failures(exception_counter, do_post(c, rq, url, &res), NULL, NULL);
  } else {
    return reply(c, MHD_HTTP_NOT_IMPLEMENTED, "Unsupported method\n");
  }
  if (worker_requests) promc_gauge_inc(worker_requests);
  return res;
}

/* "ADDR:PORT", "[v6]:PORT" or ":PORT" (all interfaces). */
static int parse_hostport(const char *s, char *host, size_t hostsz, uint16_t *port) {
  const char *colon = strrchr(s, ':');
  if (!colon) return -1;
  const char *h = s;
  size_t hn = (size_t)(colon - s);
  if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']') h++, hn -= 2;
  if (hn >= hostsz) return -1;
  if (hn == 0) {
    snprintf(host, hostsz, "0.0.0.0");
  } else {
    memcpy(host, h, hn);
    host[hn] = '\0';
  }
  char *end;
  errno = 0;
  unsigned long p = strtoul(colon + 1, &end, 10);
  if (errno || *end || end == colon + 1 || p > 65535) return -1;
  *port = (uint16_t)p;
  return 0;
}

static int parse_range(const char *s, unsigned *lo, unsigned *hi) {
  char *end;
  errno = 0;
  unsigned long a = strtoul(s, &end, 10);
  if (errno || end == s || *end != '-') return -1;
  const char *b = end + 1;
  unsigned long z = strtoul(b, &end, 10);
  if (errno || end == b || *end || a > z || z > 3600000) return -1;
  *lo = (unsigned)a;
  *hi = (unsigned)z;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: app [--listen ADDR:PORT] [--metrics-listen ADDR:PORT] [--sleep-ms MIN-MAX]\n"
             "           [--workers N]\n"
             "  defaults: --listen 0.0.0.0:8080 --metrics-listen 0.0.0.0:8000 --sleep-ms 1000-4000\n"
             "  --workers N: pre-fork N worker processes (multi-process metrics)\n");
}

static int make_metrics(void) {
  int rc = 0;
  rc |= promc_counter_new(&get_method_counter,
                          &(promc_opts){.name = "http_get_requests", .help = "HTTP GET Request Counter",
                                        .exemplars = 1});
  rc |= promc_counter_new(&post_method_counter,
                          &(promc_opts){.name = "http_post_requests", .help = "HTTP POST Request Counter"});
  rc |= promc_counter_new(&access_counter,
                          &(promc_opts){.name = "http_status", .help = "HTTP Access Counter",
                                        PROMC_LABEL_NAMES("method", "url", "status_code")});
  rc |= promc_counter_new(&exception_counter,
                          &(promc_opts){.name = "exceptions", .help = "HTTP Server Exception Counter"});
  rc |= promc_summary_new(&get_request_time, &(promc_opts){.name = "http_get_request_processing_seconds",
                                                           .help = "HTTP GET Request Time"});
  rc |= promc_summary_new(&post_request_time,
                          &(promc_opts){.name = "http_post_request_processing_seconds",
                                        .help = "HTTP POST Request Time",
                                        PROMC_LABEL_NAMES("method", "url")});
  return rc;
}

/* ---- --workers N: the pre-fork master (multi-process mode) ---------------- */
static int parse_workers(const char *s, unsigned *n) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v > 256) return -1;
  *n = (unsigned)v;
  return 0;
}

/* Before any metric exists: values go to one mapping shared by the workers. */
static int enable_multiprocess(void) {
  const char *dir = getenv("PROMC_MULTIPROC_DIR");
  if (!dir || !*dir) dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return promc_multiprocess_enable(&(promc_mp_opts){.dir = dir});
}

static pid_t g_master; /* the master's pid, for its workers */

/* Closes every descriptor a new worker inherited except stdin, stdout,
 * stderr and keep: above all the metrics server's listening socket, which a
 * worker never answers but would keep open (and bound) after the master
 * died, and the scrape connections open at the time of the fork. */
static void close_inherited(int keep) {
  if (keep > 3 && close_range(3, (unsigned)keep - 1, 0) != 0 && errno != ENOSYS) _exit(1);
  if (close_range((unsigned)keep + 1, ~0u, 0) == 0) return;
  if (errno != ENOSYS) _exit(1);
  long max = sysconf(_SC_OPEN_MAX); /* kernels before 5.9 */
  for (long i = 3; i < (max > 0 && max < 65536 ? max : 65536); i++)
    if (i != keep) close((int)i);
}

/* A worker: the app's MHD daemon on the shared listening socket, until
 * SIGTERM/SIGINT (still blocked from the master, so sigwait gets them).
 * It dies with the master: the kernel sends it SIGTERM when the master's
 * main thread (the one that forks) ends, however it ends; and a master that
 * died between fork and prctl is caught by the getppid check. */
static pid_t spawn_worker(int fd, unsigned flags, const sigset_t *stop) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != g_master) _exit(1);
  close_inherited(fd);
  g_boot ^= (uint64_t)getpid(); /* request ids differ between workers */
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
      MHD_OPTION_END);
  if (!d) _exit(1);
  int sig;
  while (sigwait(stop, &sig) != 0) {
  }
  MHD_stop_daemon(d);
  _exit(0);
}

/* Binds the app address, forks the workers, replaces dead ones, and on
 * SIGINT/SIGTERM stops them. sigs holds SIGINT, SIGTERM and SIGCHLD. */
static int run_prefork(unsigned nworkers, const struct sockaddr_storage *ss, socklen_t sslen, unsigned flags,
                       const char *app_host, const char *metrics_host, promc_http_server *metrics,
                       const sigset_t *sigs) {
  int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (const struct sockaddr *)ss, sslen) != 0 || listen(fd, 1024) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    fprintf(stderr, "app: cannot listen on %s: %s\n", app_host, strerror(errno));
    return 1;
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  unsigned port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                    : ((struct sockaddr_in *)&bound)->sin_port);
  pid_t *pids = calloc(nworkers, sizeof *pids);
  if (!pids) return 1;
  g_master = getpid();
  for (unsigned i = 0; i < nworkers; i++) {
    pids[i] = spawn_worker(fd, flags, sigs);
    log_line("worker %ld started", (long)pids[i]);
  }
  log_line("Server startup: app on %s:%u, metrics on %s:%u (%u workers)", app_host, port, metrics_host,
           (unsigned)promc_http_port(metrics), nworkers);
  int sig = 0;
  for (;;) {
    if (sigwait(sigs, &sig) != 0) continue;
    if (sig != SIGCHLD) break;
    pid_t p;
    int st;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      (void)promc_multiprocess_mark_dead(p); /* fold now; a scrape may have done it already */
      for (unsigned i = 0; i < nworkers; i++)
        if (pids[i] == p) {
          pids[i] = spawn_worker(fd, flags, sigs);
          log_line("worker %ld died (%s %d); worker %ld started", (long)p,
                   WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
                   (long)pids[i]);
        }
    }
  }
  log_line("signal %d: shutting down", sig);
  for (unsigned i = 0; i < nworkers; i++)
    if (pids[i] > 0) kill(pids[i], SIGTERM);
  for (unsigned i = 0; i < nworkers; i++)
    if (pids[i] > 0) waitpid(pids[i], NULL, 0);
  free(pids);
  close(fd);
  promc_http_stop(metrics);
  promc_shutdown();
  return 0;
}

int main(int argc, char **argv) {
  char app_host[256] = "0.0.0.0", metrics_host[256] = "0.0.0.0";
  unsigned nworkers = 0;
  uint16_t app_port = 8080, metrics_port = 8000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    int bad;
    if (strcmp(a, "--listen") == 0)
      bad = parse_hostport(v, app_host, sizeof app_host, &app_port);
    else if (strcmp(a, "--metrics-listen") == 0)
      bad = parse_hostport(v, metrics_host, sizeof metrics_host, &metrics_port);
    else if (strcmp(a, "--sleep-ms") == 0)
      bad = parse_range(v, &sleep_min_ms, &sleep_max_ms);
    else if (strcmp(a, "--workers") == 0)
      bad = parse_workers(v, &nworkers);
    else
      bad = 1;
    if (bad) {
      fprintf(stderr, "app: bad argument: %s %s\n", a, v);
      usage(stderr);
      return 2;
    }
  }

  /* Signals go to the main thread only: block them before any thread
   * starts (threads inherit the mask), then wait for them below. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  if (nworkers) sigaddset(&sigs, SIGCHLD); /* the master replaces dead workers */
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  g_boot = (uint64_t)promc_wall_seconds();
  if (nworkers && enable_multiprocess() != 0) {
    fprintf(stderr, "app: multi-process mode: %s\n", promc_errmsg());
    return 1;
  }
  if (make_metrics() != 0 ||
      (nworkers && promc_gauge_new(&worker_requests,
                                   &(promc_opts){.name = "app_worker_requests",
                                                 .help = "GET/POST requests answered by each live worker",
                                                 .mp_gauge_mode = PROMC_MP_GAUGE_LIVEALL}) != 0)) {
    fprintf(stderr, "app: creating metrics: %s\n", promc_errmsg());
    return 1;
  }

  promc_http_server *metrics;
  if (promc_http_start(&metrics, &(promc_http_opts){.addr = metrics_host, .port = metrics_port}) != 0) {
    fprintf(stderr, "app: metrics server: %s\n", promc_errmsg());
    return 1;
  }

  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  char portstr[8];
  snprintf(portstr, sizeof portstr, "%u", (unsigned)app_port);
  if (getaddrinfo(app_host, portstr, &hints, &ai) != 0 || !ai) {
    fprintf(stderr, "app: cannot resolve %s\n", app_host);
    promc_http_stop(metrics);
    return 1;
  }
  struct sockaddr_storage ss;
  memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  socklen_t sslen = (socklen_t)ai->ai_addrlen;
  freeaddrinfo(ai);
  if (nworkers) return run_prefork(nworkers, &ss, sslen, flags, app_host, metrics_host, metrics, &sigs);
  /* A thread per connection, like the seed's ThreadingHTTPServer: every
   * handler sleeps, and must not hold up the others. */
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, app_port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &ss,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
      MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "app: cannot listen on %s:%u\n", app_host, (unsigned)app_port);
    promc_http_stop(metrics);
    return 1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  log_line("Server startup: app on %s:%u, metrics on %s:%u", app_host,
           (unsigned)(di ? di->port : app_port), metrics_host, (unsigned)promc_http_port(metrics));

  int sig = 0;
  while (sigwait(&sigs, &sig) != 0) {
  }
  log_line("signal %d: shutting down", sig);
  MHD_stop_daemon(d);
  promc_http_stop(metrics);
  promc_shutdown();
  return 0;
}
