/* SPDX-License-Identifier: Apache-2.0 */
/* numfmt.c — numbers as exposition text: shortest round-trip doubles, fast
 * integers, and the buffered output they are written to. */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"
#include "core/labels.h"

static const char k_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* v in decimal, NUL-ended; two digits per division. */
static size_t u64_to(char *out, uint64_t v) {
  if (v < 10) {
    out[0] = (char)('0' + v);
    out[1] = 0;
    return 1;
  }
  char tmp[24], *e = tmp + sizeof tmp, *p = e;
  while (v >= 100) {
    p -= 2;
    memcpy(p, k_pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    p -= 2;
    memcpy(p, k_pairs + 2 * v, 2);
  } else {
    *--p = (char)('0' + v);
  }
  size_t n = (size_t)(e - p);
  memcpy(out, p, n);
  out[n] = 0;
  return n;
}

/* Writes sign, digits (no trailing zeros) and decimal exponent as %g would
 * at 17-digit precision: fixed notation for exponents -4..16, else d.ddde±XX. */
static int fmt_digits(char *out, bool neg, const char *dig, int exp10) {
  char *o = out;
  int nd = (int)strlen(dig);
  if (neg) *o++ = '-';
  if (exp10 < -4 || exp10 >= 17) {
    *o++ = dig[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, dig + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    o += snprintf(o, 8, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
  } else if (exp10 < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = -1; i > exp10; i--) *o++ = '0';
    memcpy(o, dig, (size_t)nd);
    o += nd;
  } else {
    for (int i = 0; i < nd || i <= exp10; i++) {
      if (i == exp10 + 1) *o++ = '.';
      *o++ = i < nd ? dig[i] : '0';
    }
  }
  *o = 0;
  return (int)(o - out);
}

/* The shortest 16-digit form, or 0 if none reads back. The correctly
 * rounded 16 digits are the nearest candidate; next to a power of two the
 * rounding interval is lopsided, so the neighbours get a try too. */
static int sixteen_digits(double v, char *out) {
  char e[40];
  snprintf(e, sizeof e, "%.15e", fabs(v)); /* d.ddddddddddddddde±XX */
  long long m = 0;
  for (const char *p = e; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') m = m * 10 + (*p - '0');
  int exp10 = atoi(strchr(e, 'e') + 1);
  for (int d = 0; d < 3; d++) {
    long long c = m + (d == 0 ? 0 : d == 1 ? -1 : 1);
    int ex = exp10;
    if (c >= 10000000000000000LL) { c /= 10; ex++; }
    if (c < 1000000000000000LL) continue;
    char dig[20], txt[32];
    snprintf(dig, sizeof dig, "%lld", c);
    for (int k = (int)strlen(dig) - 1; k > 0 && dig[k] == '0'; k--) dig[k] = 0;
    int n = fmt_digits(txt, v < 0, dig, ex);
    if (strtod(txt, NULL) == v) {
      memcpy(out, txt, (size_t)n + 1);
      return n;
    }
  }
  return 0;
}

size_t promc_format_double(double v, char out[32]) {
  /* First, the common case of a scrape: integral values below 1e15 print as
   * integers (they are exact), 0 and -0 included. NaN and the infinities
   * fail the range test. */
  if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
    if (v > 0) return u64_to(out, (uint64_t)v);
    if (v < 0) {
      out[0] = '-';
      return 1 + u64_to(out + 1, (uint64_t)(-(int64_t)v));
    }
    if (signbit(v)) { /* -0 reads back as -0: keep its sign */
      memcpy(out, "-0", 3);
      return 2;
    }
    memcpy(out, "0", 2);
    return 1;
  }
  if (isnan(v)) return (size_t)snprintf(out, 32, "NaN");
  if (isinf(v)) return (size_t)snprintf(out, 32, v > 0 ? "+Inf" : "-Inf");
  /* %.15g keeps the shortest form of every normal double that has one of up
   * to 15 digits: the double is within half a unit of the 15th digit of
   * that form, so rounding to 15 digits gives it back, padded with zeros
   * that %g strips. */
  if (fabs(v) >= DBL_MIN) {
    int n = snprintf(out, 32, "%.15g", v);
    if (strtod(out, NULL) == v) return (size_t)n;
    n = sixteen_digits(v, out);
    if (n > 0) return (size_t)n;
    return (size_t)snprintf(out, 32, "%.17g", v);
  }
  for (int prec = 1;; prec++) { /* subnormals: few digits are exact, search */
    int n = snprintf(out, 32, "%.*g", prec, v);
    if (prec >= 17 || strtod(out, NULL) == v) return (size_t)n;
  }
}

/* Grows b so that n more bytes and a NUL fit; nonzero on failure. */
static int buf_reserve(promc_buf *b, size_t n) {
  if (b->len + n + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + n + 1) cap *= 2;
  char *d = promc__realloc(b->data, cap);
  if (!d) return PROMC_ENOMEM;
  b->data = d;
  b->cap = cap;
  return 0;
}

void promc__out_init(struct promc_out *o, promc_write_fn fn, void *user) {
  o->fn = fn;
  o->user = user;
  o->err = 0;
  o->len = 0;
  /* The library's own promc_buf sink: write in place (the same bytes,
   * growth and NUL as promc_buf_write, without the copy). */
  o->direct = fn == promc_buf_write ? user : NULL;
  if (o->direct) {
    promc_buf *b = o->direct;
    bool room = b->data && b->len < b->cap; /* else the first write grows it */
    o->buf = room ? b->data + b->len : NULL;
    o->cap = room ? b->cap - b->len - 1 : 0; /* one byte past the window stays for the NUL */
  } else {
    o->buf = o->own;
    o->cap = sizeof o->own;
  }
}

void promc__out_flush(struct promc_out *o) {
  if (o->direct) {
    promc_buf *b = o->direct;
    if (o->len) { /* cap - len >= 0 kept one byte past the window for this NUL */
      b->len += o->len;
      b->data[b->len] = 0;
      o->buf += o->len;
      o->cap -= o->len;
    }
  } else if (o->len && !o->err && o->fn(o->user, o->buf, o->len) != 0) {
    o->err = PROMC_EIO;
  }
  o->len = 0;
}

void promc__out_room(struct promc_out *o, size_t n) {
  if (o->cap - o->len >= n) return;
  promc__out_flush(o);
  if (!o->direct) return; /* own is empty now: n <= sizeof own fits */
  promc_buf *b = o->direct;
  size_t want = n > b->cap ? n : b->cap; /* at least double, as promc_buf_write */
  if (buf_reserve(b, want) != 0) {
    o->err = PROMC_EIO; /* as when promc_buf_write refuses */
    o->direct = NULL;   /* what follows is dropped */
    o->buf = o->own;
    o->cap = sizeof o->own;
    return;
  }
  o->buf = b->data + b->len;
  o->cap = b->cap - b->len - 1;
}

void promc__out_write(struct promc_out *o, const char *p, size_t n) {
  if (PROMC_UNLIKELY(o->cap - o->len < n)) {
    if (o->direct || n <= sizeof o->own) {
      promc__out_room(o, n);
      if (o->cap - o->len < n) { /* dropped after an error: n was larger than own */
        return;
      }
    } else {
      promc__out_flush(o);
      if (!o->err && o->fn(o->user, p, n) != 0) o->err = PROMC_EIO;
      return;
    }
  }
  memcpy(o->buf + o->len, p, n);
  o->len += n;
}

void promc__out_u64(struct promc_out *o, uint64_t v) {
  if (PROMC_UNLIKELY(o->cap - o->len < 24)) promc__out_room(o, 24);
  o->len += u64_to(o->buf + o->len, v);
}

void promc__out_double(struct promc_out *o, double v) {
  if (PROMC_UNLIKELY(o->cap - o->len < 32)) promc__out_room(o, 32);
  o->len += promc_format_double(v, o->buf + o->len);
}

void promc__out_escaped(struct promc_out *o, const char *v, size_t n) {
  const char *run = v, *end = v + n;
  for (const char *p = v; p < end; p++) {
    char c = *p;
    if (PROMC_LIKELY(c != '\\' && c != '"' && c != '\n')) continue;
    if (p > run) promc__out_write(o, run, (size_t)(p - run));
    if (c == '\n') promc__out_write(o, "\\n", 2);
    else {
      promc__out_ch(o, '\\');
      promc__out_ch(o, c);
    }
    run = p + 1;
  }
  if (end > run) promc__out_write(o, run, (size_t)(end - run));
}

/* Writes packed raw pairs as `a="x",b="y"` (escaped), after a comma when
 * *any; sets *any when it wrote something. */
static void out_pairs(struct promc_out *o, const char *p, size_t len, bool *any) {
  if (!len) return; /* p may be NULL then */
  const char *end = p + len;
  while (p < end) {
    const char *nm, *v;
    size_t nl, vl;
    p = promc__unpack(p, &nm, &nl);
    p = promc__unpack(p, &v, &vl);
    if (*any) promc__out_ch(o, ',');
    promc__out_write(o, nm, nl);
    promc__out_write(o, "=\"", 2);
    promc__out_escaped(o, v, vl);
    promc__out_ch(o, '"');
    *any = true;
  }
}

void promc__out_pairs(struct promc_out *o, const char *p, size_t len) {
  bool any = false;
  out_pairs(o, p, len, &any);
}

/* The label block, written straight into the window (the caller made room
 * for its worst case): a value is escaped as it is copied. */
static const unsigned char esc_tab[256] = {['\\'] = '\\', ['"'] = '"', ['\n'] = 'n'};
/* Nonzero when a byte of x is a backslash, a double quote or a newline. */
static inline uint64_t special8(uint64_t x) {
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  uint64_t a = x ^ (ones * '\\'), q = x ^ (ones * '"'), l = x ^ (ones * '\n');
  return ((a - ones) & ~a & high) | ((q - ones) & ~q & high) | ((l - ones) & ~l & high);
}
static inline char *put_escaped(char *w, const char *v, size_t n) {
  uint64_t any; /* copy first, eight bytes at a time: most values need no escaping */
  if (n >= 8) {
    any = 0;
    size_t i = 0;
    for (; i + 8 < n; i += 8) {
      uint64_t x = promc__rd64(v + i);
      memcpy(w + i, &x, 8);
      any |= special8(x);
    }
    uint64_t x = promc__rd64(v + n - 8);
    memcpy(w + n - 8, &x, 8);
    any |= special8(x);
  } else {
    unsigned char a = 0;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)v[i];
      w[i] = (char)c;
      a |= esc_tab[c];
    }
    any = a;
  }
  if (PROMC_LIKELY(!any)) return w + n;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i], e = esc_tab[c];
    if (PROMC_UNLIKELY(e)) {
      *w++ = '\\';
      *w++ = (char)e;
    } else {
      *w++ = (char)c;
    }
  }
  return w;
}
static inline char *put_pair(char *w, const char *nm, size_t nl, const char *v, size_t vl) {
  promc__copy_short(w, nm, nl);
  w += nl;
  *w++ = '=';
  *w++ = '"';
  w = put_escaped(w, v, vl);
  *w++ = '"';
  *w++ = ',';
  return w;
}
static char *put_pairs(char *w, const char *p, size_t len) {
  if (!len) return w; /* p may be NULL then */
  const char *end = p + len;
  while (p < end) {
    const char *nm, *v;
    size_t nl, vl;
    p = promc__unpack_item(p, &nm, &nl);
    p = promc__unpack_item(p, &v, &vl);
    w = put_pair(w, nm, nl, v, vl);
  }
  return w;
}

