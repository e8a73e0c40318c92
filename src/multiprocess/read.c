/* SPDX-License-Identifier: Apache-2.0 */
/* read.c — the multi-process store's read side: folding the slots of
 * processes that died before a scrape reads, a child's cells summed over
 * the archive and every live arena (counters, histograms and summaries by
 * their kind's merge; gauges combined by the family's gauge mode), the
 * per-process values of all/liveall gauges, and the public reap and stats.
 * It never formats: render.c prints what it sums, through the kind's read. */
#include "core/kind.h"
#include "multiprocess/mp_internal.h"

/* ------------------------------------------------------------ reaping */
int promc__mp_reap(void) {
  int n = 0;
  for (uint32_t w = 0; w < (promc__mp.h->max_procs + 63) / 64; w++) {
    uint64_t m = atomic_load(&promc__mp.h->live_mask[w]);
    while (m) {
      uint32_t k = w * 64 + (uint32_t)__builtin_ctzll(m) + 1;
      m &= m - 1;
      if (k == promc__mp.arena) continue;
      struct mp_slot *sl = mp_slot_rec(k);
      int32_t pid = atomic_load(&sl->pid);
      uint64_t start = atomic_load(&sl->start);
      if (atomic_load(&sl->state) != SLOT_LIVE || promc__mp_proc_alive(pid, start)) continue;
      if (promc__mp_nolock || promc__mp_lock(MP_SCRAPE_WAIT_MS) != 0) {
        promc__mp_nolock = 1;
        return n;
      }
      if (atomic_load(&sl->state) == SLOT_LIVE && atomic_load(&sl->pid) == pid &&
          atomic_load(&sl->start) == start && !promc__mp_proc_alive(pid, start)) {
        promc__mp_fold_slot(k);
        n++;
      }
      promc__mp_unlock();
    }
  }
  return n;
}

/* ------------------------------------------------------------ summing */
/* The cell offset of s in the mapping, or UINT64_MAX when s is not a
 * store-held child this scrape reads from the mapping (a callback child:
 * its local callback gives the value). f->vlock held by the render. */
static uint64_t bound_off(const struct promc_family *f, const struct promc_series *s) {
  for (const struct promc_fnreg *r = f->fns; r; r = r->next)
    if (r->s == s) return UINT64_MAX;
  struct mp_hdr *h = promc__mp.h;
  if (!h) return UINT64_MAX;
  uintptr_t base = (uintptr_t)mp_cells(promc__mp.arena, 0), at = (uintptr_t)s->cells;
  if (at < base || at >= base + h->arena_cells * 8) return UINT64_MAX; /* not bound */
  return (at - base) / 8;
}

/* The arenas a read covers: the archive (0), every live slot, and the
 * overflow arena when a process has used it; with pids, the slot's pid
 * beside each (0 for the archive and the overflow). Returns their number.
 * Lock held (or the best-effort read without it). */
static size_t arenas_now(uint16_t *arenas, int32_t *pids) {
  struct mp_hdr *h = promc__mp.h;
  size_t na = 0;
  if (pids) pids[na] = 0;
  arenas[na++] = 0;
  for (uint32_t w = 0; w < (h->max_procs + 63) / 64; w++) {
    uint64_t m = atomic_load(&h->live_mask[w]);
    while (m) {
      uint32_t k = w * 64 + (uint32_t)__builtin_ctzll(m) + 1;
      m &= m - 1;
      if (pids) pids[na] = atomic_load(&mp_slot_rec(k)->pid);
      arenas[na++] = (uint16_t)k;
    }
  }
  if (atomic_load(&h->overflow_used)) {
    if (pids) pids[na] = 0;
    arenas[na++] = (uint16_t)mp_overflow_arena();
  }
  return na;
}

/* If the lock cannot be had, a best-effort read without it: a fold running
 * meanwhile may make this one series off for this one scrape. */
static bool scrape_lock(void) {
  bool locked = !promc__mp_nolock && promc__mp_lock(MP_SCRAPE_WAIT_MS) == 0;
  if (!locked) promc__mp_nolock = 1;
  return locked;
}

static inline bool mode_is_all(uint32_t m) { return m == PROMC_MP_GAUGE_ALL || m == PROMC_MP_GAUGE_LIVEALL; }

