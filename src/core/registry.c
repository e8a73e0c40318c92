/* SPDX-License-Identifier: Apache-2.0 */
/* registry.c — registries: the default one, registration with name-collision
 * checks, collectors, the guard that turns a callback's re-entry (into any
 * registry, into a family being rendered, into the store's family list)
 * into an error instead of a deadlock; and the core's side of the storage
 * seam (core/store.h): the families a backend holds, and the fork step that
 * takes every lock they involve. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "core/store.h"

static pthread_mutex_t g_default_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(promc_registry *) g_default;

/* The families a storage backend holds (f->mp), for the fork step and for
 * the backend's scrape (it maps other processes' series to local families).
 * Lock order, outermost first: this list, registries, family vlock, family
 * lock, then the backend's own locks (taken by its prefork hook). */
static struct {
  pthread_mutex_t lock;
  struct promc_family **fams;
  promc_registry **regs; /* the fork handlers' scratch: capacity cap */
  size_t n, cap, nregs_locked;
} g_store = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The render this thread is in (a mark per registry of a
 * promc_registries_render, one at a time: a render inside a render is
 * refused). */
static _Thread_local struct promc_render_mark *t_rendering;

void promc__render_enter(struct promc_render_mark *m, const struct promc_registry *r) {
  m->r = r;
  m->held = NULL;
  m->up = t_rendering;
  t_rendering = m;
}

void promc__render_leave(struct promc_render_mark *m) { t_rendering = m->up; }

void promc__render_hold(const struct promc_family *f) {
  if (t_rendering) t_rendering->held = f;
}

bool promc__rendering(const struct promc_registry *r) {
  for (const struct promc_render_mark *m = t_rendering; m; m = m->up)
    if (m->r == r) return true;
  return false;
}

/* Why a render takes no second registry lock and creates or frees no
 * family: the registry locks have no order among themselves, so two
 * renders whose callbacks each reached into the other's registry would
 * wait on each other for good; and family creation and free take the
 * store's list lock, which the fork step takes before every registry. A
 * collector or value callback records values, creates and removes
 * children, and sets callbacks; it does not reshape registries. */
int promc__render_refuse(const struct promc_registry *r, const char *what) {
  if (!t_rendering) return 0;
  if (r && promc__rendering(r))
    return promc__err(PROMC_ESTATE,
                      "%s: called from a collector or value callback of the registry being rendered "
                      "(that render holds its lock); do it outside the scrape",
                      what);
  return promc__err(PROMC_ESTATE,
                    "%s: called from a collector or value callback while this thread renders a registry; "
                    "a render takes no other registry's lock and creates or frees no family (two renders "
                    "doing so could deadlock each other, or a fork); do it outside the scrape, or render "
                    "several registries as one with promc_registries_render",
                    what);
}

/* How long a callback waits for the value lock of a family another thread
 * is rendering when that lock comes before the one this thread holds. */
#define NESTED_VLOCK_WAIT_S 1

int promc__vlock_take(struct promc_family *f, const char *what) {
  const struct promc_family *held = NULL; /* the one this thread's render holds */
  for (const struct promc_render_mark *m = t_rendering; m; m = m->up) {
    if (m->held == f)
      return promc__err(PROMC_ESTATE,
                        "%s: \"%s\" is being rendered by this thread (called from its value callback or "
                        "the render's write function), and its render holds the lock this call takes; "
                        "do it outside the scrape",
                        what, f->name);
    if (m->held && (!held || (uintptr_t)&m->held->vlock > (uintptr_t)&held->vlock)) held = m->held;
  }
  /* Value locks taken inside a render go in address order, so that renders
   * on two threads, each in a callback setting the other's family, cannot
   * wait on each other for good: the one that would go against the order
   * waits a bounded time, then gives up. */
  if (!held || (uintptr_t)&f->vlock > (uintptr_t)&held->vlock) {
    pthread_mutex_lock(&f->vlock);
    return 0;
  }
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += NESTED_VLOCK_WAIT_S;
  int e;
  while ((e = pthread_mutex_timedlock(&f->vlock, &until)) == EINTR) continue;
  if (e == 0) return 0;
  return promc__err(PROMC_ESTATE,
                    "%s: \"%s\" stayed busy for %d s (another thread is rendering it) while this thread "
                    "renders \"%s\"; waiting on could deadlock (that render may be waiting for this one): "
                    "do it outside the scrape",
                    what, f->name, NESTED_VLOCK_WAIT_S, held->name);
}

