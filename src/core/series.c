/* SPDX-License-Identifier: Apache-2.0 */
/* series.c — the hot path: inc/add/set/observe on a child's cells, counter
 * striping under contention, value reads for scrapes, and the timing and
 * failure-counting helpers.
 *
 * Memory ordering: every hot-path operation is a relaxed atomic on its own
 * cell. A scrape reads each cell once with a relaxed load; each cell is
 * monotone (counters, bucket counts) or a single word (gauges), so every
 * value a scrape prints was true at some instant during the scrape. A
 * histogram keeps non-cumulative bucket counts and derives _count from the
 * same loads at scrape, so _count always equals the +Inf bucket and buckets
 * never decrease. The only publication that needs ordering is a stripe block
 * (CAS with release, loaded with acquire): its cells were zeroed before. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "core/internal.h"
#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"

/* ---------------------------------------------------------- stripe pool */
/* Blocks of PROMC_NSTRIPES cache lines, allocated off the hot path (family
 * creation, scrape) and claimed lock-free by a contended counter. */
#define POOL_SLOTS 4096
#define POOL_CHUNK 16
static struct promc_stripe *g_pool[POOL_SLOTS];
static _Atomic size_t g_pool_claimed, g_pool_filled;
static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *g_pool_chunks[POOL_SLOTS / POOL_CHUNK + 1];
static size_t g_pool_nchunks;
static _Atomic unsigned g_next_stripe;

/* initial-exec: a thread-local read is one %fs-relative load, not a call to
 * __tls_get_addr (the default model for code in a shared library). The 24
 * bytes come from glibc's static TLS surplus when promc is dlopen()ed. */
#define PROMC_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static PROMC_TLS const struct promc_series *t_last; /* contention detection */
static PROMC_TLS uint64_t t_last_val;
static PROMC_TLS unsigned t_misses;
static PROMC_TLS unsigned t_stripe; /* 0 = not assigned yet */

