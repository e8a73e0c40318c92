/* numfmt.c — numbers as exposition text: shortest round-trip doubles, fast
 * integers, and the buffered output they are written to. */
#include <math.h>
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
  /* %.15g keeps the shortest form for every double that has one of up to 15
   * digits (a double's error is below half a unit in the 15th digit); 16
   * and 17 digits cover the rest, 17 always reading back exactly. */
  for (int prec = 15; prec <= 17; prec++) {
    int n = snprintf(out, 32, "%.*g", prec, v);
    if (prec == 17 || strtod(out, NULL) == v) return (size_t)n;
  }
  return 0; /* not reached */
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
