/* SPDX-License-Identifier: Apache-2.0 */
/* mp.c — multi-process mode: the shared mapping (process slots, the series
 * directory, one value arena per slot plus an archive), binding this
 * process's series to its slot's cells, folding dead processes into the
 * archive, repairing after a lock holder died, and the aggregated read a
 * scrape does.
 *
 * The mapping, from offset 0:
 *   header      magic, layout, the robust process-shared mutex, counters,
 *               the live-slot mask, the fold journal
 *   slots       max_procs records {state, pid, start time}
 *   entries     max_series uint32 heap offsets, in creation order
 *   index       open-addressed hash of entry numbers (+1; 0 = empty)
 *   heap        entries (type, cell offset, key = name and label values)
 *               and ALL-mode dead-process records; bump-allocated
 *   arenas      (max_procs + 2) × arena_cells 64-bit cells: arena 0 is the
 *               archive, arena k (1..max_procs) belongs to slot k, arena
 *               max_procs + 1 is the overflow for processes without a slot.
 * A series owns the same cell range [cell_off, cell_off + ncells) in every
 * arena, so binding a series is "cells = arena(mine) + cell_off".
 *
 * Concurrency.  Live processes write only their own arena, with the core's
 * relaxed atomics.  Everything else — creating entries, claiming and folding
 * slots, and each scrape's read of one series — happens under the shared
 * mutex, so a scrape never sees a fold half done (a value in both the archive
 * and its slot, or in neither).  Entries are published by storing nseries
 * with release after the entry is complete, so they are immutable once
 * visible and can be read without the lock.
 *
 * Crash safety.  The mutex is robust: if its holder dies, the next locker
 * gets EOWNERDEAD and calls repair(), which (1) rebuilds the hash index from
 * the published entries (an insertion may have stopped between publishing
 * and indexing), (2) finishes a journaled fold of one series (the archive
 * cells' old values are saved before the archive is rewritten, so a redo
 * computes the same result), (3) finishes any slot left in FOLDING state and
 * (4) recomputes the live mask from the slot records. Space a dead holder
 * had bump-allocated but not published is lost, never reused. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "promc/multiprocess.h"

#define MP_MAGIC 0x3130504d434d5250ull /* "PRMCMP01" */
#define MP_VERSION 1u
#define MP_MAX_PROCS 1024u
#define MP_DEFAULT_PROCS 64u
#define MP_DEFAULT_SIZE ((size_t)64 << 20)
#define MP_MIN_SIZE ((size_t)1 << 20)
#define MP_JMAX 512u          /* cells per series at most (a 510-bucket histogram) */
#define MP_LOCK_WAIT_MS 5000  /* creation, claims, mark_dead */
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

/* Process-local state. Lock order: fams_lock, registry locks, family vlocks and locks,
 * lock, then the shared mutex. */
