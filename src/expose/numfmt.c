/* SPDX-License-Identifier: Apache-2.0 */
/* numfmt.c — numbers as exposition text, for every format: one digit
 * formatter (shortest round-trip doubles, fast integers) with each format's
 * layout as a style; and the label helpers of the text formats. */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/labels.h"
#include "expose/expose.h"

static const char k_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* v in decimal at w (no NUL; returns the end): the digits counted first,
 * then written from the last, two per division. The count: with b the bit
 * length of v, t = floor(b * 1233 / 4096) (1233 / 4096 is log10(2) to
 * five digits) is the digit count or one less, and 10^t tells which. */
static const uint64_t k_pow10[20] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
                                     1000000000u, 10000000000u, 100000000000u, 1000000000000u,
                                     10000000000000u, 100000000000000u, 1000000000000000u,
                                     10000000000000000u, 100000000000000000u, 1000000000000000000u,
                                     10000000000000000000u};
static inline char *put_u64(char *w, uint64_t v) {
  if (v < 10) {
    *w = (char)('0' + v);
    return w + 1;
  }
  unsigned t = ((unsigned)(64 - __builtin_clzll(v)) * 1233u) >> 12;
  size_t n = t + 1 - (v < k_pow10[t]);
  char *e = w + n, *p = e;
  while (v >= 100) {
    p -= 2;
    memcpy(p, k_pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) memcpy(p - 2, k_pairs + 2 * v, 2);
  else p[-1] = (char)('0' + v);
  return e;
}

/* v in decimal, NUL-ended. */
static size_t u64_to(char *out, uint64_t v) {
  char *e = put_u64(out, v);
  *e = 0;
  return (size_t)(e - out);
}

/* Shortest digits of a finite double > 0: dig[0..nd) without trailing
 * zeros, the value being 0.d1d2... * 10^(x+1) (x the decimal exponent of the
 * first digit, as in d.ddd e x). */
struct digits {
  char d[24];
  int nd, x;
};

/* d (a decimal string of up to 20 digits) as the digits of a number whose
 * first digit has exponent x, trailing zeros dropped. */
static void set_digits(struct digits *g, const char *d, int n, int x) {
  while (n > 1 && d[n - 1] == '0') n--;
  memcpy(g->d, d, (size_t)n);
  g->nd = n;
  g->x = x;
}

/* The digits and exponent of snprintf's "%.*e" text e ([-]d.ddde±XX). */
static void parse_e(struct digits *g, const char *e) {
  char d[24];
  int n = 0;
  if (*e == '-') e++;
  for (; *e && *e != 'e'; e++)
    if (*e != '.' && n < 20) d[n++] = *e;
  set_digits(g, d, n, atoi(e + 1));
}

/* Whether digits g read back as a. */
static bool reads_back(const struct digits *g, double a) {
  char t[48];
  int n = 0;
  t[n++] = g->d[0];
  t[n++] = '.';
  memcpy(t + n, g->d + 1, (size_t)g->nd - 1);
  n += g->nd - 1;
  snprintf(t + n, sizeof t - (size_t)n, "e%d", g->x);
  return strtod(t, NULL) == a;
}

#if defined(__SIZEOF_INT128__)
#define PROMC_SECONDS_PATH 1
static const uint64_t k_p10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

/* One level of seconds_round: the correctly rounded candidate with 9 - k
 * decimals (in units of 10^k ns, ties to even as snprintf breaks them) in
 * *c, and whether it reads back as a (is inside a's rounding interval;
 * on its edge, strtod's tie to the even mantissa decides). */
static bool seconds_level(uint64_t n, uint64_t f, int s, uint64_t m, int k, uint64_t *c) {
  uint64_t p10 = k_p10[k];
  uint64_t q = n / p10, r = (n % p10) << s | f, p = p10 << s; /* in 2^-s ns; r, p < 2^59 */
  bool up = 2 * r > p || (2 * r == p && (q & 1));
  uint64_t d = up ? p - r : r;
  const uint64_t half = 500000000u; /* half of a's spacing (2^-s s = 1e9 units of 2^-s ns) */
  *c = up ? q + 1 : q;
  return d < half || (d == half && !(m & 1));
}

/* For 2^23 <= a < 1e10, not an integer (wall-clock seconds: _created,
 * exemplar times, formatted for every child), the digits the general
 * search below finds, without its snprintf/strtod rounds: *c in units of
 * 10^*k ns. There a double's spacing is above 1 ns, so the shortest form
 * has at most 9 decimals: the correctly rounded candidate with the fewest
 * decimals inside a's rounding interval (symmetric: the powers of two
 * here are integers). With a = m * 2^-s exactly (2^52 <= m < 2^53,
 * 19 <= s <= 29), a in nanoseconds is n + f / 2^s, and every distance is an
 * exact integer in units of 2^-s ns: no rounding anywhere. A level whose
 * candidate is inside has every finer level inside too (its candidate is
 * a candidate there), so the search starts at the level the spacing
 * guarantees (10^k ns <= spacing) and coarsens while it can. */
static void seconds_round(double a, uint64_t *c, int *k) {
  static const unsigned char k_sure[11] = {3, 2, 2, 2, 2, 1, 1, 1, 0, 0, 0}; /* by s - 19 */
  uint64_t bits;
  memcpy(&bits, &a, sizeof bits);
  uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
  int s = 1075 - (int)(bits >> 52);
  assert(s >= 19 && s <= 29);
  __extension__ unsigned __int128 x = (unsigned __int128)m * 1000000000u;
  uint64_t n = (uint64_t)(x >> s), f = (uint64_t)x & ((1ull << s) - 1);
  int j = k_sure[s - 19];
  bool inside = seconds_level(n, f, s, m, j, c);
  assert(inside);
  (void)inside;
  *k = j;
  for (uint64_t cj; ++j <= 9 && seconds_level(n, f, s, m, j, &cj);) {
    *c = cj;
    *k = j;
  }
}

/* seconds_round's result in fixed notation (the PROMC_NUM_G17 layout of
 * every number in that range). */
static size_t seconds_fixed(char *out, bool neg, uint64_t c, int k) {
  char *o = out;
  if (neg) *o++ = '-';
  int dec = 9 - k;
  uint64_t ip = c / k_p10[dec], fr = c % k_p10[dec];
  o += u64_to(o, ip);
  if (fr) {
    while (fr % 10 == 0) {
      fr /= 10;
      dec--;
    }
    *o++ = '.';
    for (int i = dec - 1; i >= 0; i--, fr /= 10) o[i] = (char)('0' + fr % 10);
    o += dec;
  }
  *o = 0;
  return (size_t)(o - out);
}
#endif

/* The shortest digits of a (finite, > 0, not an integer below 1e15) that
 * read back as a; of those, the nearest (as seconds_round for its range). */
static void shortest_digits(double a, struct digits *g) {
  char e[40];
  if (a < DBL_MIN) { /* subnormals: few digits are exact, search */
    for (int prec = 1; prec < 17; prec++) {
      snprintf(e, sizeof e, "%.*e", prec - 1, a);
      parse_e(g, e);
      if (strtod(e, NULL) == a) return;
    }
    snprintf(e, sizeof e, "%.16e", a);
    parse_e(g, e);
    return;
  }
  /* 15 digits keep the shortest form of every normal double that has one of
   * up to 15 digits: the double is within half a unit of the 15th digit of
   * that form, so rounding to 15 digits gives it back, padded with zeros. */
  snprintf(e, sizeof e, "%.14e", a);
  if (strtod(e, NULL) == a) {
    parse_e(g, e);
    return;
  }
  /* 16 digits: the correctly rounded ones are the nearest candidate; next to
   * a power of two the rounding interval is lopsided, so the neighbours get
   * a try too. */
  snprintf(e, sizeof e, "%.15e", a);
  long long m = 0;
  for (const char *p = e; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') m = m * 10 + (*p - '0');
  int x10 = atoi(strchr(e, 'e') + 1);
  for (int k = 0; k < 3; k++) {
    long long c = m + (k == 0 ? 0 : k == 1 ? -1 : 1);
    int x = x10;
    if (c >= 10000000000000000LL) {
      c /= 10;
      x++;
    }
    if (c < 1000000000000000LL) continue;
    char d[24];
    int n = (int)u64_to(d, (uint64_t)c);
    set_digits(g, d, n, x);
    if (reads_back(g, a)) return;
  }
  snprintf(e, sizeof e, "%.16e", a); /* 17 digits always read back */
  parse_e(g, e);
}

/* Sign and digits g in fixed notation, or d.ddde±XX when the exponent is
 * below -4 or from exp_from on; dot0 puts ".0" after an integer. */
static size_t lay_out(char *out, bool neg, const struct digits *g, int exp_from, bool dot0) {
  char *o = out;
  int nd = g->nd, x = g->x;
  if (neg) *o++ = '-';
  if (x < -4 || x >= exp_from) {
    *o++ = g->d[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, g->d + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100) {
      *o++ = (char)('0' + ax / 100);
      ax %= 100;
    }
    *o++ = (char)('0' + ax / 10);
    *o++ = (char)('0' + ax % 10);
  } else if (x < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = -1; i > x; i--) *o++ = '0';
    memcpy(o, g->d, (size_t)nd);
    o += nd;
  } else {
    for (int i = 0; i < nd || i <= x; i++) {
      if (i == x + 1) *o++ = '.';
      *o++ = i < nd ? g->d[i] : '0';
    }
    if (dot0 && nd <= x + 1) {
      *o++ = '.';
      *o++ = '0';
    }
  }
  *o = 0;
  return (size_t)(o - out);
}

size_t promc__fmt_double(double v, enum promc_numstyle style, char out[PROMC_NUM_MAX]) {
  bool go = style == PROMC_NUM_GO_CANONICAL;
  /* First, the common case of a scrape: integral values below 1e15 are
   * exact integers, 0 and -0 included (-0 reads back as -0: its sign is
   * kept). NaN and the infinities fail the range test. */
  if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
    char *o = out;
    if (signbit(v)) *o++ = '-';
    uint64_t u = v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v;
    if (!go || u < 1000000) {
      o += u64_to(o, u);
      if (go) {
        memcpy(o, ".0", 3);
        o += 2;
      }
      return (size_t)(o - out);
    }
    struct digits g;
    char d[24];
    int n = (int)u64_to(d, u);
    set_digits(&g, d, n, n - 1);
    return lay_out(out, v < 0, &g, 6, true);
  }
  if (isnan(v)) {
    memcpy(out, "NaN", 4);
    return 3;
  }
  if (isinf(v)) {
    memcpy(out, v > 0 ? "+Inf" : "-Inf", 5);
    return 4;
  }
  struct digits g;
  double a = fabs(v);
#ifdef PROMC_SECONDS_PATH
  if (a >= 8388608.0 && a < 1e10) {
    uint64_t c;
    int k;
    seconds_round(a, &c, &k);
    if (!go) return seconds_fixed(out, v < 0, c, k);
    char d[24];
    int n = (int)u64_to(d, c);
    set_digits(&g, d, n, n - 1 + k - 9);
    return lay_out(out, v < 0, &g, 6, true);
  }
#endif
  shortest_digits(a, &g);
  /* %g's layout at the precision the digits needed: 15 when the shortest
   * form had up to 15 digits, else 17; Go's shortest 'g' switches at 6. */
  return lay_out(out, v < 0, &g, go ? 6 : g.nd <= 15 ? 15 : 17, go);
}

