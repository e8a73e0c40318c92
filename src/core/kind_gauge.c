/* SPDX-License-Identifier: Apache-2.0 */
/* kind_gauge.c — the gauge: set/add on a child's cell, its value for
 * scrapes and reads, and its kind table; also the table of the untyped
 * type, which only collectors emit (one value, no cells of ours).
 *
 * Cells: [0] value (double bits). A gauge in the multi-process mapping
 * (flag S_MP_GAUGE) has a second, shared cell [1]: 0 until this process
 * first writes it, which every write then marks through the store.
 *
 * Memory ordering: a set is one relaxed store, an add a relaxed
 * compare-and-swap loop, each on the gauge's single word; a scrape reads
 * that word once with a relaxed load, so it prints a value the gauge held at
 * some instant during the scrape. Nothing else is published. */
#include "core/kind.h"
#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"

/* ------------------------------------------------------------- hot path */
PROMC_HOT int promc_gauge_set(promc_gauge *g, double v) {
  struct promc_series *s = promc__series(g);
  PROMC_CHECK_HANDLE(s);
  atomic_store_explicit(&s->cells[0], promc__double_bits(v), memory_order_relaxed);
  if (PROMC_UNLIKELY(s->flags & S_MP_GAUGE)) promc__store_gauge_written(s);
  return 0;
}

PROMC_HOT int promc_gauge_add(promc_gauge *g, double v) {
  struct promc_series *s = promc__series(g);
  PROMC_CHECK_HANDLE(s);
  promc__add_double(&s->cells[0], v);
  if (PROMC_UNLIKELY(s->flags & S_MP_GAUGE)) promc__store_gauge_written(s);
  return 0;
}

int promc_gauge_inc(promc_gauge *g) { return promc_gauge_add(g, 1.0); }
int promc_gauge_dec(promc_gauge *g) { return promc_gauge_add(g, -1.0); }
int promc_gauge_sub(promc_gauge *g, double v) { return promc_gauge_add(g, -v); }

int promc_gauge_set_to_current_time(promc_gauge *g) { return promc_gauge_set(g, promc_wall_seconds()); }

double promc_gauge_get(const promc_gauge *g) {
  const struct promc_series *s = promc__series(g);
  if (!s || (s->flags & S_LABELLED_ROOT)) return 0;
  return promc__bits_double(atomic_load_explicit(&s->cells[0], memory_order_relaxed));
}

/* The library side of the inline gauge: the out-of-line cases. */
int promc__inline1_gauge_set(promc_gauge *g, double v) { return promc_gauge_set(g, v); }
int promc__inline1_gauge_add(promc_gauge *g, double v) { return promc_gauge_add(g, v); }

/* ----------------------------------------------------------------- kind */
static size_t gauge_ncells(const struct promc_family *f) {
  (void)f;
  return 1;
}

static void gauge_reset(struct promc_series *s) { atomic_store(&s->cells[0], 0); }

/* A callback child shows the callback's value. A multi-process gauge whose
 * cells say no process wrote it ([1] == 0) has no sample. */
static bool gauge_read(const struct promc_family *f, const struct promc_series *s, const _Atomic uint64_t *cells,
                       struct promc_sview *v, uint64_t *cum) {
  (void)cum;
  if (f->fns && promc__series_callback(f, s, &v->value)) return true;
  if ((s->flags & S_MP_GAUGE) && !atomic_load_explicit(&cells[1], memory_order_relaxed)) return false;
  v->value = promc__bits_double(atomic_load_explicit(&cells[0], memory_order_relaxed));
  return true;
}

static int gauge_record(promc_metric *m, double seconds) { return promc_gauge_set((promc_gauge *)m, seconds); }

static const char *const plain_suffixes[] = {"", NULL};

const struct promc_kind promc__kind_gauge = {
    .type = PROMC_TYPE_GAUGE,
    .name = "gauge",
    .suffixes = plain_suffixes,
    .ncells = gauge_ncells,
    .reset = gauge_reset,
    .read = gauge_read,
    .record = gauge_record,
};

const struct promc_kind promc__kind_untyped = {
    .type = PROMC_TYPE_UNTYPED,
    .name = "untyped",
    .suffixes = plain_suffixes,
};
