/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_util.c — the input reader, the strict parsers of the text 0.0.4,
 * OpenMetrics 1.0 and protobuf outputs, and the corpus replay main().
 *
 * The parsers are deliberately stricter than Prometheus: besides the rules of
 * each format (the Go text parser's escapes, client_python's OpenMetrics
 * checks, metrics.proto's wire format) they hold promc to what it promises
 * about its own layout: single spaces, HELP and TYPE on every family, no
 * "{}", no sample timestamps. A change to that layout changes this file too. */
#include "fuzz_util.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The output being checked, shown with a failure. */
static const char *g_out;
static size_t g_out_len;
static int g_out_binary;

/* Exploration runs may name findings already reported, so that the fuzzer
 * looks past them: FZ_TOLERATE="HELP is not valid|duplicate series" makes
 * a check failure whose message contains one of the '|'-separated parts
 * abandon that render's check instead of aborting. Never set in ctest. */
static jmp_buf g_jmp;
static int g_jmp_armed;

static int tolerated(const char *msg) {
  const char *t = getenv("FZ_TOLERATE");
  if (!t || !*t) return 0;
  while (*t) {
    size_t n = strcspn(t, "|");
    char part[256];
    if (n && n < sizeof part) {
      memcpy(part, t, n);
      part[n] = 0;
      if (strstr(msg, part)) return 1;
    }
    t += n + (t[n] == '|');
  }
  return 0;
}

void fz_fail(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (g_jmp_armed && tolerated(msg)) longjmp(g_jmp, 1);
  if (g_out) {
    fprintf(stderr, "---- the output checked (%zu bytes) ----\n", g_out_len);
    size_t n = g_out_len > 4000 ? 4000 : g_out_len;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)g_out[i];
      if (g_out_binary) fprintf(stderr, "%02x%s", c, i % 32 == 31 ? "\n" : " ");
      else if (c == '\n' || (c >= 0x20 && c < 0x7f)) fputc(c, stderr);
      else fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\n---- end ----\n");
  }
  fprintf(stderr, "fuzz check failed: %s\n", msg);
  abort(); /* the fuzzer's way of reporting a finding */
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) fz_fail("harness out of memory");
  return p;
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) fz_fail("harness out of memory");
  return p;
}

/* ================================================================ input */
uint8_t fz_u8(fz_reader *r) {
  if (!r->n) return 0;
  r->n--;
  return *r->p++;
}

uint64_t fz_uint(fz_reader *r, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n && i < 8; i++) v |= (uint64_t)fz_u8(r) << (8 * i);
  return v;
}

size_t fz_below(fz_reader *r, size_t n) { return n ? fz_u8(r) % n : 0; }

