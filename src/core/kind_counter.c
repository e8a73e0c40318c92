/* SPDX-License-Identifier: Apache-2.0 */
/* kind_counter.c — the counter: inc/add on a child's cells, striping under
 * contention (the stripe pool), its value for scrapes and reads, reset,
 * merge, and its kind table.
 *
 * Cells: [0] integer part, [1] double part (bits), [2] stripe block pointer
 * (0 = not striped). The value is the sum of the three.
 *
 * Memory ordering: every hot-path operation is a relaxed atomic on its own
 * cell. A scrape reads each cell once with a relaxed load; each cell only
 * grows (until a reset, which the family lock orders against revival), so
 * every value a scrape prints was true at some instant during the scrape and
 * a counter never seems to go back. The only publication that needs ordering
 * is a stripe block (CAS with release, loaded with acquire): its cells were
 * zeroed before. */
#include <assert.h>
#include <stdlib.h>

#include "core/kind.h"
#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"

/* initial-exec: a thread-local read is one %fs-relative load, not a call to
 * __tls_get_addr (the default model for code in a shared library). The 24
 * bytes come from glibc's static TLS surplus when promc is dlopen()ed. */
#define PROMC_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static PROMC_TLS const struct promc_series *t_last; /* contention detection */
static PROMC_TLS uint64_t t_last_val;
static PROMC_TLS unsigned t_misses;
static PROMC_TLS unsigned t_stripe; /* 0 = not assigned yet */

static void contention_check(const struct promc_series *s, uint64_t v);
static unsigned stripe_assign(void);

/* ------------------------------------------------------------- hot path */
/* Uncontended: one atomic add and a predictable branch on its result; no
 * store, no thread-local access. Striped: the thread's own cache line. */
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

PROMC_HOT int promc_counter_inc(promc_counter *c) {
  struct promc_series *s = promc__series(c);
  PROMC_CHECK_HANDLE(s);
  counter_add_u64(s, 1);
  return 0;
}

PROMC_HOT int promc_counter_add_int(promc_counter *c, uint64_t v) {
  struct promc_series *s = promc__series(c);
  PROMC_CHECK_HANDLE(s);
  counter_add_u64(s, v);
  return 0;
}

int promc_counter_add(promc_counter *c, double v) {
  struct promc_series *s = promc__series(c);
  PROMC_CHECK_HANDLE(s);
  if (PROMC_UNLIKELY(!(v >= 0))) return PROMC_EVALUE; /* negative or NaN */
  if (v < 18446744073709551616.0 && v == (double)(uint64_t)v) counter_add_u64(s, (uint64_t)v);
  else promc__add_double(&s->cells[1], v);
  return 0;
}

/* The same hot path for the exemplar variants (exemplar.c). */
void promc__counter_add_u64(struct promc_series *s, uint64_t n) { counter_add_u64(s, n); }
void promc__counter_add_frac(struct promc_series *s, double v) { promc__add_double(&s->cells[1], v); }

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

/* ------------------------------------------------------------- reading */
static uint64_t stripes_sum(uint64_t st) {
  uint64_t n = 0;
  for (unsigned i = 0; i < PROMC_NSTRIPES; i++)
    n += atomic_load_explicit(&((struct promc_stripe *)(uintptr_t)st)[i].v, memory_order_relaxed);
  return n;
}

static double cells_value(const _Atomic uint64_t *c) {
  uint64_t n = atomic_load_explicit(&c[0], memory_order_relaxed);
  uint64_t st = atomic_load_explicit(&c[2], memory_order_acquire);
  if (st) n += stripes_sum(st);
  return (double)n + promc__bits_double(atomic_load_explicit(&c[1], memory_order_relaxed));
}

double promc_counter_get(const promc_counter *c) {
  const struct promc_series *s = promc__series(c);
  if (!s || (s->flags & S_LABELLED_ROOT)) return 0;
  return cells_value(s->cells);
}

int promc_counter_reset(promc_counter *c) {
  struct promc_series *s = promc__series(c);
  PROMC_CHECK_HANDLE(s);
  pthread_mutex_lock(&s->fam->lock); /* not racing a revival of the same child */
  promc__series_reset(s);
  pthread_mutex_unlock(&s->fam->lock);
  return 0;
}

/* ------------------------------------------------------- promc/inline.h */
/* The library side of the inline counter (the mirror's static assertions
 * are in series.c): the out-of-line cases, and the contention sample. */
int promc__inline1_counter_add(promc_counter *c, uint64_t n) { return promc_counter_add_int(c, n); }
void promc__inline1_counter_sampled(promc_counter *c, uint64_t v) { contention_check(promc__series(c), v); }

/* ----------------------------------------------------------------- kind */
static size_t counter_ncells(const struct promc_family *f) {
  (void)f;
  return 3;
}

static size_t counter_nexemplars(const struct promc_family *f) {
  (void)f;
  return 1;
}

/* The stripe block stays with the child: its stripes are zeroed. */
static void counter_reset(struct promc_series *s) {
  uint64_t st = atomic_load(&s->cells[2]);
  if (st)
    for (unsigned i = 0; i < PROMC_NSTRIPES; i++) atomic_store(&((struct promc_stripe *)(uintptr_t)st)[i].v, 0);
  atomic_store(&s->cells[0], 0);
  atomic_store(&s->cells[1], 0);
}

/* A callback child shows the callback's value; one that gives a negative
 * number or NaN is left out, which no counter may expose (OpenMetrics; every
 * other path to a counter refuses them, as promc_collect_sample does). */
static bool counter_read(const struct promc_family *f, const struct promc_series *s,
                         const _Atomic uint64_t *cells, struct promc_sview *v, uint64_t *cum) {
  (void)cum;
  if (f->fns && promc__series_callback(f, s, &v->value)) return v->value >= 0;
  v->value = cells_value(cells);
  return true;
}

/* src's stripes (a local child's) count into dst's integer part; dst's own
 * stripe block is left alone. */
static void counter_merge(const struct promc_family *f, _Atomic uint64_t *dst, const _Atomic uint64_t *src) {
  (void)f;
  uint64_t n = atomic_load_explicit(&src[0], memory_order_relaxed);
  uint64_t st = atomic_load_explicit(&src[2], memory_order_acquire);
  if (st) n += stripes_sum(st);
  promc__cell_add_u64(&dst[0], n);
  promc__cell_add_double(&dst[1], &src[1]);
}

static const char *const counter_suffixes[] = {"", "_total", "_created", NULL};

const struct promc_kind promc__kind_counter = {
    .type = PROMC_TYPE_COUNTER,
    .name = "counter",
    .suffixes = counter_suffixes,
    .has_created = true,
    .ncells = counter_ncells,
    .reset = counter_reset,
    .read = counter_read,
    .merge = counter_merge,
    .name_suffix = "_total",
    .nexemplars = counter_nexemplars,
};