static struct {
  _Atomic int on;
  _Atomic int env_checked;
  int atfork_done;
  struct mp_hdr *h;
  pid_t pid;
  uint32_t arena; /* this process's arena (1..max, or max+1 = overflow) */
  pthread_mutex_t lock; /* bound list */
  struct mp_bound *b;
  size_t nb, capb, reserved; /* reserved: room promised to reserve() callers */
  pthread_mutex_t fams_lock; /* family list, sync cursor */
  struct promc_family **fams;
  promc_registry **regs; /* scratch for the fork handlers, capacity capfams */
  size_t nfams, capfams, nregs_locked;
  uint32_t synced; /* entries [0, synced) were offered to local families */
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .fams_lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t g_enable_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set when a scrape on this thread timed out on the shared lock (a holder
 * that is alive but stuck, e.g. stopped): the rest of that scrape reads
 * without the lock instead of waiting again for every series. */
static _Thread_local int t_scrape_nolock;
/* Set while a scrape maps other processes' new series: their creation waits
 * for the lock as briefly as the scrape's reads do. */
static _Thread_local int t_in_scrape;

/* ------------------------------------------------------------ layout */
static inline struct mp_slot *slot_rec(uint32_t arena) {
  return (struct mp_slot *)((char *)g.h + g.h->off_slots) + (arena - 1);
}
static inline uint32_t *entries(void) { return (uint32_t *)((char *)g.h + g.h->off_entries); }
static inline uint32_t *index_tab(void) { return (uint32_t *)((char *)g.h + g.h->off_index); }
static inline char *heap(void) { return (char *)g.h + g.h->off_heap; }
static inline struct mp_entry *entry(uint32_t i) { return (struct mp_entry *)(heap() + entries()[i]); }
static inline _Atomic uint64_t *cells(uint32_t arena, uint64_t off) {
  return (_Atomic uint64_t *)((char *)g.h + g.h->off_cells) + (uint64_t)arena * g.h->arena_cells + off;
}
static inline uint32_t overflow_arena(void) { return g.h->max_procs + 1; }

static uint32_t shm_ncells(const struct promc_family *f) {
  /* gauge: value, stamp, and in the archive arena only, its entry number + 1 */
  return f->type == PROMC_TYPE_GAUGE ? 3u : (uint32_t)f->ncells;
}

static bool mode_is_live(uint32_t m) {
  return m == PROMC_MP_GAUGE_LIVEALL || m == PROMC_MP_GAUGE_LIVESUM || m == PROMC_MP_GAUGE_LIVEMIN ||
         m == PROMC_MP_GAUGE_LIVEMAX || m == PROMC_MP_GAUGE_LIVEMOSTRECENT;
}

/* ------------------------------------------------------ process liveness */
/* Reads /proc/<pid>/stat: state letter and start time (clock ticks since
 * boot). 0 = read, -1 = no such process, -2 = cannot tell (no /proc). */
static int proc_stat(pid_t pid, char *state, uint64_t *start) {
  char path[48], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? -1 : -2;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1; /* the process went away between open and read */
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
  if (!p || p[1] != ' ') return -2;
  p += 2;
  *state = *p;
  for (int field = 3; field < 22; field++) { /* starttime is field 22 */
    p = strchr(p, ' ');
    if (!p) return -2;
    p++;
  }
  *start = strtoull(p, NULL, 10);
  return 0;
}

static uint64_t self_start(void) {
  char st;
  uint64_t t = 0;
  return proc_stat(getpid(), &st, &t) == 0 ? t : 0;
}

/* Alive = exists, is not a zombie, and started when the slot was claimed
 * (so a recycled pid does not keep a dead worker's slot). */
static bool proc_alive(pid_t pid, uint64_t start) {
  char st = 0;
  uint64_t t = 0;
  int r = proc_stat(pid, &st, &t);
  if (r == -1) return false;
  if (r == -2) return kill(pid, 0) == 0 || errno == EPERM;
  if (st == 'Z' || st == 'X' || st == 'x') return false;
  return start == 0 || t == start;
}

/* ------------------------------------------------------------ test hook */
/* PROMC__MP_TEST_STALL=<where> makes this process stop forever (until
 * killed) at that point inside the shared critical section, so tests can
 * kill a lock holder mid-update. Read only on cold paths. */
static void test_stall(const char *where) {
  const char *e = getenv("PROMC__MP_TEST_STALL");
  if (PROMC_UNLIKELY(e && strcmp(e, where) == 0))
    for (;;) pause();
}

/* ------------------------------------------------------------ hashing */
static uint64_t hash_bytes(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

static void index_insert(uint32_t i) {
  uint32_t *t = index_tab();
  uint32_t mask = g.h->index_mask;
  for (uint64_t j = entry(i)->hash & mask;; j = (j + 1) & mask)
    if (!t[j]) {
      t[j] = i + 1;
      return;
    }
}

/* The entry with this key, or UINT32_MAX. Shared lock held. */
static uint32_t index_find(const char *key, uint32_t key_len, uint64_t hash) {
  uint32_t *t = index_tab();
  uint32_t mask = g.h->index_mask;
  for (uint64_t j = hash & mask; t[j]; j = (j + 1) & mask) {
    struct mp_entry *e = entry(t[j] - 1);
    if (e->hash == hash && e->key_len == key_len && memcmp(e->key, key, key_len) == 0) return t[j] - 1;
  }
  return UINT32_MAX;
}

/* --------------------------------------------------------------- folding */
static inline double d_of(uint64_t b) { return promc__bits_double(b); }
static inline uint64_t b_of(double d) { return promc__double_bits(d); }

/* Allocates n bytes (8-aligned) from the heap; 0 when full. Lock held. */
static uint64_t heap_alloc(size_t n) {
  n = (n + 7) & ~(size_t)7;
  uint64_t used = atomic_load_explicit(&g.h->heap_used, memory_order_relaxed);
  if (used + n > g.h->heap_size) return 0;
  atomic_store_explicit(&g.h->heap_used, used + n, memory_order_relaxed);
  return used;
}

/* Writes the archive cells of entry e from the journal's saved archive
 * values and slot src. Idempotent given the journal (redo after a crash).
 * recovering: an ALL-mode record may already have been linked. */
static void fold_apply(struct mp_entry *e, _Atomic uint64_t *src, _Atomic uint64_t *dst, int32_t pid,
                       bool recovering) {
  const uint64_t *old = g.h->j_old;
  uint32_t n = e->ncells;
  uint64_t s0 = atomic_load(&src[0]), s1 = n > 1 ? atomic_load(&src[1]) : 0;
  switch (e->type) {
    case PROMC_TYPE_COUNTER: /* [0] integer, [1] double, [2] stripe (always 0 here) */
      atomic_store(&dst[0], old[0] + s0);
      atomic_store(&dst[1], b_of(d_of(old[1]) + d_of(s1)));
      break;
    case PROMC_TYPE_HISTOGRAM: /* [0] sum, [1..] bucket counts */
      atomic_store(&dst[0], b_of(d_of(old[0]) + d_of(s0)));
      for (uint32_t i = 1; i < n; i++) atomic_store(&dst[i], old[i] + atomic_load(&src[i]));
      break;
    case PROMC_TYPE_SUMMARY: /* [0] count, [1] sum */
      atomic_store(&dst[0], old[0] + s0);
      atomic_store(&dst[1], b_of(d_of(old[1]) + d_of(s1)));
      break;
    case PROMC_TYPE_GAUGE: { /* [0] value, [1] stamp (0 = never written) */
      double v = d_of(s0), ov = d_of(old[0]);
      uint64_t nv = old[0], ns = old[1];
      switch (e->mode) {
        case PROMC_MP_GAUGE_SUM:
          nv = b_of(old[1] ? ov + v : v);
          ns = old[1] > s1 ? old[1] : s1;
          break;
        case PROMC_MP_GAUGE_MIN:
          if (!old[1] || v < ov) nv = s0, ns = s1;
          break;
        case PROMC_MP_GAUGE_MAX:
          if (!old[1] || v > ov) nv = s0, ns = s1;
          break;
        case PROMC_MP_GAUGE_MOSTRECENT:
          if (s1 >= old[1]) nv = s0, ns = s1;
          break;
        case PROMC_MP_GAUGE_ALL: {
          uint64_t head = atomic_load(&e->dead_head);
          if (recovering && head && ((struct mp_dead *)(heap() + head))->pid == pid) break;
          uint64_t off = heap_alloc(sizeof(struct mp_dead));
          if (!off) {
            atomic_fetch_add(&g.h->dropped_dead, 1);
            break;
          }
          struct mp_dead *d = (struct mp_dead *)(heap() + off);
          d->pid = pid;
          d->value_bits = s0;
          atomic_store(&d->next, head);
          atomic_store_explicit(&e->dead_head, off, memory_order_release);
          break;
        }
        default: break; /* live modes: a dead process's value drops out */
      }
      atomic_store(&dst[0], nv);
      atomic_store(&dst[1], ns);
      break;
    }
    default: break;
  }
}

/* Folds entry i of arena k into the archive and zeroes the slot's cells. */
static void fold_entry(uint32_t k, uint32_t i, int32_t pid) {
  struct mp_hdr *h = g.h;
  struct mp_entry *e = entry(i);
  _Atomic uint64_t *src = cells(k, e->cell_off), *dst = cells(0, e->cell_off);
  bool any = false;
  for (uint32_t c = 0; c < e->ncells && !any; c++) any = atomic_load_explicit(&src[c], memory_order_relaxed) != 0;
  if (!any) return;
  if (e->type == PROMC_TYPE_GAUGE && !atomic_load(&src[1])) { /* never written: nothing to keep */
    atomic_store(&src[0], 0);
    return;
  }
  h->j_arena = k;
  h->j_entry = i;
  h->j_pid = pid;
  for (uint32_t c = 0; c < e->ncells; c++) h->j_old[c] = atomic_load(&dst[c]);
  atomic_store(&h->j_stage, 1);
  fold_apply(e, src, dst, pid, false);
  test_stall("fold");
  atomic_store(&h->j_stage, 2);
  for (uint32_t c = 0; c < e->ncells; c++) atomic_store(&src[c], 0);
  atomic_store(&h->j_stage, 0);
}

static void mask_set(uint32_t k, bool on) {
  uint64_t bit = 1ull << ((k - 1) % 64);
  if (on) atomic_fetch_or(&g.h->live_mask[(k - 1) / 64], bit);
  else atomic_fetch_and(&g.h->live_mask[(k - 1) / 64], ~bit);
}

/* Folds every series of slot k and frees the slot. Lock held. */
static void fold_slot(uint32_t k) {
  struct mp_slot *sl = slot_rec(k);
  atomic_store(&sl->state, SLOT_FOLDING);
  int32_t pid = atomic_load(&sl->pid);
  uint32_t n = atomic_load(&g.h->nseries);
  for (uint32_t i = 0; i < n; i++) fold_entry(k, i, pid);
  mask_set(k, false);
  atomic_store(&sl->pid, 0);
  atomic_store(&sl->start, 0);
  atomic_store(&sl->state, SLOT_FREE);
  atomic_fetch_add(&g.h->folds, 1);
}

/* After EOWNERDEAD: bring every structure back to a consistent state. */
static void repair(void) {
  struct mp_hdr *h = g.h;
  uint32_t n = atomic_load(&h->nseries);
  memset(index_tab(), 0, ((size_t)h->index_mask + 1) * sizeof(uint32_t));
  for (uint32_t i = 0; i < n; i++) index_insert(i);
  uint32_t stage = atomic_load(&h->j_stage);
  if (stage) {
    struct mp_entry *e = entry(h->j_entry);
    _Atomic uint64_t *src = cells(h->j_arena, e->cell_off), *dst = cells(0, e->cell_off);
    if (stage == 1) fold_apply(e, src, dst, h->j_pid, true);
    for (uint32_t c = 0; c < e->ncells; c++) atomic_store(&src[c], 0);
    atomic_store(&h->j_stage, 0);
  }
  for (uint32_t k = 1; k <= h->max_procs; k++)
    if (atomic_load(&slot_rec(k)->state) == SLOT_FOLDING) fold_slot(k);
  for (uint32_t k = 1; k <= h->max_procs; k++) mask_set(k, atomic_load(&slot_rec(k)->state) == SLOT_LIVE);
}

/* ------------------------------------------------------------ the lock */
/* Takes the shared mutex, waiting at most wait_ms. Recovers from a holder
 * that died. 0, PROMC_ETIMEOUT or PROMC_ESTATE (unrecoverable). */
static int mp_lock(int wait_ms) {
  struct mp_hdr *h = g.h;
  int rc = pthread_mutex_trylock(&h->mtx);
  if (rc == EBUSY) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    do rc = pthread_mutex_timedlock(&h->mtx, &ts);
    while (rc == EINTR);
  }
  if (rc == EOWNERDEAD) {
    repair();
    pthread_mutex_consistent(&h->mtx);
    atomic_fetch_add(&h->recoveries, 1);
    rc = 0;
  }
  if (rc == 0) {
    atomic_store_explicit(&h->holder, (int32_t)g.pid, memory_order_relaxed);
    return 0;
  }
  return rc == ETIMEDOUT ? PROMC_ETIMEOUT : PROMC_ESTATE;
}

static void mp_unlock(void) {
  atomic_store_explicit(&g.h->holder, 0, memory_order_relaxed);
  pthread_mutex_unlock(&g.h->mtx);
}

/* ------------------------------------------------------------ slots */
/* Checks every live slot but our own (lock held) and folds dead ones. */
static int reap_locked(void) {
  int n = 0;
  for (uint32_t k = 1; k <= g.h->max_procs; k++) {
    struct mp_slot *sl = slot_rec(k);
    if (k == g.arena || atomic_load(&sl->state) != SLOT_LIVE) continue;
    if (!proc_alive(atomic_load(&sl->pid), atomic_load(&sl->start))) {
      fold_slot(k);
      n++;
    }
  }
  return n;
}

/* Claims a free slot for the calling process (reaping first if none is
 * free); falls back to the shared overflow arena. */
static uint32_t claim_slot(void) {
  pid_t pid = getpid();
  uint64_t start = self_start();
  if (mp_lock(MP_LOCK_WAIT_MS) != 0) {
    atomic_store(&g.h->overflow_used, 1);
    atomic_fetch_add(&g.h->overflow_forks, 1);
    return overflow_arena();
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    for (uint32_t k = 1; k <= g.h->max_procs; k++) {
      struct mp_slot *sl = slot_rec(k);
      if (atomic_load(&sl->state) != SLOT_FREE) continue;
      atomic_store(&sl->pid, (int32_t)pid);
      atomic_store(&sl->start, start);
      atomic_store(&sl->state, SLOT_LIVE);
      mask_set(k, true);
      mp_unlock();
      return k;
    }
    if (attempt == 0) (void)reap_locked();
  }
  atomic_store(&g.h->overflow_used, 1);
  atomic_fetch_add(&g.h->overflow_forks, 1);
  mp_unlock();
  return overflow_arena();
}

/* Points s at this process's cells for offset off; marks gauges. */
static void point(struct promc_series *s, uint64_t off) {
  s->cells = cells(g.arena, off);
  if (s->fam->type == PROMC_TYPE_GAUGE) s->flags |= S_MP_GAUGE;
}

/* ------------------------------------------------------------ fork */
static void atfork_prepare(void) {
  pthread_mutex_lock(&g.fams_lock);
  g.nregs_locked = 0;
  for (size_t i = 0; i < g.nfams; i++) { /* registries before families (render's order) */
    promc_registry *r = g.fams[i]->registry;
    bool seen = !r;
    for (size_t j = 0; j < g.nregs_locked && !seen; j++) seen = g.regs[j] == r;
    if (seen) continue;
    g.regs[g.nregs_locked++] = r;
    pthread_mutex_lock(&r->lock);
  }
  for (size_t i = 0; i < g.nfams; i++) { /* vlock first: a value callback may create children */
    pthread_mutex_lock(&g.fams[i]->vlock);
    pthread_mutex_lock(&g.fams[i]->lock);
  }
  pthread_mutex_lock(&g.lock);
}

static void fork_unlock_all(void) {
  pthread_mutex_unlock(&g.lock);
  for (size_t i = g.nfams; i-- > 0;) {
    pthread_mutex_unlock(&g.fams[i]->lock);
    pthread_mutex_unlock(&g.fams[i]->vlock);
  }
  for (size_t i = g.nregs_locked; i-- > 0;) pthread_mutex_unlock(&g.regs[i]->lock);
  pthread_mutex_unlock(&g.fams_lock);
}

static void atfork_parent(void) { fork_unlock_all(); }

/* In the child: a slot of its own, and every bound series moved to it. */
static void atfork_child(void) {
  if (atomic_load(&g.on)) {
    g.pid = getpid();
    g.arena = claim_slot();
    for (size_t i = 0; i < g.nb; i++) point(g.b[i].s, g.b[i].cell_off);
  }
  fork_unlock_all();
}

/* ------------------------------------------------------------ enable */
static int layout_init(struct mp_hdr *h, size_t size, unsigned procs) {
  size_t off = (sizeof *h + 4095) & ~(size_t)4095;
  h->magic = MP_MAGIC;
  h->version = MP_VERSION;
  h->max_procs = procs;
  h->size = size;
  h->off_slots = off;
  off += ((size_t)procs * sizeof(struct mp_slot) + 4095) & ~(size_t)4095;
  size_t meta = size / 8;
  size_t max_series = meta / 128;
  if (max_series > UINT32_MAX / 4) max_series = UINT32_MAX / 4;
  size_t icap = 1;
  while (icap < max_series * 2) icap <<= 1;
  h->max_series = (uint32_t)max_series;
  h->index_mask = (uint32_t)(icap - 1);
  h->off_entries = off;
  off += (max_series * 4 + 63) & ~(size_t)63;
  h->off_index = off;
  off += (icap * 4 + 63) & ~(size_t)63;
  h->off_heap = off;
  size_t slots_end = (size_t)h->off_slots + (((size_t)procs * sizeof(struct mp_slot) + 4095) & ~(size_t)4095);
  size_t meta_end = (slots_end + meta + 4095) & ~(size_t)4095;
  if (meta_end <= off + 4096) return -1;
  h->heap_size = meta_end - off;
  h->off_cells = meta_end;
  if (size <= meta_end) return -1;
  h->arena_cells = ((size - meta_end) / 8 / (procs + 2)) & ~(uint64_t)7;
  if (h->arena_cells < 1024) return -1;
  atomic_store(&h->heap_used, 8); /* offset 0 means "none" */
  return 0;
}

static int init_mutex(pthread_mutex_t *m) {
  pthread_mutexattr_t a;
  if (pthread_mutexattr_init(&a)) return -1;
  int rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (!rc) rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (!rc) rc = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  return rc ? -1 : 0;
}

static int enable_locked(const promc_mp_opts *o) {
  if (atomic_load(&g.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is already enabled");
  const char *dir = o && o->dir ? o->dir : getenv("PROMC_MULTIPROC_DIR");
  if (!dir || !*dir)
    return promc__err(PROMC_EINVAL, "multiprocess: no directory (opts.dir or PROMC_MULTIPROC_DIR)");
  size_t size = o && o->size ? o->size : MP_DEFAULT_SIZE;
  unsigned procs = o && o->max_processes ? o->max_processes : MP_DEFAULT_PROCS;
  if (size < MP_MIN_SIZE) return promc__err(PROMC_EINVAL, "multiprocess: size %zu is below 1 MiB", size);
  if (procs > MP_MAX_PROCS)
    return promc__err(PROMC_EINVAL, "multiprocess: max_processes %u is above %u", procs, MP_MAX_PROCS);
  char path[4096];
  int pl = snprintf(path, sizeof path, "%s/promc-mp-%ld.db", dir, (long)getpid());
  if (pl < 0 || (size_t)pl >= sizeof path) return promc__err(PROMC_EINVAL, "multiprocess: directory path too long");
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST && unlink(path) == 0) /* left by an earlier run with our pid */
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return promc__err(PROMC_EIO, "multiprocess: cannot create %s: %s", path, strerror(errno));
  void *p = MAP_FAILED;
  int err = ftruncate(fd, (off_t)size) != 0 ? errno : 0;
  if (!err) {
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) err = errno;
  }
  close(fd);
  if (err || !(o && o->keep_file)) unlink(path);
  if (err) return promc__err(PROMC_EIO, "multiprocess: cannot size or map %s: %s", path, strerror(err));
  struct mp_hdr *h = p;
  if (layout_init(h, size, procs) != 0) {
    munmap(p, size);
    return promc__err(PROMC_EINVAL, "multiprocess: size %zu too small for %u processes", size, procs);
  }
  if (init_mutex(&h->mtx) != 0) {
    munmap(p, size);
    return promc__err(PROMC_EUNSUPP, "multiprocess: no process-shared robust mutexes here");
  }
  if (!g.atfork_done) {
    if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child) != 0) {
      munmap(p, size);
      return promc__err(PROMC_ENOMEM, "multiprocess: pthread_atfork failed");
    }
    g.atfork_done = 1;
  }
  h->magic = MP_MAGIC;
  g.h = h;
  g.pid = getpid();
  g.arena = claim_slot();
  atomic_store(&g.on, 1);
  return 0;
}