double fz_double(fz_reader *r) {
  static const double table[] = {
      0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 10.0, 0.1, 0.25, 1e-5, 1e21, 1e6, 123456789.0, 1e300, -1e300,
      5e-324, 2.2250738585072014e-308, 9007199254740993.0, 9.3e18, 9.2e18, 1e15, 253402300800.0,
      1700000000.5, 1.5e9, 3.0, -0.5, 100.0, 1e-300, 0.3, 1.7976931348623157e308, 4294967296.0, 42.0};
  uint8_t k = fz_u8(r);
  if (k < sizeof table / sizeof table[0]) return table[k];
  if (k < 40) return NAN;
  if (k < 44) return INFINITY;
  if (k < 48) return -INFINITY;
  if (k < 96) return (double)(k - 48) - 8; /* small integers, negative ones too */
  if (k < 128) return (double)fz_u8(r) / 16.0;
  uint64_t bits = fz_uint(r, 8);
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

/* Words that have broken exposition writers: reserved names, the suffixes
 * every type adds, escapes, and broken or borderline UTF-8. */
static const char *const k_words[] = {
    "le", "quantile", "__name__", "__x", "_total", "_count", "_sum", "_bucket", "_created", "_info",
    "_gcount", "_gsum", "x", "x_total", "x_count", "x_bucket", "x_sum", "x_created", "x_info", "ns:state",
    "a:b", "seconds", "bytes", "info", "\\", "\"", "\n", "\\n", "\\\"", "# EOF", "}", "{", "=", ",", " ",
    "\t", "\r", "#", "\xff", "\xfe", "\xc3", "\xc3\xa9", "caf\xe9", "\xed\xa0\x80", "\xf4\x90\x80\x80",
    "\xc0\x80", "\xe0\x80\xaf", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "NaN", "+Inf", "1e+06", "0.0", "-1"};
#define K_NWORDS (sizeof k_words / sizeof k_words[0])

static char map_char(uint8_t b, enum fz_kind kind, bool first) {
  static const char metric[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:0123456789";
  static const char label[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
  static const char text[] = "abcxyz ABC_019:.-+=,{}\"\\\n\t#\xc3\xa9\xe2\x82\xac";
  switch (kind) {
    case FZ_METRIC: return metric[b % (first ? 54 : sizeof metric - 1)];
    case FZ_LABEL: return label[b % (first ? 53 : sizeof label - 1)];
    default: return text[b % (sizeof text - 1)];
  }
}

size_t fz_str(fz_reader *r, enum fz_kind kind, char *out, size_t cap) {
  uint8_t h = fz_u8(r);
  unsigned mode = h >> 6, len = h & 63;
  size_t o = 0;
  if (mode == 0) { /* raw bytes; NUL ends a C string, so it is dropped */
    for (unsigned i = 0; i < len && r->n; i++) {
      uint8_t b = fz_u8(r);
      if (b && o + 1 < cap) out[o++] = (char)b;
    }
  } else if (mode == 2) {
    const char *w = k_words[len % K_NWORDS];
    size_t wl = strlen(w);
    if (wl >= cap) wl = cap - 1;
    memcpy(out, w, wl);
    o = wl;
  } else {
    size_t n = mode == 1 ? len : len % 8;
    for (size_t i = 0; i < n && r->n; i++) {
      char c = map_char(fz_u8(r), kind, o == 0);
      if (o + 1 < cap) out[o++] = c;
    }
    if (mode == 3) {
      const char *w = k_words[fz_below(r, K_NWORDS)];
      size_t wl = strlen(w);
      if (o + wl >= cap) wl = cap - 1 - o;
      memcpy(out + o, w, wl);
      o += wl;
    }
  }
  out[o] = 0;
  return o;
}

/* ============================================================= helpers */
int fz_utf8_valid(const char *s, size_t n, size_t *runes) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  size_t count = 0;
  while (p < end) {
    unsigned c = *p++;
    count++;
    if (c < 0x80) continue;
    unsigned need, min;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) need = 1, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) need = 2, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) need = 3, min = 0x10000, cp = c & 0x07;
    else return 0;
    if ((size_t)(end - p) < need) return 0;
    for (unsigned i = 0; i < need; i++) {
      if ((p[i] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (p[i] & 0x3f);
    }
    p += need;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  }
  if (runes) *runes = count;
  return 1;
}

size_t fz_go_canonical(double v, char out[40]) {
  if (isnan(v)) return (size_t)snprintf(out, 40, "NaN");
  if (isinf(v)) return (size_t)snprintf(out, 40, v > 0 ? "+Inf" : "-Inf");
  /* the shortest correctly rounded digit string that reads back */
  char e[48];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(e, sizeof e, "%.*e", prec - 1, v);
    if (strtod(e, NULL) == v) break;
  }
  const char *p = e;
  char *o = out;
  if (*p == '-') *o++ = *p++;
  char digits[20];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  int x = v == 0 ? 0 : atoi(p + 1); /* decimal exponent of the first digit */
  /* Go's 'g' with the shortest precision takes %e when x < -4 || x >= 6 */
  if (x < -4 || x >= 6) {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    o += snprintf(o, 8, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
  } else if (x >= 0) {
    for (int i = 0; i <= x; i++) *o++ = i < nd ? digits[i] : '0';
    *o++ = '.';
    if (nd > x + 1) {
      memcpy(o, digits + x + 1, (size_t)(nd - x - 1));
      o += nd - x - 1;
    } else {
      *o++ = '0';
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -x - 1; i++) *o++ = '0';
    memcpy(o, digits, (size_t)nd);
    o += nd;
  }
  *o = 0;
  return (size_t)(o - out);
}

static bool metric_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

static bool label_char(char c, bool first) { return c != ':' && metric_char(c, first); }

static bool valid_metric_name(const char *s, size_t n) {
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if (!metric_char(s[i], i == 0)) return false;
  return true;
}

static bool valid_label_name(const char *s, size_t n) {
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if (!label_char(s[i], i == 0)) return false;
  return true;
}

/* The number grammar promc writes (and the formats read): NaN, +Inf, -Inf
 * or a decimal with optional sign, fraction and exponent. */
static bool parse_number(const char *s, size_t n, double *out) {
  char buf[64];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  if (!strcmp(buf, "NaN")) return *out = NAN, true;
  if (!strcmp(buf, "+Inf")) return *out = INFINITY, true;
  if (!strcmp(buf, "-Inf")) return *out = -INFINITY, true;
  size_t i = 0, digits = 0;
  if (buf[i] == '-' || buf[i] == '+') i++;
  while (buf[i] >= '0' && buf[i] <= '9') i++, digits++;
  if (buf[i] == '.') {
    i++;
    while (buf[i] >= '0' && buf[i] <= '9') i++, digits++;
  }
  if (!digits) return false;
  if (buf[i] == 'e' || buf[i] == 'E') {
    i++;
    if (buf[i] == '-' || buf[i] == '+') i++;
    size_t ed = 0;
    while (buf[i] >= '0' && buf[i] <= '9') i++, ed++;
    if (!ed) return false;
  }
  if (i != n) return false;
  *out = strtod(buf, NULL);
  return true;
}

/* ------------------------------------------------------------- string set */
typedef struct fz_set {
  char **k;
  size_t *len;
  size_t n, cap;
} fz_set;

static uint64_t hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

static size_t set_slot(const fz_set *s, const char *k, size_t n) {
  size_t i = (size_t)hash(k, n) & (s->cap - 1);
  while (s->k[i] && !(s->len[i] == n && memcmp(s->k[i], k, n) == 0)) i = (i + 1) & (s->cap - 1);
  return i;
}

/* Adds k; false when it was there already. */
static bool set_add(fz_set *s, const char *k, size_t n) {
  if ((s->n + 1) * 2 > s->cap) {
    fz_set g = {0};
    g.cap = s->cap ? s->cap * 2 : 16;
    g.k = calloc(g.cap, sizeof *g.k);
    g.len = calloc(g.cap, sizeof *g.len);
    if (!g.k || !g.len) fz_fail("harness out of memory");
    for (size_t i = 0; i < s->cap; i++)
      if (s->k[i]) {
        size_t j = set_slot(&g, s->k[i], s->len[i]);
        g.k[j] = s->k[i];
        g.len[j] = s->len[i];
      }
    g.n = s->n;
    free(s->k);
    free(s->len);
    *s = g;
  }
  size_t i = set_slot(s, k, n);
  if (s->k[i]) return false;
  s->k[i] = xmalloc(n);
  memcpy(s->k[i], k, n);
  s->len[i] = n;
  s->n++;
  return true;
}

static void set_clear(fz_set *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->k[i]);
  free(s->k);
  free(s->len);
  memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ byte string */
typedef struct fz_str_buf {
  char *d;
  size_t n, cap;
} fz_sb;

static void sb_add(fz_sb *b, const char *p, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->d = xrealloc(b->d, b->cap);
  }
  memcpy(b->d + b->n, p, n);
  b->n += n;
  b->d[b->n] = 0;
}

/* ------------------------------------------------------------- label sets */
struct lab {
  const char *name, *val; /* val points into the parser's scratch */
  size_t nl, vl;
};

typedef struct labset {
  struct lab *a;
  size_t n, cap;
} labset;

static void labs_push(labset *l, struct lab x) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->a = xrealloc(l->a, l->cap * sizeof *l->a);
  }
  l->a[l->n++] = x;
}

static int lab_cmp(const void *a, const void *b) {
  const struct lab *x = a, *y = b;
  size_t n = x->nl < y->nl ? x->nl : y->nl;
  int c = memcmp(x->name, y->name, n);
  return c ? c : (x->nl > y->nl) - (x->nl < y->nl);
}

/* A key for a sample name plus its labels except the one named skip:
 * sorted, separated by 0xff (never in valid UTF-8). */
static void labs_key(fz_sb *key, const char *name, size_t nl, const labset *l, const char *skip) {
  key->n = 0;
  sb_add(key, name, nl);
  struct lab tmp[64], *s = l->n <= 64 ? tmp : xmalloc(l->n * sizeof *s);
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++)
    if (!skip || !(l->a[i].nl == strlen(skip) && !memcmp(l->a[i].name, skip, l->a[i].nl))) s[k++] = l->a[i];
  qsort(s, k, sizeof *s, lab_cmp);
  for (size_t i = 0; i < k; i++) {
    sb_add(key, "\xff", 1);
    sb_add(key, s[i].name, s[i].nl);
    sb_add(key, "\xfe", 1);
    sb_add(key, s[i].val, s[i].vl);
  }
  if (s != tmp) free(s);
}

