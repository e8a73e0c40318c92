/* SPDX-License-Identifier: Apache-2.0 */
/* bind.c — the multi-process store as the core's storage backend
 * (core/store.h): it validates and binds families, finds or creates each
 * child's shared cells and points the child at this process's arena,
 * stamps gauge writes, maps series other processes created as local
 * children, and moves every bound child to the new process's own arena
 * after a fork. The ops table at the end is the whole seam. */
#include <time.h>
#include <unistd.h>

#include "core/kind.h"
#include "core/store.h"
#include "multiprocess/mp_internal.h"

/* ------------------------------------------------------------ binding */
/* Points s at this process's cells for offset off; marks gauges. */
static void point(struct promc_series *s, uint64_t off) {
  s->cells = mp_cells(promc__mp.arena, off);
  if (s->fam->type == PROMC_TYPE_GAUGE) s->flags |= S_MP_GAUGE;
}

/* Finds or creates the shared cells of (f, values) and reserves room in the
 * bound list, so that attach() cannot fail. */
static int mp_reserve(struct promc_family *f, size_t n, const char *const *v, const size_t *lens,
                      uint64_t *out) {
  pthread_mutex_lock(&promc__mp.lock);
  if (promc__mp.nb + promc__mp.reserved >= promc__mp.capb) {
    size_t cap = promc__mp.capb ? promc__mp.capb * 2 : 64;
    struct mp_bound *nbuf = promc__realloc(promc__mp.b, cap * sizeof *nbuf);
    if (nbuf) {
      promc__mp.b = nbuf;
      promc__mp.capb = cap;
    }
  }
  bool room = promc__mp.nb + promc__mp.reserved < promc__mp.capb;
  if (room) promc__mp.reserved++;
  pthread_mutex_unlock(&promc__mp.lock);
  if (!room) return promc__err(PROMC_ENOMEM, "multiprocess: out of memory binding \"%s\"", f->name);
  uint32_t key_len;
  char *key = promc__mp_make_key(f, n, v, lens, &key_len);
  if (!key) return promc__err(PROMC_ENOMEM, "multiprocess: out of memory binding \"%s\"", f->name);
  int wait = promc__mp_in_scrape ? (promc__mp_nolock ? 0 : MP_SCRAPE_WAIT_MS) : MP_LOCK_WAIT_MS;
  int rc = promc__mp_lock(wait);
  if (rc && promc__mp_in_scrape) promc__mp_nolock = 1;
  uint64_t off = 0;
  if (rc == 0) {
    rc = promc__mp_find_or_create(f, key, key_len, n, &off);
    promc__mp_unlock();
  } else {
    rc = promc__err(rc, "multiprocess: the shared lock was not free within %d ms", wait);
  }
  promc__free(key);
  if (rc) {
    pthread_mutex_lock(&promc__mp.lock);
    promc__mp.reserved--;
    pthread_mutex_unlock(&promc__mp.lock);
    return rc;
  }
  *out = off;
  return 0;
}

static void mp_attach(struct promc_series *s, uint64_t off) {
  pthread_mutex_lock(&promc__mp.lock);
  point(s, off);
  promc__mp.b[promc__mp.nb].s = s;
  promc__mp.b[promc__mp.nb].cell_off = off;
  promc__mp.nb++;
  promc__mp.reserved--;
  pthread_mutex_unlock(&promc__mp.lock);
}

/* Offers entries [from, to) to family `only`, or when it is NULL to the
 * store-held families fams[0..nfams): each one becomes a local child.
 * Returns the first entry that could not be mapped (the shared lock was
 * busy), else to. The store-family lock is held. */
static uint32_t offer_entries(struct promc_family *only, struct promc_family *const *fams, size_t nfams,
                              uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; i++) {
    struct mp_entry *e = mp_entry(i);
    if (!e->nvalues || e->nvalues > 64) continue;
    struct promc_family *f = only;
    if (f) {
      if (f->name_len != e->name_len || memcmp(f->name, e->key, e->name_len) != 0) continue;
    } else {
      for (size_t j = 0; j < nfams && !f; j++)
        if (fams[j]->name_len == e->name_len && memcmp(fams[j]->name, e->key, e->name_len) == 0) f = fams[j];
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
    if (!promc_metric_labelsv((promc_metric *)&f->root, e->nvalues, vals) && promc__mp_nolock) return i;
  }
  return to;
}