int promc_multiprocess_enable(const promc_mp_opts *o) {
  pthread_mutex_lock(&g_enable_lock);
  int rc = enable_locked(o);
  g.env_checked = 1;
  pthread_mutex_unlock(&g_enable_lock);
  return rc;
}

int promc_multiprocess_enabled(void) { return atomic_load(&g.on); }

/* Turns the mode on from PROMC_MULTIPROC_DIR at the first family. */
static int auto_enable(void) {
  pthread_mutex_lock(&g_enable_lock);
  int rc = 0;
  if (!g.env_checked) {
    g.env_checked = 1;
    const char *dir = getenv("PROMC_MULTIPROC_DIR");
    if (dir && *dir && !atomic_load(&g.on)) rc = enable_locked(NULL);
  }
  pthread_mutex_unlock(&g_enable_lock);
  return rc;
}

/* ------------------------------------------------------------ binding */
/* Builds the directory key of (family, values) into a new buffer. */
static char *make_key(const struct promc_family *f, size_t n, const char *const *v, const size_t *lens,
                      uint32_t *key_len) {
  size_t len = f->name_len + 1;
  for (size_t i = 0; i < n; i++) len += 4 + lens[i] + 1;
  if (len > UINT32_MAX) return NULL;
  char *k = promc__malloc(len), *o = k;
  if (!k) return NULL;
  memcpy(o, f->name, f->name_len + 1);
  o += f->name_len + 1;
  for (size_t i = 0; i < n; i++) {
    uint32_t l = (uint32_t)lens[i];
    memcpy(o, &l, 4);
    memcpy(o + 4, v[i], lens[i]);
    o[4 + lens[i]] = 0;
    o += 4 + lens[i] + 1;
  }
  *key_len = (uint32_t)len;
  return k;
}