static const struct lab *labs_get(const labset *l, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < l->n; i++)
    if (l->a[i].nl == n && !memcmp(l->a[i].name, name, n)) return &l->a[i];
  return NULL;
}

static const struct lab *labs_get_n(const labset *l, const char *name, size_t n) {
  for (size_t i = 0; i < l->n; i++)
    if (l->a[i].nl == n && !memcmp(l->a[i].name, name, n)) return &l->a[i];
  return NULL;
}

/* ===================================================== text and OpenMetrics */
enum { T_NONE, T_COUNTER, T_GAUGE, T_HIST, T_GHIST, T_SUMMARY, T_INFO, T_STATESET, T_UNTYPED };

static const char *const k_sfx_text[][5] = {
    [T_COUNTER] = {"", NULL},
    [T_GAUGE] = {"", NULL},
    [T_UNTYPED] = {"", NULL},
    [T_HIST] = {"_bucket", "_count", "_sum", NULL},
    [T_SUMMARY] = {"", "_count", "_sum", NULL},
};
static const char *const k_sfx_om[][5] = {
    [T_COUNTER] = {"_total", "_created", NULL},
    [T_GAUGE] = {"", NULL},
    [T_UNTYPED] = {"", NULL},
    [T_HIST] = {"_bucket", "_count", "_sum", "_created", NULL},
    [T_GHIST] = {"_bucket", "_gcount", "_gsum", NULL},
    [T_SUMMARY] = {"", "_count", "_sum", "_created", NULL},
    [T_INFO] = {"_info", NULL},
    [T_STATESET] = {"", NULL},
};

static int type_of(const char *s, size_t n, bool om) {
  static const struct {
    const char *name;
    int t;
    int om; /* 0 text only, 1 OpenMetrics only, 2 both */
  } k[] = {{"counter", T_COUNTER, 2},   {"gauge", T_GAUGE, 2},          {"histogram", T_HIST, 2},
           {"summary", T_SUMMARY, 2},   {"untyped", T_UNTYPED, 0},      {"unknown", T_UNTYPED, 1},
           {"gaugehistogram", T_GHIST, 1}, {"info", T_INFO, 1},         {"stateset", T_STATESET, 1}};
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
    if (strlen(k[i].name) == n && !memcmp(k[i].name, s, n) && (k[i].om == 2 || k[i].om == (int)om)) return k[i].t;
  return T_NONE;
}

struct hgroup { /* the histogram child being read */
  bool any_bucket, has_count, has_sum, has_gsum, neg_bucket, neg_gsum;
  double last_le, last_count, count;
};

struct tparser {
  bool om;
  const char *d;
  size_t n, lineno;
  const char *line;
  size_t llen;
  char *scratch; /* unescaped values of the current line */
  size_t spos;
  fz_set families, clash, series;
  fz_sb key;
  labset labs, exlabs;
  /* the current family */
  const char *fam;
  size_t faml;
  int type;
  bool has_help, has_type, has_unit;
  size_t nsamples, nfamilies;
  fz_set groups;
  fz_sb group;
  bool in_group;
  struct hgroup h;
};

#define TFAIL(p, ...)                                                                          \
  do {                                                                                         \
    fprintf(stderr, "%s line %zu: %.*s\n", (p)->om ? "OpenMetrics" : "text", (p)->lineno,      \
            (int)((p)->llen > 300 ? 300 : (p)->llen), (p)->line ? (p)->line : "");             \
    fz_fail(__VA_ARGS__);                                                                      \
  } while (0)

static void hgroup_end(struct tparser *p) {
  if (!p->in_group) return;
  p->in_group = false;
  if (p->type != T_HIST && p->type != T_GHIST) return;
  struct hgroup *h = &p->h;
  if (!h->any_bucket) TFAIL(p, "histogram child without buckets in %.*s", (int)p->faml, p->fam);
  if (h->last_le != INFINITY) TFAIL(p, "histogram child of %.*s lacks the +Inf bucket", (int)p->faml, p->fam);
  if (h->has_count && h->count != h->last_count)
    TFAIL(p, "%.*s: _count %g differs from the +Inf bucket %g", (int)p->faml, p->fam, h->count, h->last_count);
  if (!p->om) return;
  if (h->has_sum != h->has_count && p->type == T_HIST) TFAIL(p, "_sum and _count must come together");
  if (h->has_gsum != h->has_count && p->type == T_GHIST) TFAIL(p, "_gsum and _gcount must come together");
  if (h->neg_bucket && h->has_sum) TFAIL(p, "_sum with negative buckets");
  if (!h->neg_bucket && h->neg_gsum) TFAIL(p, "negative _gsum with non-negative buckets");
}

static void family_end(struct tparser *p) {
  if (!p->fam) return;
  hgroup_end(p);
  if (!p->has_help) TFAIL(p, "family %.*s has no HELP", (int)p->faml, p->fam);
  if (!p->has_type) TFAIL(p, "family %.*s has no TYPE", (int)p->faml, p->fam);
  /* names this family owns: no other family may expose them */
  const char *const *sfx = p->om ? k_sfx_om[p->type] : k_sfx_text[p->type];
  fz_sb nm = {0};
  for (int i = -1; i < 0 || sfx[i]; i++) {
    if (i >= 0 && !sfx[i][0]) continue; /* the bare name is i == -1 */
    nm.n = 0;
    sb_add(&nm, p->fam, p->faml);
    if (i >= 0) sb_add(&nm, sfx[i], strlen(sfx[i]));
    if (!set_add(&p->clash, nm.d, nm.n))
      TFAIL(p, "family %.*s clashes with another family on the name %s", (int)p->faml, p->fam, nm.d);
  }
  free(nm.d);
  set_clear(&p->groups);
  p->fam = NULL;
}

static void family_begin(struct tparser *p, const char *name, size_t nl) {
  family_end(p);
  if (!set_add(&p->families, name, nl)) TFAIL(p, "family %.*s appears twice (not contiguous)", (int)nl, name);
  p->fam = name;
  p->faml = nl;
  p->type = T_NONE;
  p->has_help = p->has_type = p->has_unit = false;
  p->nfamilies++;
}

/* Reads an escaped quoted string body from s (after the opening quote) up to
 * the closing quote, unescaping into the scratch. escapes: the characters
 * allowed after a backslash. Returns the position after the closing quote. */
static const char *read_quoted(struct tparser *p, const char *s, const char *end, const char **val, size_t *vl) {
  char *o = p->scratch + p->spos;
  *val = o;
  for (;;) {
    if (s >= end) TFAIL(p, "unterminated label value");
    char c = *s++;
    if (c == '"') break;
    if (c == '\\') {
      if (s >= end) TFAIL(p, "backslash at the end of a label value");
      c = *s++;
      if (c == 'n') c = '\n';
      else if (c != '\\' && c != '"') TFAIL(p, "invalid escape \\%c in a label value", c);
    }
    *o++ = c;
  }
  *vl = (size_t)(o - *val);
  p->spos += *vl;
  if (!fz_utf8_valid(*val, *vl, NULL)) TFAIL(p, "label value is not valid UTF-8");
  return s;
}

