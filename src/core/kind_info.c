/* SPDX-License-Identifier: Apache-2.0 */
/* kind_info.c — the info metric's kind table: its cell holds a pointer to
 * the child's rendered info labels, set by promc_info_set (family.c), which
 * replaces it under the family's vlock and frees the old text; a scrape
 * reads it under the same vlock. No hot path: an info child's value is
 * always 1.
 *
 * Cells: [0] pointer to the rendered info label text, or 0 (none set). */
#include "core/kind.h"

static size_t info_ncells(const struct promc_family *f) {
  (void)f;
  return 1;
}

/* The text is the child's, not a count: a reset (revival) keeps it. */
static void info_reset(struct promc_series *s) { (void)s; }

static bool info_read(const struct promc_family *f, const struct promc_series *s, const _Atomic uint64_t *cells,
                      struct promc_sview *v, uint64_t *cum) {
  (void)f, (void)s, (void)cum;
  const struct promc_pairs *t =
      (const struct promc_pairs *)(uintptr_t)atomic_load_explicit(&cells[0], memory_order_relaxed);
  v->pairs = t ? t->data : NULL;
  v->pairs_len = t ? t->len : 0;
  return true;
}

static void info_release(struct promc_series *s) {
  promc__free((void *)(uintptr_t)atomic_load(&s->cells[0]));
}

const struct promc_kind promc__kind_info = {
    .type = PROMC_TYPE_INFO,
    .name = "info",
    .suffixes = (const char *const[]){"", "_info", NULL},
    .ncells = info_ncells,
    .reset = info_reset,
    .read = info_read,
    .name_suffix = "_info",
    .release = info_release,
};