/* Finds or creates the entry for key (lock held); its cell offset in *off. */
static int find_or_create(const struct promc_family *f, const char *key, uint32_t key_len, size_t nvalues,
                          uint64_t *off) {
  struct mp_hdr *h = g.h;
  uint64_t hash = hash_bytes(key, key_len);
  uint32_t i = index_find(key, key_len, hash);
  uint32_t nc = shm_ncells(f);
  if (i != UINT32_MAX) {
    struct mp_entry *e = entry(i);
    if (e->type != (uint32_t)f->type || e->ncells != nc)
      return promc__err(PROMC_ETYPE, "multiprocess: \"%s\" exists in another process with another type or buckets",
                        f->name);
    *off = e->cell_off;
    return 0;
  }
  uint32_t n = atomic_load(&h->nseries);
  uint64_t cu = atomic_load(&h->cells_used);
  if (n >= h->max_series || cu + nc > h->arena_cells)
    return promc__err(PROMC_EFULL, "multiprocess: the shared mapping is full (%u series, %" PRIu64
                      " cells); raise promc_mp_opts.size", n, cu);
  uint64_t eo = heap_alloc(sizeof(struct mp_entry) + key_len);
  if (!eo)
    return promc__err(PROMC_EFULL, "multiprocess: the shared mapping's directory is full; raise promc_mp_opts.size");
  atomic_store(&h->cells_used, cu + nc);
  struct mp_entry *e = (struct mp_entry *)(heap() + eo);
  e->type = (uint32_t)f->type;
  e->mode = f->type == PROMC_TYPE_GAUGE ? (uint32_t)f->mp_gauge_mode : 0;
  e->ncells = nc;
  e->nvalues = (uint32_t)nvalues;
  e->cell_off = cu;
  e->hash = hash;
  e->name_len = (uint32_t)f->name_len;
  e->key_len = key_len;
  atomic_store(&e->dead_head, 0);
  memcpy(e->key, key, key_len);
  if (f->type == PROMC_TYPE_GAUGE) atomic_store(&cells(0, cu)[2], (uint64_t)n + 1);
  entries()[n] = (uint32_t)eo;
  atomic_store_explicit(&h->nseries, n + 1, memory_order_release);
  test_stall("create");
  index_insert(n);
  *off = cu;
  return 0;
}