/* {a="b",c="d"} at s; returns the position after '}'. */
static const char *read_labels(struct tparser *p, const char *s, const char *end, labset *l, bool exemplar) {
  l->n = 0;
  if (s >= end || *s != '{') TFAIL(p, "expected {");
  s++;
  if (s < end && *s == '}') {
    if (exemplar) return s + 1; /* an exemplar may have no labels */
    TFAIL(p, "empty label set {} (promc writes none)");
  }
  for (;;) {
    const char *n = s;
    while (s < end && *s != '=') s++;
    if (s >= end) TFAIL(p, "label without =");
    size_t nl = (size_t)(s - n);
    if (!valid_label_name(n, nl)) TFAIL(p, "invalid label name \"%.*s\"", (int)nl, n);
    if (nl >= 2 && n[0] == '_' && n[1] == '_') TFAIL(p, "reserved label name \"%.*s\"", (int)nl, n);
    if (labs_get_n(l, n, nl)) TFAIL(p, "duplicate label name \"%.*s\"", (int)nl, n);
    s++;
    if (s >= end || *s != '"') TFAIL(p, "label value not quoted");
    struct lab x = {.name = n, .nl = nl};
    s = read_quoted(p, s + 1, end, &x.val, &x.vl);
    labs_push(l, x);
    if (s < end && *s == ',') {
      s++;
      if (s < end && *s == '}') TFAIL(p, "trailing comma in label set");
      continue;
    }
    if (s < end && *s == '}') return s + 1;
    TFAIL(p, "expected , or } after a label");
  }
}

static bool is_suffix(const char *sfx, const char *name, size_t nl, const char *fam, size_t faml) {
  size_t sl = strlen(sfx);
  return nl == faml + sl && !memcmp(name, fam, faml) && !memcmp(name + faml, sfx, sl);
}

static void read_help(struct tparser *p, const char *s, const char *end) {
  char *o = p->scratch, *start = o;
  for (; s < end; s++) {
    char c = *s;
    if (c == '\\') {
      if (++s >= end) TFAIL(p, "HELP ends in a backslash");
      c = *s;
      if (c == 'n') c = '\n';
      else if (!(c == '\\' || (p->om && c == '"'))) TFAIL(p, "invalid escape \\%c in HELP", c);
    }
    *o++ = c;
  }
  if (!fz_utf8_valid(start, (size_t)(o - start), NULL)) TFAIL(p, "HELP is not valid UTF-8");
}

static void meta_line(struct tparser *p, const char *s, const char *end) {
  /* "# HELP name text", "# TYPE name type", "# UNIT name unit" */
  if (end - s < 8 || s[1] != ' ') TFAIL(p, "comment line promc does not write");
  const char *kw = s + 2;
  int which = !memcmp(kw, "HELP ", 5) ? 0 : !memcmp(kw, "TYPE ", 5) ? 1 : !memcmp(kw, "UNIT ", 5) ? 2 : -1;
  if (which < 0 || (which == 2 && !p->om)) TFAIL(p, "comment line promc does not write");
  const char *n = kw + 5, *q = n;
  while (q < end && *q != ' ') q++;
  size_t nl = (size_t)(q - n);
  if (!valid_metric_name(n, nl)) TFAIL(p, "invalid metric name in metadata");
  if (q >= end) TFAIL(p, "metadata without text");
  const char *rest = q + 1;
  if (!p->fam || p->faml != nl || memcmp(p->fam, n, nl)) family_begin(p, n, nl);
  else if (p->nsamples) TFAIL(p, "metadata after samples");
  switch (which) {
    case 0:
      if (p->has_help) TFAIL(p, "second HELP");
      p->has_help = true;
      read_help(p, rest, end);
      break;
    case 1:
      if (p->has_type) TFAIL(p, "second TYPE");
      p->has_type = true;
      if (!p->has_help) TFAIL(p, "TYPE before HELP (promc writes HELP first)");
      p->type = type_of(rest, (size_t)(end - rest), p->om);
      if (p->type == T_NONE) TFAIL(p, "unknown TYPE");
      break;
    default: {
      size_t ul = (size_t)(end - rest);
      if (p->has_unit) TFAIL(p, "second UNIT");
      if (!p->has_type) TFAIL(p, "UNIT before TYPE");
      p->has_unit = true;
      if (!ul) TFAIL(p, "empty UNIT");
      for (size_t i = 0; i < ul; i++)
        if (!metric_char(rest[i], false)) TFAIL(p, "invalid character in UNIT");
      if (!(nl > ul + 1 && n[nl - ul - 1] == '_' && !memcmp(n + nl - ul, rest, ul)))
        TFAIL(p, "UNIT does not match the metric name");
      if (p->type == T_INFO || p->type == T_STATESET) TFAIL(p, "UNIT on info or stateset");
      break;
    }
  }
  p->nsamples = 0;
}

static void exemplar(struct tparser *p, const char *s, const char *end, const char *sfx, double le, double prev_le) {
  /* " # {labels} value [ts]" */
  if (strcmp(sfx, "_total") && strcmp(sfx, "_bucket")) TFAIL(p, "exemplar on a sample that may not have one");
  if (p->type != T_COUNTER && p->type != T_HIST && p->type != T_GHIST) TFAIL(p, "exemplar on this type");
  s = read_labels(p, s, end, &p->exlabs, true);
  size_t chars = 0;
  for (size_t i = 0; i < p->exlabs.n; i++) {
    size_t r1 = 0, r2 = 0;
    fz_utf8_valid(p->exlabs.a[i].name, p->exlabs.a[i].nl, &r1);
    fz_utf8_valid(p->exlabs.a[i].val, p->exlabs.a[i].vl, &r2);
    chars += r1 + r2;
  }
  if (chars > 128) TFAIL(p, "exemplar labels longer than 128 characters");
  if (s >= end || *s != ' ') TFAIL(p, "exemplar without value");
  const char *v = ++s;
  while (s < end && *s != ' ') s++;
  double x, ts;
  if (!parse_number(v, (size_t)(s - v), &x)) TFAIL(p, "bad exemplar value");
  if (s < end) {
    const char *t = ++s;
    if (!parse_number(t, (size_t)(end - t), &ts) || !isfinite(ts)) TFAIL(p, "bad exemplar timestamp");
  }
  if (!strcmp(sfx, "_total") && !(x >= 0)) TFAIL(p, "counter exemplar value %g", x);
  /* the first bucket is [-Inf, le]: -Inf observations land there */
  if (!strcmp(sfx, "_bucket") && !(x <= le && (x > prev_le || prev_le == -INFINITY)) && !(isnan(x) && le == INFINITY))
    TFAIL(p, "exemplar value %g outside its bucket (%g, %g]", x, prev_le, le);
}

