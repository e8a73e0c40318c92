/* SPDX-License-Identifier: Apache-2.0 */
/* batch_util.h — small helpers shared by the batch-component tests
 * (collectors, textfile, push, node_exporter): reading rendered text,
 * starting a real program on a free 127.0.0.1 port, plain HTTP GETs with a
 * deadline, stub servers that record what a client sent. Every wait is
 * bounded; processes are killed by their PID only. */
#ifndef PROMC_TEST_BATCH_UTIL_H
#define PROMC_TEST_BATCH_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "promc/promc.h"

/* Fails the test with a message (cmocka's fail_msg needs cmocka.h first). */
#define BU_FAIL(...) fail_msg(__VA_ARGS__)

static inline double bu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bu_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* The value of the first sample line "<sample> <value>" or "<sample>{...}
 * <value>" whose name+labels part equals `series` exactly; NAN if absent. */
static inline double bu_sample(const char *text, const char *series) {
  size_t n = strlen(series);
  for (const char *line = text; line && *line;) {
    if (line[0] != '#' && strncmp(line, series, n) == 0 && line[n] == ' ') return strtod(line + n + 1, NULL);
    line = strchr(line, '\n');
    if (line) line++;
  }
  return NAN;
}

/* Renders r in text format into a fresh NUL-terminated string (free()). */
static inline char *bu_render(promc_registry *r, int *rc_out) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b);
  if (rc_out) *rc_out = rc;
  char *s = malloc(b.len + 1);
  if (s) {
    if (b.len) memcpy(s, b.data, b.len);
    s[b.len] = '\0';
  }
  promc_buf_free(&b);
  return s;
}

/* Renders r into *b, whose memory is kept for the next call, and returns
 * the text ("" when empty); a render error fails the test. */
static inline char *bu_render_reuse(promc_registry *r, promc_format f, const promc_render_opts *o, promc_buf *b) {
  b->len = 0;
  int rc = promc_registry_render_buf(r, f, o, b);
  if (rc) BU_FAIL("render: %s (%s)", promc_errname(rc), promc_errmsg());
  return b->len ? b->data : (char *)"";
}

/* Fail the test unless hay (NULL: "") holds needle / unless it does not. */
static inline void bu_assert_contains(const char *hay, const char *needle) {
  if (!hay) hay = "";
  if (!strstr(hay, needle)) BU_FAIL("expected to find:\n%s\nin:\n%s", needle, hay);
}
static inline void bu_assert_not_contains(const char *hay, const char *needle) {
  if (!hay) hay = "";
  if (strstr(hay, needle)) BU_FAIL("did not expect:\n%s\nin:\n%s", needle, hay);
}

/* `static promc_registry *var` made fresh for each test: defines the cmocka
 * fixtures setup() and teardown() that create and free it. */
#define BU_REGISTRY_FIXTURE(var)                                                                                      \
  static promc_registry *var;                                                                                         \
  static int setup(void **state) {                                                                                    \
    (void)state;                                                                                                      \
    return promc_registry_new(&var);                                                                                  \
  }                                                                                                                   \
  static int teardown(void **state) {                                                                                 \
    (void)state;                                                                                                      \
    promc_registry_free(var);                                                                                         \
    var = NULL;                                                                                                       \
    return 0;                                                                                                         \
  }

/* Renders r in format f into a fresh NUL-terminated string (free()), its
 * length in *len (may be NULL); a render error fails the test. */
/* A registry of its own with a counter (value v) and, unless gauge is NULL,
 * a gauge at 2.5: the small fixture of the multi-registry tests. */
static inline promc_registry *bu_reg_with(const char *counter, double v, const char *gauge) {
  promc_registry *r;
  if (promc_registry_new(&r)) BU_FAIL("registry_new: %s", promc_errmsg());
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = counter, .help = "A counter.", .registry = r}))
    BU_FAIL("counter_new %s: %s", counter, promc_errmsg());
  promc_counter_add(c, v);
  if (gauge) {
    promc_gauge *g;
    if (promc_gauge_new(&g, &(promc_opts){.name = gauge, .help = "A gauge.", .registry = r}))
      BU_FAIL("gauge_new %s: %s", gauge, promc_errmsg());
    promc_gauge_set(g, 2.5);
  }
  return r;
}