/* Finds or creates the shared cells of (f, values) and reserves room in the
 * bound list, so that attach() cannot fail. */
int promc__mp_reserve(struct promc_family *f, size_t n, const char *const *v, const size_t *lens,
                      uint64_t *out) {
  pthread_mutex_lock(&g.lock);
  if (g.nb + g.reserved >= g.capb) {
    size_t cap = g.capb ? g.capb * 2 : 64;
    struct mp_bound *nbuf = promc__realloc(g.b, cap * sizeof *nbuf);
    if (nbuf) {
      g.b = nbuf;
      g.capb = cap;
    }
  }
  bool room = g.nb + g.reserved < g.capb;
  if (room) g.reserved++;
  pthread_mutex_unlock(&g.lock);
  if (!room) return promc__err(PROMC_ENOMEM, "multiprocess: out of memory binding \"%s\"", f->name);
  uint32_t key_len;
  char *key = make_key(f, n, v, lens, &key_len);
  if (!key) return promc__err(PROMC_ENOMEM, "multiprocess: out of memory binding \"%s\"", f->name);
  int wait = t_in_scrape ? (t_scrape_nolock ? 0 : MP_SCRAPE_WAIT_MS) : MP_LOCK_WAIT_MS;
  int rc = mp_lock(wait);
  if (rc && t_in_scrape) t_scrape_nolock = 1;
  uint64_t off = 0;
  if (rc == 0) {
    rc = find_or_create(f, key, key_len, n, &off);
    mp_unlock();
  } else {
    rc = promc__err(rc, "multiprocess: the shared lock was not free within %d ms", wait);
  }
  promc__free(key);
  if (rc) {
    pthread_mutex_lock(&g.lock);
    g.reserved--;
    pthread_mutex_unlock(&g.lock);
    return rc;
  }
  *out = off;
  return 0;
}