int promc_registry_new(promc_registry **out) {
  if (!out) return promc__err(PROMC_EINVAL, "registry_new: out pointer is NULL");
  promc_registry *r = promc__calloc(1, sizeof *r);
  if (!r) return promc__err(PROMC_ENOMEM, "out of memory creating a registry");
  pthread_mutex_init(&r->lock, NULL);
  *out = r;
  return 0;
}

promc_registry *promc_default_registry(void) {
  promc_registry *r = atomic_load_explicit(&g_default, memory_order_acquire);
  if (PROMC_LIKELY(r)) return r;
  pthread_mutex_lock(&g_default_lock);
  r = atomic_load(&g_default);
  if (!r && promc_registry_new(&r) == 0) {
    /* The default collectors (process, platform...) when built in; a
     * failure there must not prevent the registry from working. */
    /* r is not visible yet, so no render can hold its lock: its
     * collectors go in even when a callback is what asked for it first */
    struct promc_render_mark *outer = t_rendering;
    t_rendering = NULL;
    (void)promc__default_collectors_hook(r);
    t_rendering = outer;
    atomic_store_explicit(&g_default, r, memory_order_release);
  }
  pthread_mutex_unlock(&g_default_lock);
  return r;
}

void promc_registry_free(promc_registry *r) {
  if (!r) return;
  if (promc__render_refuse(r, "registry_free")) return; /* from a callback: leak rather than deadlock */
  pthread_mutex_lock(&g_default_lock);
  if (atomic_load(&g_default) == r) atomic_store(&g_default, NULL);
  pthread_mutex_unlock(&g_default_lock);
  for (struct promc_family *f = r->first, *n; f; f = n) {
    n = f->reg_next;
    promc__family_free(f);
  }
  for (struct promc_collector_node *c = r->collectors, *n; c; c = n) {
    n = c->next;
    if (c->c.free_user) c->c.free_user(c->c.user);
    promc__free(c->name);
    promc__free(c);
  }
  pthread_mutex_destroy(&r->lock);
  promc__free(r);
}

void promc_shutdown(void) {
  promc_registry_free(atomic_load(&g_default));
  promc__stripes_shutdown();
}

void promc_registry_set_created(promc_registry *r, int on) {
  if (!r) return;
  if (promc__render_refuse(r, "registry_set_created")) return;
  pthread_mutex_lock(&r->lock);
  r->created_text = on ? 1 : 0;
  pthread_mutex_unlock(&r->lock);
}

static const char *collides(const struct promc_family *a, const struct promc_family *b) {
  for (size_t i = 0; i < a->nexposed; i++)
    for (size_t j = 0; j < b->nexposed; j++)
      if (strcmp(a->exposed[i], b->exposed[j]) == 0) return a->exposed[i];
  return NULL;
}

int promc_register(promc_registry *r, promc_metric *m) {
  struct promc_series *s = promc__series(m);
  if (!r || !s) return promc__err(PROMC_EINVAL, "register: NULL registry or metric");
  struct promc_family *f = s->fam;
  if (s != &f->root) return promc__err(PROMC_EINVAL, "register: needs a family handle, not a child");
  int rc = promc__render_refuse(r, "register");
  if (rc) return rc;
  /* A store-held family's registry changes under the store's list lock
   * too, so that the fork step, which reads it there, locks every registry
   * that can be rendering one. */
  if (f->mp) pthread_mutex_lock(&g_store.lock);
  pthread_mutex_lock(&r->lock);
  if (atomic_load(&f->registry)) {
    rc = promc__err(PROMC_ESTATE, "\"%s\" is already registered", f->name);
    goto out;
  }
  for (struct promc_family *o = r->first; o; o = o->reg_next) {
    const char *c = collides(f, o);
    if (c) {
      rc = promc__err(PROMC_EDUP, "\"%s\" collides with registered \"%s\" on the name \"%s\"", f->name,
                      o->name, c);
      goto out;
    }
  }
  /* The claim: a register of f into another registry (under that one's
   * lock) may have got here too; exactly one swap succeeds. */
  promc_registry *none = NULL;
  if (!atomic_compare_exchange_strong(&f->registry, &none, r)) {
    rc = promc__err(PROMC_ESTATE, "\"%s\" is already registered (another thread registered it first)", f->name);
    goto out;
  }
  f->reg_next = NULL;
  if (r->last) r->last->reg_next = f;
  else r->first = f;
  r->last = f;
out:
  pthread_mutex_unlock(&r->lock);
  if (f->mp) pthread_mutex_unlock(&g_store.lock);
  return rc;
}