size_t promc_format_double(double v, char out[32]) { return promc__fmt_double(v, PROMC_NUM_G17, out); }

void promc__out_u64(struct promc_out *o, uint64_t v) {
  if (PROMC_UNLIKELY(o->cap - o->len < 24)) promc__out_room(o, 24);
  o->len = (size_t)(put_u64(o->buf + o->len, v) - o->buf);
}

/* A sample value at w (room for PROMC_NUM_MAX); returns the end. */
static inline char *put_double(char *w, double v) {
  if (v >= 0 && v < 1e15) { /* the common case of a scrape, without the general entry */
    uint64_t u = (uint64_t)v;
    if ((double)u == v && (u || !signbit(v))) return put_u64(w, u);
  }
  return w + promc__fmt_double(v, PROMC_NUM_G17, w);
}

void promc__out_double(struct promc_out *o, double v) {
  if (PROMC_UNLIKELY(o->cap - o->len < PROMC_NUM_MAX)) promc__out_room(o, PROMC_NUM_MAX);
  o->len = (size_t)(put_double(o->buf + o->len, v) - o->buf);
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
  const char *end = p + len, *nm, *v;
  size_t nl, vl;
  while (promc__pair_next(&p, end, &nm, &nl, &v, &vl)) {
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
  const char *end = p + len, *nm, *v;
  size_t nl, vl;
  while (promc__pair_next(&p, end, &nm, &nl, &v, &vl)) w = put_pair(w, nm, nl, v, vl);
  return w;
}

/* Nonzero when one of the n >= 1 bytes at p is a backslash, a double quote
 * or a newline (a child's packed values: their length bytes may answer
 * yes too, which only sends the values through put_escaped). */
static inline uint64_t special_in(const char *p, size_t n) {
  if (n < 8) return special8(promc__rd_short(p, n));
  uint64_t any = 0;
  for (size_t i = 0; i + 8 < n; i += 8) any |= special8(promc__rd64(p + i));
  return any | special8(promc__rd64(p + n - 8));
}

void promc__labels_prepare(struct promc_fview *f) {
  f->lab_nseg = 0;
  size_t nl = f->nlabels, need = 1 + 4 * f->const_labels_len + 4 * nl + 2;
  if (nl + 1 > PROMC_LAB_SEGS) return;
  for (size_t i = 0; i < nl; i++) need += f->label_name_len[i];
  if (need + 16 > PROMC_LAB_TEXT) return; /* 16: the over-read of a short segment */
  char *t = f->lab_text, *w = t;
  *w++ = '{';
  w = put_pairs(w, f->const_labels, f->const_labels_len);
  for (size_t i = 0; i < nl; i++) {
    if (i) {
      f->lab_off[i] = (uint16_t)(w - t);
      *w++ = '"';
      *w++ = ',';
    }
    memcpy(w, f->label_names[i], f->label_name_len[i]);
    w += f->label_name_len[i];
    *w++ = '=';
    *w++ = '"';
  }
  f->lab_off[0] = 0;
  f->lab_off[nl ? nl : 1] = (uint16_t)(w - t);
  if (nl) {
    *w++ = '"';
    *w++ = ',';
  }
  f->lab_off[nl + 1] = (uint16_t)(w - t);
  for (size_t i = 0; i <= nl; i++) f->lab_len[i] = (uint16_t)(f->lab_off[i + 1] - f->lab_off[i]);
  assert((size_t)(w - t) <= need);
  memset(w, 0, 16);
  f->lab_room = (unsigned)(w - t) + 16;
  f->lab_nseg = (unsigned)nl + 1;
}

/* Segment i of f's label text at w; returns the end of what it wrote (up
 * to sixteen bytes beyond are scratch). */
static inline char *put_seg(char *w, const struct promc_fview *f, size_t i) {
  const char *src = f->lab_text + f->lab_off[i];
  size_t n = f->lab_len[i];
  if (PROMC_UNLIKELY(n > 16)) memcpy(w, src, n);
  else memcpy(w, src, 16);
  return w + n;
}

/* After the child's labels: its extra pairs, xname="xval", and the closing
 * brace over the last comma. */
static inline void put_tail(struct promc_out *o, char *w0, char *w, const struct promc_sview *s, const char *xname,
                            size_t xl, const char *xval, size_t xvl, bool xescape) {
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
  o->len += (size_t)(w - w0);
}

/* Whether f's prepared segments can print s's values (the fast path). */
static inline bool seg_ready(const struct promc_fview *f, const struct promc_sview *s) {
  return f->lab_nseg && (f->lab_nseg == 1) == (s->labels_len == 0);
}

/* s's values between f's segments at w, up to the comma after the last
 * pair (seg_ready; the caller made room for lab_room + 2 * labels_len). A
 * value is escaped only when the child is not known to be plain and one of
 * its bytes asks for it. */
static inline __attribute__((always_inline)) char *put_block(char *w, const struct promc_fview *f,
                                                             const struct promc_sview *s) {
  size_t nv = f->lab_nseg - 1;
  const char *p = s->labels, *end = p + s->labels_len;
  bool esc = nv && !s->labels_plain && special_in(p, s->labels_len);
  for (size_t i = 0; i < nv; i++) {
    w = put_seg(w, f, i);
    const char *v;
    size_t vl;
    unsigned char c = (unsigned char)*p;
    if (PROMC_LIKELY(!(c & 0x80))) {
      v = p + 1;
      vl = c;
      p = v + vl;
    } else {
      p = promc__unpack(p, &v, &vl);
    }
    assert(p <= end);
    if (PROMC_UNLIKELY(esc)) w = put_escaped(w, v, vl);
    else {
      if (PROMC_LIKELY(vl <= 16 && (size_t)(end - v) >= 16)) memcpy(w, v, 16);
      else promc__copy_short(w, v, vl);
      w += vl;
    }
  }
  assert(p == end);
  (void)end;
  return put_seg(w, f, nv);
}

void promc__out_sample(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                       const char *name, size_t nl, const char *sfx, size_t sl, double v) {
  /* With f's segments, or with no values to name (a collector's sample:
   * its labels are all pairs). A pair prints as at most four times its
   * packed bytes, as in promc__out_labels. */
  bool segs = seg_ready(f, s);
  if (PROMC_LIKELY(segs || !s->labels_len)) {
    size_t bound = nl + sl + (segs ? f->lab_room : 1 + 4 * f->const_labels_len) + 2 * s->labels_len +
                   4 * s->pairs_len + 2 + PROMC_NUM_MAX;
    if (PROMC_LIKELY(bound <= sizeof o->own)) {
      if (PROMC_UNLIKELY(o->cap - o->len < bound)) promc__out_room(o, bound);
      if (PROMC_UNLIKELY(o->cap - o->len < bound)) return; /* dropped after an error */
      char *w = o->buf + o->len;
      promc__copy_short(w, name, nl);
      w += nl;
      promc__copy_short(w, sfx, sl);
      w += sl;
      if (f->const_labels_len || s->labels_len || s->pairs_len) {
        if (segs) {
          w = put_block(w, f, s);
        } else {
          *w++ = '{';
          w = put_pairs(w, f->const_labels, f->const_labels_len);
        }
        w = put_pairs(w, s->pairs, s->pairs_len);
        w[-1] = '}'; /* the last comma */
      }
      *w++ = ' ';
      w = put_double(w, v);
      *w++ = '\n';
      assert(w <= o->buf + o->len + bound);
      o->len = (size_t)(w - o->buf);
      return;
    }
  }
  promc__out_write(o, name, nl);
  if (sl) promc__out_write(o, sfx, sl);
  promc__out_labels(o, f, s, NULL, NULL, false);
  promc__out_ch(o, ' ');
  promc__out_double(o, v);
  promc__out_ch(o, '\n');
}

void promc__out_labels(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                       const char *xname, const char *xval, bool xescape) {
  if (!f->const_labels_len && !s->labels_len && !s->pairs_len && !xname) return;
  size_t xl = 0, xvl = 0;
  if (xname) {
    xl = strlen(xname);
    xvl = strlen(xval);
  }
  /* The family's segments, prepared: a value prints as at most twice its
   * bytes, and a short one is copied sixteen bytes at a time, into the
   * slack of lab_room or over the text that follows it. */
  if (PROMC_LIKELY(seg_ready(f, s))) {
    size_t bound = f->lab_room + 2 * s->labels_len + 4 * s->pairs_len + (xname ? xl + 4 + 2 * xvl : 0);
    if (PROMC_LIKELY(bound <= sizeof o->own)) {
      if (PROMC_UNLIKELY(o->cap - o->len < bound)) promc__out_room(o, bound);
      if (PROMC_UNLIKELY(o->cap - o->len < bound)) return; /* dropped after an error */
      char *w0 = o->buf + o->len;
      put_tail(o, w0, put_block(w0, f, s), s, xname, xl, xval, xvl, xescape);
      assert(o->buf + o->len - w0 <= (ptrdiff_t)bound);
      return;
    }
  }
  /* Worst case: every packed item is at least its bytes plus a 1-byte
   * prefix, and prints as at most twice its bytes plus `="",` (4) */
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
    put_tail(o, w0, w, s, xname, xl, xval, xvl, xescape);
    assert(o->len <= o->cap);
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