void promc__mp_attach(struct promc_series *s, uint64_t off) {
  pthread_mutex_lock(&g.lock);
  point(s, off);
  g.b[g.nb].s = s;
  g.b[g.nb].cell_off = off;
  g.nb++;
  g.reserved--;
  pthread_mutex_unlock(&g.lock);
}

/* Offers entries [from, to) to family f (or to every local family when f
 * is NULL): each one becomes a local child. Returns the first entry that
 * could not be mapped (the shared lock was busy), else to. fams_lock held. */
static uint32_t offer_entries(struct promc_family *only, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; i++) {
    struct mp_entry *e = entry(i);
    if (!e->nvalues || e->nvalues > 64) continue;
    struct promc_family *f = only;
    if (f) {
      if (f->name_len != e->name_len || memcmp(f->name, e->key, e->name_len) != 0) continue;
    } else {
      for (size_t j = 0; j < g.nfams && !f; j++)
        if (g.fams[j]->name_len == e->name_len && memcmp(g.fams[j]->name, e->key, e->name_len) == 0)
          f = g.fams[j];
      if (!f) continue;
    }
    if (f->nlabels != e->nvalues || (uint32_t)f->type != e->type) continue;
    const char *vals[64];
    const char *p = e->key + e->name_len + 1;
    for (uint32_t k = 0; k < e->nvalues; k++) {
      uint32_t l;
      memcpy(&l, p, 4);
      vals[k] = p + 4;
      p += 4 + l + 1;
    }
    if (!promc_metric_labelsv((promc_metric *)&f->root, e->nvalues, vals) && t_scrape_nolock) return i;
  }
  return to;
}

int promc__mp_family_init(struct promc_family *f, const promc_opts *o) {
  if (!atomic_load(&g.on) && !g.env_checked) {
    int rc = auto_enable();
    if (rc) return rc;
  }
  if (!atomic_load(&g.on)) return 0;
  if (f->type != PROMC_TYPE_COUNTER && f->type != PROMC_TYPE_GAUGE && f->type != PROMC_TYPE_HISTOGRAM &&
      f->type != PROMC_TYPE_SUMMARY)
    return 0; /* info and enum stay per process */
  if (shm_ncells(f) > MP_JMAX)
    return promc__err(PROMC_EUNSUPP, "multiprocess: \"%s\" has more than %u buckets", f->name, MP_JMAX - 2);
  if (f->type == PROMC_TYPE_GAUGE) {
    unsigned m = (unsigned)o->mp_gauge_mode;
    if (m > PROMC_MP_GAUGE_LIVEMOSTRECENT)
      return promc__err(PROMC_EINVAL, "multiprocess: gauge \"%s\": unknown mp_gauge_mode %u", f->name, m);
    if (m == PROMC_MP_GAUGE_ALL || m == PROMC_MP_GAUGE_LIVEALL) {
      for (size_t i = 0; i < f->nlabels; i++)
        if (strcmp(f->label_names[i], "pid") == 0)
          return promc__err(PROMC_ELABEL, "gauge \"%s\": label \"pid\" is added by its mp_gauge_mode", f->name);
      for (size_t i = 0; i < f->nconst; i++)
        if (strcmp(f->const_names[i], "pid") == 0)
          return promc__err(PROMC_ELABEL, "gauge \"%s\": label \"pid\" is added by its mp_gauge_mode", f->name);
    }
    f->mp_gauge_mode = (int)m;
  }
  pthread_mutex_lock(&g.fams_lock);
  if (g.nfams == g.capfams) {
    size_t cap = g.capfams ? g.capfams * 2 : 16;
    struct promc_family **nf = promc__realloc(g.fams, cap * sizeof *nf);
    if (nf) g.fams = nf;
    promc_registry **nr = nf ? promc__realloc(g.regs, cap * sizeof *nr) : NULL;
    if (nr) g.regs = nr;
    if (nf && nr) g.capfams = cap;
  }
  if (g.nfams == g.capfams) {
    pthread_mutex_unlock(&g.fams_lock);
    return promc__err(PROMC_ENOMEM, "multiprocess: out of memory adding \"%s\"", f->name);
  }
  g.fams[g.nfams++] = f;
  f->mp = 1;
  int rc = 0;
  uint64_t off;
  if (!f->nlabels && (rc = promc__mp_reserve(f, 0, NULL, NULL, &off)) == 0) promc__mp_attach(&f->root, off);
  else (void)offer_entries(f, 0, atomic_load_explicit(&g.h->nseries, memory_order_acquire));
  pthread_mutex_unlock(&g.fams_lock);
  return rc; /* on error the caller frees f, which unlists it */
}

