/* SPDX-License-Identifier: Apache-2.0 */
/* graphite.c — a registry to Carbon's plaintext protocol, with
 * client_python's GraphiteBridge naming, once or on a background thread.
 *
 * The samples come from the registry's own text-format render, parsed back
 * here: the core exposes families to writers, not to other libraries, and
 * the text writer is exactly the list of samples a scrape sees (names with
 * their suffixes, le and quantile labels, values in the shortest exact
 * form).  The parser only has to read what text.c writes: no timestamps,
 * label values escaped as \\ \" \n. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "periodic.h"

static int add(promc_buf *b, const char *s, size_t n) { return promc_buf_write(b, s, n) == 0 ? 0 : PROMC_ENOMEM; }

/* client_python's _sanitize: re.sub(r"[^a-zA-Z0-9_-]", "_", s) on a str,
 * where a character is a code point: a UTF-8 sequence becomes one '_'. */
static int add_sanitised(promc_buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i++];
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (c >= 0xC0)
      while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    char o = keep ? (char)c : '_';
    if (add(b, &o, 1)) return PROMC_ENOMEM;
  }
  return 0;
}

/* client_python writes le and quantile values with floatToGoString: Python's
 * repr (shortest round trip; "2.0", "1e-07", exponent from 1e16 on) with
 * positive values from 1e6 on as Go's exponent form ("1.0e+06" becomes
 * "1e+06").  The path must use the same spelling to name the same series. */
