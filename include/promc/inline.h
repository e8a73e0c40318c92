/* SPDX-License-Identifier: Apache-2.0 */
/* promc/inline.h — EXPERIMENTAL: the hot paths as static inline functions.
 *
 * Everything in this header is experimental, as zstd's ZSTD_STATIC_LINKING_ONLY
 * section is: it may change or go away in any release, minor and patch ones
 * included. It mirrors the library's private layout of a child, so it is
 * only for programs that link libpromc statically (promc::promc_static,
 * libpromc.a) and are rebuilt with every promc they link:
 *
 *   #define PROMC_STATIC_LINKING_ONLY
 *   #include <promc/inline.h>
 *   ...
 *   promc_counter_inc_inline(requests);
 *
 * Each function does exactly what its library twin does (promc_counter_inc,
 * promc_counter_add_int, promc_gauge_set/add/inc/dec, promc_histogram_observe):
 * the same relaxed atomics on the same cells, the same errors, the same
 * result in every exposition format. Only the common case is inline: an
 * unlabelled-or-child handle whose counter has not moved to per-thread
 * stripes, a gauge outside the multi-process mapping. Everything else (NULL,
 * a labelled family's handle, a striped counter, a multi-process gauge) calls
 * into the library, which handles it as the plain function would.
 *
 * Binding to the library: every function here reaches the library through
 * functions named promc__inline<N>_..., N = PROMC_INLINE_LAYOUT. They are
 * hidden (not exported by libpromc.so), so a program using this header links
 * only against the static library; a library whose layout no longer matches
 * renames them, and the program stops linking instead of writing into the
 * wrong fields. The library checks the mirror below against its real
 * structures with static assertions when it is built.
 *
 * Needs GCC or Clang (their __atomic builtins, which act on the library's C11
 * atomics); compiles as C and C++. Thread-safe, allocates nothing, locks
 * nothing, makes no system call (the out-of-line cases neither). */
#ifndef PROMC_INLINE_H
#define PROMC_INLINE_H

#ifndef PROMC_STATIC_LINKING_ONLY
#error "promc/inline.h mirrors promc's private layout: define PROMC_STATIC_LINKING_ONLY and link libpromc statically"
#endif
#if !defined(__GNUC__)
#error "promc/inline.h needs GCC or Clang"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "promc/promc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout this header mirrors. Any change to it (the fields below, the
 * flag bits, the cell indices) bumps the number and renames the
 * promc__inline<N>_ functions. */
#define PROMC_INLINE_LAYOUT 1

/* Private: do not use these fields, they change without notice. */
struct promc__inline_family {
  promc_type type;
  const char *name;
  size_t name_len;
  const char *help, *unit;
  size_t nlabels;
  const void *label_names, *label_name_len;
  const char *const_labels;
  size_t const_labels_len, nconst;
  const void *const_names, *const_values;
  size_t nbounds; /* histogram bounds, +Inf not included */
  const double *bounds;
} __attribute__((__may_alias__));

struct promc__inline_series {
  const struct promc__inline_family *fam;
  void *hnext;
  uint32_t hash;
  uint16_t flags; /* PROMC__INLINE_* below */
  uint16_t removed;
  uint32_t labels_len;
  uint32_t signed_obs; /* a negative or NaN observation (OpenMetrics drops the sum) */
  double created;
  uint64_t *cells; /* counter [0] integer [2] stripe block; gauge [0]; histogram [0] sum [1..] buckets */
} __attribute__((__may_alias__));

#define PROMC__INLINE_ROOT 1u     /* a labelled family's handle: holds no value */
#define PROMC__INLINE_MP_GAUGE 2u /* a gauge in the multi-process mapping */

/* The library's side (hidden symbols of libpromc.a). */
int promc__inline1_counter_add(promc_counter *c, uint64_t n);       /* = promc_counter_add_int */
void promc__inline1_counter_sampled(promc_counter *c, uint64_t v);  /* contention sample at v */
int promc__inline1_gauge_set(promc_gauge *g, double v);             /* = promc_gauge_set */
int promc__inline1_gauge_add(promc_gauge *g, double v);             /* = promc_gauge_add */
int promc__inline1_histogram_observe(promc_histogram *h, double v); /* = promc_histogram_observe */