int promc__registry_unlink(struct promc_family *f) {
  for (;;) {
    promc_registry *r = atomic_load(&f->registry);
    if (!r) return PROMC_ENOTFOUND;
    int rc = promc__render_refuse(r, "unregister");
    if (rc) return rc;
    pthread_mutex_lock(&r->lock);
    if (atomic_load(&f->registry) != r) { /* moved meanwhile: unregistered (and maybe registered again) */
      pthread_mutex_unlock(&r->lock);
      continue;
    }
    struct promc_family *prev = NULL;
    for (struct promc_family *o = r->first; o; prev = o, o = o->reg_next) {
      if (o != f) continue;
      if (prev) prev->reg_next = o->reg_next;
      else r->first = o->reg_next;
      if (r->last == o) r->last = prev;
      break;
    }
    f->reg_next = NULL;
    atomic_store(&f->registry, NULL);
    pthread_mutex_unlock(&r->lock);
    return 0;
  }
}

int promc_unregister(promc_metric *m) {
  struct promc_series *s = promc__series(m);
  if (!s || s != &s->fam->root) return promc__err(PROMC_EINVAL, "unregister: needs a family handle");
  int rc = promc__registry_unlink(s->fam);
  if (rc == PROMC_ENOTFOUND) return promc__err(PROMC_ENOTFOUND, "\"%s\" is not registered", s->fam->name);
  return rc;
}

int promc_registry_add_collector(promc_registry *r, const promc_collector *c) {
  if (!r || !c || !c->name || !c->collect)
    return promc__err(PROMC_EINVAL, "add_collector: registry, collector, name and collect are required");
  struct promc_collector_node *n = promc__calloc(1, sizeof *n);
  char *name = promc__strdup(c->name);
  if (!n || !name) {
    promc__free(n);
    promc__free(name);
    return promc__err(PROMC_ENOMEM, "out of memory adding collector \"%s\"", c->name);
  }
  n->c = *c;
  n->name = name;
  n->c.name = name;
  int rc = promc__render_refuse(r, "add_collector");
  if (rc) {
    promc__free(n);
    promc__free(name);
    return rc;
  }
  pthread_mutex_lock(&r->lock);
  for (struct promc_collector_node *o = r->collectors; o; o = o->next) {
    if (strcmp(o->name, name) == 0) {
      pthread_mutex_unlock(&r->lock);
      promc__free(n);
      promc__free(name);
      return promc__err(PROMC_EDUP, "a collector named \"%s\" is already registered", c->name);
    }
  }
  struct promc_collector_node **pp = &r->collectors;
  while (*pp) pp = &(*pp)->next;
  *pp = n;
  pthread_mutex_unlock(&r->lock);
  return 0;
}

int promc_registry_remove_collector(promc_registry *r, const char *name) {
  if (!r || !name) return promc__err(PROMC_EINVAL, "remove_collector: NULL argument");
  int rc = promc__render_refuse(r, "remove_collector");
  if (rc) return rc;
  pthread_mutex_lock(&r->lock);
  struct promc_collector_node **pp = &r->collectors, *n;
  while ((n = *pp) && strcmp(n->name, name) != 0) pp = &n->next;
  if (n) *pp = n->next;
  pthread_mutex_unlock(&r->lock);
  if (!n) return promc__err(PROMC_ENOTFOUND, "no collector named \"%s\"", name);
  if (n->c.free_user) n->c.free_user(n->c.user);
  promc__free(n->name);
  promc__free(n);
  return 0;
}

/* ------------------------------------------------------ storage backend */
/* The store's family list (g_store, at the top of this file). */
struct promc_family *const *promc__store_families(size_t *n) {
  pthread_mutex_lock(&g_store.lock);
  *n = g_store.n;
  return g_store.fams;
}

void promc__store_families_done(void) { pthread_mutex_unlock(&g_store.lock); }

