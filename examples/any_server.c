/* SPDX-License-Identifier: Apache-2.0 */
/* any_server.c — Prometheus exposition from a plain socket server, with no
 * HTTP library: what any server (an event loop, an embedded web server, a
 * proxy) does to answer a scrape with promc's core alone.
 *
 *   any_server [--listen ADDR:PORT] [--port-file FILE]
 *
 * It listens (default 127.0.0.1:9464; port 0 picks a free one, printed as
 * "listening on ADDR:PORT" and written to --port-file), accepts one
 * connection at a time and, for each request on it:
 *   1. reads the request head, at most 8 KiB (bigger: 431; a client that
 *      sends nothing for 5 s is dropped), and parses the request line and
 *      the Accept and Accept-Encoding headers (HTTP/1.0 and 1.1; a request
 *      with a body, or a chunked one, is refused with 400: scrapes have none);
 *   2. routes: GET and HEAD on /metrics and /, else 404 / 405;
 *   3. promc_query_names() reads ?name[]=... into render options (too many
 *      names: 400);
 *   4. promc_negotiate_format() picks text 0.0.4, OpenMetrics or protobuf
 *      from Accept, and promc_registry_render_buf() renders the default
 *      registry (NULL) into a buffer reused across scrapes;
 *   5. promc_accepts_gzip() decides on gzip, done here with zlib's deflate
 *      in gzip mode (windowBits 15 + 16), level 1;
 *   6. sends the response with Content-Type from
 *      promc_format_content_type(), Content-Length and, when compressed,
 *      Content-Encoding: gzip and Vary: Accept-Encoding.
 * HTTP/1.1 connections are kept alive until "Connection: close"; an HTTP/1.0
 * request gets its answer and the connection closes. SIGINT or SIGTERM stops it with status 0.
 *
 * One thread serves one connection at a time, which is enough for the few
 * scrapers a target has but lets a slow client hold the others back for up
 * to the 5 s timeout; a real server does the same from its own event loop
 * or workers, with the same promc calls. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "promc/promc.h"

enum { MAX_HEAD = 8192, MAX_NAMES = 64 };

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static promc_counter *g_requests; /* any_server_http_requests_total{code} */

/* Writes all of p, retrying short writes; -1 when the peer is gone. */
static int send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int respond(int fd, int code, const char *reason, const char *extra_headers, const char *type,
                   const void *body, size_t len, int head_only, int keep_alive) {
  char h[1024];
  int n = snprintf(h, sizeof h,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n", code, reason,
                   type, len, extra_headers ? extra_headers : "", keep_alive ? "" : "Connection: close\r\n");
  char codes[8];
  snprintf(codes, sizeof codes, "%d", code);
  promc_counter_inc(promc_counter_labels(g_requests, codes));
  if (n < 0 || (size_t)n >= sizeof h || send_all(fd, h, (size_t)n) != 0) return -1;
  return head_only || !len ? 0 : send_all(fd, body, len);
}

static int respond_text(int fd, int code, const char *reason, const char *msg, int head_only, int keep_alive) {
  return respond(fd, code, reason, code == 405 ? "Allow: GET, HEAD\r\n" : NULL, "text/plain; charset=utf-8", msg,
                 strlen(msg), head_only, keep_alive);
}

/* gzip of in[0..n) into *out (grown as needed). 0 or -1. */
static int gzip_into(const char *in, size_t n, unsigned char **out, size_t *cap, size_t *len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
  size_t need = deflateBound(&z, (uLong)n);
  if (need > *cap) {
    unsigned char *p = realloc(*out, need);
    if (!p) {
      deflateEnd(&z);
      return -1;
    }
    *out = p;
    *cap = need;
  }
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)n;
  z.next_out = *out;
  z.avail_out = (uInt)*cap;
  int rc = deflate(&z, Z_FINISH);
  *len = z.total_out;
  deflateEnd(&z);
  return rc == Z_STREAM_END ? 0 : -1;
}

/* The value of header name in the head (lines after the request line), cut
 * at its CR LF into val (NUL-terminated); NULL when absent. */
