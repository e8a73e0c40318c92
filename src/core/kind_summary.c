/* SPDX-License-Identifier: Apache-2.0 */
/* kind_summary.c — the summary (count and sum, no quantiles): observe on a
 * child's cells, its reads, and its kind table.
 *
 * Cells: [0] count, [1] sum (double bits).
 *
 * Memory ordering: an observation is a relaxed add on the count and a
 * relaxed compare-and-swap on the sum, each on its own cell; a scrape reads
 * each once with a relaxed load. The count only grows, so it was true at
 * some instant during the scrape; the sum may be a few observations ahead
 * of or behind it. Nothing is published. */
#include "core/kind.h"

/* ------------------------------------------------------------- hot path */
PROMC_HOT int promc_summary_observe(promc_summary *sm, double v) {
  struct promc_series *s = promc__series(sm);
  PROMC_CHECK_HANDLE(s);
  promc__mark_signed(s, v);
  atomic_fetch_add_explicit(&s->cells[0], 1, memory_order_relaxed);
  promc__add_double(&s->cells[1], v);
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

/* ----------------------------------------------------------------- kind */
static size_t summary_ncells(const struct promc_family *f) {
  (void)f;
  return 2;
}

static void summary_reset(struct promc_series *s) {
  atomic_store(&s->cells[0], 0);
  atomic_store(&s->cells[1], 0);
}

/* The signed flag as for histograms: the child's own cells only. */
static bool summary_read(const struct promc_family *f, const struct promc_series *s, const _Atomic uint64_t *cells,
                         struct promc_sview *v, uint64_t *cum) {
  (void)f, (void)cum;
  v->count = atomic_load_explicit(&cells[0], memory_order_relaxed);
  v->sum = promc__bits_double(atomic_load_explicit(&cells[1], memory_order_relaxed));
  v->signed_obs = cells == s->cells && atomic_load_explicit(&s->signed_obs, memory_order_relaxed) != 0;
  return true;
}

static void summary_merge(const struct promc_family *f, _Atomic uint64_t *dst, const _Atomic uint64_t *src) {
  (void)f;
  promc__cell_add_u64(&dst[0], atomic_load_explicit(&src[0], memory_order_relaxed));
  promc__cell_add_double(&dst[1], &src[1]);
}

static int summary_record(promc_metric *m, double seconds) {
  return promc_summary_observe((promc_summary *)m, seconds);
}

const struct promc_kind promc__kind_summary = {
    .type = PROMC_TYPE_SUMMARY,
    .name = "summary",
    .suffixes = (const char *const[]){"", "_count", "_sum", "_created", NULL},
    .reserved_label = "quantile",
    .has_created = true,
    .ncells = summary_ncells,
    .reset = summary_reset,
    .read = summary_read,
    .merge = summary_merge,
    .record = summary_record,
};
