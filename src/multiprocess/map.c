/* SPDX-License-Identifier: Apache-2.0 */
/* map.c — the multi-process store's shared mapping: its layout (process
 * slots, the series directory, one value arena per slot plus an archive),
 * enabling it, the robust lock and the repair after a holder died, slot
 * claims, and folding dead processes into the archive. bind.c ties the
 * core's children to it; read.c sums it for scrapes (mp_internal.h).
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

#include "core/kind.h"
#include "core/store.h"
#include "multiprocess/mp_internal.h"

struct mp_state promc__mp = {.lock = PTHREAD_MUTEX_INITIALIZER};
_Thread_local int promc__mp_nolock;
_Thread_local int promc__mp_in_scrape;
static pthread_mutex_t g_enable_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------ process liveness */
/* State letter and start time (clock ticks since boot) of pid. 0 = read,
 * -1 = no such process, -2 = cannot tell (no /proc). */
static int proc_stat(pid_t pid, char *state, uint64_t *start) {
  char path[48];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  struct promc_procstat ps;
  int rc = promc__procstat_read(path, &ps);
  if (rc == -ENOENT || rc == -ESRCH) return -1;
  if (rc) return -2;
  *state = ps.state;
  *start = ps.starttime;
  return 0;
}

static uint64_t self_start(void) {
  char st;
  uint64_t t = 0;
  return proc_stat(getpid(), &st, &t) == 0 ? t : 0;
}

/* (so a recycled pid does not keep a dead worker's slot) */
bool promc__mp_proc_alive(pid_t pid, uint64_t start) {
  char st = 0;
  uint64_t t = 0;
  int r = proc_stat(pid, &st, &t);
  if (r == -1) return false;
  if (r == -2) return kill(pid, 0) == 0 || errno == EPERM;
  if (st == 'Z' || st == 'X' || st == 'x') return false;
  return start == 0 || t == start;
}

/* ------------------------------------------------------------ test hook */
void promc__mp_test_stall(const char *where) {
  const char *e = getenv("PROMC__MP_TEST_STALL");
  if (PROMC_UNLIKELY(e && strcmp(e, where) == 0))
    for (;;) pause();
}

/* ------------------------------------------------------------ hashing */
static inline uint32_t *index_tab(void) {
  return (uint32_t *)((char *)promc__mp.h + promc__mp.h->off_index);
}

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
  uint32_t mask = promc__mp.h->index_mask;
  for (uint64_t j = mp_entry(i)->hash & mask;; j = (j + 1) & mask)
    if (!t[j]) {
      t[j] = i + 1;
      return;
    }
}

