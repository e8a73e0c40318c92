/* SPDX-License-Identifier: Apache-2.0 */
/* kind.h — what a metric type means, as one table per type: its cells, the
 * sample names it exposes, how it resets, how its cells read into the view
 * the writers print, and how two processes' cells add up. Each table lives
 * in its kind file (kind_counter.c, kind_gauge.c, ...) beside that kind's
 * hot path; code outside the kind files and the per-format writers asks the
 * table instead of switching on the type. Adding a kind: docs/design.md. */
#ifndef PROMC_KIND_H
#define PROMC_KIND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

struct promc_kind {
  promc_type type;
  const char *name;              /* "counter", for messages */
  const char *const *suffixes;   /* exposed sample-name suffixes, "" first, NULL-ended:
                                    the one table for collision checks and name[] */
  const char *reserved_label;    /* "le", "quantile", or NULL */
  bool has_created;              /* exposes _created */
  size_t (*ncells)(const struct promc_family *f);           /* 64-bit cells per child */
  void (*reset)(struct promc_series *s);                    /* family lock held */
  /* cells -> the view writers print. `cells` is the child's own cells, or a
   * storage backend's sum over processes (same layout). false = leave the
   * child out of this scrape (a counter callback gave NaN/negative). */
  bool (*read)(const struct promc_family *f, const struct promc_series *s,
               const _Atomic uint64_t *cells, struct promc_sview *v, uint64_t *cum);
  /* Adds src's cells into dst's: folding a dead process into the archive, or
   * summing processes for a scrape. NULL when the kind's cells do not add
   * (gauge: the store combines by gauge mode; info/enum stay per process). */
  void (*merge)(const struct promc_family *f, _Atomic uint64_t *dst, const _Atomic uint64_t *src);

  /* Beyond the fixed interface: */
  const char *name_suffix;       /* stripped from the name given ("_total", "_info"), or NULL */
  /* The kind's own options at family creation (buckets, states), after the
   * common checks; a PROMC_E* code with its message, or 0. NULL = none. */
  int (*validate)(const promc_opts *o);
  /* Exemplar slots per child when the family asks for exemplars; NULL = the
   * kind takes none (creation refuses .exemplars). */
  size_t (*nexemplars)(const struct promc_family *f);
  /* Where promc_timer_stop puts a duration in seconds (observe, set); NULL
   * = the kind cannot be timed. */
  int (*record)(promc_metric *m, double seconds);
  /* Frees what a child's cells point to when its family is freed (info:
   * its label pairs). NULL when cells hold only values. */
  void (*release)(struct promc_series *s);
};

/* The table of type t: never NULL for a valid promc_type (PROMC_TYPE_COUNTER
 * .. PROMC_TYPE_GAUGE_HISTOGRAM), NULL for anything else. Collector-only
 * types (untyped, gauge histogram) have a table for their name, suffixes and
 * reserved label; their function pointers are NULL (no family holds them). */
PROMC_HIDDEN const struct promc_kind *promc__kind(promc_type t);

/* The tables, one in each kind file. */
PROMC_HIDDEN extern const struct promc_kind promc__kind_counter, promc__kind_gauge, promc__kind_untyped,
    promc__kind_histogram, promc__kind_gauge_histogram, promc__kind_summary, promc__kind_info,
    promc__kind_enum;

/* ---- shared by the kind files' hot paths --------------------------------- */

/* A hot-path entry point starts on a cache line: its speed then does not
 * depend on where the linker happens to place it (on the machines measured,
 * an unlucky placement of the same instructions cost up to a third). */
#define PROMC_HOT __attribute__((aligned(64)))

/* A hot-path operation on a handle that holds no value: NULL, or the handle
 * of a labelled family (its children hold the values). */
#define PROMC_CHECK_HANDLE(s)                                                  \
  do {                                                                         \
    if (PROMC_UNLIKELY(!(s))) return PROMC_EINVAL;                             \
    if (PROMC_UNLIKELY((s)->flags & S_LABELLED_ROOT)) return PROMC_ECARD;      \
  } while (0)

/* Adds v to the double held in cell (a relaxed compare-and-swap loop). */
static inline void promc__add_double(_Atomic uint64_t *cell, double v) {
  uint64_t old = atomic_load_explicit(cell, memory_order_relaxed), nw;
  do {
    nw = promc__double_bits(promc__bits_double(old) + v);
  } while (!atomic_compare_exchange_weak_explicit(cell, &old, nw, memory_order_relaxed, memory_order_relaxed));
}

/* A negative or NaN observation makes the sum no counter: OpenMetrics then
 * leaves it out (the flag is sticky until a reset). The store is skipped
 * once set, so the cache line stays shared in the common case. */
static inline void promc__mark_signed(struct promc_series *s, double v) {
  if (PROMC_UNLIKELY(!(v >= 0)) && !atomic_load_explicit(&s->signed_obs, memory_order_relaxed))
    atomic_store_explicit(&s->signed_obs, 1, memory_order_relaxed);
}

/* Plain cell sums for merge: dst is the caller's (an archive under the
 * store's lock, or a scrape's sum buffer), so load + store is enough. */
static inline void promc__cell_add_u64(_Atomic uint64_t *dst, uint64_t v) {
  atomic_store_explicit(dst, atomic_load_explicit(dst, memory_order_relaxed) + v, memory_order_relaxed);
}
static inline void promc__cell_add_double(_Atomic uint64_t *dst, const _Atomic uint64_t *src) {
  double d = promc__bits_double(atomic_load_explicit(dst, memory_order_relaxed)) +
             promc__bits_double(atomic_load_explicit(src, memory_order_relaxed));
  atomic_store_explicit(dst, promc__double_bits(d), memory_order_relaxed);
}

/* series.c: the value callback of child s (promc_metric_set_function), run
 * by a scrape under f->vlock: true with *v set, false when s has none. */
PROMC_HIDDEN bool promc__series_callback(const struct promc_family *f, const struct promc_series *s, double *v);

#endif