static const char *header(const char *head, const char *name, char *val, size_t cap) {
  size_t nl = strlen(name);
  for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
    const char *p = l + 2;
    if (strncasecmp(p, name, nl) != 0 || p[nl] != ':') continue;
    p += nl + 1;
    while (*p == ' ' || *p == '\t') p++;
    const char *e = strstr(p, "\r\n");
    size_t n = e ? (size_t)(e - p) : strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n >= cap) n = cap - 1;
    memcpy(val, p, n);
    val[n] = 0;
    return val;
  }
  return NULL;
}

struct scratch {
  promc_buf body;      /* the rendered registry, reused */
  unsigned char *gz;   /* its gzip form, reused */
  size_t gz_cap, gz_len;
};

/* Answers one parsed request. Returns 0 to keep the connection, -1 to close. */
static int serve_request(int fd, char *head, struct scratch *s) {
  char *sp1 = strchr(head, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL, *eol = strstr(head, "\r\n");
  if (!sp1 || !sp2 || !eol || sp2 > eol || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
    respond_text(fd, 400, "Bad Request", "malformed request line\n", 0, 0);
    return -1;
  }
  *sp1 = 0;
  *sp2 = 0;
  const char *method = head, *target = sp1 + 1;
  int http10 = strncmp(sp2 + 1, "HTTP/1.0", 8) == 0;
  char *headers = eol; /* starts with the CR LF that ends the request line */
  char v[512];
  const char *conn = header(headers, "Connection", v, sizeof v);
  int keep = !http10 && !(conn && strcasecmp(conn, "close") == 0); /* HTTP/1.0: one request */
  if (header(headers, "Content-Length", v, sizeof v) ? strcmp(v, "0") != 0
                                                      : header(headers, "Transfer-Encoding", v, sizeof v) != NULL) {
    respond_text(fd, 400, "Bad Request", "a scrape has no body\n", 0, 0);
    return -1;
  }
  int head_only = strcmp(method, "HEAD") == 0;
  if (!head_only && strcmp(method, "GET") != 0)
    return respond_text(fd, 405, "Method Not Allowed", "GET or HEAD\n", 0, keep) || !keep ? -1 : 0;
  size_t plen = strcspn(target, "?#");
  if (!((plen == 8 && memcmp(target, "/metrics", 8) == 0) || (plen == 1 && target[0] == '/')))
    return respond_text(fd, 404, "Not Found", "try /metrics\n", head_only, keep) || !keep ? -1 : 0;

  /* name[] filter: decoded names point into qbuf (strlen(target) + 1 always suffices) */
  char qbuf[MAX_HEAD];
  const char *names[MAX_NAMES];
  size_t nnames = 0;
  if (promc_query_names(target, qbuf, sizeof qbuf, names, MAX_NAMES, &nnames) != 0)
    return respond_text(fd, 400, "Bad Request", "too many name[] parameters\n", head_only, keep) || !keep ? -1 : 0;
  promc_render_opts ro = {.names = nnames ? names : NULL, .nnames = nnames};

  const char *accept = header(headers, "Accept", v, sizeof v);
  promc_format f;
  promc_negotiate_format(accept, 0, &f);
  s->body.len = 0;
  int rc = promc_registry_render_buf(NULL, f, &ro, &s->body);
  if (rc == PROMC_EUNSUPP && f != PROMC_FORMAT_TEXT) { /* a core without that format: ask again */
    promc_negotiate_format(accept, ~PROMC_FORMAT_BIT(f), &f);
    s->body.len = 0;
    rc = promc_registry_render_buf(NULL, f, &ro, &s->body);
  }
  if (rc != 0) { /* a collector failed: a 500 carrying why, as client_golang does */
    char msg[600];
    snprintf(msg, sizeof msg, "error rendering the metrics: %s\n", promc_errmsg());
    return respond_text(fd, 500, "Internal Server Error", msg, head_only, keep) || !keep ? -1 : 0;
  }
  const char *data = s->body.data ? s->body.data : "";
  size_t len = s->body.len;
  const char *extra = "Vary: Accept-Encoding\r\n";
  char ae[512];
  if (promc_accepts_gzip(header(headers, "Accept-Encoding", ae, sizeof ae))) {
    if (gzip_into(data, len, &s->gz, &s->gz_cap, &s->gz_len) == 0) {
      data = (const char *)s->gz;
      len = s->gz_len;
      extra = "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n";
    } /* else: send it uncompressed, which every client accepts */
  }
  return respond(fd, 200, "OK", extra, promc_format_content_type(f), data, len, head_only, keep) || !keep ? -1 : 0;
}

/* Serves one connection until it closes, errs or goes idle. */
static void serve_connection(int fd, struct scratch *s) {
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[MAX_HEAD + 1];
  size_t have = 0;
  while (!g_stop) {
    char *end;
    buf[have] = 0;
    while (!(end = strstr(buf, "\r\n\r\n"))) {
      if (have == MAX_HEAD) {
        respond_text(fd, 431, "Request Header Fields Too Large", "request head over 8 KiB\n", 0, 0);
        return;
      }
      ssize_t r = recv(fd, buf + have, MAX_HEAD - have, 0);
      if (r < 0 && errno == EINTR && !g_stop) continue;
      if (r <= 0) return; /* closed, idle past the timeout, or stopping */
      have += (size_t)r;
      buf[have] = 0;
    }
    size_t used = (size_t)(end + 4 - buf);
    end[2] = 0; /* keep the last header's CR LF, cut the blank line */
    if (serve_request(fd, buf, s) != 0) return;
    memmove(buf, buf + used, have - used); /* a pipelined next request */
    have -= used;
  }
}

int main(int argc, char **argv) {
  const char *listen_at = "127.0.0.1:9464", *port_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--listen") == 0) listen_at = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "--port-file") == 0) port_file = argv[++i];
    else {
      fprintf(stderr, "usage: any_server [--listen ADDR:PORT] [--port-file FILE]\n");
      return 2;
    }
  }
  char addr[64];
  const char *colon = strrchr(listen_at, ':');
  struct sockaddr_in sa = {.sin_family = AF_INET};
  char *endp;
  long port = colon ? strtol(colon + 1, &endp, 10) : -1;
  if (!colon || (size_t)(colon - listen_at) >= sizeof addr || *endp || port < 0 || port > 65535) {
    fprintf(stderr, "any_server: --listen wants IPV4ADDR:PORT, not \"%s\"\n", listen_at);
    return 2;
  }
  memcpy(addr, listen_at, (size_t)(colon - listen_at));
  addr[colon - listen_at] = 0;
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
    fprintf(stderr, "any_server: \"%s\" is not an IPv4 address\n", addr);
    return 2;
  }
  sa.sin_port = htons((uint16_t)port);

  if (promc_counter_new(&g_requests, &(promc_opts){.name = "any_server_http_requests",
                                                   .help = "Requests answered, by status code.",
                                                   PROMC_LABEL_NAMES("code")}) != 0) {
    fprintf(stderr, "any_server: %s\n", promc_errmsg());
    return 1;
  }

  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  socklen_t sl = sizeof sa;
  if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 64) != 0 ||
      getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
    fprintf(stderr, "any_server: cannot listen on %s: %s\n", listen_at, strerror(errno));
    return 1;
  }
  printf("listening on %s:%u\n", addr, (unsigned)ntohs(sa.sin_port));
  fflush(stdout);
  if (port_file) {
    FILE *pf = fopen(port_file, "w");
    if (!pf || fprintf(pf, "%u\n", (unsigned)ntohs(sa.sin_port)) < 0 || fclose(pf) != 0) {
      fprintf(stderr, "any_server: cannot write %s\n", port_file);
      return 1;
    }
  }

  struct sigaction act = {.sa_handler = on_signal}; /* no SA_RESTART: accept() returns EINTR */
  sigemptyset(&act.sa_mask);
  sigaction(SIGINT, &act, NULL);
  sigaction(SIGTERM, &act, NULL);

  struct scratch s = {{0}, NULL, 0, 0};
  while (!g_stop) {
    int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      fprintf(stderr, "any_server: accept: %s\n", strerror(errno));
      break;
    }
    serve_connection(fd, &s);
    close(fd);
  }
  close(ls);
  promc_buf_free(&s.body);
  free(s.gz);
  promc_shutdown();
  return g_stop ? 0 : 1;
}