static inline struct promc__inline_series *promc__inline_handle(const void *h) {
  return (struct promc__inline_series *)(uintptr_t)h;
}

static inline void promc__inline_add_double(uint64_t *cell, double v) {
  uint64_t old = __atomic_load_n(cell, __ATOMIC_RELAXED), nw;
  double d;
  do {
    memcpy(&d, &old, sizeof d);
    d += v;
    memcpy(&nw, &d, sizeof nw);
  } while (!__atomic_compare_exchange_n(cell, &old, nw, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

/* promc_counter_add_int: adds n (any value, 0 included). Inline while the
 * child is not striped: one relaxed atomic add and a branch on its result;
 * every 256th unit of an increment by 1 reports to the library's contention
 * check, so a contended counter moves to stripes as with the library call,
 * and from then on each call goes to the library. Errors: PROMC_EINVAL
 * (NULL), PROMC_ECARD (a labelled family's handle). */
static inline int promc_counter_add_int_inline(promc_counter *c, uint64_t n) {
  struct promc__inline_series *s = promc__inline_handle(c);
  if (__builtin_expect(!s || (s->flags & PROMC__INLINE_ROOT), 0)) return promc__inline1_counter_add(c, n);
  uint64_t *cell = s->cells;
  if (__builtin_expect(__atomic_load_n(&cell[2], __ATOMIC_ACQUIRE) != 0, 0)) return promc__inline1_counter_add(c, n);
  uint64_t old = __atomic_fetch_add(&cell[0], n, __ATOMIC_RELAXED);
  if (__builtin_expect(((old + n) & 255) == 0, 0) && n == 1) promc__inline1_counter_sampled(c, old + 1);
  return 0;
}

/* promc_counter_inc: adds 1. Errors as promc_counter_add_int_inline. */
static inline int promc_counter_inc_inline(promc_counter *c) { return promc_counter_add_int_inline(c, 1); }

/* promc_gauge_set. Errors: PROMC_EINVAL (NULL), PROMC_ECARD (a labelled
 * family's handle). */
static inline int promc_gauge_set_inline(promc_gauge *g, double v) {
  struct promc__inline_series *s = promc__inline_handle(g);
  if (__builtin_expect(!s || s->flags, 0)) return promc__inline1_gauge_set(g, v);
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  __atomic_store_n(&s->cells[0], bits, __ATOMIC_RELAXED);
  return 0;
}

/* promc_gauge_add (a compare-and-swap loop). Errors as promc_gauge_set_inline. */
static inline int promc_gauge_add_inline(promc_gauge *g, double v) {
  struct promc__inline_series *s = promc__inline_handle(g);
  if (__builtin_expect(!s || s->flags, 0)) return promc__inline1_gauge_add(g, v);
  promc__inline_add_double(&s->cells[0], v);
  return 0;
}

static inline int promc_gauge_inc_inline(promc_gauge *g) { return promc_gauge_add_inline(g, 1.0); }
static inline int promc_gauge_dec_inline(promc_gauge *g) { return promc_gauge_add_inline(g, -1.0); }

/* promc_histogram_observe: the first bucket whose bound is >= v (NaN goes to
 * +Inf), then the bucket's count and the sum. Errors: PROMC_EINVAL (NULL),
 * PROMC_ECARD (a labelled family's handle). */
static inline int promc_histogram_observe_inline(promc_histogram *h, double v) {
  struct promc__inline_series *s = promc__inline_handle(h);
  if (__builtin_expect(!s || (s->flags & PROMC__INLINE_ROOT), 0)) return promc__inline1_histogram_observe(h, v);
  const double *b = s->fam->bounds;
  size_t n = s->fam->nbounds, i = 0;
  if (n <= 32) {
    for (size_t k = 0; k < n; k++) i += !(v <= b[k]);
  } else {
    size_t hi = n;
    while (i < hi) {
      size_t mid = (i + hi) / 2;
      if (v <= b[mid]) hi = mid;
      else i = mid + 1;
    }
  }
  if (__builtin_expect(!(v >= 0), 0) && !__atomic_load_n(&s->signed_obs, __ATOMIC_RELAXED))
    __atomic_store_n(&s->signed_obs, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&s->cells[1 + i], 1, __ATOMIC_RELAXED);
  promc__inline_add_double(&s->cells[0], v);
  return 0;
}

#ifdef __cplusplus
}
#endif
#endif