int promc__store_family_init(struct promc_family *f, const promc_opts *o) {
  const struct promc_store_ops *b = promc__store_backend;
  if (!b) return 0;
  pthread_mutex_lock(&g_store.lock);
  int rc = b->family_init(f, o);
  if (rc == 0 && f->mp && g_store.n == g_store.cap) {
    /* the fork handlers cannot allocate: room for every registry too */
    size_t cap = g_store.cap ? g_store.cap * 2 : 16;
    struct promc_family **nf = promc__realloc(g_store.fams, cap * sizeof *nf);
    if (nf) g_store.fams = nf;
    promc_registry **nr = nf ? promc__realloc(g_store.regs, cap * sizeof *nr) : NULL;
    if (nr) g_store.regs = nr;
    if (nf && nr) g_store.cap = cap;
    else rc = promc__err(PROMC_ENOMEM, "multiprocess: out of memory adding \"%s\"", f->name);
  }
  if (rc == 0 && f->mp) g_store.fams[g_store.n++] = f;
  pthread_mutex_unlock(&g_store.lock);
  return rc; /* on error the caller frees f, which lets the backend forget it */
}

void promc__store_family_free(struct promc_family *f) {
  pthread_mutex_lock(&g_store.lock);
  for (size_t i = 0; i < g_store.n; i++)
    if (g_store.fams[i] == f) {
      memmove(&g_store.fams[i], &g_store.fams[i + 1], (g_store.n - i - 1) * sizeof g_store.fams[0]);
      g_store.n--;
      break;
    }
  promc__store_backend->family_free(f);
  if (!g_store.n) {
    promc__free(g_store.fams);
    promc__free(g_store.regs);
    g_store.fams = NULL;
    g_store.regs = NULL;
    g_store.cap = 0;
  }
  pthread_mutex_unlock(&g_store.lock);
}

int promc__store_reserve(struct promc_family *f, size_t n, const char *const *values, const size_t *lens,
                         uint64_t *off) {
  return promc__store_backend->reserve(f, n, values, lens, off);
}

void promc__store_attach(struct promc_series *s, uint64_t off) { promc__store_backend->attach(s, off); }

void promc__store_gauge_written(struct promc_series *s) { promc__store_backend->gauge_written(s); }

void promc__store_scrape_begin(void) {
  if (promc__store_backend) promc__store_backend->scrape_begin();
}

/* The fork step. A fork while another thread holds one of these locks
 * would leave it held for good in the child, where that thread does not
 * exist; so the prepare handler takes them all, in the lock order, and both
 * sides let them go after the backend's hook (the child's claims its own
 * storage first, with everything still held). */
static void fork_prepare(void) {
  pthread_mutex_lock(&g_store.lock);
  g_store.nregs_locked = 0;
  for (size_t i = 0; i < g_store.n; i++) { /* registries before families (render's order) */
    promc_registry *r = atomic_load(&g_store.fams[i]->registry);
    bool seen = !r;
    for (size_t j = 0; j < g_store.nregs_locked && !seen; j++) seen = g_store.regs[j] == r;
    if (seen) continue;
    g_store.regs[g_store.nregs_locked++] = r;
    pthread_mutex_lock(&r->lock);
  }
  for (size_t i = 0; i < g_store.n; i++) { /* vlock first: a value callback may create children */
    pthread_mutex_lock(&g_store.fams[i]->vlock);
    pthread_mutex_lock(&g_store.fams[i]->lock);
  }
  promc__store_backend->prefork();
}

static void fork_unlock_all(void) {
  for (size_t i = g_store.n; i-- > 0;) {
    pthread_mutex_unlock(&g_store.fams[i]->lock);
    pthread_mutex_unlock(&g_store.fams[i]->vlock);
  }
  for (size_t i = g_store.nregs_locked; i-- > 0;) pthread_mutex_unlock(&g_store.regs[i]->lock);
  pthread_mutex_unlock(&g_store.lock);
}

static void fork_parent(void) {
  promc__store_backend->postfork_parent();
  fork_unlock_all();
}

static void fork_child(void) {
  promc__store_backend->postfork_child();
  fork_unlock_all();
}

int promc__store_fork_install(void) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static int installed;
  pthread_mutex_lock(&lock);
  int rc = 0;
  if (!installed) {
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) == 0) installed = 1;
    else rc = promc__err(PROMC_ENOMEM, "multiprocess: pthread_atfork failed");
  }
  pthread_mutex_unlock(&lock);
  return rc;
}