/* Under the store-family lock (core/store.h). */
static int mp_family_init(struct promc_family *f, const promc_opts *o) {
  if (!atomic_load(&promc__mp.on) && !promc__mp.env_checked) {
    int rc = promc__mp_auto_enable();
    if (rc) return rc;
  }
  if (!atomic_load(&promc__mp.on)) return 0;
  if (f->type != PROMC_TYPE_GAUGE && !promc__kind(f->type)->merge)
    return 0; /* cells that do not add (info, enum) stay per process */
  if (mp_shm_ncells(f) > MP_JMAX)
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
  f->mp = 1;
  int rc = 0;
  uint64_t off;
  if (!f->nlabels && (rc = mp_reserve(f, 0, NULL, NULL, &off)) == 0) mp_attach(&f->root, off);
  else (void)offer_entries(f, NULL, 0, 0, atomic_load_explicit(&promc__mp.h->nseries, memory_order_acquire));
  return rc; /* on error the caller frees f, which unbinds it */
}

/* The core has unlisted f (under the store-family lock). */
static void mp_family_free(struct promc_family *f) {
  pthread_mutex_lock(&promc__mp.lock);
  size_t w = 0;
  for (size_t i = 0; i < promc__mp.nb; i++)
    if (promc__mp.b[i].s->fam != f) promc__mp.b[w++] = promc__mp.b[i];
  promc__mp.nb = w;
  if (!promc__mp.nb && !promc__mp.reserved) {
    promc__free(promc__mp.b);
    promc__mp.b = NULL;
    promc__mp.capb = 0;
  }
  pthread_mutex_unlock(&promc__mp.lock);
}

/* Hot path (a gauge write): one release store; the clock is the vDSO's. */
static void mp_gauge_written(struct promc_series *s) {
  uint64_t stamp = 1; /* "this process has a value" */
  int m = s->fam->mp_gauge_mode;
  if (m == PROMC_MP_GAUGE_MOSTRECENT || m == PROMC_MP_GAUGE_LIVEMOSTRECENT) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* vDSO: no system call */
    stamp = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 2;
  }
  atomic_store_explicit(&s->cells[1], stamp, memory_order_release);
}

static void mp_scrape_begin(void) {
  if (!atomic_load(&promc__mp.on)) return;
  promc__mp_nolock = 0;
  (void)promc__mp_reap();
  size_t nfams;
  struct promc_family *const *fams = promc__store_families(&nfams);
  uint32_t n = atomic_load_explicit(&promc__mp.h->nseries, memory_order_acquire);
  if (n > promc__mp.synced) {
    promc__mp_in_scrape = 1;
    promc__mp.synced = offer_entries(NULL, fams, nfams, promc__mp.synced, n); /* the rest at the next scrape */
    promc__mp_in_scrape = 0;
  }
  promc__store_families_done();
}

/* ------------------------------------------------------------ fork */
/* The core has taken every lock before ours (registry.c's fork step). */
static void mp_prefork(void) { pthread_mutex_lock(&promc__mp.lock); }

static void mp_postfork_parent(void) { pthread_mutex_unlock(&promc__mp.lock); }

/* In the child: a slot of its own, and every bound series moved to it. */
static void mp_postfork_child(void) {
  if (atomic_load(&promc__mp.on)) {
    promc__mp.pid = getpid();
    promc__mp.arena = promc__mp_claim_slot();
    for (size_t i = 0; i < promc__mp.nb; i++) point(promc__mp.b[i].s, promc__mp.b[i].cell_off);
  }
  pthread_mutex_unlock(&promc__mp.lock);
}

static const struct promc_store_ops mp_ops = {
    .family_init = mp_family_init,
    .family_free = mp_family_free,
    .reserve = mp_reserve,
    .attach = mp_attach,
    .gauge_written = mp_gauge_written,
    .scrape_begin = mp_scrape_begin,
    .read_sum = promc__mp_read_sum,
    .each = promc__mp_each,
    .prefork = mp_prefork,
    .postfork_parent = mp_postfork_parent,
    .postfork_child = mp_postfork_child,
};

const struct promc_store_ops *const promc__store_backend = &mp_ops;
