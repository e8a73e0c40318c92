/* SPDX-License-Identifier: Apache-2.0 */
/* kind_histogram.c — the histogram: observe into a child's bucket counts,
 * its reads, the bucket helpers and the validation of bucket lists, and its
 * kind table; also the table of the gauge histogram, which only collectors
 * emit.
 *
 * Cells: [0] sum (double bits), [1 .. nbounds+1] per-bucket counts, not
 * cumulative, the last one +Inf.
 *
 * Memory ordering: an observation is a relaxed add on its bucket's count
 * and a relaxed compare-and-swap on the sum, each on its own cell. A scrape
 * reads each count once with a relaxed load and derives the cumulative
 * counts and _count from the same loads, so _count always equals the +Inf
 * bucket and buckets never decrease; each count only grows, so every bucket
 * printed was true at some instant during the scrape (the sum may be a few
 * observations ahead of or behind the counts). Nothing is published. */
#include <math.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "core/kind.h"
#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"

/* ------------------------------------------------------------- hot path */
/* Index of the first bucket whose bound is >= v ("le"); NaN lands in +Inf.
 * Branch-free counting for the usual small bucket lists, so values spread
 * over buckets cost no mispredictions; binary search for long lists. */
static inline size_t bucket_index(const double *b, size_t n, double v) {
  if (n <= 32) {
#if defined(__SSE2__) && defined(__x86_64__)
    /* two bounds per compare; cmpnle is true for v > b and for NaN */
    __m128d vv = _mm_set1_pd(v);
    __m128i acc = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
      acc = _mm_sub_epi64(acc, _mm_castpd_si128(_mm_cmpnle_pd(vv, _mm_loadu_pd(b + i))));
    size_t idx = (size_t)_mm_cvtsi128_si64(acc) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
    if (i < n) idx += !(v <= b[i]);
    return idx;
#else
    size_t idx = 0;
    for (size_t i = 0; i < n; i++) idx += !(v <= b[i]);
    return idx;
#endif
  }
  size_t lo = 0, hi = n; /* first i with v <= b[i], n if none (NaN too) */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (v <= b[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

static inline size_t observe(struct promc_series *s, double v) {
  const struct promc_family *f = s->fam;
  size_t i = bucket_index(f->bounds, f->nbounds, v);
  promc__mark_signed(s, v);
  atomic_fetch_add_explicit(&s->cells[1 + i], 1, memory_order_relaxed);
  promc__add_double(&s->cells[0], v);
  return i;
}

PROMC_HOT int promc_histogram_observe(promc_histogram *h, double v) {
  struct promc_series *s = promc__series(h);
  PROMC_CHECK_HANDLE(s);
  observe(s, v);
  return 0;
}

/* The same hot path for the exemplar variant (exemplar.c), which needs the
 * bucket index. */
size_t promc__histogram_observe_idx(struct promc_series *s, double v) { return observe(s, v); }

/* The library side of the inline histogram: the out-of-line cases. */
int promc__inline1_histogram_observe(promc_histogram *h, double v) { return promc_histogram_observe(h, v); }

/* --------------------------------------------------------------- reading */
/* Cumulative counts of cells into cum[0 .. nbounds]; returns _count. */
static uint64_t cumulate(const struct promc_family *f, const _Atomic uint64_t *cells, uint64_t *cum) {
  uint64_t acc = 0;
  for (size_t i = 0; i <= f->nbounds; i++) {
    acc += atomic_load_explicit(&cells[1 + i], memory_order_relaxed);
    if (cum) cum[i] = acc;
  }
  return acc;
}

int promc_histogram_get(const promc_histogram *h, uint64_t *cumulative, size_t ncounts, uint64_t *count,
                        double *sum) {
  const struct promc_series *s = promc__series(h);
  if (!s) return promc__err(PROMC_EINVAL, "histogram_get: NULL handle");
  const struct promc_family *f = s->fam;
  if (f->type != PROMC_TYPE_HISTOGRAM) return promc__err(PROMC_ETYPE, "\"%s\" is not a histogram", f->name);
  if (s->flags & S_LABELLED_ROOT) return promc__err(PROMC_ECARD, "\"%s\" has labels; read a child", f->name);
  if (cumulative && ncounts < f->nbounds + 1)
    return promc__err(PROMC_EINVAL, "histogram_get: need %zu counts, room for %zu", f->nbounds + 1, ncounts);
  uint64_t acc = cumulate(f, s->cells, cumulative);
  if (count) *count = acc;
  if (sum) *sum = promc__bits_double(atomic_load_explicit(&s->cells[0], memory_order_relaxed));
  return 0;
}

/* ---------------------------------------------------------- bucket lists */
int promc_linear_buckets(double start, double width, size_t count, double *out) {
  if (!out || count < 1 || !(width > 0) || !isfinite(start) || !isfinite(width))
    return promc__err(PROMC_EINVAL, "linear_buckets: need out, count >= 1, finite start, width > 0");
  for (size_t i = 0; i < count; i++) out[i] = start + (double)i * width;
  return 0;
}

int promc_exponential_buckets(double start, double factor, size_t count, double *out) {
  if (!out || count < 1 || !(start > 0) || !(factor > 1) || !isfinite(start) || !isfinite(factor))
    return promc__err(PROMC_EINVAL, "exponential_buckets: need out, count >= 1, start > 0, factor > 1");
  double v = start;
  for (size_t i = 0; i < count; i++, v *= factor) out[i] = v;
  return 0;
}

/* Given buckets: at least one, no NaN, strictly increasing, no -Inf (+Inf
 * may close the list; it is implicit otherwise). */
static int histogram_validate(const promc_opts *o) {
  if (!o->buckets) return 0; /* the defaults */
  if (o->nbuckets == 0) return promc__err(PROMC_EBUCKETS, "histogram \"%s\": no buckets", o->name);
  for (size_t i = 0; i < o->nbuckets; i++) {
    double b = o->buckets[i];
    if (isnan(b)) return promc__err(PROMC_EBUCKETS, "histogram \"%s\": bucket %zu is NaN", o->name, i);
    if (i && !(b > o->buckets[i - 1]))
      return promc__err(PROMC_EBUCKETS, "histogram \"%s\": buckets must be strictly increasing (%g after %g)",
                        o->name, b, o->buckets[i - 1]);
    if (isinf(b) && b < 0) return promc__err(PROMC_EBUCKETS, "histogram \"%s\": -Inf is not a bucket", o->name);
  }
  return 0;
}

/* ----------------------------------------------------------------- kind */
static size_t histogram_ncells(const struct promc_family *f) { return f->nbounds + 2; }

static size_t histogram_nexemplars(const struct promc_family *f) { return f->nbounds + 1; }

static void histogram_reset(struct promc_series *s) {
  for (size_t i = 0; i < s->fam->ncells; i++) atomic_store(&s->cells[i], 0);
}

/* The signed flag is the child's own: for a sum over processes (cells are
 * not the child's) it stays false, and the writers judge by the sum. */
static bool histogram_read(const struct promc_family *f, const struct promc_series *s,
                           const _Atomic uint64_t *cells, struct promc_sview *v, uint64_t *cum) {
  v->count = cumulate(f, cells, cum);
  v->sum = promc__bits_double(atomic_load_explicit(&cells[0], memory_order_relaxed));
  v->signed_obs = cells == s->cells && atomic_load_explicit(&s->signed_obs, memory_order_relaxed) != 0;
  return true;
}

static void histogram_merge(const struct promc_family *f, _Atomic uint64_t *dst, const _Atomic uint64_t *src) {
  promc__cell_add_double(&dst[0], &src[0]);
  const size_t n = f->nbounds + 2; /* loaded once: the atomic stores below could alias f */
  for (size_t i = 1; i < n; i++)
    promc__cell_add_u64(&dst[i], atomic_load_explicit(&src[i], memory_order_relaxed));
}

static int histogram_record(promc_metric *m, double seconds) {
  return promc_histogram_observe((promc_histogram *)m, seconds);
}

const struct promc_kind promc__kind_histogram = {
    .type = PROMC_TYPE_HISTOGRAM,
    .name = "histogram",
    .suffixes = (const char *const[]){"", "_bucket", "_count", "_sum", "_created", NULL},
    .reserved_label = "le",
    .has_created = true,
    .ncells = histogram_ncells,
    .reset = histogram_reset,
    .read = histogram_read,
    .merge = histogram_merge,
    .validate = histogram_validate,
    .nexemplars = histogram_nexemplars,
    .record = histogram_record,
};

const struct promc_kind promc__kind_gauge_histogram = {
    .type = PROMC_TYPE_GAUGE_HISTOGRAM,
    .name = "gauge histogram",
    .suffixes = (const char *const[]){"", "_bucket", "_gcount", "_gsum", NULL},
    .reserved_label = "le",
};