void promc__stripes_refill(void) {
  size_t filled = atomic_load(&g_pool_filled), claimed = atomic_load(&g_pool_claimed);
  if (filled > claimed + POOL_CHUNK / 2 || filled >= POOL_SLOTS) return;
  pthread_mutex_lock(&g_pool_lock);
  filled = atomic_load(&g_pool_filled);
  claimed = atomic_load(&g_pool_claimed);
  size_t start = filled > claimed ? filled : claimed;
  if (start + POOL_CHUNK <= POOL_SLOTS && g_pool_nchunks < sizeof g_pool_chunks / sizeof g_pool_chunks[0]) {
    size_t block = PROMC_NSTRIPES * sizeof(struct promc_stripe);
    char *raw = promc__calloc(1, POOL_CHUNK * block + 64);
    if (raw) {
      g_pool_chunks[g_pool_nchunks++] = raw;
      char *p = (char *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
      for (size_t i = 0; i < POOL_CHUNK; i++) g_pool[start + i] = (struct promc_stripe *)(p + i * block);
      atomic_store_explicit(&g_pool_filled, start + POOL_CHUNK, memory_order_release);
    }
  }
  pthread_mutex_unlock(&g_pool_lock);
}

/* Pool lifetime: counter children keep pointers to their stripe block for
 * as long as their family lives, in whatever registry it is (or in none), so
 * the pool is freed only once promc_shutdown asked for it and no family is
 * left. Family creation and destruction take the pool lock; the hot path
 * never does. */
static size_t g_pool_holders;  /* live families (g_pool_lock) */
static bool g_pool_free_asked; /* promc_shutdown ran while holders remained */

static void pool_free_locked(void) {
  for (size_t i = 0; i < g_pool_nchunks; i++) promc__free(g_pool_chunks[i]);
  g_pool_nchunks = 0;
  atomic_store(&g_pool_claimed, 0);
  atomic_store(&g_pool_filled, 0);
  g_pool_free_asked = false;
}

void promc__stripes_hold(void) {
  pthread_mutex_lock(&g_pool_lock);
  g_pool_holders++;
  pthread_mutex_unlock(&g_pool_lock);
}

void promc__stripes_release(void) {
  pthread_mutex_lock(&g_pool_lock);
  if (g_pool_holders && --g_pool_holders == 0 && g_pool_free_asked) pool_free_locked();
  pthread_mutex_unlock(&g_pool_lock);
}

void promc__stripes_shutdown(void) {
  pthread_mutex_lock(&g_pool_lock);
  if (g_pool_holders) g_pool_free_asked = true;
  else pool_free_locked();
  pthread_mutex_unlock(&g_pool_lock);
}

static void stripe_promote(const struct promc_series *s) {
  t_misses = 0;
  if (s->fam->mp) return; /* shared-mapping cells: other processes cannot see our stripes */
  if (atomic_load_explicit(&s->cells[2], memory_order_relaxed)) return;
  size_t i = atomic_fetch_add_explicit(&g_pool_claimed, 1, memory_order_relaxed);
  if (i >= atomic_load_explicit(&g_pool_filled, memory_order_acquire)) return; /* pool empty: stay */
  uint64_t expect = 0;
  /* If another thread promoted first, this block is lost to the pool: the
   * pool is bounded and freed after promc_shutdown, with the last family. */
  atomic_compare_exchange_strong_explicit(&s->cells[2], &expect, (uint64_t)(uintptr_t)g_pool[i],
                                          memory_order_release, memory_order_relaxed);
}

__attribute__((noinline)) static unsigned stripe_assign(void) {
  t_stripe = (atomic_fetch_add_explicit(&g_next_stripe, 1, memory_order_relaxed) % PROMC_NSTRIPES) + 1;
  return t_stripe;
}

/* Contention check, sampled: it runs only for the thread whose increment
 * of 1 takes the child to a multiple of 256. Alone, a thread reaches the
 * next multiple exactly 256 later; when others increment too, the thread's
 * own checkpoints are further apart. A few such sightings move the child
 * to stripes. (Adds of other amounts use stripes once present but do not
 * sample: their checkpoints have no fixed spacing.) */
__attribute__((noinline, cold)) static void contention_check(const struct promc_series *s, uint64_t v) {
  if (t_last == s) {
    if (v - t_last_val != 256) {
      if (++t_misses >= 4) stripe_promote(s);
    } else if (t_misses) {
      t_misses--;
    }
  }
  t_last = s;
  t_last_val = v;
}

/* The counter hot path. Uncontended: one atomic add and a predictable
 * branch on its result; no store, no thread-local access. Striped: the
 * thread's own cache line. */
static inline void counter_add_u64(struct promc_series *s, uint64_t n) {
  _Atomic uint64_t *c = s->cells;
  uint64_t st = atomic_load_explicit(&c[2], memory_order_acquire);
  if (st) {
    unsigned i = t_stripe;
    if (PROMC_UNLIKELY(!i)) i = stripe_assign();
    assert(i >= 1 && i <= PROMC_NSTRIPES);
    atomic_fetch_add_explicit(&((struct promc_stripe *)(uintptr_t)st)[i - 1].v, n, memory_order_relaxed);
    return;
  }
  uint64_t old = atomic_fetch_add_explicit(&c[0], n, memory_order_relaxed);
  if (PROMC_UNLIKELY(((old + n) & 255) == 0) && n == 1) contention_check(s, old + 1);
}

static inline void add_double(_Atomic uint64_t *cell, double v) {
  uint64_t old = atomic_load_explicit(cell, memory_order_relaxed), nw;
  do {
    nw = promc__double_bits(promc__bits_double(old) + v);
  } while (!atomic_compare_exchange_weak_explicit(cell, &old, nw, memory_order_relaxed, memory_order_relaxed));
}

#define CHECK_HANDLE(s)                                               \
  do {                                                                \
    if (PROMC_UNLIKELY(!(s))) return PROMC_EINVAL;                    \
    if (PROMC_UNLIKELY((s)->flags & S_LABELLED_ROOT)) return PROMC_ECARD; \
  } while (0)

/* ---------------------------------------------------------------- counter */
int promc_counter_inc(promc_counter *c) {
  struct promc_series *s = promc__series(c);
  CHECK_HANDLE(s);
  counter_add_u64(s, 1);
  return 0;
}

int promc_counter_add_int(promc_counter *c, uint64_t v) {
  struct promc_series *s = promc__series(c);
  CHECK_HANDLE(s);
  counter_add_u64(s, v);
  return 0;
}

int promc_counter_add(promc_counter *c, double v) {
  struct promc_series *s = promc__series(c);
  CHECK_HANDLE(s);
  if (PROMC_UNLIKELY(!(v >= 0))) return PROMC_EVALUE; /* negative or NaN */
  if (v < 18446744073709551616.0 && v == (double)(uint64_t)v) counter_add_u64(s, (uint64_t)v);
  else add_double(&s->cells[1], v);
  return 0;
}

double promc__counter_value(const struct promc_series *s) {
  _Atomic uint64_t *c = s->cells;
  uint64_t n = atomic_load_explicit(&c[0], memory_order_relaxed);
  uint64_t st = atomic_load_explicit(&c[2], memory_order_acquire);
  if (st)
    for (unsigned i = 0; i < PROMC_NSTRIPES; i++)
      n += atomic_load_explicit(&((struct promc_stripe *)(uintptr_t)st)[i].v, memory_order_relaxed);
  return (double)n + promc__bits_double(atomic_load_explicit(&c[1], memory_order_relaxed));
}

double promc_counter_get(const promc_counter *c) {
  const struct promc_series *s = promc__series(c);
  if (!s || (s->flags & S_LABELLED_ROOT)) return 0;
  return promc__counter_value(s);
}

void promc__series_reset(struct promc_series *s) {
  struct promc_family *f = s->fam;
  if (f->type == PROMC_TYPE_COUNTER) {
    uint64_t st = atomic_load(&s->cells[2]);
    if (st)
      for (unsigned i = 0; i < PROMC_NSTRIPES; i++) atomic_store(&((struct promc_stripe *)(uintptr_t)st)[i].v, 0);
    atomic_store(&s->cells[0], 0);
    atomic_store(&s->cells[1], 0);
  } else if (f->type != PROMC_TYPE_INFO) {
    for (size_t i = 0; i < f->ncells; i++) atomic_store(&s->cells[i], 0);
  }
  if (f->nexemplars) promc__exemplars_clear(s);
  atomic_store(&s->signed_obs, 0);
  atomic_store_explicit(&s->created, promc_wall_seconds(), memory_order_relaxed);
}

int promc_counter_reset(promc_counter *c) {
  struct promc_series *s = promc__series(c);
  CHECK_HANDLE(s);
  pthread_mutex_lock(&s->fam->lock); /* not racing a revival of the same child */
  promc__series_reset(s);
  pthread_mutex_unlock(&s->fam->lock);
  return 0;
}

/* ------------------------------------------------------- promc/inline.h */
/* The inline hot paths read and write these structures through a mirror;
 * each field they touch must sit where the mirror says. A change here that
 * trips an assertion bumps PROMC_INLINE_LAYOUT and renames the
 * promc__inline<N>_ functions, so that programs built against the old
 * mirror stop linking. The cell indices (counter [0] integer, [2] stripe
 * block; gauge [0]; histogram [0] sum, [1 + i] bucket i) are part of it. */
#define MIRRORED(m, real, field) \
  _Static_assert(offsetof(struct promc__inline_##m, field) == offsetof(struct real, field) && \
                     sizeof(((struct promc__inline_##m *)0)->field) == sizeof(((struct real *)0)->field), \
                 #real "." #field " is not where promc/inline.h has it")
MIRRORED(series, promc_series, fam);
MIRRORED(series, promc_series, flags);
MIRRORED(series, promc_series, signed_obs);
MIRRORED(series, promc_series, cells);
MIRRORED(family, promc_family, nbounds);
MIRRORED(family, promc_family, bounds);
_Static_assert(PROMC__INLINE_ROOT == S_LABELLED_ROOT && PROMC__INLINE_MP_GAUGE == S_MP_GAUGE,
               "series flags differ from promc/inline.h");
_Static_assert(PROMC_INLINE_LAYOUT == 1, "rename the promc__inline<N>_ functions with the layout");

int promc__inline1_counter_add(promc_counter *c, uint64_t n) { return promc_counter_add_int(c, n); }
void promc__inline1_counter_sampled(promc_counter *c, uint64_t v) { contention_check(promc__series(c), v); }
int promc__inline1_gauge_set(promc_gauge *g, double v) { return promc_gauge_set(g, v); }
int promc__inline1_gauge_add(promc_gauge *g, double v) { return promc_gauge_add(g, v); }
int promc__inline1_histogram_observe(promc_histogram *h, double v) { return promc_histogram_observe(h, v); }

/* ------------------------------------------------------------------ gauge */
int promc_gauge_set(promc_gauge *g, double v) {
  struct promc_series *s = promc__series(g);
  CHECK_HANDLE(s);
  atomic_store_explicit(&s->cells[0], promc__double_bits(v), memory_order_relaxed);
  if (PROMC_UNLIKELY(s->flags & S_MP_GAUGE)) promc__mp_gauge_written(s);
  return 0;
}

int promc_gauge_add(promc_gauge *g, double v) {
  struct promc_series *s = promc__series(g);
  CHECK_HANDLE(s);
  add_double(&s->cells[0], v);
  if (PROMC_UNLIKELY(s->flags & S_MP_GAUGE)) promc__mp_gauge_written(s);
  return 0;
}

int promc_gauge_inc(promc_gauge *g) { return promc_gauge_add(g, 1.0); }
int promc_gauge_dec(promc_gauge *g) { return promc_gauge_add(g, -1.0); }
int promc_gauge_sub(promc_gauge *g, double v) { return promc_gauge_add(g, -v); }

int promc_gauge_set_to_current_time(promc_gauge *g) { return promc_gauge_set(g, promc_wall_seconds()); }

double promc__gauge_value(const struct promc_series *s) {
  return promc__bits_double(atomic_load_explicit(&s->cells[0], memory_order_relaxed));
}

double promc_gauge_get(const promc_gauge *g) {
  const struct promc_series *s = promc__series(g);
  if (!s || (s->flags & S_LABELLED_ROOT)) return 0;
  return promc__gauge_value(s);
}

/* -------------------------------------------------------------- histogram */
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

/* A negative or NaN observation makes the sum no counter: OpenMetrics then
 * leaves it out (the flag is sticky until a reset). The store is skipped
 * once set, so the cache line stays shared in the common case. */
static inline void mark_signed(struct promc_series *s, double v) {
  if (PROMC_UNLIKELY(!(v >= 0)) && !atomic_load_explicit(&s->signed_obs, memory_order_relaxed))
    atomic_store_explicit(&s->signed_obs, 1, memory_order_relaxed);
}

int promc_histogram_observe(promc_histogram *h, double v) {
  struct promc_series *s = promc__series(h);
  CHECK_HANDLE(s);
  const struct promc_family *f = s->fam;
  size_t i = bucket_index(f->bounds, f->nbounds, v);
  mark_signed(s, v);
  atomic_fetch_add_explicit(&s->cells[1 + i], 1, memory_order_relaxed);
  add_double(&s->cells[0], v);
  return 0;
}

/* The same hot paths for the exemplar variants (exemplar.c), which need
 * the bucket index and share the counter's striping. */
void promc__counter_add_u64(struct promc_series *s, uint64_t n) { counter_add_u64(s, n); }
void promc__counter_add_frac(struct promc_series *s, double v) { add_double(&s->cells[1], v); }
size_t promc__histogram_observe_idx(struct promc_series *s, double v) {
  const struct promc_family *f = s->fam;
  size_t i = bucket_index(f->bounds, f->nbounds, v);
  mark_signed(s, v);
  atomic_fetch_add_explicit(&s->cells[1 + i], 1, memory_order_relaxed);
  add_double(&s->cells[0], v);
  return i;
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
  uint64_t acc = 0;
  for (size_t i = 0; i <= f->nbounds; i++) {
    acc += atomic_load_explicit(&s->cells[1 + i], memory_order_relaxed);
    if (cumulative) cumulative[i] = acc;
  }
  if (count) *count = acc;
  if (sum) *sum = promc__bits_double(atomic_load_explicit(&s->cells[0], memory_order_relaxed));
  return 0;
}

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

/* ---------------------------------------------------------------- summary */
int promc_summary_observe(promc_summary *sm, double v) {
  struct promc_series *s = promc__series(sm);
  CHECK_HANDLE(s);
  mark_signed(s, v);
  atomic_fetch_add_explicit(&s->cells[0], 1, memory_order_relaxed);
  add_double(&s->cells[1], v);
  return 0;
}

int promc_summary_get(const promc_summary *sm, uint64_t *count, double *sum) {
  const struct promc_series *s = promc__series(sm);
  if (!s) return promc__err(PROMC_EINVAL, "summary_get: NULL handle");
  if (s->fam->type != PROMC_TYPE_SUMMARY) return promc__err(PROMC_ETYPE, "\"%s\" is not a summary", s->fam->name);
  if (s->flags & S_LABELLED_ROOT) return promc__err(PROMC_ECARD, "\"%s\" has labels; read a child", s->fam->name);
  if (count) *count = atomic_load_explicit(&s->cells[0], memory_order_relaxed);
  if (sum) *sum = promc__bits_double(atomic_load_explicit(&s->cells[1], memory_order_relaxed));
  return 0;
}

/* ------------------------------------------------------------------- enum */
int promc_enum_set(promc_enum *e, size_t state) {
  struct promc_series *s = promc__series(e);
  CHECK_HANDLE(s);
  if (PROMC_UNLIKELY(state >= s->fam->nstates)) return PROMC_EVALUE;
  atomic_store_explicit(&s->cells[0], state, memory_order_relaxed);
  return 0;
}

int promc_enum_state(promc_enum *e, const char *state) {
  struct promc_series *s = promc__series(e);
  CHECK_HANDLE(s);
  if (!state) return promc__err(PROMC_EINVAL, "enum_state: NULL state");
  for (size_t i = 0; i < s->fam->nstates; i++)
    if (strcmp(s->fam->states[i], state) == 0) return promc_enum_set(e, i);
  return promc__err(PROMC_ENOTFOUND, "enum \"%s\" has no state \"%s\"", s->fam->name, state);
}

long promc_enum_get(const promc_enum *e) {
  const struct promc_series *s = promc__series(e);
  if (!s || (s->flags & S_LABELLED_ROOT)) return -1;
  return (long)atomic_load_explicit(&s->cells[0], memory_order_relaxed);
}

/* ---------------------------------------------------------------- helpers */
int64_t promc_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double promc_wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

promc_timer promc_timer_start(promc_metric *m) {
  promc_timer t = {m, promc_monotonic_ns()};
  return t;
}

int promc_timer_stop(promc_timer *t, double *seconds) {
  if (!t) return promc__err(PROMC_EINVAL, "timer_stop: NULL timer");
  if (!t->metric) return 0; /* stopped already */
  double d = (double)(promc_monotonic_ns() - t->start_ns) / 1e9;
  promc_metric *m = t->metric;
  t->metric = NULL;
  if (seconds) *seconds = d;
  switch (promc_metric_type(m)) {
    case PROMC_TYPE_HISTOGRAM: return promc_histogram_observe((promc_histogram *)m, d);
    case PROMC_TYPE_SUMMARY: return promc_summary_observe((promc_summary *)m, d);
    case PROMC_TYPE_GAUGE: return promc_gauge_set((promc_gauge *)m, d);
    default: return promc__err(PROMC_ETYPE, "a timer records into a histogram, summary or gauge");
  }
}

void promc_timer_cleanup(promc_timer *t) { (void)promc_timer_stop(t, NULL); }

long promc_count_failures(promc_counter *c, long rc, promc_error_pred is_error, void *user) {
  if (is_error ? is_error(rc, user) : rc < 0) (void)promc_counter_inc(c);
  return rc;
}
