/* SPDX-License-Identifier: Apache-2.0 */
/* labels.h — the lookup's share of labels.c, inline: packing a key, its
 * hash and its comparison (the format is described at the top of labels.c).
 * Label values are short, so these copy and compare by words, never reading
 * a byte outside the ranges they are given. */
#ifndef PROMC_LABELS_H
#define PROMC_LABELS_H

#include <assert.h>

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

/* A key's hash is taken from the values while they are packed, one pass over
 * each: per value, its length and then its bytes a word at a time (a value
 * below 8 bytes is one word holding its exact bytes and its length, so the
 * lengths keep ("a","bc") and ("ab","c") apart). */
static inline uint64_t promc__hmix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}
static inline uint64_t promc__hfinal(uint64_t h) {
  h ^= h >> 32;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

/* Folds value s (l bytes, NUL-terminated: s[l] is readable) into h; with
 * store, also copies it to d, which has room for max(l, 8) bytes. Reads only
 * s[0..l]. Called with a constant store, so each use keeps one branch. */
static inline uint64_t promc__value_fold(uint64_t h, char *d, const char *s, size_t l, bool store) {
  uint64_t w;
  if (PROMC_LIKELY(l - 3 < 5)) { /* 3..7 bytes: two loads cover s[0..l], NUL included */
    w = (uint64_t)promc__rd32(s) | ((uint64_t)promc__rd32(s + l - 3) << (8 * (l - 3)));
  } else if (l < 3) {
    const unsigned char *u = (const unsigned char *)s;
    w = l ? (uint64_t)u[0] | ((uint64_t)u[l >> 1] << (8 * (l >> 1))) : 0; /* u[1] for l = 2 */
  } else {
    h = promc__hmix(h, l);
    size_t i = 0;
    for (; i + 8 < l; i += 8) {
      w = promc__rd64(s + i);
      if (store) memcpy(d + i, &w, 8);
      h = promc__hmix(h, w);
    }
    w = promc__rd64(s + l - 8);
    if (store) memcpy(d + l - 8, &w, 8);
    return promc__hmix(h, w);
  }
  if (store) memcpy(d, &w, 8); /* the exact bytes, zeros after: d has room for 8 */
  return promc__hmix(h, w | ((uint64_t)l << 56));
}

/* The hash of n values (a NULL value is ""), as promc__pack_key_hash takes it. */
static inline uint64_t promc__values_hash(size_t n, const char *const *v) {
  uint64_t h = 0x243f6a8885a308d3ull ^ n;
  for (size_t i = 0; i < n; i++) {
    const char *x = v[i] ? v[i] : "";
    h = promc__value_fold(h, NULL, x, strlen(x), false);
  }
  return promc__hfinal(h);
}

/* Packs n values at out (room for cap bytes; a NULL value is "") and puts
 * their hash in *h: the bytes written, or SIZE_MAX when a value is 128
 * bytes or longer or the key may pass cap - 129 bytes (nothing else is promised
 * of out then; promc__values_hash and promc__pack take that case). */
static inline size_t promc__pack_key_hash(char *out, size_t cap, size_t n, const char *const *v, uint64_t *hp) {
  char *o = out;
  /* a value the fast path takes is below 128 bytes and writes at most 8
   * past its end: one compare against lim then covers the room it needs */
  assert(cap >= 137);
  const char *lim = out + cap - 137;
  uint64_t h = 0x243f6a8885a308d3ull ^ n;
  for (size_t i = 0; i < n; i++) {
    const char *x = v[i] ? v[i] : "";
    size_t l = strlen(x);
    if (PROMC_UNLIKELY((l >= 0x80) | (o > lim))) return SIZE_MAX;
    *o++ = (char)l;
    h = promc__value_fold(h, o, x, l, true);
    o += l;
  }
  *hp = promc__hfinal(h);
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

/* Walks packed raw pairs (name, value, name, value...): the pair at *p,
 * which it moves past; false at end.
 *   while (promc__pair_next(&p, end, &nm, &nl, &v, &vl)) ... */
static inline bool promc__pair_next(const char **p, const char *end, const char **nm, size_t *nl, const char **v,
                                    size_t *vl) {
  if (*p >= end) return false;
  *p = promc__unpack_item(promc__unpack_item(*p, nm, nl), v, vl);
  return true;
}

/* Whether two packed keys of n >= 1 bytes are the same bytes. */
static inline bool promc__key_equal(const char *a, const char *b, size_t n) {
  if (n < 8) return promc__rd_short(a, n) == promc__rd_short(b, n);
  if (n <= 16) /* a typical key: two overlapping words, one branch */
    return ((promc__rd64(a) ^ promc__rd64(b)) | (promc__rd64(a + n - 8) ^ promc__rd64(b + n - 8))) == 0;
  if (n <= 24)
    return ((promc__rd64(a) ^ promc__rd64(b)) | (promc__rd64(a + 8) ^ promc__rd64(b + 8)) |
            (promc__rd64(a + n - 8) ^ promc__rd64(b + n - 8))) == 0;
  for (size_t i = 0; i + 8 < n; i += 8)
    if (promc__rd64(a + i) != promc__rd64(b + i)) return false;
  return promc__rd64(a + n - 8) == promc__rd64(b + n - 8);
}

#endif
