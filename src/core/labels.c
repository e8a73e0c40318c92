/* SPDX-License-Identifier: Apache-2.0 */
/* labels.c — label values as stored: raw (never escaped), packed once.
 *
 * A packed list is a run of items, each its length as a LEB128 varint (one
 * byte below 128) followed by its bytes. A child's key is its values in
 * declared order; a pair list (const labels, info labels, a collector's
 * labels, the extra pairs of a scrape) alternates name and value. Because
 * lengths are part of the bytes, two keys are the same tuple exactly when
 * they are the same bytes: a lookup compares them with one memcmp. Writers
 * escape on output (promc__out_labels), protobuf copies the bytes. */
#include "core/internal.h"

size_t promc__escaped_len(const char *v, size_t n) {
  size_t e = n;
  for (size_t i = 0; i < n; i++)
    if (v[i] == '\\' || v[i] == '"' || v[i] == '\n') e++;
  return e;
}

size_t promc__escape_label_value(char *out, const char *v, size_t n) {
  char *o = out;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == '\\' || c == '"') {
      *o++ = '\\';
      *o++ = c;
    } else if (c == '\n') {
      *o++ = '\\';
      *o++ = 'n';
    } else {
      *o++ = c;
    }
  }
  return (size_t)(o - out);
}

bool promc__packed_plain(const char *p, size_t len) {
  const char *end = p + len;
  while (p < end) {
    const char *v;
    size_t vl;
    p = promc__unpack(p, &v, &vl);
    if (promc__escaped_len(v, vl) != vl) return false;
  }
  return true;
}

static size_t varint_len(size_t n) {
  size_t k = 1;
  while (n >= 0x80) n >>= 7, k++;
  return k;
}

size_t promc__pack_size(size_t n, const char *const *items, size_t *lens) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(items[i]);
    if (lens) lens[i] = l;
    total += varint_len(l) + l;
  }
  return total;
}

char *promc__pack_len(char *out, size_t len) {
  while (len >= 0x80) {
    *out++ = (char)(0x80 | (len & 0x7f));
    len >>= 7;
  }
  *out++ = (char)len;
  return out;
}

char *promc__pack_item(char *out, const char *p, size_t len) {
  out = promc__pack_len(out, len);
  memcpy(out, p, len);
  return out + len;
}

size_t promc__pack(char *out, size_t n, const char *const *items, const size_t *lens) {
  char *o = out;
  for (size_t i = 0; i < n; i++) o = promc__pack_item(o, items[i], lens[i]);
  return (size_t)(o - out);
}

char *promc__pack_pairs(size_t n, const char *const *names, const char *const *values, size_t *len) {
  size_t total = promc__pack_size(n, names, NULL) + promc__pack_size(n, values, NULL);
  char *out = promc__malloc(total ? total : 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    o = promc__pack_item(o, names[i], strlen(names[i]));
    o = promc__pack_item(o, values[i], strlen(values[i]));
  }
  *len = total;
  return out;
}

const char *promc__unpack(const char *p, const char **item, size_t *len) {
  const unsigned char *u = (const unsigned char *)p;
  size_t l = 0;
  unsigned shift = 0;
  while (*u & 0x80) {
    l |= (size_t)(*u++ & 0x7f) << shift;
    shift += 7;
  }
  l |= (size_t)*u++ << shift;
  *item = (const char *)u;
  *len = l;
  return (const char *)u + l;
}

size_t promc__pairs_print(char *out, size_t cap, const char *p, size_t len) {
  const char *end = len ? p + len : p;
  size_t o = 0;
  if (!cap) return 0;
  while (p < end) {
    const char *nm, *v;
    size_t nl, vl;
    p = promc__unpack(p, &nm, &nl);
    p = promc__unpack(p, &v, &vl);
    if (o + nl + 4 + 2 * vl >= cap) break; /* what fits, whole pairs only */
    if (o) out[o++] = ',';
    memcpy(out + o, nm, nl);
    o += nl;
    out[o++] = '=';
    out[o++] = '"';
    o += promc__escape_label_value(out + o, v, vl);
    out[o++] = '"';
  }
  out[o] = 0;
  return o;
}