void promc__mp_family_free(struct promc_family *f) {
  pthread_mutex_lock(&g.fams_lock);
  for (size_t i = 0; i < g.nfams; i++)
    if (g.fams[i] == f) {
      memmove(&g.fams[i], &g.fams[i + 1], (g.nfams - i - 1) * sizeof g.fams[0]);
      g.nfams--;
      break;
    }
  pthread_mutex_lock(&g.lock);
  size_t w = 0;
  for (size_t i = 0; i < g.nb; i++)
    if (g.b[i].s->fam != f) g.b[w++] = g.b[i];
  g.nb = w;
  if (!g.nb && !g.reserved) {
    promc__free(g.b);
    g.b = NULL;
    g.capb = 0;
  }
  pthread_mutex_unlock(&g.lock);
  if (!g.nfams) {
    promc__free(g.fams);
    promc__free(g.regs);
    g.fams = NULL;
    g.regs = NULL;
    g.capfams = 0;
  }
  pthread_mutex_unlock(&g.fams_lock);
}

void promc__mp_gauge_written(struct promc_series *s) {
  uint64_t stamp = 1; /* "this process has a value" */
  int m = s->fam->mp_gauge_mode;
  if (m == PROMC_MP_GAUGE_MOSTRECENT || m == PROMC_MP_GAUGE_LIVEMOSTRECENT) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* vDSO: no system call */
    stamp = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 2;
  }
  atomic_store_explicit(&s->cells[1], stamp, memory_order_release);
}

/* ------------------------------------------------------------ scrape */
static int reap(void) {
  int n = 0;
  for (uint32_t w = 0; w < (g.h->max_procs + 63) / 64; w++) {
    uint64_t m = atomic_load(&g.h->live_mask[w]);
    while (m) {
      uint32_t k = w * 64 + (uint32_t)__builtin_ctzll(m) + 1;
      m &= m - 1;
      if (k == g.arena) continue;
      struct mp_slot *sl = slot_rec(k);
      int32_t pid = atomic_load(&sl->pid);
      uint64_t start = atomic_load(&sl->start);
      if (atomic_load(&sl->state) != SLOT_LIVE || proc_alive(pid, start)) continue;
      if (t_scrape_nolock || mp_lock(MP_SCRAPE_WAIT_MS) != 0) {
        t_scrape_nolock = 1;
        return n;
      }
      if (atomic_load(&sl->state) == SLOT_LIVE && atomic_load(&sl->pid) == pid &&
          atomic_load(&sl->start) == start && !proc_alive(pid, start)) {
        fold_slot(k);
        n++;
      }
      mp_unlock();
    }
  }
  return n;
}

void promc__mp_scrape_begin(void) {
  if (!atomic_load(&g.on)) return;
  t_scrape_nolock = 0;
  (void)reap();
  pthread_mutex_lock(&g.fams_lock);
  uint32_t n = atomic_load_explicit(&g.h->nseries, memory_order_acquire);
  if (n > g.synced) {
    t_in_scrape = 1;
    g.synced = offer_entries(NULL, g.synced, n); /* the rest at the next scrape */
    t_in_scrape = 0;
  }
  pthread_mutex_unlock(&g.fams_lock);
}

/* Emits one sample set with the labels of s and pid="N". */
static void emit_pid(struct promc_render_ctx *rc, const struct promc_fview *fv, const struct promc_series *s,
                     struct promc_sview *sv, int32_t pid, double v) {
  char num[24], pair[32];
  snprintf(num, sizeof num, "%ld", (long)pid);
  sv->labels = s->labels;
  sv->labels_len = s->labels_len;
  sv->pairs = pair;
  sv->pairs_len = (size_t)(promc__pack_item(promc__pack_item(pair, "pid", 3), num, strlen(num)) - pair);
  sv->value = v;
  rc->ops->series(rc->out, fv, sv, rc->st);
  sv->pairs = NULL;
  sv->pairs_len = 0;
}