static void sample_line(struct tparser *p, const char *s, const char *end) {
  const char *n = s;
  while (s < end && metric_char(*s, s == n)) s++;
  size_t nl = (size_t)(s - n);
  if (!nl) TFAIL(p, "invalid metric name");
  if (!p->fam || !p->has_type) TFAIL(p, "sample without a family (HELP/TYPE)");
  const char *const *sfxs = p->om ? k_sfx_om[p->type] : k_sfx_text[p->type];
  const char *sfx = NULL;
  for (size_t i = 0; sfxs[i]; i++)
    if (is_suffix(sfxs[i], n, nl, p->fam, p->faml)) sfx = sfxs[i];
  if (!sfx) TFAIL(p, "sample name does not belong to family %.*s", (int)p->faml, p->fam);
  p->labs.n = 0;
  if (s < end && *s == '{') s = read_labels(p, s, end, &p->labs, false);
  if (s >= end || *s != ' ') TFAIL(p, "expected one space before the value");
  const char *v = ++s;
  while (s < end && *s != ' ') s++;
  double val;
  if (!parse_number(v, (size_t)(s - v), &val)) TFAIL(p, "invalid value \"%.*s\"", (int)(s - v), v);
  const char *ex = NULL;
  if (s < end) {
    if (!p->om || end - s < 4 || memcmp(s, " # {", 4)) TFAIL(p, "trailing text (a timestamp?) after the value");
    ex = s + 3;
  }
  p->nsamples++;

  /* no duplicate series anywhere */
  labs_key(&p->key, n, nl, &p->labs, NULL);
  if (!set_add(&p->series, p->key.d, p->key.n)) TFAIL(p, "duplicate series");

  /* the label that tells the samples of one child apart */
  const char *glabel = NULL;
  bool is_bucket = !strcmp(sfx, "_bucket"), is_base = !strcmp(sfx, "");
  if (is_bucket) glabel = "le";
  else if (p->type == T_SUMMARY && is_base) glabel = "quantile";
  else if (p->type == T_STATESET) {
    char fname[256];
    size_t fl = p->faml < sizeof fname - 1 ? p->faml : sizeof fname - 1;
    memcpy(fname, p->fam, fl);
    fname[fl] = 0;
    if (!labs_get(&p->labs, fname)) TFAIL(p, "stateset sample without its state label");
    labs_key(&p->key, "", 0, &p->labs, fname);
  }
  const struct lab *gl = glabel ? labs_get(&p->labs, glabel) : NULL;
  if (glabel && !gl) TFAIL(p, "sample without its %s label", glabel);
  if ((p->type == T_HIST || p->type == T_GHIST) && !is_bucket && labs_get(&p->labs, "le"))
    TFAIL(p, "le label on a histogram sample that is not a bucket");
  if (p->type == T_SUMMARY && !is_base && labs_get(&p->labs, "quantile"))
    TFAIL(p, "quantile label on a summary's _count/_sum");
  if (p->type != T_STATESET) labs_key(&p->key, "", 0, &p->labs, glabel);
  if (!p->in_group || p->group.n != p->key.n || memcmp(p->group.d, p->key.d, p->key.n)) {
    hgroup_end(p);
    if (!set_add(&p->groups, p->key.d, p->key.n)) TFAIL(p, "duplicate series: samples of one child are not together (a child given twice?)");
    p->group.n = 0;
    sb_add(&p->group, p->key.d, p->key.n);
    p->in_group = true;
    memset(&p->h, 0, sizeof p->h);
    p->h.last_le = -INFINITY;
    p->h.last_count = 0;
  }

  double le = 0, prev_le = 0;
  if (gl) {
    double g;
    if (!parse_number(gl->val, gl->vl, &g) || isnan(g)) TFAIL(p, "%s label \"%.*s\" is not a number", glabel, (int)gl->vl, gl->val);
    if (p->om) {
      char c[40];
      size_t cl = fz_go_canonical(g, c);
      if (cl != gl->vl || memcmp(c, gl->val, cl)) TFAIL(p, "%s=\"%.*s\" is not canonical (%s)", glabel, (int)gl->vl, gl->val, c);
    }
    if (!is_bucket && !(g >= 0 && g <= 1)) TFAIL(p, "quantile outside [0, 1]");
    le = g;
  }
  bool integral = isfinite(val) && val == floor(val) && val >= 0;
  if (p->type == T_HIST || p->type == T_GHIST) {
    struct hgroup *h = &p->h;
    if (is_bucket) {
      if (!integral) TFAIL(p, "bucket count is not a non-negative integer");
      if (h->has_count || h->has_sum || h->has_gsum || h->last_le == INFINITY)
        TFAIL(p, "duplicate series: a histogram child goes on after its +Inf bucket or _count/_sum");
      if (h->any_bucket && !(le > h->last_le)) TFAIL(p, "buckets out of order");
      if (h->any_bucket && val < h->last_count) TFAIL(p, "bucket counts decrease");
      if (le < 0) h->neg_bucket = true;
      prev_le = h->any_bucket ? h->last_le : -INFINITY;
      h->any_bucket = true;
      h->last_le = le;
      h->last_count = val;
    } else if (!strcmp(sfx, "_count") || !strcmp(sfx, "_gcount")) {
      if (!integral) TFAIL(p, "_count is not a non-negative integer");
      if (h->has_count) TFAIL(p, "duplicate series: second _count of a histogram child");
      h->has_count = true;
      h->count = val;
    } else if (!strcmp(sfx, "_sum")) {
      h->has_sum = true;
    } else if (!strcmp(sfx, "_gsum")) {
      h->has_gsum = true;
      if (val < 0) h->neg_gsum = true;
    }
  }
  if (p->type == T_SUMMARY && !strcmp(sfx, "_count") && !integral) TFAIL(p, "_count is not a non-negative integer");
  if (p->om) {
    bool counterlike = !strcmp(sfx, "_total") || !strcmp(sfx, "_sum") || !strcmp(sfx, "_count") ||
                       !strcmp(sfx, "_bucket") || !strcmp(sfx, "_gcount");
    if ((counterlike || !strcmp(sfx, "_gsum")) && isnan(val)) TFAIL(p, "counter-like sample is NaN");
    if (counterlike && val < 0) TFAIL(p, "counter-like sample is negative");
    if (p->type == T_STATESET && val != 0 && val != 1) TFAIL(p, "stateset value not 0 or 1");
    if (p->type == T_INFO && val != 1) TFAIL(p, "info value not 1");
    if (p->type == T_SUMMARY && is_base && val < 0) TFAIL(p, "negative quantile value");
    if (!strcmp(sfx, "_created") && !(val >= 0 && isfinite(val))) TFAIL(p, "bad _created");
    if (ex) exemplar(p, ex, end, sfx, le, prev_le);
  }
}

