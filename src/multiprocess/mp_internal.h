/* SPDX-License-Identifier: Apache-2.0 */
/* mp_internal.h — what the three files of the multi-process store share:
 * the mapping's records and layout (map.c's opening comment explains it),
 * the process-local state, and each file's functions for the others.
 *   map.c   the mapping, the robust lock and its repair, slots, folding
 *   bind.c  the core's storage hooks (core/store.h) and the fork hooks
 *   read.c  the read side: reaping, a child's sum over processes, the
 *           per-process values of all/liveall gauges, stats */
#ifndef PROMC_MP_INTERNAL_H
#define PROMC_MP_INTERNAL_H

#include <sys/types.h>

#include "core/internal.h"
#include "promc/multiprocess.h"

#define MP_MAGIC 0x3130504d434d5250ull /* "PRMCMP01" */
#define MP_VERSION 1u
#define MP_MAX_PROCS 1024u
#define MP_DEFAULT_PROCS 64u
#define MP_DEFAULT_SIZE ((size_t)64 << 20)
#define MP_MIN_SIZE ((size_t)1 << 20)
#define MP_JMAX 512u           /* cells per series at most (a 510-bucket histogram) */
#define MP_LOCK_WAIT_MS 5000   /* creation, claims, mark_dead */
#define MP_SCRAPE_WAIT_MS 1000 /* a scrape's read of one series */

enum { SLOT_FREE = 0, SLOT_LIVE = 1, SLOT_FOLDING = 2 };

struct mp_slot {
  _Atomic uint32_t state;
  _Atomic int32_t pid;
  _Atomic uint64_t start; /* start time from /proc/<pid>/stat (0: unknown) */
  char pad[48];
};

struct mp_entry {
  uint32_t type, mode, ncells, nvalues;
  uint64_t cell_off;
  uint64_t hash;
  uint32_t name_len, key_len;
  _Atomic uint64_t dead_head; /* ALL gauges: newest dead-process record (heap offset) */
  char key[];                 /* name NUL, then per value: u32 length, bytes, NUL */
};

struct mp_dead {
  _Atomic uint64_t next;
  int64_t pid;
  uint64_t value_bits;
};

struct mp_hdr {
  uint64_t magic;
  uint32_t version, max_procs;
  uint64_t size, off_slots, off_entries, off_index, off_heap, heap_size, off_cells, arena_cells;
  uint32_t max_series, index_mask;
  _Alignas(64) pthread_mutex_t mtx;
  _Alignas(64) _Atomic uint32_t nseries;
  _Atomic uint32_t overflow_used;
  _Atomic int32_t holder; /* pid holding mtx (diagnostics and tests) */
  _Atomic uint64_t heap_used;
  _Atomic uint64_t cells_used;
  _Atomic uint64_t live_mask[MP_MAX_PROCS / 64];
  _Atomic uint64_t folds, recoveries, overflow_forks, dropped_dead;
  /* fold journal: one series of one slot at a time */
  _Atomic uint32_t j_stage; /* 0 idle, 1 archive being rewritten, 2 slot being zeroed */
  uint32_t j_arena, j_entry;
  int32_t j_pid;
  uint64_t j_old[MP_JMAX];
};

struct mp_bound { /* a local series whose cells are in the mapping */
  struct promc_series *s;
  uint64_t cell_off;
};

/* Process-local state. Lock order: the core's store-family list, registry
 * locks, family vlocks and locks (core/store.h), then `lock`, then the
 * shared mutex. */
struct mp_state {
  _Atomic int on;
  _Atomic int env_checked;
  struct mp_hdr *h;
  pid_t pid;
  uint32_t arena;       /* this process's arena (1..max, or max+1 = overflow) */
  pthread_mutex_t lock; /* bound list */
  struct mp_bound *b;
  size_t nb, capb, reserved; /* reserved: room promised to reserve() callers */
  uint32_t synced;           /* entries [0, synced) were offered to local families (store-family lock) */
};
PROMC_HIDDEN extern struct mp_state promc__mp;
/* Set when a scrape on this thread timed out on the shared lock (a holder
 * that is alive but stuck, e.g. stopped): the rest of that scrape reads
 * without the lock instead of waiting again for every series. */