bool promc__mp_emit(struct promc_render_ctx *rc, const struct promc_fview *fv, const struct promc_family *f,
                    const struct promc_series *s, struct promc_sview *sv, uint64_t *cum) {
  for (const struct promc_fnreg *r = f->fns; r; r = r->next)
    if (r->s == s) return false; /* a callback child: the local callback renders it */
  struct mp_hdr *h = g.h;
  if (!h) return false;
  uintptr_t base = (uintptr_t)cells(g.arena, 0), at = (uintptr_t)s->cells;
  if (at < base || at >= base + h->arena_cells * 8) return false; /* not bound */
  uint64_t off = (at - base) / 8;
  /* ~14 KiB of stack at most (1026 slots) */
  uint16_t arenas[MP_MAX_PROCS + 2], vidx[MP_MAX_PROCS + 2];
  int32_t pids[MP_MAX_PROCS + 2];
  double vals[MP_MAX_PROCS + 2];
  size_t na = 0, nv = 0;
  /* If the lock cannot be had, a best-effort read without it: a fold running
   * meanwhile may make this one series off for this one scrape. */
  bool locked = !t_scrape_nolock && mp_lock(MP_SCRAPE_WAIT_MS) == 0;
  if (!locked) t_scrape_nolock = 1;
  arenas[na] = 0;
  pids[na++] = 0;
  for (uint32_t w = 0; w < (h->max_procs + 63) / 64; w++) {
    uint64_t m = atomic_load(&h->live_mask[w]);
    while (m) {
      uint32_t k = w * 64 + (uint32_t)__builtin_ctzll(m) + 1;
      m &= m - 1;
      arenas[na] = (uint16_t)k;
      pids[na++] = atomic_load(&slot_rec(k)->pid);
    }
  }
  if (atomic_load(&h->overflow_used)) {
    arenas[na] = (uint16_t)overflow_arena();
    pids[na++] = 0;
  }
  uint64_t u = 0, u2 = 0;
  double d = 0, best = 0;
  uint64_t best_stamp = 0;
  bool have = false;
  uint32_t mode = (uint32_t)f->mp_gauge_mode;
  bool live_only = mode_is_live(mode);
  switch (f->type) {
    case PROMC_TYPE_COUNTER:
      for (size_t a = 0; a < na; a++) {
        _Atomic uint64_t *c = cells(arenas[a], off);
        u += atomic_load_explicit(&c[0], memory_order_relaxed);
        d += d_of(atomic_load_explicit(&c[1], memory_order_relaxed));
      }
      break;
    case PROMC_TYPE_HISTOGRAM:
      for (size_t i = 0; i <= f->nbounds; i++) cum[i] = 0;
      for (size_t a = 0; a < na; a++) {
        _Atomic uint64_t *c = cells(arenas[a], off);
        d += d_of(atomic_load_explicit(&c[0], memory_order_relaxed));
        for (size_t i = 0; i <= f->nbounds; i++) cum[i] += atomic_load_explicit(&c[1 + i], memory_order_relaxed);
      }
      break;
    case PROMC_TYPE_SUMMARY:
      for (size_t a = 0; a < na; a++) {
        _Atomic uint64_t *c = cells(arenas[a], off);
        u2 += atomic_load_explicit(&c[0], memory_order_relaxed);
        d += d_of(atomic_load_explicit(&c[1], memory_order_relaxed));
      }
      break;
    case PROMC_TYPE_GAUGE:
      for (size_t a = 0; a < na; a++) {
        if (arenas[a] == 0 && live_only) continue;
        _Atomic uint64_t *c = cells(arenas[a], off);
        uint64_t stamp = atomic_load_explicit(&c[1], memory_order_acquire);
        if (!stamp) continue;
        double v = d_of(atomic_load_explicit(&c[0], memory_order_relaxed));
        switch (mode) {
          case PROMC_MP_GAUGE_ALL:
          case PROMC_MP_GAUGE_LIVEALL:
            if (arenas[a] != 0) {
              vidx[nv] = (uint16_t)a;
              vals[nv++] = v;
            }
            break;
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
      break;
    default: break;
  }
  if (locked) mp_unlock();

  sv->labels = s->labels;
  sv->labels_len = s->labels_len;
  sv->created = atomic_load_explicit(&s->created, memory_order_relaxed);
  sv->pairs = NULL;
  sv->pairs_len = 0;
  sv->exemplars = NULL; /* exemplars stay in each process's memory: not exposed in this mode */
  switch (f->type) {
    case PROMC_TYPE_COUNTER: sv->value = (double)u + d; break;
    case PROMC_TYPE_HISTOGRAM:
      for (size_t i = 1; i <= f->nbounds; i++) cum[i] += cum[i - 1];
      sv->count = cum[f->nbounds];
      sv->sum = d;
      break;
    case PROMC_TYPE_SUMMARY:
      sv->count = u2;
      sv->sum = d;
      break;
    case PROMC_TYPE_GAUGE:
      if (mode == PROMC_MP_GAUGE_ALL || mode == PROMC_MP_GAUGE_LIVEALL) {
        for (size_t i = 0; i < nv; i++) emit_pid(rc, fv, s, sv, pids[vidx[i]], vals[i]);
        if (mode == PROMC_MP_GAUGE_ALL) { /* and the dead processes' records */
          uint64_t ei = atomic_load(&cells(0, off)[2]);
          struct mp_entry *e = ei ? entry((uint32_t)(ei - 1)) : NULL;
          uint64_t o = e ? atomic_load_explicit(&e->dead_head, memory_order_acquire) : 0;
          while (o) {
            const struct mp_dead *dr = (const struct mp_dead *)(heap() + o);
            emit_pid(rc, fv, s, sv, (int32_t)dr->pid, d_of(dr->value_bits));
            o = atomic_load_explicit(&((struct mp_dead *)dr)->next, memory_order_acquire);
          }
        }
        return true;
      }
      if (!have) return true; /* no process has a value: no sample */
      sv->value = best;
      break;
    default: return false;
  }
  rc->ops->series(rc->out, fv, sv, rc->st);
  return true;
}

/* ------------------------------------------------------------ public */
int promc_multiprocess_mark_dead(pid_t pid) {
  if (!atomic_load(&g.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is not enabled");
  if (pid == getpid()) return promc__err(PROMC_EINVAL, "mark_dead: %ld is the calling process", (long)pid);
  int rc = mp_lock(MP_LOCK_WAIT_MS);
  if (rc) return promc__err(rc, "mark_dead: the shared lock was not free within %d ms", MP_LOCK_WAIT_MS);
  rc = PROMC_ENOTFOUND;
  for (uint32_t k = 1; k <= g.h->max_procs; k++) {
    struct mp_slot *sl = slot_rec(k);
    if (atomic_load(&sl->state) == SLOT_LIVE && atomic_load(&sl->pid) == (int32_t)pid) {
      fold_slot(k);
      rc = 0;
      break;
    }
  }
  mp_unlock();
  return rc ? promc__err(rc, "mark_dead: no live slot belongs to pid %ld", (long)pid) : 0;
}

int promc_multiprocess_reap(void) {
  if (!atomic_load(&g.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is not enabled");
  t_scrape_nolock = 0;
  int n = reap();
  int timed_out = t_scrape_nolock;
  t_scrape_nolock = 0;
  return timed_out && !n ? promc__err(PROMC_ETIMEOUT, "reap: the shared lock was not free in time") : n;
}

int promc_multiprocess_stats(promc_mp_stats *out) {
  if (!out) return promc__err(PROMC_EINVAL, "stats: out is NULL");
  if (!atomic_load(&g.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is not enabled");
  struct mp_hdr *h = g.h;
  memset(out, 0, sizeof *out);
  out->max_processes = h->max_procs;
  for (uint32_t w = 0; w < MP_MAX_PROCS / 64; w++)
    out->live_processes += (unsigned)__builtin_popcountll(atomic_load(&h->live_mask[w]));
  out->slot = g.arena;
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
