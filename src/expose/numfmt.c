/* numfmt.c — numbers as exposition text: shortest round-trip doubles, fast
 * integers, and the buffered output they are written to. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

static size_t u64_to(char *out, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
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
  if (isnan(v)) return (size_t)snprintf(out, 32, "NaN");
  if (isinf(v)) return (size_t)snprintf(out, 32, v > 0 ? "+Inf" : "-Inf");
  /* integral values below 1e15 print as integers (they are exact) */
  if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
    if (v == 0) return (size_t)snprintf(out, 32, signbit(v) ? "-0" : "0");
    if (v < 0) {
      out[0] = '-';
      return 1 + u64_to(out + 1, (uint64_t)(-(int64_t)v));
    }
    return u64_to(out, (uint64_t)v);
  }
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

void promc__out_flush(struct promc_out *o) {
  if (o->len && !o->err && o->fn(o->user, o->buf, o->len) != 0) o->err = PROMC_EIO;
  o->len = 0;
}

void promc__out_write(struct promc_out *o, const char *p, size_t n) {
  if (o->len + n > sizeof o->buf) {
    promc__out_flush(o);
    if (n > sizeof o->buf) {
      if (!o->err && o->fn(o->user, p, n) != 0) o->err = PROMC_EIO;
      return;
    }
  }
  memcpy(o->buf + o->len, p, n);
  o->len += n;
}

void promc__out_u64(struct promc_out *o, uint64_t v) {
  if (o->len + 24 > sizeof o->buf) promc__out_flush(o);
  o->len += u64_to(o->buf + o->len, v);
}

void promc__out_double(struct promc_out *o, double v) {
  if (o->len + 32 > sizeof o->buf) promc__out_flush(o);
  o->len += promc_format_double(v, o->buf + o->len);
}

void promc__out_escaped(struct promc_out *o, const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == '\\' || c == '"') {
      promc__out_ch(o, '\\');
      promc__out_ch(o, c);
    } else if (c == '\n') {
      promc__out_write(o, "\\n", 2);
    } else {
      promc__out_ch(o, c);
    }
  }
}

void promc__out_labels(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                       const char *xname, const char *xval, bool xescape) {
  if (!f->const_labels_len && !s->labels_len && !s->info_len && !xname) return;
  bool any = false;
  promc__out_ch(o, '{');
  if (f->const_labels_len) {
    promc__out_write(o, f->const_labels, f->const_labels_len);
    any = true;
  }
  if (s->labels_len) {
    if (any) promc__out_ch(o, ',');
    promc__out_write(o, s->labels, s->labels_len);
    any = true;
  }
  if (s->info_len) {
    if (any) promc__out_ch(o, ',');
    promc__out_write(o, s->info_labels, s->info_len);
    any = true;
  }
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
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len + 1) cap *= 2;
    char *d = promc__realloc(b->data, cap);
    if (!d) return PROMC_ENOMEM;
    b->data = d;
    b->cap = cap;
  }
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
