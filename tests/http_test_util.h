/* SPDX-License-Identifier: Apache-2.0 */
/* http_test_util.h — small helpers shared by the HTTP tests: a raw-socket
 * HTTP/1.1 client with bounded waits, and running a tool (curl, openssl)
 * with a time limit.  Header-only (static functions) so each test binary
 * stays one file. */
#ifndef PROMC_HTTP_TEST_UTIL_H
#define PROMC_HTTP_TEST_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct http_resp {
  int status;       /* 0 = no valid response (connection closed or garbage) */
  char *head;       /* status line + headers, NUL-terminated */
  char *body;       /* NUL-terminated (may contain NULs: use body_len) */
  size_t body_len;
};

static inline void http_resp_free(struct http_resp *r) {
  free(r->head);
  free(r->body);
  memset(r, 0, sizeof *r);
}

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Connects to 127.0.0.1:port with send/receive timeouts; -1 on failure. */
static inline int tcp_connect(unsigned port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends all of data (MSG_NOSIGNAL); returns 0, or -1 if the peer stopped
 * reading (a server may drop an oversized request: that is allowed). */
static inline int send_all(int fd, const char *data, size_t n) {
  while (n) {
    ssize_t k = send(fd, data, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    data += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Reads until EOF (or timeout) and parses one response. For a HEAD request
 * pass head_only = 1 (no body follows). Returns 0 if a status line was
 * read. */
static inline int read_resp(int fd, struct http_resp *r, int head_only) {
  memset(r, 0, sizeof *r);
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return -1;
  for (;;) {
    if (len == cap) {
      char *nb = realloc(buf, cap * 2 + 1);
      if (!nb) break;
      buf = nb;
      cap *= 2;
    }
    ssize_t k = recv(fd, buf + len, cap - len, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    len += (size_t)k;
    /* With Content-Length known, stop once the body is complete. */
    buf[len] = '\0';
    char *eoh = strstr(buf, "\r\n\r\n");
    if (eoh) {
      if (head_only) break;
      const char *cl = strcasestr(buf, "\r\nContent-Length:");
      if (cl && cl < eoh) {
        size_t want = (size_t)strtoull(cl + 17, NULL, 10);
        if (len >= (size_t)(eoh + 4 - buf) + want) break;
      }
    }
  }
  buf[len] = '\0';
  char *eoh = strstr(buf, "\r\n\r\n");
  if (!eoh || strncmp(buf, "HTTP/1.", 7) != 0) {
    free(buf);
    return -1;
  }
  size_t hlen = (size_t)(eoh - buf) + 2;
  r->head = strndup(buf, hlen);
  r->body_len = len - hlen - 2;
  r->body = malloc(r->body_len + 1);
  if (r->body) {
    memcpy(r->body, eoh + 4, r->body_len);
    r->body[r->body_len] = '\0';
  }
  r->status = atoi(buf + 9);
  free(buf);
  return 0;
}

/* One request on a fresh connection ("Connection: close" is added). */
static inline int http_get_ex(unsigned port, const char *method, const char *target, const char *extra_headers,
                       struct http_resp *r) {
  memset(r, 0, sizeof *r);
  int fd = tcp_connect(port, 5000);
  if (fd < 0) return -1;
  char req[8192];
  snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method,
           target, extra_headers ? extra_headers : "");
  int rc = send_all(fd, req, strlen(req));
  if (rc == 0) rc = read_resp(fd, r, strcmp(method, "HEAD") == 0);
  close(fd);
  return rc;
}

static inline int http_get(unsigned port, const char *target, struct http_resp *r) {
  return http_get_ex(port, "GET", target, NULL, r);
}

/* The value of header name in r->head (case-insensitive), copied into out;
 * NULL if absent. */
static inline const char *resp_header(const struct http_resp *r, const char *name, char *out, size_t outsz) {
  if (!r->head) return NULL;
  size_t n = strlen(name);
  for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
    const char *l = p + 2;
    if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
      l += n + 1;
      while (*l == ' ') l++;
      size_t v = strcspn(l, "\r\n");
      if (v >= outsz) v = outsz - 1;
      memcpy(out, l, v);
      out[v] = '\0';
      return out;
    }
  }
  return NULL;
}

/* Runs argv[0] (looked up in PATH) with stdout captured into out (up to
 * outsz - 1 bytes, NUL-terminated) and stderr into err if given; kills it
 * by PID after timeout_s. Returns the exit status, 127 when the tool is
 * missing, -1 on a timeout or spawn failure. */
static inline int run_tool(char *const argv[], char *out, size_t outsz, char *err, size_t errsz, int timeout_s) {
  int po[2], pe[2];
  if (pipe2(po, O_CLOEXEC) != 0) return -1;
  if (pipe2(pe, O_CLOEXEC) != 0) {
    close(po[0]);
    close(po[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(po[1], 1);
    dup2(pe[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(po[1]);
  close(pe[1]);
  size_t on = 0, en = 0;
  double deadline = now_s() + timeout_s;
  int open_fds = 2;
  struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  while (open_fds && now_s() < deadline) {
    int k = poll(pf, 2, 200);
    if (k < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++) {
      if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char tmp[4096];
      ssize_t r = read(pf[i].fd, tmp, sizeof tmp);
      if (r <= 0) {
        close(pf[i].fd);
        pf[i].fd = -1;
        open_fds--;
        continue;
      }
      char *dst = i == 0 ? out : err;
      size_t *dn = i == 0 ? &on : &en;
      size_t dsz = i == 0 ? outsz : errsz;
      if (dst && dsz) {
        size_t c = (size_t)r;
        if (*dn + c > dsz - 1) c = dsz - 1 - *dn;
        memcpy(dst + *dn, tmp, c);
        *dn += c;
      }
    }
  }
  for (int i = 0; i < 2; i++)
    if (pf[i].fd >= 0) close(pf[i].fd);
  if (out && outsz) out[on] = '\0';
  if (err && errsz) err[en] = '\0';
  int status = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (now_s() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    usleep(10000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Fails the test (cmocka) when a tool the test needs is not installed. */
#define REQUIRE_TOOL(name)                                                                   \
  do {                                                                                       \
    char *const argv_[] = {(char *)"sh", (char *)"-c", (char *)"command -v " name, NULL};   \
    if (run_tool(argv_, NULL, 0, NULL, 0, 10) != 0)                                          \
      fail_msg("required tool \"%s\" is not installed (scripts/deps.sh test installs it)", name); \
  } while (0)

#endif