int promc__mp_read_sum(const struct promc_family *f, const struct promc_series *s, _Atomic uint64_t *sum) {
  uint64_t off = bound_off(f, s);
  if (off == UINT64_MAX) return 0;
  uint32_t mode = (uint32_t)f->mp_gauge_mode;
  bool gauge = f->type == PROMC_TYPE_GAUGE;
  if (gauge && mode_is_all(mode)) return 2;
  uint16_t arenas[MP_MAX_PROCS + 2];
  bool locked = scrape_lock();
  size_t na = arenas_now(arenas, NULL);
  if (!gauge) {
    void (*merge)(const struct promc_family *, _Atomic uint64_t *, const _Atomic uint64_t *) =
        promc__kind(f->type)->merge;
    for (size_t a = 0; a < na; a++) merge(f, sum, mp_cells(arenas[a], off));
  } else {
    bool live_only = mp_mode_is_live(mode), have = false;
    double best = 0;
    uint64_t best_stamp = 0;
    for (size_t a = 0; a < na; a++) {
      if (arenas[a] == 0 && live_only) continue;
      _Atomic uint64_t *c = mp_cells(arenas[a], off);
      uint64_t stamp = atomic_load_explicit(&c[1], memory_order_acquire);
      if (!stamp) continue;
      double v = promc__bits_double(atomic_load_explicit(&c[0], memory_order_relaxed));
      switch (mode) {
        case PROMC_MP_GAUGE_SUM:
        case PROMC_MP_GAUGE_LIVESUM: best = have ? best + v : v; break;
        case PROMC_MP_GAUGE_MIN:
        case PROMC_MP_GAUGE_LIVEMIN:
          if (!have || v < best) best = v;
          break;
        case PROMC_MP_GAUGE_MAX:
        case PROMC_MP_GAUGE_LIVEMAX:
          if (!have || v > best) best = v;
          break;
        default: /* most recent */
          if (!have || stamp >= best_stamp) best = v, best_stamp = stamp;
          break;
      }
      have = true;
    }
    atomic_store_explicit(&sum[0], promc__double_bits(best), memory_order_relaxed);
    atomic_store_explicit(&sum[1], have ? 1 : 0, memory_order_relaxed);
  }
  if (locked) promc__mp_unlock();
  return 1;
}

void promc__mp_each(const struct promc_family *f, const struct promc_series *s,
                    void (*fn)(void *u, long pid, double v), void *u) {
  uint64_t off = bound_off(f, s);
  if (off == UINT64_MAX) return;
  /* ~14 KiB of stack at most (1026 arenas) */
  uint16_t arenas[MP_MAX_PROCS + 2];
  int32_t pids[MP_MAX_PROCS + 2];
  double vals[MP_MAX_PROCS + 2];
  size_t nv = 0;
  /* the live values are copied under the lock, given to fn after it */
  bool locked = scrape_lock();
  size_t na = arenas_now(arenas, pids);
  for (size_t a = 1; a < na; a++) { /* not the archive: dead processes have their own records */
    _Atomic uint64_t *c = mp_cells(arenas[a], off);
    if (!atomic_load_explicit(&c[1], memory_order_acquire)) continue;
    pids[nv] = pids[a];
    vals[nv++] = promc__bits_double(atomic_load_explicit(&c[0], memory_order_relaxed));
  }
  if (locked) promc__mp_unlock();
  for (size_t i = 0; i < nv; i++) fn(u, (long)pids[i], vals[i]);
  if (f->mp_gauge_mode != PROMC_MP_GAUGE_ALL) return;
  /* and the dead processes' records: immutable once linked (release) */
  uint64_t ei = atomic_load(&mp_cells(0, off)[2]);
  struct mp_entry *e = ei ? mp_entry((uint32_t)(ei - 1)) : NULL;
  uint64_t o = e ? atomic_load_explicit(&e->dead_head, memory_order_acquire) : 0;
  while (o) {
    const struct mp_dead *dr = (const struct mp_dead *)(mp_heap() + o);
    fn(u, (long)dr->pid, promc__bits_double(dr->value_bits));
    o = atomic_load_explicit(&((struct mp_dead *)(uintptr_t)dr)->next, memory_order_acquire);
  }
}

/* ------------------------------------------------------------ public */
int promc_multiprocess_reap(void) {
  if (!atomic_load(&promc__mp.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is not enabled");
  promc__mp_nolock = 0;
  int n = promc__mp_reap();
  int timed_out = promc__mp_nolock;
  promc__mp_nolock = 0;
  return timed_out && !n ? promc__err(PROMC_ETIMEOUT, "reap: the shared lock was not free in time") : n;
}

int promc_multiprocess_stats(promc_mp_stats *out) {
  if (!out) return promc__err(PROMC_EINVAL, "stats: out is NULL");
  if (!atomic_load(&promc__mp.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is not enabled");
  struct mp_hdr *h = promc__mp.h;
  memset(out, 0, sizeof *out);
  out->max_processes = h->max_procs;
  for (uint32_t w = 0; w < MP_MAX_PROCS / 64; w++)
    out->live_processes += (unsigned)__builtin_popcountll(atomic_load(&h->live_mask[w]));
  out->slot = promc__mp.arena;
  out->series = atomic_load(&h->nseries);
  out->max_series = h->max_series;
  out->cells_used = atomic_load(&h->cells_used);
  out->cells_max = h->arena_cells;
  out->heap_used = atomic_load(&h->heap_used);
  out->heap_max = h->heap_size;
  out->folds = atomic_load(&h->folds);
  out->recoveries = atomic_load(&h->recoveries);
  out->overflow_forks = atomic_load(&h->overflow_forks);
  out->dropped_dead_values = atomic_load(&h->dropped_dead);
  out->lock_holder = atomic_load(&h->holder);
  return 0;
}