PROMC_HIDDEN extern _Thread_local int promc__mp_nolock;
/* Set while a scrape maps other processes' new series: their creation waits
 * for the lock as briefly as the scrape's reads do. */
PROMC_HIDDEN extern _Thread_local int promc__mp_in_scrape;

/* ------------------------------------------------------------ layout */
static inline struct mp_slot *mp_slot_rec(uint32_t arena) {
  return (struct mp_slot *)((char *)promc__mp.h + promc__mp.h->off_slots) + (arena - 1);
}
static inline uint32_t *mp_entries(void) { return (uint32_t *)((char *)promc__mp.h + promc__mp.h->off_entries); }
static inline char *mp_heap(void) { return (char *)promc__mp.h + promc__mp.h->off_heap; }
static inline struct mp_entry *mp_entry(uint32_t i) { return (struct mp_entry *)(mp_heap() + mp_entries()[i]); }
static inline _Atomic uint64_t *mp_cells(uint32_t arena, uint64_t off) {
  return (_Atomic uint64_t *)((char *)promc__mp.h + promc__mp.h->off_cells) +
         (uint64_t)arena * promc__mp.h->arena_cells + off;
}
static inline uint32_t mp_overflow_arena(void) { return promc__mp.h->max_procs + 1; }

/* Cells a series of f has in each arena: a gauge has its value, its write
 * stamp and, in the archive arena only, its entry number + 1. */
static inline uint32_t mp_shm_ncells(const struct promc_family *f) {
  return f->type == PROMC_TYPE_GAUGE ? 3u : (uint32_t)f->ncells;
}

static inline bool mp_mode_is_live(uint32_t m) {
  return m == PROMC_MP_GAUGE_LIVEALL || m == PROMC_MP_GAUGE_LIVESUM || m == PROMC_MP_GAUGE_LIVEMIN ||
         m == PROMC_MP_GAUGE_LIVEMAX || m == PROMC_MP_GAUGE_LIVEMOSTRECENT;
}

/* ------------------------------------------------------------ map.c */
/* Takes the shared mutex, waiting at most wait_ms; repairs after a holder
 * that died. 0, PROMC_ETIMEOUT or PROMC_ESTATE (unrecoverable). */
PROMC_HIDDEN int promc__mp_lock(int wait_ms);
PROMC_HIDDEN void promc__mp_unlock(void);
/* Alive = exists, is not a zombie, and started when the slot was claimed. */
PROMC_HIDDEN bool promc__mp_proc_alive(pid_t pid, uint64_t start);
/* Folds every series of slot k into the archive and frees the slot. Lock held. */
PROMC_HIDDEN void promc__mp_fold_slot(uint32_t k);
/* A slot for the calling process (reaping first if none is free), or the
 * shared overflow arena. Takes the lock. */
PROMC_HIDDEN uint32_t promc__mp_claim_slot(void);
/* The directory key of (f, values), in a new buffer (NULL: out of memory). */
PROMC_HIDDEN char *promc__mp_make_key(const struct promc_family *f, size_t n, const char *const *v,
                                      const size_t *lens, uint32_t *key_len);
/* Finds or creates the entry of key (lock held); its cell offset in *off. */
PROMC_HIDDEN int promc__mp_find_or_create(const struct promc_family *f, const char *key, uint32_t key_len,
                                          size_t nvalues, uint64_t *off);
/* Turns the mode on from PROMC_MULTIPROC_DIR, once, at the first family. */
PROMC_HIDDEN int promc__mp_auto_enable(void);
/* PROMC__MP_TEST_STALL=<where>: stop here until killed (tests kill a lock
 * holder mid-update). Read only on cold paths. */
PROMC_HIDDEN void promc__mp_test_stall(const char *where);

/* ------------------------------------------------------------ read.c */
/* Folds the slots of processes that died (the scrape's bounded wait). */
PROMC_HIDDEN int promc__mp_reap(void);
PROMC_HIDDEN int promc__mp_read_sum(const struct promc_family *f, const struct promc_series *s,
                                    _Atomic uint64_t *sum);
PROMC_HIDDEN void promc__mp_each(const struct promc_family *f, const struct promc_series *s,
                                 void (*fn)(void *u, long pid, double v), void *u);

#endif
