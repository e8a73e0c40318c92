/* SPDX-License-Identifier: Apache-2.0 */
/* store.h — the storage seam: a backend that keeps children's cells
 * somewhere other than the child (the multi-process mapping) is reached by
 * the core only through this table, behind one pointer. The core decides
 * when (creation, gauge writes, scrapes, fork); the backend stores and sums
 * cells and never formats: a scrape renders its sums through the kind's
 * read, as for any local child. */
#ifndef PROMC_STORE_H
#define PROMC_STORE_H

#include "core/internal.h"

struct promc_store_ops {
  /* At family creation, before registration, under the store-family lock
   * (promc__store_families): may set f->mp and bind the root. A PROMC_E*
   * code with its message refuses the family (the caller frees it). */
  int (*family_init)(struct promc_family *f, const promc_opts *o);
  /* f (f->mp set) is being freed: forget its children first. */
  void (*family_free)(struct promc_family *f);
  /* Before creating a child of an f->mp family (f->lock held): find or
   * create its cells, offset in *off; nonzero = error (PROMC_EFULL...). */
  int (*reserve)(struct promc_family *f, size_t n, const char *const *values, const size_t *lens,
                 uint64_t *off);
  /* Points the new child's cells at off; cannot fail after reserve. */
  void (*attach)(struct promc_series *s, uint64_t off);
  /* A write to a gauge flagged S_MP_GAUGE: marks this process's value as
   * present (and stamps it for the most-recent modes). Hot path: no lock,
   * no allocation, no system call. */
  void (*gauge_written)(struct promc_series *s);
  /* Before a render walks its registries: fold dead processes, and make
   * local children of series other processes created. */
  void (*scrape_begin)(void);
  /* The child's cells summed over processes into sum[0 .. f->ncells), and
   * at least sum[0 .. 2) (zeroed by the caller; gauges: combined by the
   * family's gauge mode in sum[0], sum[1] != 0 when some process has a value). 1 = done; 0 = not a
   * store-held child (read it locally); 2 = one value per process: call
   * each instead. Runs under the family's vlock, during one render. */
  int (*read_sum)(const struct promc_family *f, const struct promc_series *s, _Atomic uint64_t *sum);
  /* all/liveall gauges: fn once per process value (live, then dead records). */
  void (*each)(const struct promc_family *f, const struct promc_series *s,
               void (*fn)(void *u, long pid, double v), void *u);
  /* The fork step (registry.c): prefork runs last in the prepare handler,
   * after the core took the store-family list, the registries and the
   * families of every store-held family; it takes the backend's inner
   * locks. postfork_parent and postfork_child run first after the fork
   * (the child: claim its own storage), before the core unlocks. */
  void (*prefork)(void);
  void (*postfork_parent)(void);
  void (*postfork_child)(void);
};

/* The one backend the core knows, by this single pointer: defined by
 * src/multiprocess (or NULL by src/multiprocess/off.c). */
PROMC_HIDDEN extern const struct promc_store_ops *const promc__store_backend;

/* registry.c, for the backend. The store-held families (f->mp) in creation
 * order, with the store-family lock taken (the first lock of the order in
 * docs/design.md; family_init already runs under it); *n is their number.
 * promc__store_families_done lets the lock go. */
PROMC_HIDDEN struct promc_family *const *promc__store_families(size_t *n);
PROMC_HIDDEN void promc__store_families_done(void);
/* Installs the fork handlers (once; later calls do nothing): the backend
 * calls it when it starts holding storage, before any family exists, so
 * that even a child forked before the first family claims its own slot.
 * 0 or PROMC_ENOMEM (pthread_atfork failed; message recorded). */
PROMC_HIDDEN int promc__store_fork_install(void);

#endif
