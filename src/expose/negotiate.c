/* SPDX-License-Identifier: Apache-2.0 */
/* negotiate.c — what any HTTP server needs to answer a scrape the way
 * Prometheus expects: the exposition format from the Accept header, gzip
 * from Accept-Encoding, and the name[] filter from the query string.  Pure
 * parsing: no allocation, no locks, no I/O, so every server (ours, an
 * embedded libmicrohttpd one, anything else) can call it per request. */
#include <stdbool.h>
#include <string.h>

#include "expose/expose.h"

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* Case-insensitive comparison of [p, p+n) with the NUL-terminated lit. */
static bool eq_ci(const char *p, size_t n, const char *lit) {
  size_t i = 0;
  for (; i < n && lit[i]; i++)
    if (lower(p[i]) != lit[i]) return false;
  return i == n && lit[i] == '\0';
}

/* Trims optional whitespace and one pair of double quotes. */
static void trim(const char **p, size_t *n) {
  while (*n && is_ows(**p)) (*p)++, (*n)--;
  while (*n && is_ows((*p)[*n - 1])) (*n)--;
  if (*n >= 2 && (*p)[0] == '"' && (*p)[*n - 1] == '"') (*p)++, *n -= 2;
}

/* An RFC 9110 qvalue ("0", "0.5", "1", "1.000") as thousandths; -1 when
 * malformed. */
static int parse_q(const char *p, size_t n) {
  if (n == 0 || (p[0] != '0' && p[0] != '1')) return -1;
  int q = (p[0] - '0') * 1000;
  if (n == 1) return q;
  if (p[1] != '.' || n > 5) return -1;
  int scale = 100;
  for (size_t i = 2; i < n; i++, scale /= 10) {
    if (p[i] < '0' || p[i] > '9') return -1;
    q += (p[i] - '0') * scale;
  }
  return q > 1000 ? -1 : q;
}

/* One element of a comma-separated header list: the token before the first
 * ';' and its parameters.  Calls back once per parameter. */
struct elem {
  const char *tok;
  size_t tok_len;
  int q; /* thousandths; -1 = malformed */
  /* Accept parameters we care about */
  const char *version, *proto, *encoding;
  size_t version_len, proto_len, encoding_len;
};

static void parse_elem(const char *p, size_t n, struct elem *e) {
  memset(e, 0, sizeof *e);
  e->q = 1000;
  const char *semi = memchr(p, ';', n);
  size_t tn = semi ? (size_t)(semi - p) : n;
  e->tok = p;
  e->tok_len = tn;
  trim(&e->tok, &e->tok_len);
  while (semi) {
    const char *ps = semi + 1;
    size_t rest = n - (size_t)(ps - p);
    semi = memchr(ps, ';', rest);
    size_t pn = semi ? (size_t)(semi - ps) : rest;
    const char *eq = memchr(ps, '=', pn);
    if (!eq) continue;
    const char *k = ps, *v = eq + 1;
    size_t kn = (size_t)(eq - ps), vn = pn - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    if (eq_ci(k, kn, "q")) {
      e->q = parse_q(v, vn);
    } else if (eq_ci(k, kn, "version")) {
      e->version = v, e->version_len = vn;
    } else if (eq_ci(k, kn, "proto")) {
      e->proto = v, e->proto_len = vn;
    } else if (eq_ci(k, kn, "encoding")) {
      e->encoding = v, e->encoding_len = vn;
    }
  }
}

/* Iterates over the comma-separated elements of a header value. */
static const char *next_elem(const char *s, const char **start, size_t *len) {
  while (*s == ',' || is_ows(*s)) s++;
  if (!*s) return NULL;
  const char *b = s;
  bool quoted = false;
  for (; *s && (quoted || *s != ','); s++)
    if (*s == '"') quoted = !quoted;
  *start = b;
  *len = (size_t)(s - b);
  return s;
}

static bool param_is(const char *v, size_t n, const char *lit) { return v && eq_ci(v, n, lit); }

/* The format a single media range names, or -1 for none of ours.  The rules
 * are client_golang's expfmt.NegotiateIncludingOpenMetrics: protobuf needs
 * proto=io.prometheus.client.MetricFamily and encoding=delimited; text/plain
 * needs no version or 0.0.4; OpenMetrics no version, 0.0.1 or 1.0.0. */
static int format_of(const struct elem *e) {
  if (eq_ci(e->tok, e->tok_len, "application/vnd.google.protobuf")) {
    if (param_is(e->proto, e->proto_len, "io.prometheus.client.metricfamily") &&
        param_is(e->encoding, e->encoding_len, "delimited"))
      return PROMC_FORMAT_PROTOBUF;
    return -1;
  }
  if (eq_ci(e->tok, e->tok_len, "application/openmetrics-text")) {
    if (!e->version || param_is(e->version, e->version_len, "1.0.0") ||
        param_is(e->version, e->version_len, "0.0.1"))
      return PROMC_FORMAT_OPENMETRICS;
    return -1;
  }
  if (eq_ci(e->tok, e->tok_len, "text/plain")) {
    if (!e->version || param_is(e->version, e->version_len, "0.0.4")) return PROMC_FORMAT_TEXT;
    return -1;
  }
  return -1;
}