/* How many times needle stands in hay, without overlaps. */
static inline size_t bu_count_of(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static inline char *bu_render_fmt(promc_registry *r, promc_format f, size_t *len) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(r, f, NULL, &b);
  if (rc) BU_FAIL("render: %s (%s)", promc_errname(rc), promc_errmsg());
  char *s = malloc(b.len + 1);
  if (!s) BU_FAIL("render: out of memory");
  if (b.len) memcpy(s, b.data, b.len);
  s[b.len] = '\0';
  if (len) *len = b.len;
  promc_buf_free(&b);
  return s;
}

/* Reads a whole file into a malloc'd NUL-terminated string; NULL on error. */
static inline char *bu_read_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, len = 0;
  char *s = malloc(cap);
  for (;;) {
    if (!s) break;
    if (len + 1 >= cap) {
      char *t = realloc(s, cap *= 2);
      if (!t) {
        free(s);
        s = NULL;
        break;
      }
      s = t;
    }
    ssize_t n = read(fd, s + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (s) s[len] = '\0';
  return s;
}

static inline int bu_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int ok = fputs(text, f) >= 0;
  return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A TCP port on 127.0.0.1 that was free a moment ago (bound with port 0,
 * then closed); callers retry with a new one if the program fails to bind. */
static inline int bu_free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  int port = -1;
  if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &al) == 0)
    port = ntohs(a.sin_port);
  close(s);
  return port;
}

/* Connects to 127.0.0.1:port within deadline_ms; -1 on failure. */
static inline int bu_connect(int port, long deadline_ms) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
    if (errno != EINPROGRESS) {
      close(s);
      return -1;
    }
    struct pollfd p = {.fd = s, .events = POLLOUT};
    int err = 0;
    socklen_t el = sizeof err;
    if (poll(&p, 1, (int)deadline_ms) != 1 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
      close(s);
      return -1;
    }
  }
  return s;
}

/* HTTP/1.0 request to 127.0.0.1:port; returns the status code (body into
 * *body, malloc'd, NUL-terminated, may be NULL) or -1 on failure/timeout. */
static inline int bu_http(int port, const char *method, const char *path, char **body, long deadline_ms) {
  if (body) *body = NULL;
  double end = bu_now() + (double)deadline_ms / 1000.0;
  int s = bu_connect(port, deadline_ms);
  if (s < 0) return -1;
  char req[1024];
  int rl = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", method,
                    path, port);
  if (rl < 0 || (size_t)rl >= sizeof req || write(s, req, (size_t)rl) != rl) {
    close(s);
    return -1;
  }
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);
  int status = -1;
  while (buf) {
    int left = (int)((end - bu_now()) * 1000);
    if (left <= 0) break;
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, left) != 1) break;
    if (len + 1 >= cap) {
      char *t = realloc(buf, cap *= 2);
      if (!t) break;
      buf = t;
    }
    ssize_t n = read(s, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) {
      buf[len] = '\0';
      if (len > 12 && strncmp(buf, "HTTP/1.", 7) == 0) status = atoi(buf + 9);
      break;
    }
    len += (size_t)n;
  }
  close(s);
  if (status > 0 && body) {
    char *b = strstr(buf, "\r\n\r\n");
    *body = strdup(b ? b + 4 : "");
  }
  free(buf);
  return status;
}

/* Starts argv[0] with its output to /dev/null; returns the PID or -1. */
static inline pid_t bu_spawn(char *const argv[]) {
  pid_t pid = fork();
  if (pid == 0) {
    int dn = open("/dev/null", O_RDWR);
    if (dn >= 0) {
      dup2(dn, 0);
      dup2(dn, 1);
      dup2(dn, 2);
    }
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

/* Waits up to ms for GET path on port to answer 200; 0 when it did, -1 if
 * the process died or the time ran out. */
static inline int bu_wait_http(pid_t pid, int port, const char *path, long ms) {
  double end = bu_now() + (double)ms / 1000.0;
  while (bu_now() < end) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return -1;
    if (bu_http(port, "GET", path, NULL, 1000) == 200) return 0;
    bu_sleep_ms(50);
  }
  return -1;
}

/* Waits up to ms for 127.0.0.1:port to accept a connection; 0 when it did,
 * -1 if the process died or the time ran out. */
static inline int bu_wait_connect(pid_t pid, int port, long ms) {
  for (double end = bu_now() + (double)ms / 1000.0; bu_now() < end; bu_sleep_ms(50)) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return -1;
    int fd = bu_connect(port, 500);
    if (fd >= 0) {
      close(fd);
      return 0;
    }
  }
  return -1;
}

/* Stops a process this test started: SIGTERM, up to 5 s, then SIGKILL. */
static inline void bu_stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; i++) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return;
    bu_sleep_ms(50);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* A prometheus-pushgateway this test started, and where it listens. */