void promc__out_labels(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                       const char *xname, const char *xval, bool xescape) {
  if (!f->const_labels_len && !s->labels_len && !s->pairs_len && !xname) return;
  /* Worst case: every packed item is at least its bytes plus a 1-byte
   * prefix, and prints as at most twice its bytes plus `="",` (4) */
  size_t xl = xname ? strlen(xname) : 0, xvl = xname ? strlen(xval) : 0;
  size_t bound = 2 + 4 * (f->const_labels_len + s->labels_len + s->pairs_len) + xl + 4 + 2 * xvl;
  for (size_t i = 0; i < f->nlabels; i++) bound += f->label_name_len[i];
  if (PROMC_LIKELY(bound <= sizeof o->own)) {
    promc__out_room(o, bound);
    assert(o->cap - o->len >= bound);
    char *w0 = o->buf + o->len, *w = w0;
    *w++ = '{';
    w = put_pairs(w, f->const_labels, f->const_labels_len);
    if (s->labels_len) {
      const char *p = s->labels, *end = s->labels + s->labels_len;
      for (size_t i = 0; p < end; i++) { /* the child's values, named by the family */
        const char *v;
        size_t vl;
        p = promc__unpack_item(p, &v, &vl);
        assert(i < f->nlabels);
        w = put_pair(w, f->label_names[i], f->label_name_len[i], v, vl);
      }
    }
    w = put_pairs(w, s->pairs, s->pairs_len);
    if (xname) {
      memcpy(w, xname, xl);
      w += xl;
      *w++ = '=';
      *w++ = '"';
      if (xescape) w = put_escaped(w, xval, xvl);
      else {
        memcpy(w, xval, xvl);
        w += xvl;
      }
      *w++ = '"';
      *w++ = ',';
    }
    w[-1] = '}'; /* the last comma */
    assert((size_t)(w - w0) <= bound);
    o->len += (size_t)(w - w0);
    return;
  }
  bool any = false;
  promc__out_ch(o, '{');
  out_pairs(o, f->const_labels, f->const_labels_len, &any);
  const char *p = s->labels, *end = s->labels_len ? s->labels + s->labels_len : p;
  for (size_t i = 0; p < end; i++) { /* the child's values, named by the family */
    const char *v;
    size_t vl;
    p = promc__unpack(p, &v, &vl);
    assert(i < f->nlabels);
    if (any) promc__out_ch(o, ',');
    promc__out_write(o, f->label_names[i], f->label_name_len[i]);
    promc__out_write(o, "=\"", 2);
    promc__out_escaped(o, v, vl);
    promc__out_ch(o, '"');
    any = true;
  }
  out_pairs(o, s->pairs, s->pairs_len, &any);
  if (xname) {
    if (any) promc__out_ch(o, ',');
    promc__out_str(o, xname);
    promc__out_write(o, "=\"", 2);
    if (xescape) promc__out_escaped(o, xval, strlen(xval));
    else promc__out_str(o, xval);
    promc__out_ch(o, '"');
  }
  promc__out_ch(o, '}');
}

int promc_buf_write(void *buf, const char *data, size_t len) {
  promc_buf *b = buf;
  if (buf_reserve(b, len) != 0) return PROMC_ENOMEM;
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = 0;
  return 0;
}

void promc_buf_free(promc_buf *b) {
  if (!b) return;
  promc__free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