static size_t check_textual(const char *d, size_t n, bool om) {
  struct tparser p = {.om = om, .d = d, .n = n};
  p.scratch = xmalloc(n + 1);
  if (n && d[n - 1] != '\n') {
    p.line = d, p.llen = 0;
    TFAIL(&p, "output does not end in a newline");
  }
  if (memchr(d, 0, n)) TFAIL(&p, "NUL byte in the output");
  bool eof = false;
  for (size_t pos = 0; pos < n;) {
    const char *s = d + pos, *e = memchr(s, '\n', n - pos);
    p.line = s;
    p.llen = (size_t)(e - s);
    p.lineno++;
    p.spos = 0;
    pos += p.llen + 1;
    if (eof) TFAIL(&p, "line after # EOF");
    if (!p.llen) TFAIL(&p, "blank line");
    if (om && p.llen == 5 && !memcmp(s, "# EOF", 5)) {
      eof = true;
      family_end(&p);
    } else if (*s == '#') {
      meta_line(&p, s, e);
    } else {
      sample_line(&p, s, e);
    }
  }
  if (om && !eof) {
    p.line = d + n, p.llen = 0;
    TFAIL(&p, "no # EOF at the end");
  }
  family_end(&p);
  size_t fams = p.nfamilies;
  set_clear(&p.families);
  set_clear(&p.clash);
  set_clear(&p.series);
  set_clear(&p.groups);
  free(p.key.d);
  free(p.group.d);
  free(p.labs.a);
  free(p.exlabs.a);
  free(p.scratch);
  return fams;
}

size_t fz_check_text(const char *d, size_t n) { return check_textual(d, n, false); }
size_t fz_check_openmetrics(const char *d, size_t n) { return check_textual(d, n, true); }

/* ============================================================ protobuf */
/* metrics.proto as promc documents it (src/expose/protobuf.c). */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };

typedef struct pbuf {
  const uint8_t *p, *end;
  const char *what; /* the message being read, for messages */
} pbuf;

#define PBFAIL(b, ...)                                      \
  do {                                                      \
    fprintf(stderr, "protobuf, in %s: ", (b)->what);        \
    fz_fail(__VA_ARGS__);                                   \
  } while (0)

static uint64_t pb_varint(pbuf *b) {
  uint64_t v = 0;
  for (int i = 0; i < 10; i++) {
    if (b->p >= b->end) PBFAIL(b, "truncated varint");
    uint8_t c = *b->p++;
    if (i == 9 && c > 1) PBFAIL(b, "varint longer than 64 bits");
    v |= (uint64_t)(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) {
      if (i > 0 && c == 0) PBFAIL(b, "varint not minimally encoded");
      return v;
    }
  }
  PBFAIL(b, "varint longer than 10 bytes");
}