static int add_go_float(promc_buf *b, const char *tok, size_t n) {
  char t[64], out[64];
  if (n >= sizeof t) return add_sanitised(b, tok, n);
  memcpy(t, tok, n);
  t[n] = 0;
  char *end;
  double d = strtod(t, &end);
  if (end != t + n) return add_sanitised(b, tok, n);
  if (isinf(d)) return add_sanitised(b, d > 0 ? "+Inf" : "-Inf", 4);
  if (isnan(d)) return add_sanitised(b, "NaN", 3);
  /* shortest digits that read back: %.{p}e, p = 0..16 */
  char e[40];
  for (int p = 0; p <= 16; p++) {
    snprintf(e, sizeof e, "%.*e", p, d);
    if (strtod(e, NULL) == d) break;
  }
  char digits[24];
  size_t nd = 0;
  const char *q = e;
  bool neg = *q == '-';
  if (neg) q++;
  for (; *q && *q != 'e'; q++)
    if (*q != '.') digits[nd++] = *q;
  int exp = atoi(q + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  size_t o = 0;
  if (neg) out[o++] = '-';
  if (d == 0 || (exp >= -4 && exp < 16)) {
    if (exp < 0) { /* 0.000ddd */
      out[o++] = '0';
      out[o++] = '.';
      for (int i = -1; i > exp; i--) out[o++] = '0';
      for (size_t i = 0; i < nd; i++) out[o++] = digits[i];
    } else {
      for (int i = 0; i <= exp; i++) out[o++] = (size_t)i < nd ? digits[i] : '0';
      out[o++] = '.';
      if ((size_t)exp + 1 >= nd) out[o++] = '0';
      for (size_t i = (size_t)exp + 1; i < nd; i++) out[o++] = digits[i];
    }
  } else {
    out[o++] = digits[0];
    if (nd > 1) out[o++] = '.';
    for (size_t i = 1; i < nd; i++) out[o++] = digits[i];
    o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
  out[o] = 0;
  /* Go's exponent form for positive values with more than 6 integer digits */
  char *dot = strchr(out, '.');
  if (d > 0 && dot && !strchr(out, 'e') && dot - out > 6) {
    char m[24];
    size_t k = 0;
    m[k++] = out[0];
    m[k++] = '.';
    for (char *r = out + 1; *r; r++)
      if (r != dot) m[k++] = *r;
    while (k > 0 && (m[k - 1] == '0' || m[k - 1] == '.')) k--; /* Python's rstrip('0.') */
    m[k] = 0;
    snprintf(out, sizeof out, "%.20se+0%d", m, (int)(dot - out) - 1);
  }
  return add_sanitised(b, out, strlen(out));
}

struct label {
  size_t name, name_len, value, value_len; /* offsets into the scratch buffer */
};

/* qsort has no context argument in C11: the scratch base, per thread */
static _Thread_local const char *t_sort_base;

static int by_name(const void *a, const void *b) {
  const struct label *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(t_sort_base + x->name, t_sort_base + y->name, n);
  if (c) return c;
  return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Parses the label set at *p ("{a="x",b="y"}"), decoding the values into
 * scratch; *p is left after the '}'. */
static int parse_labels(const char **p, const char *end, promc_buf *scratch, struct label **ls, size_t *nl,
                        size_t *cap) {
  const char *s = *p + 1;
  while (s < end && *s != '}') {
    if (*nl == *cap) {
      size_t nc = *cap ? *cap * 2 : 8;
      struct label *t = realloc(*ls, nc * sizeof *t);
      if (!t) return PROMC_ENOMEM;
      *ls = t;
      *cap = nc;
    }
    struct label *l = &(*ls)[*nl];
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (!eq || eq + 1 >= end || eq[1] != '"') return PROMC_EIO;
    l->name = scratch->len;
    l->name_len = (size_t)(eq - s);
    if (add(scratch, s, l->name_len)) return PROMC_ENOMEM;
    l->value = scratch->len;
    for (s = eq + 2; s < end && *s != '"'; s++) {
      char c = *s;
      if (c == '\\' && s + 1 < end) {
        c = *++s;
        if (c == 'n') c = '\n';
      }
      if (add(scratch, &c, 1)) return PROMC_ENOMEM;
    }
    if (s >= end) return PROMC_EIO;
    l->value_len = scratch->len - l->value;
    (*nl)++;
    s++;
    if (s < end && *s == ',') s++;
  }
  if (s >= end) return PROMC_EIO;
  *p = s + 1;
  return 0;
}

static int check_opts(const promc_graphite_opts *o) {
  if (o->timeout_ms < 0) return promc_set_errmsg(PROMC_EINVAL, "graphite: negative timeout_ms %ld", o->timeout_ms);
  if (o->tags != 0 && o->tags != 1) return promc_set_errmsg(PROMC_EINVAL, "graphite: tags must be 0 or 1, not %d", o->tags);
  if (o->prefix && strpbrk(o->prefix, " \t\r\n"))
    return promc_set_errmsg(PROMC_EINVAL, "graphite: prefix \"%s\" has white space (it would split the line)",
                            o->prefix);
  if (o->timestamp < 0) return promc_set_errmsg(PROMC_EINVAL, "graphite: negative timestamp %lld", o->timestamp);
  return 0;
}

/* One Graphite line per sample line of text[0..len). */
static int convert(promc_buf *out, const char *text, size_t len, const promc_graphite_opts *o, long long ts) {
  promc_buf scratch = {0};
  struct label *ls = NULL;
  size_t cap = 0;
  int rc = 0;
  char tsbuf[32];
  int tsn = snprintf(tsbuf, sizeof tsbuf, " %lld\n", ts);
  const char *end = text + len;
  for (const char *line = text; !rc && line < end;) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) eol = end;
    const char *p = line;
    line = eol + 1;
    if (p == eol || *p == '#') continue;
    const char *name = p;
    while (p < eol && *p != '{' && *p != ' ') p++;
    size_t name_len = (size_t)(p - name), nl = 0;
    scratch.len = 0;
    if (p < eol && *p == '{') rc = parse_labels(&p, eol, &scratch, &ls, &nl, &cap);
    if (rc || p >= eol || *p != ' ') {
      rc = rc == PROMC_ENOMEM ? rc : PROMC_EIO;
      break;
    }
    const char *val = ++p;
    while (p < eol && *p != ' ') p++;
    size_t val_len = (size_t)(p - val);
    if (val_len == 0) {
      rc = PROMC_EIO;
      break;
    }
    t_sort_base = scratch.data;
    if (nl > 1) qsort(ls, nl, sizeof *ls, by_name);
    if (o->prefix && *o->prefix) rc = add(out, o->prefix, strlen(o->prefix)) || add(out, ".", 1) ? PROMC_ENOMEM : 0;
    if (!rc) rc = add_sanitised(out, name, name_len);
    for (size_t i = 0; !rc && i < nl; i++) {
      rc = add(out, o->tags ? ";" : ".", 1);
      if (!rc) rc = add_sanitised(out, scratch.data + ls[i].name, ls[i].name_len);
      if (!rc) rc = add(out, o->tags ? "=" : ".", 1);
      const char *ln = scratch.data + ls[i].name;
      bool num = (ls[i].name_len == 2 && memcmp(ln, "le", 2) == 0) ||
                 (ls[i].name_len == 8 && memcmp(ln, "quantile", 8) == 0);
      if (!rc) rc = (num ? add_go_float : add_sanitised)(out, scratch.data + ls[i].value, ls[i].value_len);
    }
    if (!rc) rc = add(out, " ", 1);
    if (!rc) rc = add(out, val, val_len);
    if (!rc) rc = add(out, tsbuf, (size_t)tsn);
  }
  free(ls);
  promc_buf_free(&scratch);
  if (rc == PROMC_ENOMEM) return promc_set_errmsg(rc, "graphite: out of memory");
  if (rc) return promc_set_errmsg(PROMC_EIO, "graphite: cannot read back the registry's text rendering");
  return 0;
}

int promc_graphite_render(promc_buf *out, const promc_graphite_opts *opts) {
  static const promc_graphite_opts zero;
  if (!out) return promc_set_errmsg(PROMC_EINVAL, "graphite: output buffer is NULL");
  const promc_graphite_opts *o = opts ? opts : &zero;
  int rc = check_opts(o);
  if (rc) return rc;
  promc_registry *reg = o->registry ? o->registry : promc_default_registry();
  if (!reg) return promc_set_errmsg(PROMC_ENOMEM, "graphite: no default registry");
  promc_buf text = {0};
  rc = promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &text);
  if (rc) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s", promc_errmsg());
    promc_buf_free(&text);
    return promc_set_errmsg(rc, "graphite: nothing sent, rendering the registry failed: %s", msg);
  }
  long long ts = o->timestamp ? o->timestamp : (long long)time(NULL);
  size_t mark = out->len;
  rc = convert(out, text.data ? text.data : "", text.len, o, ts);
  if (rc) out->len = mark;
  promc_buf_free(&text);
  return rc;
}