/* The entry with this key, or UINT32_MAX. Shared lock held. */
static uint32_t index_find(const char *key, uint32_t key_len, uint64_t hash) {
  uint32_t *t = index_tab();
  uint32_t mask = promc__mp.h->index_mask;
  for (uint64_t j = hash & mask; t[j]; j = (j + 1) & mask) {
    struct mp_entry *e = mp_entry(t[j] - 1);
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
  uint64_t used = atomic_load_explicit(&promc__mp.h->heap_used, memory_order_relaxed);
  if (used + n > promc__mp.h->heap_size) return 0;
  atomic_store_explicit(&promc__mp.h->heap_used, used + n, memory_order_relaxed);
  return used;
}

/* The cell layout of entry e as a family, for its kind's merge: a dead
 * process's series need not exist in this process. merge reads only the
 * layout fields (type, ncells, nbounds). */
static void layout_of(const struct mp_entry *e, struct promc_family *lf) {
  memset(lf, 0, sizeof *lf);
  lf->type = (promc_type)e->type;
  lf->ncells = e->ncells;
  lf->nbounds = e->type == PROMC_TYPE_HISTOGRAM ? e->ncells - 2 : 0;
}

/* Writes the archive cells of entry e from the journal's saved archive
 * values and slot src. Idempotent given the journal (redo after a crash).
 * recovering: an ALL-mode record may already have been linked. Counters,
 * histograms and summaries add up by their kind's merge; gauges combine by
 * their mode, here, since that is the store's business. */
static void fold_apply(struct mp_entry *e, _Atomic uint64_t *src, _Atomic uint64_t *dst, int32_t pid,
                       bool recovering) {
  const uint64_t *old = promc__mp.h->j_old;
  uint32_t n = e->ncells;
  if (e->type != PROMC_TYPE_GAUGE) {
    const struct promc_kind *k = promc__kind((promc_type)e->type);
    if (!k || !k->merge) return;
    struct promc_family lf;
    layout_of(e, &lf);
    for (uint32_t c = 0; c < n; c++) atomic_store(&dst[c], old[c]);
    k->merge(&lf, dst, src);
    return;
  }
  uint64_t s0 = atomic_load(&src[0]), s1 = atomic_load(&src[1]);
  /* [0] value, [1] stamp (0 = never written) */
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
      if (recovering && head && ((struct mp_dead *)(mp_heap() + head))->pid == pid) break;
      uint64_t off = heap_alloc(sizeof(struct mp_dead));
      if (!off) {
        atomic_fetch_add(&promc__mp.h->dropped_dead, 1);
        break;
      }
      struct mp_dead *d = (struct mp_dead *)(mp_heap() + off);
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
}

/* Folds entry i of arena k into the archive and zeroes the slot's cells. */
static void fold_entry(uint32_t k, uint32_t i, int32_t pid) {
  struct mp_hdr *h = promc__mp.h;
  struct mp_entry *e = mp_entry(i);
  _Atomic uint64_t *src = mp_cells(k, e->cell_off), *dst = mp_cells(0, e->cell_off);
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
  promc__mp_test_stall("fold");
  atomic_store(&h->j_stage, 2);
  for (uint32_t c = 0; c < e->ncells; c++) atomic_store(&src[c], 0);
  atomic_store(&h->j_stage, 0);
}

static void mask_set(uint32_t k, bool on) {
  uint64_t bit = 1ull << ((k - 1) % 64);
  if (on) atomic_fetch_or(&promc__mp.h->live_mask[(k - 1) / 64], bit);
  else atomic_fetch_and(&promc__mp.h->live_mask[(k - 1) / 64], ~bit);
}

/* Folds every series of slot k and frees the slot. Lock held. */
void promc__mp_fold_slot(uint32_t k) {
  struct mp_slot *sl = mp_slot_rec(k);
  atomic_store(&sl->state, SLOT_FOLDING);
  int32_t pid = atomic_load(&sl->pid);
  uint32_t n = atomic_load(&promc__mp.h->nseries);
  for (uint32_t i = 0; i < n; i++) fold_entry(k, i, pid);
  mask_set(k, false);
  atomic_store(&sl->pid, 0);
  atomic_store(&sl->start, 0);
  atomic_store(&sl->state, SLOT_FREE);
  atomic_fetch_add(&promc__mp.h->folds, 1);
}

/* After EOWNERDEAD: bring every structure back to a consistent state. */
static void repair(void) {
  struct mp_hdr *h = promc__mp.h;
  uint32_t n = atomic_load(&h->nseries);
  memset(index_tab(), 0, ((size_t)h->index_mask + 1) * sizeof(uint32_t));
  for (uint32_t i = 0; i < n; i++) index_insert(i);
  uint32_t stage = atomic_load(&h->j_stage);
  if (stage) {
    struct mp_entry *e = mp_entry(h->j_entry);
    _Atomic uint64_t *src = mp_cells(h->j_arena, e->cell_off), *dst = mp_cells(0, e->cell_off);
    if (stage == 1) fold_apply(e, src, dst, h->j_pid, true);
    for (uint32_t c = 0; c < e->ncells; c++) atomic_store(&src[c], 0);
    atomic_store(&h->j_stage, 0);
  }
  for (uint32_t k = 1; k <= h->max_procs; k++)
    if (atomic_load(&mp_slot_rec(k)->state) == SLOT_FOLDING) promc__mp_fold_slot(k);
  for (uint32_t k = 1; k <= h->max_procs; k++) mask_set(k, atomic_load(&mp_slot_rec(k)->state) == SLOT_LIVE);
}

/* ------------------------------------------------------------ the lock */
int promc__mp_lock(int wait_ms) {
  struct mp_hdr *h = promc__mp.h;
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
    atomic_store_explicit(&h->holder, (int32_t)promc__mp.pid, memory_order_relaxed);
    return 0;
  }
  return rc == ETIMEDOUT ? PROMC_ETIMEOUT : PROMC_ESTATE;
}

void promc__mp_unlock(void) {
  atomic_store_explicit(&promc__mp.h->holder, 0, memory_order_relaxed);
  pthread_mutex_unlock(&promc__mp.h->mtx);
}

/* ------------------------------------------------------------ slots */
/* Checks every live slot but our own (lock held) and folds dead ones. */
static int reap_locked(void) {
  int n = 0;
  for (uint32_t k = 1; k <= promc__mp.h->max_procs; k++) {
    struct mp_slot *sl = mp_slot_rec(k);
    if (k == promc__mp.arena || atomic_load(&sl->state) != SLOT_LIVE) continue;
    if (!promc__mp_proc_alive(atomic_load(&sl->pid), atomic_load(&sl->start))) {
      promc__mp_fold_slot(k);
      n++;
    }
  }
  return n;
}