struct bu_gateway {
  pid_t pid;
  int port;
  char url[64];
};

/* Starts Debian's prometheus-pushgateway on a free 127.0.0.1 port with its
 * state in memory (Debian's default persists to
 * /var/lib/prometheus/pushgateway.data; every test wants a fresh one) and
 * extra (NULL: none) as one more flag. Waits up to 15 s for GET /-/ready to
 * answer 200 or, with tls set (a listener that wants a client certificate),
 * for the port to accept connections; tries `attempts` ports. 0 with g set
 * (url http:// or https://); -1 with the reason on stderr after `who`. */
static inline int bu_gateway_start(struct bu_gateway *g, const char *who, const char *extra, int tls, int attempts) {
  const char *bin = "/usr/bin/prometheus-pushgateway";
  g->pid = -1;
  if (access(bin, X_OK) != 0) {
    fprintf(stderr, "%s: %s is missing (Debian package prometheus-pushgateway; scripts/deps.sh test installs it)\n",
            who, bin);
    return -1;
  }
  for (int attempt = 0; attempt < attempts; attempt++) {
    g->port = bu_free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", g->port);
    char *argv[] = {(char *)bin, listen, (char *)"--persistence.file=", (char *)extra, NULL};
    g->pid = bu_spawn(argv);
    if (g->pid > 0 &&
        (tls ? bu_wait_connect(g->pid, g->port, 15000) : bu_wait_http(g->pid, g->port, "/-/ready", 15000)) == 0) {
      snprintf(g->url, sizeof g->url, "%s://127.0.0.1:%d", tls ? "https" : "http", g->port);
      return 0;
    }
    bu_stop(g->pid);
    g->pid = -1;
  }
  fprintf(stderr, "%s: the Pushgateway did not start%s%s\n", who, extra ? " with " : "", extra ? extra : "");
  return -1;
}

/* Stops it (by PID); a second call does nothing. */
static inline void bu_gateway_stop(struct bu_gateway *g) {
  bu_stop(g->pid);
  g->pid = -1;
}

/* ------------------------------------------------------------ stub servers */
/* A loopback listener on a free port and the thread serving it; a byte
 * written to stop[1] tells the thread to finish. */
struct bu_server {
  int lfd, port, stop[2];
  pthread_t th;
};

static inline void bu_server_start(struct bu_server *s, int backlog, void *(*run)(void *), void *arg) {
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->lfd < 0) BU_FAIL("socket: %s", strerror(errno));
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->lfd, backlog) != 0 ||
      getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0)
    BU_FAIL("stub listener: %s", strerror(errno));
  s->port = ntohs(a.sin_port);
  if (pipe(s->stop) != 0) BU_FAIL("pipe: %s", strerror(errno));
  if (pthread_create(&s->th, NULL, run, arg) != 0) BU_FAIL("pthread_create failed");
}

/* Tells the thread to stop, joins it and closes the listener. */
static inline void bu_server_stop(struct bu_server *s) {
  if (write(s->stop[1], "x", 1) < 0) {
  }
  pthread_join(s->th, NULL);
  close(s->lfd);
  close(s->stop[0]);
  close(s->stop[1]);
}

/* The Content-Length of an HTTP request head; 0 when there is none. */
static inline size_t bu_content_length(const char *req) {
  const char *p = strcasestr(req, "\r\nContent-Length:");
  return p ? (size_t)strtoul(p + 17, NULL, 10) : 0;
}

/* Reads one request from c into a malloc'd NUL-terminated buffer (its size
 * in *len): with http set the head and Content-Length bytes of body,
 * otherwise everything up to EOF. Each read waits at most 5 s. NULL when
 * out of memory. */
static inline char *bu_read_request(int c, int http, size_t *len) {
  size_t cap = 1 << 16;
  char *buf = malloc(cap + 1);
  *len = 0;
  if (!buf) return NULL;
  buf[0] = 0;
  for (;;) {
    struct pollfd q = {.fd = c, .events = POLLIN};
    if (poll(&q, 1, 5000) != 1) break;
    if (*len == cap) {
      char *t = realloc(buf, (cap *= 2) + 1);
      if (!t) break;
      buf = t;
    }
    ssize_t n = read(c, buf + *len, cap - *len);
    if (n <= 0) break;
    *len += (size_t)n;
    buf[*len] = 0;
    if (http) {
      char *h = memmem(buf, *len, "\r\n\r\n", 4);
      if (h && *len - (size_t)(h + 4 - buf) >= bu_content_length(buf)) break;
    }
  }
  return buf;
}

#endif