/* ------------------------------------------------------------------ sending */

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline) {
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
    if (n > 0) return 1;
    if (n < 0 && errno != EINTR) return -1;
  }
}

/* A connected socket, or a negative code with the message set. */
static int connect_to(const char *host, const char *port, long long deadline) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int g = getaddrinfo(host, port, &hints, &res);
  if (g != 0)
    return promc_set_errmsg(PROMC_ENET, "graphite: cannot resolve %s port %s: %s", host, port, gai_strerror(g));
  int err = 0, fd = -1;
  bool timed_out = false;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    int s = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s < 0) {
      err = errno;
      continue;
    }
    if (connect(s, a->ai_addr, a->ai_addrlen) == 0) {
      fd = s;
      break;
    }
    if (errno == EINPROGRESS) {
      int w = wait_fd(s, POLLOUT, deadline);
      socklen_t el = sizeof err;
      if (w == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
        fd = s;
        break;
      }
      if (w == 0) timed_out = true;
      if (w < 0) err = errno;
    } else {
      err = errno;
    }
    close(s);
    if (timed_out) break;
  }
  freeaddrinfo(res);
  if (fd >= 0) return fd;
  if (timed_out) return promc_set_errmsg(PROMC_ETIMEOUT, "graphite: connecting to %s:%s timed out", host, port);
  return promc_set_errmsg(PROMC_ENET, "graphite: cannot connect to %s:%s: %s", host, port,
                          err ? strerror(err) : "no address");
}

