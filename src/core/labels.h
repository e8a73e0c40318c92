/* SPDX-License-Identifier: Apache-2.0 */
/* labels.h — the lookup's share of labels.c, inline: packing a key, its
 * hash and its comparison (the format is described at the top of labels.c).
 * Label values are short, so these copy and compare by words, never reading
 * a byte outside the ranges they are given. */
#ifndef PROMC_LABELS_H
#define PROMC_LABELS_H

#include "core/internal.h"

static inline uint64_t promc__rd64(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline uint32_t promc__rd32(const char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* 1..7 bytes at p as a word (the same bytes give the same word). */
static inline uint64_t promc__rd_short(const char *p, size_t r) {
  const unsigned char *u = (const unsigned char *)p;
  if (r >= 4) return (uint64_t)promc__rd32(p) | ((uint64_t)promc__rd32(p + r - 4) << 32);
  return ((uint64_t)u[0] << 16) | ((uint64_t)u[r >> 1] << 8) | u[r - 1];
}

/* Copies n bytes (a label value: usually a few) from s to d. */
static inline void promc__copy_short(char *d, const char *s, size_t n) {
  if (n >= 8) {
    if (PROMC_UNLIKELY(n > 64)) {
      memcpy(d, s, n);
      return;
    }
    for (size_t i = 0; i + 8 < n; i += 8) memcpy(d + i, s + i, 8);
    memcpy(d + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    memcpy(d, s, 4);
    memcpy(d + n - 4, s + n - 4, 4);
  } else if (n) {
    d[0] = s[0];
    d[n >> 1] = s[n >> 1];
    d[n - 1] = s[n - 1];
  }
}

/* Packs n values at out (room for cap bytes; a NULL value is ""), their
 * lengths into lens: the bytes written, or SIZE_MAX when they do not fit
 * (nothing else is promised of out then). */
static inline size_t promc__pack_key(char *out, size_t cap, size_t n, const char *const *v, size_t *lens) {
  char *o = out, *end = out + cap;
  for (size_t i = 0; i < n; i++) {
    const char *x = v[i] ? v[i] : "";
    size_t l = strlen(x);
    lens[i] = l;
    if (PROMC_UNLIKELY(l >= 0x80 || (size_t)(end - o) < l + 1)) {
      if ((size_t)(end - o) < l + 10) return SIZE_MAX;
      o = promc__pack_len(o, l);
    } else {
      *o++ = (char)l;
    }
    promc__copy_short(o, x, l);
    o += l;
  }
  return (size_t)(o - out);
}

/* The item at p (its bytes and length); returns the next item. */
static inline const char *promc__unpack_item(const char *p, const char **item, size_t *len) {
  unsigned char c = (unsigned char)*p;
  if (PROMC_UNLIKELY(c & 0x80)) return promc__unpack(p, item, len);
  *item = p + 1;
  *len = c;
  return p + 1 + c;
}

/* The hash of a packed key: one multiply per 8 bytes. */
static inline uint64_t promc__key_hash(const char *p, size_t len) {
  const uint64_t k = 0x9e3779b97f4a7c15ull;
  uint64_t h = 0x243f6a8885a308d3ull ^ len;
  size_t r = len;
  while (r > 8) {
    h = (h ^ promc__rd64(p)) * k;
    h ^= h >> 29;
    p += 8;
    r -= 8;
  }
  h = (h ^ (len >= 8 ? promc__rd64(p + r - 8) : promc__rd_short(p, r))) * k;
  h ^= h >> 32;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

/* Whether two packed keys of n >= 1 bytes are the same bytes. */
static inline bool promc__key_equal(const char *a, const char *b, size_t n) {
  if (n < 8) return promc__rd_short(a, n) == promc__rd_short(b, n);
  for (size_t i = 0; i + 8 < n; i += 8)
    if (promc__rd64(a + i) != promc__rd64(b + i)) return false;
  return promc__rd64(a + n - 8) == promc__rd64(b + n - 8);
}

#endif
