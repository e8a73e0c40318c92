/* SPDX-License-Identifier: Apache-2.0 */
/* kind.h — what a metric type means, as one table per type: its cells, the
 * sample names it exposes, how it resets, how its cells read into the view
 * the writers print, and how two processes' cells add up. Each table lives
 * in its kind file (kind_counter.c, kind_gauge.c, ...) beside that kind's
 * hot path; code outside the kind files and the per-format writers asks the
 * table instead of switching on the type. */
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
};

/* The table of type t: never NULL for a valid promc_type (PROMC_TYPE_COUNTER
 * .. PROMC_TYPE_GAUGE_HISTOGRAM), NULL for anything else. Collector-only
 * types (untyped, gauge histogram) have a table for their suffixes and
 * name; their ncells/reset/read/merge are NULL. */
PROMC_HIDDEN const struct promc_kind *promc__kind(promc_type t);

#endif