static int send_all(int fd, const char *data, size_t len, long long deadline, const char *host, const char *port) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_fd(fd, POLLOUT, deadline);
      if (w == 0)
        return promc_set_errmsg(PROMC_ETIMEOUT, "graphite: sending to %s:%s timed out after %zu of %zu bytes", host,
                                port, off, len);
      if (w > 0) continue;
    }
    return promc_set_errmsg(PROMC_ENET, "graphite: sending to %s:%s failed after %zu of %zu bytes: %s", host, port,
                            off, len, strerror(errno));
  }
  return 0;
}

int promc_graphite_push(const char *host, const char *port, const promc_graphite_opts *opts) {
  static const promc_graphite_opts zero;
  if (!host || !*host) return promc_set_errmsg(PROMC_EINVAL, "graphite: host is NULL or empty");
  if (!port || !*port) return promc_set_errmsg(PROMC_EINVAL, "graphite: port is NULL or empty");
  const promc_graphite_opts *o = opts ? opts : &zero;
  promc_buf lines = {0};
  int rc = promc_graphite_render(&lines, o);
  if (rc) {
    promc_buf_free(&lines);
    return rc;
  }
  long timeout = o->timeout_ms ? o->timeout_ms : 30000;
  int fd = connect_to(host, port, now_ms() + timeout);
  if (fd < 0) {
    promc_buf_free(&lines);
    return fd;
  }
  rc = send_all(fd, lines.data, lines.len, now_ms() + timeout, host, port);
  close(fd);
  promc_buf_free(&lines);
  return rc;
}

/* ------------------------------------------------------------ background */

struct promc_graphite {
  struct promc_periodic per;
  char *host, *port, *prefix;
  promc_graphite_opts o;
};

static void graphite_free(promc_graphite *g) {
  free(g->host);
  free(g->port);
  free(g->prefix);
  free(g);
}

static int graphite_tick(void *ctx, long *status) {
  promc_graphite *g = ctx;
  *status = 0;
  return promc_graphite_push(g->host, g->port, &g->o);
}

int promc_graphite_start(promc_graphite **out, const char *host, const char *port, long interval_ms,
                         const promc_graphite_opts *opts, promc_push_result_fn on_result, void *user) {
  static const promc_graphite_opts zero;
  if (!out) return promc_set_errmsg(PROMC_EINVAL, "graphite: out is NULL");
  *out = NULL;
  if (!host || !*host) return promc_set_errmsg(PROMC_EINVAL, "graphite: host is NULL or empty");
  if (!port || !*port) return promc_set_errmsg(PROMC_EINVAL, "graphite: port is NULL or empty");
  if (interval_ms < 0) return promc_set_errmsg(PROMC_EINVAL, "graphite: negative interval_ms %ld", interval_ms);
  const promc_graphite_opts *o = opts ? opts : &zero;
  int rc = check_opts(o);
  if (rc) return rc;
  promc_graphite *g = calloc(1, sizeof *g);
  if (!g) return promc_set_errmsg(PROMC_ENOMEM, "graphite: out of memory");
  bool ok = true;
  g->o = *o;
  g->host = promc__push_strdup(host, &ok);
  g->port = promc__push_strdup(port, &ok);
  g->prefix = promc__push_strdup(o->prefix, &ok);
  g->o.prefix = g->prefix;
  if (!ok) {
    graphite_free(g);
    return promc_set_errmsg(PROMC_ENOMEM, "graphite: out of memory");
  }
  g->per.interval_ms = interval_ms ? interval_ms : 60000;
  g->per.push = graphite_tick;
  g->per.ctx = g;
  g->per.on_result = on_result;
  g->per.user = user;
  rc = promc__periodic_start(&g->per);
  if (rc) {
    graphite_free(g);
    return rc;
  }
  *out = g;
  return 0;
}

int promc_graphite_stats(promc_graphite *g, promc_push_stats *out) {
  if (!g || !out) return promc_set_errmsg(PROMC_EINVAL, "graphite: stats of NULL");
  promc__periodic_stats(&g->per, out);
  return 0;
}

int promc_graphite_stop(promc_graphite *g) {
  if (!g) return promc_set_errmsg(PROMC_EINVAL, "graphite: stop of NULL");
  int rc = promc__periodic_stop(&g->per, true);
  graphite_free(g);
  return rc;
}