int promc_negotiate_format(const char *accept, unsigned allowed, promc_format *out) {
  if (!out) return promc__err(PROMC_EINVAL, "promc_negotiate_format: out is NULL");
  if (allowed == 0)
    allowed = PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) | PROMC_FORMAT_BIT(PROMC_FORMAT_OPENMETRICS) |
              PROMC_FORMAT_BIT(PROMC_FORMAT_PROTOBUF);
  promc_format best = PROMC_FORMAT_TEXT;
  int best_q = 0; /* only q > 0 is acceptable; the first of equal q wins */
  const char *s = accept, *p;
  size_t n;
  while (s && (s = next_elem(s, &p, &n)) != NULL) {
    struct elem e;
    parse_elem(p, n, &e);
    int f = format_of(&e);
    if (f < 0 || e.q <= best_q || !(allowed & PROMC_FORMAT_BIT(f))) continue;
    best = (promc_format)f;
    best_q = e.q;
  }
  *out = best;
  return 0;
}

int promc_accepts_gzip(const char *accept_encoding) {
  int gzip_q = -1, star_q = -1; /* -1 = not mentioned */
  const char *s = accept_encoding, *p;
  size_t n;
  while (s && (s = next_elem(s, &p, &n)) != NULL) {
    struct elem e;
    parse_elem(p, n, &e);
    if (eq_ci(e.tok, e.tok_len, "gzip") || eq_ci(e.tok, e.tok_len, "x-gzip"))
      gzip_q = e.q < 0 ? 0 : e.q;
    else if (eq_ci(e.tok, e.tok_len, "*"))
      star_q = e.q < 0 ? 0 : e.q;
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes application/x-www-form-urlencoded [p, p+n) into out (which has
 * room for n bytes): %XX escapes and '+' as space; a malformed escape is
 * kept literally, as Python's unquote does. Returns the decoded length. */
static size_t form_decode(const char *p, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (p[i] == '%' && i + 2 < n && (hi = hexval(p[i + 1])) >= 0 && (lo = hexval(p[i + 2])) >= 0) {
      out[o++] = (char)(hi * 16 + lo);
      i += 2;
    } else if (p[i] == '+') {
      out[o++] = ' ';
    } else {
      out[o++] = p[i];
    }
  }
  return o;
}

int promc_query_names(const char *query, char *buf, size_t bufsize, const char **names,
                      size_t max, size_t *n) {
  if (n) *n = 0;
  if (!n || (max && !names) || (bufsize && !buf))
    return promc__err(PROMC_EINVAL, "promc_query_names: NULL argument");
  if (!query) return 0;
  const char *q = strchr(query, '?');
  q = q ? q + 1 : query;
  size_t end = strcspn(q, "#");
  size_t used = 0, count = 0;
  int rc = 0;
  size_t i = 0;
  while (i < end) {
    size_t len = strcspn(q + i, "&");
    if (i + len > end) len = end - i;
    const char *pair = q + i;
    i += len + 1;
    const char *eq = memchr(pair, '=', len);
    if (!eq) continue;
    size_t kn = (size_t)(eq - pair), vn = len - kn - 1;
    /* "name[]" arrives escaped as "name%5B%5D" from most clients. */
    char key[sizeof "name[]"];
    if (kn > 3 * (sizeof key - 1)) continue;
    char kbuf[3 * (sizeof key - 1)];
    size_t kd = form_decode(pair, kn, kbuf);
    if (kd != sizeof key - 1) continue;
    memcpy(key, kbuf, kd);
    key[kd] = '\0';
    if (strcmp(key, "name[]") != 0 || vn == 0) continue; /* blank values are dropped */
    if (count == max || used + vn + 1 > bufsize) {
      rc = promc__err(PROMC_EFULL, "promc_query_names: more names than room (%zu kept)", count);
      break;
    }
    size_t d = form_decode(eq + 1, vn, buf + used);
    if (d == 0) continue;
    /* A NUL (%00) cannot be in a C string: cut there, the name would select
     * a family the client did not ask for. No metric name holds a NUL, so
     * such a name selects nothing; it stays in the filter as "" (which
     * selects nothing either) rather than being dropped, which would widen
     * a filter of only such names to the whole registry. */
    if (memchr(buf + used, '\0', d)) d = 0;
    buf[used + d] = '\0';
    names[count++] = buf + used;
    used += d + 1;
  }
  *n = count;
  return rc;
}