uint32_t promc__mp_claim_slot(void) {
  pid_t pid = getpid();
  uint64_t start = self_start();
  if (promc__mp_lock(MP_LOCK_WAIT_MS) != 0) {
    atomic_store(&promc__mp.h->overflow_used, 1);
    atomic_fetch_add(&promc__mp.h->overflow_forks, 1);
    return mp_overflow_arena();
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    for (uint32_t k = 1; k <= promc__mp.h->max_procs; k++) {
      struct mp_slot *sl = mp_slot_rec(k);
      if (atomic_load(&sl->state) != SLOT_FREE) continue;
      atomic_store(&sl->pid, (int32_t)pid);
      atomic_store(&sl->start, start);
      atomic_store(&sl->state, SLOT_LIVE);
      mask_set(k, true);
      promc__mp_unlock();
      return k;
    }
    if (attempt == 0) (void)reap_locked();
  }
  atomic_store(&promc__mp.h->overflow_used, 1);
  atomic_fetch_add(&promc__mp.h->overflow_forks, 1);
  promc__mp_unlock();
  return mp_overflow_arena();
}

/* Points s at this process's cells for offset off; marks gauges. */
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
  if (atomic_load(&promc__mp.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is already enabled");
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
  int rc = promc__store_fork_install(); /* a child forked before any family claims its own slot */
  if (rc) {
    munmap(p, size);
    return rc;
  }
  h->magic = MP_MAGIC;
  promc__mp.h = h;
  promc__mp.pid = getpid();
  promc__mp.arena = promc__mp_claim_slot();
  atomic_store(&promc__mp.on, 1);
  return 0;
}

int promc_multiprocess_enable(const promc_mp_opts *o) {
  pthread_mutex_lock(&g_enable_lock);
  int rc = enable_locked(o);
  promc__mp.env_checked = 1;
  pthread_mutex_unlock(&g_enable_lock);
  return rc;
}

int promc_multiprocess_enabled(void) { return atomic_load(&promc__mp.on); }

int promc__mp_auto_enable(void) {
  pthread_mutex_lock(&g_enable_lock);
  int rc = 0;
  if (!promc__mp.env_checked) {
    promc__mp.env_checked = 1;
    const char *dir = getenv("PROMC_MULTIPROC_DIR");
    if (dir && *dir && !atomic_load(&promc__mp.on)) rc = enable_locked(NULL);
  }
  pthread_mutex_unlock(&g_enable_lock);
  return rc;
}

/* ------------------------------------------------------------ the directory */
/* Builds the directory key of (family, values) into a new buffer. */
char *promc__mp_make_key(const struct promc_family *f, size_t n, const char *const *v, const size_t *lens,
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
int promc__mp_find_or_create(const struct promc_family *f, const char *key, uint32_t key_len, size_t nvalues,
                          uint64_t *off) {
  struct mp_hdr *h = promc__mp.h;
  uint64_t hash = hash_bytes(key, key_len);
  uint32_t i = index_find(key, key_len, hash);
  uint32_t nc = mp_shm_ncells(f);
  if (i != UINT32_MAX) {
    struct mp_entry *e = mp_entry(i);
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
  struct mp_entry *e = (struct mp_entry *)(mp_heap() + eo);
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
  if (f->type == PROMC_TYPE_GAUGE) atomic_store(&mp_cells(0, cu)[2], (uint64_t)n + 1);
  mp_entries()[n] = (uint32_t)eo;
  atomic_store_explicit(&h->nseries, n + 1, memory_order_release);
  promc__mp_test_stall("create");
  index_insert(n);
  *off = cu;
  return 0;
}

/* ------------------------------------------------------------ public */
int promc_multiprocess_mark_dead(pid_t pid) {
  if (!atomic_load(&promc__mp.on)) return promc__err(PROMC_ESTATE, "multiprocess mode is not enabled");
  if (pid == getpid()) return promc__err(PROMC_EINVAL, "mark_dead: %ld is the calling process", (long)pid);
  int rc = promc__mp_lock(MP_LOCK_WAIT_MS);
  if (rc) return promc__err(rc, "mark_dead: the shared lock was not free within %d ms", MP_LOCK_WAIT_MS);
  rc = PROMC_ENOTFOUND;
  for (uint32_t k = 1; k <= promc__mp.h->max_procs; k++) {
    struct mp_slot *sl = mp_slot_rec(k);
    if (atomic_load(&sl->state) == SLOT_LIVE && atomic_load(&sl->pid) == (int32_t)pid) {
      promc__mp_fold_slot(k);
      rc = 0;
      break;
    }
  }
  promc__mp_unlock();
  return rc ? promc__err(rc, "mark_dead: no live slot belongs to pid %ld", (long)pid) : 0;
}