static double pb_double(pbuf *b) {
  if (b->end - b->p < 8) PBFAIL(b, "truncated double");
  uint64_t bits = 0;
  for (int i = 0; i < 8; i++) bits |= (uint64_t)b->p[i] << (8 * i);
  b->p += 8;
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

static pbuf pb_sub(pbuf *b, const char *what) {
  uint64_t n = pb_varint(b);
  if (n > (uint64_t)(b->end - b->p)) PBFAIL(b, "length %llu past the end", (unsigned long long)n);
  pbuf s = {b->p, b->p + n, what};
  b->p += n;
  return s;
}

/* The next field's number, checked against the wire type it must have
 * (expect[field] = wire type + 1, 0 = unknown field). */
static unsigned pb_field(pbuf *b, const unsigned char *expect, unsigned nexpect) {
  uint64_t tag = pb_varint(b);
  unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
  if (tag >> 3 > 0xffffffffu || field == 0 || field >= nexpect || !expect[field])
    PBFAIL(b, "unknown field %llu", (unsigned long long)(tag >> 3));
  if (wt != expect[field] - 1u) PBFAIL(b, "field %u has wire type %u", field, wt);
  return field;
}

static void pb_string(pbuf *b, const char **s, size_t *n) {
  pbuf sub = pb_sub(b, b->what);
  *s = (const char *)sub.p;
  *n = (size_t)(sub.end - sub.p);
  if (!fz_utf8_valid(*s, *n, NULL)) PBFAIL(b, "string is not valid UTF-8");
}

static void pb_label_pair(pbuf *outer, labset *l, size_t *runes) {
  pbuf b = pb_sub(outer, "LabelPair");
  static const unsigned char ex[] = {0, WT_LEN + 1, WT_LEN + 1};
  struct lab x = {0};
  bool hn = false, hv = false;
  while (b.p < b.end) {
    unsigned f = pb_field(&b, ex, sizeof ex);
    if (f == 1) {
      if (hn) PBFAIL(&b, "two names");
      hn = true;
      pb_string(&b, &x.name, &x.nl);
    } else {
      if (hv) PBFAIL(&b, "two values");
      hv = true;
      pb_string(&b, &x.val, &x.vl);
    }
  }
  if (!hn || !valid_label_name(x.name, x.nl)) PBFAIL(&b, "missing or invalid label name \"%.*s\"", (int)x.nl, x.name);
  if (x.nl >= 2 && x.name[0] == '_' && x.name[1] == '_') PBFAIL(&b, "reserved label name");
  if (!x.val) x.val = "";
  if (labs_get_n(l, x.name, x.nl)) PBFAIL(&b, "duplicate label name \"%.*s\"", (int)x.nl, x.name);
  if (runes) {
    size_t r1 = 0, r2 = 0;
    fz_utf8_valid(x.name, x.nl, &r1);
    fz_utf8_valid(x.val, x.vl, &r2);
    *runes += r1 + r2;
  }
  labs_push(l, x);
}

static void pb_exemplar(pbuf *outer, double lo, double hi, bool counter) {
  pbuf b = pb_sub(outer, "Exemplar");
  static const unsigned char ex[] = {0, WT_LEN + 1, WT_I64 + 1, WT_LEN + 1};
  labset l = {0};
  size_t runes = 0;
  bool hv = false, hts = false;
  double v = 0;
  while (b.p < b.end) {
    unsigned f = pb_field(&b, ex, sizeof ex);
    if (f == 1) {
      pb_label_pair(&b, &l, &runes);
    } else if (f == 2) {
      if (hv) PBFAIL(&b, "two values");
      hv = true;
      v = pb_double(&b);
    } else {
      if (hts) PBFAIL(&b, "two timestamps");
      hts = true;
      pbuf t = pb_sub(&b, "Timestamp");
      static const unsigned char tx[] = {0, WT_VARINT + 1, WT_VARINT + 1};
      int64_t sec = 0, nanos = 0;
      while (t.p < t.end) {
        unsigned tf = pb_field(&t, tx, sizeof tx);
        uint64_t u = pb_varint(&t);
        if (tf == 1) sec = (int64_t)u;
        else nanos = (int64_t)u;
      }
      /* google.protobuf.Timestamp: 0001-01-01 to 9999-12-31 */
      if (sec < -62135596800LL || sec > 253402300799LL) PBFAIL(&t, "timestamp seconds %lld out of range", (long long)sec);
      if (nanos < 0 || nanos > 999999999) PBFAIL(&t, "timestamp nanos %lld out of range", (long long)nanos);
    }
  }
  free(l.a);
  if (runes > 128) PBFAIL(&b, "exemplar labels longer than 128 characters");
  if (counter && !(v >= 0)) PBFAIL(&b, "counter exemplar value %g", v);
  if (!counter && !(v <= hi && (v > lo || lo == -INFINITY)) && !(isnan(v) && hi == INFINITY))
    PBFAIL(&b, "exemplar value %g outside its bucket (%g, %g]", v, lo, hi);
}

/* A message of single doubles in field 1 (Gauge, Untyped) or Counter. */
static void pb_value(pbuf *outer, const char *what, bool counter) {
  pbuf b = pb_sub(outer, what);
  static const unsigned char ex[] = {0, WT_I64 + 1, WT_LEN + 1};
  bool hv = false, hx = false;
  while (b.p < b.end) {
    unsigned f = pb_field(&b, ex, counter ? 3 : 2);
    if (f == 1) {
      if (hv) PBFAIL(&b, "two values");
      hv = true;
      pb_double(&b);
    } else {
      if (hx) PBFAIL(&b, "two exemplars");
      hx = true;
      pb_exemplar(&b, 0, 0, true);
    }
  }
}

static void pb_summary(pbuf *outer) {
  pbuf b = pb_sub(outer, "Summary");
  static const unsigned char ex[] = {0, WT_VARINT + 1, WT_I64 + 1, WT_LEN + 1};
  bool hc = false, hs = false;
  while (b.p < b.end) {
    unsigned f = pb_field(&b, ex, sizeof ex);
    if (f == 1) {
      if (hc) PBFAIL(&b, "two counts");
      hc = true;
      pb_varint(&b);
    } else if (f == 2) {
      if (hs) PBFAIL(&b, "two sums");
      hs = true;
      pb_double(&b);
    } else {
      pbuf q = pb_sub(&b, "Quantile");
      static const unsigned char qx[] = {0, WT_I64 + 1, WT_I64 + 1};
      bool hq = false;
      while (q.p < q.end) {
        unsigned qf = pb_field(&q, qx, sizeof qx);
        double v = pb_double(&q);
        if (qf == 1) {
          hq = true;
          if (!(v >= 0 && v <= 1)) PBFAIL(&q, "quantile %g outside [0, 1]", v);
        }
      }
      if (!hq) PBFAIL(&q, "no quantile");
    }
  }
}

static void pb_histogram(pbuf *outer) {
  pbuf b = pb_sub(outer, "Histogram");
  static const unsigned char ex[] = {0, WT_VARINT + 1, WT_I64 + 1, WT_LEN + 1};
  bool hc = false, hs = false;
  uint64_t count = 0, last = 0;
  double last_le = -INFINITY;
  size_t nb = 0;
  while (b.p < b.end) {
    unsigned f = pb_field(&b, ex, sizeof ex);
    if (f == 1) {
      if (hc) PBFAIL(&b, "two counts");
      hc = true;
      count = pb_varint(&b);
    } else if (f == 2) {
      if (hs) PBFAIL(&b, "two sums");
      hs = true;
      pb_double(&b);
    } else {
      pbuf k = pb_sub(&b, "Bucket");
      static const unsigned char kx[] = {0, WT_VARINT + 1, WT_I64 + 1, WT_LEN + 1};
      bool hcc = false, hub = false;
      uint64_t cc = 0;
      double ub = 0;
      const uint8_t *exat = NULL;
      while (k.p < k.end) {
        unsigned kf = pb_field(&k, kx, sizeof kx);
        if (kf == 1) {
          if (hcc) PBFAIL(&k, "two counts");
          hcc = true;
          cc = pb_varint(&k);
        } else if (kf == 2) {
          if (hub) PBFAIL(&k, "two bounds");
          hub = true;
          ub = pb_double(&k);
        } else {
          if (exat) PBFAIL(&k, "two exemplars");
          exat = k.p;
          pbuf skip = pb_sub(&k, "Exemplar");
          (void)skip;
        }
      }
      if (!hub || isnan(ub)) PBFAIL(&k, "bucket without a bound");
      if (nb && !(ub > last_le)) PBFAIL(&k, "bounds not increasing (%g after %g)", ub, last_le);
      if (nb && cc < last) PBFAIL(&k, "cumulative counts decrease");
      if (exat) { /* now that the bound is known */
        pbuf e = {exat, k.end, "Bucket"};
        pb_exemplar(&e, nb ? last_le : -INFINITY, ub, false);
      }
      last_le = ub;
      last = cc;
      nb++;
    }
  }
  if (!nb || last_le != INFINITY) PBFAIL(&b, "no +Inf bucket (promc writes it)");
  if (last != count) PBFAIL(&b, "+Inf bucket %llu differs from sample_count %llu", (unsigned long long)last,
                            (unsigned long long)count);
}

static void series_add(fz_set *series, fz_sb *key, const char *name, size_t nl, const char *sfx, const labset *l) {
  fz_sb nm = {0};
  sb_add(&nm, name, nl);
  sb_add(&nm, sfx, strlen(sfx));
  labs_key(key, nm.d, nm.n, l, NULL);
  free(nm.d);
  if (!set_add(series, key->d, key->n)) fz_fail("protobuf: duplicate series %.*s%s", (int)nl, name, sfx);
}

size_t fz_check_protobuf(const uint8_t *d, size_t n) {
  pbuf all = {d, d + n, "the stream"};
  fz_set names = {0}, series = {0};
  fz_sb key = {0};
  labset l = {0};
  size_t fams = 0;
  while (all.p < all.end) {
    pbuf b = pb_sub(&all, "MetricFamily");
    fams++;
    /* first pass: the family's own fields; metrics are checked after */
    static const unsigned char ex[] = {0, WT_LEN + 1, WT_LEN + 1, WT_VARINT + 1, WT_LEN + 1};
    const char *name = NULL, *help = NULL;
    size_t nl = 0, hl = 0, nmetrics = 0;
    bool ht = false;
    uint64_t type = 0;
    for (pbuf s = b; s.p < s.end;) {
      unsigned f = pb_field(&s, ex, sizeof ex);
      if (f == 1) {
        if (name) PBFAIL(&s, "two names");
        pb_string(&s, &name, &nl);
      } else if (f == 2) {
        if (help) PBFAIL(&s, "two help texts");
        pb_string(&s, &help, &hl);
      } else if (f == 3) {
        if (ht) PBFAIL(&s, "two types");
        ht = true;
        type = pb_varint(&s);
      } else {
        pb_sub(&s, "Metric");
        nmetrics++;
      }
    }
    if (!name || !valid_metric_name(name, nl)) PBFAIL(&b, "missing or invalid family name");
    if (!help) PBFAIL(&b, "family %.*s without help (promc always writes it)", (int)nl, name);
    if (type > 5) PBFAIL(&b, "type %llu", (unsigned long long)type);
    if (!nmetrics) PBFAIL(&b, "family without metrics (promc leaves those out)");
    if (!set_add(&names, name, nl)) PBFAIL(&b, "family %.*s twice", (int)nl, name);
    static const unsigned want[] = {3, 2, 4, 5, 7, 7}; /* the Metric field each type uses */
    fz_set fam_series = {0};
    for (pbuf s = b; s.p < s.end;) {
      unsigned f = pb_field(&s, ex, sizeof ex);
      if (f != 4) {
        if (f == 3) pb_varint(&s);
        else pb_sub(&s, "MetricFamily");
        continue;
      }
      pbuf m = pb_sub(&s, "Metric");
      static const unsigned char mx[] = {0, WT_LEN + 1, WT_LEN + 1, WT_LEN + 1, WT_LEN + 1, WT_LEN + 1, 0,
                                         WT_LEN + 1};
      l.n = 0;
      unsigned nvalues = 0;
      while (m.p < m.end) {
        unsigned mf = pb_field(&m, mx, sizeof mx);
        if (mf == 1) {
          pb_label_pair(&m, &l, NULL);
          continue;
        }
        nvalues++;
        if (mf != want[type]) PBFAIL(&m, "value field %u in a family of type %llu", mf, (unsigned long long)type);
        if (mf == 2) pb_value(&m, "Gauge", false);
        else if (mf == 3) pb_value(&m, "Counter", true);
        else if (mf == 5) pb_value(&m, "Untyped", false);
        else if (mf == 4) pb_summary(&m);
        else pb_histogram(&m);
      }
      if (nvalues != 1) PBFAIL(&m, "%u values in one Metric", nvalues);
      labs_key(&key, "", 0, &l, NULL);
      if (!set_add(&fam_series, key.d, key.n)) PBFAIL(&m, "duplicate series: two metrics of %.*s with the same labels", (int)nl, name);
      /* the series Prometheus makes of it must not collide with another family's */
      if (type == 2 || type == 4 || type == 5) {
        if (labs_get(&l, type == 2 ? "quantile" : "le")) PBFAIL(&m, "le/quantile label on a histogram/summary");
        series_add(&series, &key, name, nl, type == 5 ? "_gcount" : "_count", &l);
        series_add(&series, &key, name, nl, type == 5 ? "_gsum" : "_sum", &l);
        if (type != 2) series_add(&series, &key, name, nl, "_bucket", &l);
      } else {
        series_add(&series, &key, name, nl, "", &l);
      }
    }
    set_clear(&fam_series);
  }
  set_clear(&names);
  set_clear(&series);
  free(key.d);
  free(l.a);
  return fams;
}

/* ============================================================ rendering */
int fz_render(promc_registry *r, promc_format f, const promc_render_opts *opts, promc_buf *b) {
  b->len = 0;
  int rc = promc_registry_render_buf(r, f, opts, b);
  if (b->data) b->data[b->len] = 0;
  return rc;
}

void fz_check_error(int rc) {
  if (rc >= 0) return;
  if (!strcmp(promc_strerror(rc), promc_strerror(-1000))) fz_fail("%d is no PROMC_E* code", rc);
  if (!promc_errmsg()[0]) fz_fail("%s without a promc_errmsg()", promc_errname(rc));
}

/* Checks one output; a tolerated finding (see FZ_TOLERATE) returns here,
 * leaving the parser's memory behind. */
static void check_output(promc_format f, const char *d, size_t n) {
  if (getenv("FZ_DUMP") && f != PROMC_FORMAT_PROTOBUF) fprintf(stderr, "%.*s", (int)n, d); /* to look at a seed */
  g_out = d, g_out_len = n, g_out_binary = f == PROMC_FORMAT_PROTOBUF;
  if (!setjmp(g_jmp)) {
    g_jmp_armed = 1;
    if (f == PROMC_FORMAT_TEXT) fz_check_text(d, n);
    else if (f == PROMC_FORMAT_OPENMETRICS) fz_check_openmetrics(d, n);
    else fz_check_protobuf((const uint8_t *)d, n);
  }
  g_jmp_armed = 0;
  g_out = NULL;
}

void fz_render_and_check(promc_registry *r, const promc_render_opts *opts, unsigned ok_errors) {
  static const promc_format fmts[] = {PROMC_FORMAT_TEXT, PROMC_FORMAT_OPENMETRICS, PROMC_FORMAT_PROTOBUF};
  promc_buf b = {0};
  for (size_t i = 0; i < 3; i++) {
    int rc = fz_render(r, fmts[i], opts, &b);
    if (rc && !(rc < 0 && rc > -32 && (ok_errors & FZ_ERRBIT(rc))))
      fz_fail("render in format %d returned %s: %s", (int)fmts[i], promc_errname(rc), promc_errmsg());
    fz_check_error(rc);
    check_output(fmts[i], b.len ? b.data : "", b.len);
  }
  promc_buf_free(&b);
}

/* ======================================================= corpus replay */
#ifdef PROMC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s corpus-file...\n", argv[0]);
    return 2; /* an empty corpus would be a test that cannot fail */
  }
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
      if (n == cap) buf = xrealloc(buf, cap = cap ? cap * 2 : 4096);
      size_t k = fread(buf + n, 1, cap - n, f);
      if (!k) break;
      n += k;
    }
    fclose(f);
    fprintf(stderr, "%s\n", argv[i]);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
  }
  printf("%d inputs ok\n", argc - 1);
  promc_shutdown();
  return 0;
}
#endif
