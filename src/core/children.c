/* SPDX-License-Identifier: Apache-2.0 */
/* children.c — a labelled family's children: the label-value -> child hash
 * table (lock-free reads), the chunks children are carved from and their
 * iteration, lookup and creation, removal. */
#include <assert.h>

#include "core/labels.h"

struct promc_htab *promc__htab_new(size_t nslots) {
  assert(nslots && (nslots & (nslots - 1)) == 0); /* h & mask picks a slot */
  struct promc_htab *t = promc__calloc(1, sizeof *t + nslots * sizeof(t->b[0]));
  if (t) {
    t->mask = nslots - 1;
    t->ptrmask = PROMC_SLOT_PTRMASK;
  }
  return t;
}

/* ---------------------------------------------------------- child lookup */
/* values with each NULL replaced by "", in subst (room for n). */
static const char *const *null_as_empty(size_t n, const char *const *values, const char **subst) {
  for (size_t i = 0; i < n; i++) subst[i] = values[i] ? values[i] : "";
  return subst;
}

/* A lookup: the key packed (labels.c), its hash, and where the caller keeps
 * it (a stack buffer, or an allocation for long values). */
struct key {
  const char *p;
  size_t len;
  uint64_t h;
  char *heap;
  char small[512];
};

/* Packs values of long labels (or too many bytes for k->small) into an
 * allocation of their own; the hash is the one promc__pack_key_hash gives. */
__attribute__((noinline)) static int key_make_long(struct key *k, const struct promc_family *f, size_t n,
                                                   const char *const *values) {
  const char *subst[64];
  size_t lens[64];
  for (size_t i = 0; i < n; i++)
    if (!values[i]) values = null_as_empty(n, values, subst);
  size_t len = promc__pack_size(n, values, lens);
  if (len > UINT32_MAX) return promc__err(PROMC_EVALUE, "labels of \"%s\": the values are too long", f->name);
  if (!(k->heap = promc__malloc(len)))
    return promc__err(PROMC_ENOMEM, "out of memory looking up a child of \"%s\"", f->name);
  k->len = promc__pack(k->heap, n, values, lens);
  assert(k->len == len);
  k->p = k->heap;
  k->h = promc__values_hash(n, values);
  return 0;
}

/* Packs values (n <= 64) into k: 0, or PROMC_ENOMEM / PROMC_EVALUE (recorded). */
static inline int key_make(struct key *k, const struct promc_family *f, size_t n, const char *const *values) {
  k->heap = NULL;
  k->p = k->small;
  k->len = promc__pack_key_hash(k->small, sizeof k->small, n, values, &k->h);
  if (PROMC_UNLIKELY(k->len == SIZE_MAX)) return key_make_long(k, f, n, values);
  return 0;
}

/* The child with key k in table t, or NULL. A slot's tag (the hash's top
 * 16 bits) filters, so only a child that is almost surely the one is
 * touched; its length and key are then checked, the key at a fixed offset
 * from it, so the compare's load does not wait for the child's header. */
__attribute__((always_inline)) static inline struct promc_series *find_in(const struct promc_family *f, const struct promc_htab *t, const struct key *k) {
#if PROMC_SLOT_TAGGED
  const uintptr_t pm = t->ptrmask, want = (uintptr_t)k->h & ~PROMC_SLOT_PTRMASK;
#else
  const uintptr_t pm = ~(uintptr_t)0, want = 0;
#endif
  for (size_t j = k->h & t->mask;; j = (j + 1) & t->mask) {
    uintptr_t v = atomic_load_explicit(&((struct promc_slot *)(uintptr_t)&t->b[j])->v, memory_order_acquire);
    if (!v) return NULL;
    if (((v ^ want) & ~pm) == 0) {
      struct promc_series *s = (struct promc_series *)(v & pm);
      if (s->labels_len == k->len && promc__key_equal((const char *)s + f->key_off, k->p, k->len)) return s;
    }
  }
}

__attribute__((always_inline)) static inline struct promc_series *find(struct promc_family *f, const struct key *k) {
  return find_in(f, atomic_load_explicit(&f->tab, memory_order_acquire), k);
}

/* Puts s (hash h) into t's first free slot from h (family lock held, or t
 * not yet published). In a tagged table s must be below 2^48 (arena_alloc
 * makes the family's tables untagged before a chunk above it is used). */
static void slot_put(struct promc_htab *t, struct promc_series *s, uint64_t h) {
  size_t j = h & t->mask;
  while (atomic_load_explicit(&t->b[j].v, memory_order_relaxed)) j = (j + 1) & t->mask;
  assert(((uintptr_t)s & ~t->ptrmask) == 0 && s);
  uintptr_t tag = (uintptr_t)h & ~t->ptrmask;
  atomic_store_explicit(&t->b[j].v, (uintptr_t)s | tag, memory_order_release);
}

/* Whether the table has a slot for one more child, growing it first when
 * that child would fill it beyond its load factor: at most 1/2 full while
 * small, 7/8 beyond (family lock held). The tags keep a long probe cheap
 * (8 slots a cache line; a hit probes about 4.5 slots at 7/8, and only a
 * creation probes to a free slot), and a fuller table means fewer and
 * smaller retired ones. When growing fails the table takes
 * children up to one free slot (a probe ends at a free slot), then none. */
static void grow(struct promc_family *f);
static bool table_room(struct promc_family *f) {
  struct promc_htab *t = atomic_load_explicit(&f->tab, memory_order_relaxed);
  size_t nb = t->mask + 1;
  if (f->nchildren + 1 > (nb < 8192 ? nb / 2 : nb / 8 * 7)) {
    grow(f);
    t = atomic_load_explicit(&f->tab, memory_order_relaxed);
    nb = t->mask + 1;
  }
  return f->nchildren + 2 <= nb;
}

/* Rebuilds the table at nslots (a power of two, room for every child),
 * untagged if asked or already: a new slot array holding every child,
 * published with release. A reader still in the old one finds every child
 * that existed when it was replaced; one it misses (created since) it
 * retries under the lock. The old array is retired, not freed (readers may
 * be in it). False when out of memory (the table stays). */
static bool rebuild(struct promc_family *f, size_t nslots, bool untagged) {
  struct promc_htab *old = atomic_load(&f->tab);
  struct promc_htab *nt = promc__htab_new(nslots);
  if (!nt) return false;
  if (untagged) nt->ptrmask = ~(uintptr_t)0;
  else nt->ptrmask = old->ptrmask;
  for (size_t i = 0; i <= old->mask; i++) {
    uintptr_t v = atomic_load_explicit(&old->b[i].v, memory_order_relaxed);
    if (!v) continue;
    struct promc_series *s = (struct promc_series *)(v & old->ptrmask);
    /* the tag holds h's top bits, s->hash its low half: h's other bits
     * are not needed while a table has at most 2^32 slots */
    slot_put(nt, s, (uint64_t)(v & ~old->ptrmask) | s->hash);
  }
  atomic_store_explicit(&f->tab, nt, memory_order_release);
  old->retired_next = f->retired;
  f->retired = old;
  return true;
}

/* Doubles the table, up to 2^31 slots (see rebuild); stays at the current
 * size when out of memory: slower, still correct. */
static void grow(struct promc_family *f) {
  struct promc_htab *old = atomic_load(&f->tab);
  if (old->mask >= UINT32_MAX / 2) return;
  (void)rebuild(f, (old->mask + 1) * 2, false);
}

/* Zeroed memory for a child from the family's chunks (family lock held).
 * The child becomes visible to scrapes only at publish_child(). */
static void *arena_alloc(struct promc_family *f, size_t n) {
  n = (n + 7) & ~(size_t)7; /* every cell 8-byte aligned: no atomic straddles a cache line */
  struct promc_chunk *c = atomic_load_explicit(&f->chunks_tail, memory_order_relaxed);
  if (!c || c->cap - c->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    struct promc_chunk *nc = promc__calloc(1, sizeof *nc + cap);
    if (!nc) return NULL;
    /* a tagged slot keeps a child's address in 48 bits: a chunk reaching
     * above them makes the family's tables untagged first */
    struct promc_htab *t = atomic_load_explicit(&f->tab, memory_order_relaxed);
    if ((((uintptr_t)nc + sizeof *nc + cap) & ~t->ptrmask) && !rebuild(f, t->mask + 1, true)) {
      promc__free(nc);
      return NULL;
    }
    nc->cap = cap;
    if (c) c->next = nc;
    else f->chunks = nc;
    /* c is full for good (children go to the tail only) and its ready was
     * stored when its last child was published: the release makes both its
     * next and its final ready visible to a scrape that sees nc as the tail */
    atomic_store_explicit(&f->chunks_tail, nc, memory_order_release);
    c = nc;
  }
  void *p = c->data + c->used;
  c->used += n;
  assert(c->used <= c->cap && ((uintptr_t)p & 7) == 0);
  return p;
}

/* Makes the newest child, now complete (cells bound, labels written),
 * visible to scrapes (family lock held). */
static void publish_child(struct promc_family *f) {
  struct promc_chunk *c = atomic_load_explicit(&f->chunks_tail, memory_order_relaxed);
  /* ready only grows, and only over whole children */
  assert(atomic_load_explicit(&c->ready, memory_order_relaxed) < c->used && c->used <= c->cap);
  atomic_store_explicit(&c->ready, c->used, memory_order_release);
}

static size_t child_size(const struct promc_family *f, const struct promc_series *s) {
  return (f->key_off + s->labels_len + 7) & ~(size_t)7;
}

/* Iterating children without the family lock (a scrape must not hold up
 * creation, which is on the instrumented program's request path).
 *
 * Children are only ever appended: carved at a chunk's bump pointer, never
 * moved or freed before the family (removal and revival flip `removed`,
 * an atomic), and a chunk gets no child once a newer chunk exists. The
 * creator, under the family lock, writes a child whole (header, cells
 * bound, labels), then stores its chunk's `ready` with release; a new chunk
 * is linked (`next`, or f->chunks for the first) before f->chunks_tail is
 * stored with release. So:
 *   - promc__child_first loads chunks_tail with acquire, then that chunk's
 *     ready with acquire. The first acquire synchronises with the store
 *     that made it the tail, which every earlier chunk's final ready store
 *     and next link precede (same thread, or ordered by the family lock);
 *     the second with the publication of the tail's last child read.
 *   - So every byte the walk reads (children of earlier chunks up to their
 *     ready, of the tail up to last_ready, and the next links between) was
 *     written before a release this thread acquired: each child is seen
 *     whole, and the set is exactly the children published by that moment,
 *     a prefix of creation order. The walk never reads the tail's `next`,
 *     which a creator may be writing.
 *   - Fields a child changes after publication are atomics: cells, removed
 *     (revival stores 0 with release after the reset; the scrape loads it
 *     with acquire, so a revived child shows its reset values or later),
 *     created, signed_obs, exemplar slots (their own seqlock). */
static struct promc_series *chunk_at(const struct promc_chunk *c, struct promc_child_it *it) {
  for (; c; c = c == it->last ? NULL : c->next) {
    size_t end = c == it->last ? it->last_ready : atomic_load_explicit(&c->ready, memory_order_acquire);
    if (end) {
      it->c = c;
      it->p = c->data;
      return (struct promc_series *)(uintptr_t)c->data;
    }
  }
  it->c = NULL;
  return NULL;
}

struct promc_series *promc__child_first(const struct promc_family *f, struct promc_child_it *it) {
  it->c = NULL;
  it->p = NULL; /* read only once c is set; gcc -O3 cannot see that */
  it->last = NULL;
  it->last_ready = 0;
  if (!f->nlabels) return (struct promc_series *)(uintptr_t)&f->root;
  it->last = atomic_load_explicit(&((struct promc_family *)(uintptr_t)f)->chunks_tail, memory_order_acquire);
  if (!it->last) return NULL;
  it->last_ready = atomic_load_explicit(&((struct promc_chunk *)(uintptr_t)it->last)->ready, memory_order_acquire);
  return chunk_at(f->chunks, it);
}

struct promc_series *promc__child_next(const struct promc_family *f, struct promc_child_it *it) {
  if (!it->c) return NULL;
  it->p += child_size(f, (const struct promc_series *)(const void *)it->p);
  const struct promc_chunk *c = it->c;
  size_t end = c == it->last ? it->last_ready : atomic_load_explicit(&c->ready, memory_order_relaxed);
  /* a child's size, read back from it, ends on a child boundary */
  assert(it->p <= c->data + end);
  if (it->p < c->data + end) return (struct promc_series *)(uintptr_t)it->p;
  return c == it->last ? (it->c = NULL, NULL) : chunk_at(c->next, it);
}

static struct promc_series *child_new(struct promc_family *f, const struct key *k) {
  /* layout: series, cells, exemplar slots (opt-in families), packed key */
  struct promc_series *s = arena_alloc(f, f->key_off + k->len);
  if (!s) return NULL;
  s->fam = f;
  s->hash = (uint32_t)k->h; /* the low half: with the slot's tag, rebuild() rebuilds h's needed bits */
  s->cells = s->inline_cells;
  s->labels = (char *)s + f->key_off;
  memcpy(s->labels, k->p, k->len);
  s->labels_len = (uint32_t)k->len;
  s->text.plain = promc__packed_plain(k->p, k->len);
  /* the walk of promc__child_next steps by child_size(): it must be the size allocated */
  assert(child_size(f, s) == ((f->key_off + k->len + 7) & ~(size_t)7));
  atomic_store_explicit(&s->created, promc_wall_seconds(), memory_order_relaxed);
  return s;
}


/* Label values of a new child must be UTF-8 (family lock held). */
static bool values_utf8(const struct promc_family *f, size_t n, const char *const *v, const size_t *lens) {
  for (size_t i = 0; i < n; i++)
    if (!promc__utf8_valid(v[i], lens[i])) {
      promc__err(PROMC_EVALUE, "labels of \"%s\": the value for \"%s\" is not valid UTF-8", f->name,
                 f->label_names[i]);
      return false;
    }
  return true;
}

/* Creates the child for key k, or revives it when it was removed; NULL with
 * the reason recorded when it cannot. Off the lookup's fast path. */
__attribute__((noinline)) static struct promc_series *child_get_slow(struct promc_family *f, size_t n,
                                                                    const char *const *values,
                                                                    const struct key *k) {
  uint64_t mp_off = 0;
  const char *subst[64];
  size_t lens[64];
  for (size_t i = 0; i < n; i++)
    if (!values[i]) values = null_as_empty(n, values, subst);
  for (size_t i = 0; i < n; i++) lens[i] = strlen(values[i]);
  pthread_mutex_lock(&f->lock);
  struct promc_series *s = find(f, k);
  if (s) {
    if (atomic_load(&s->removed)) { /* revive, from zero */
      promc__series_reset(s);
      atomic_store_explicit(&s->removed, 0, memory_order_release); /* after the reset: see chunk_at */
    }
  } else if (!values_utf8(f, n, values, lens)) {
    s = NULL; /* never stored, so never found: checked only on first sight */
  } else if (!table_room(f)) {
    s = NULL; /* the table could not grow and has no free slot left to keep */
    promc__err(PROMC_ENOMEM, "out of memory growing the child table of \"%s\"", f->name);
  } else if (f->mp && promc__store_reserve(f, n, values, lens, &mp_off) != 0) {
    s = NULL; /* no room in the shared mapping: promc_errmsg says so */
  } else if ((s = child_new(f, k)) != NULL) {
    if (f->mp) promc__store_attach(s, mp_off);
    assert(find(f, k) == NULL);
    slot_put(atomic_load(&f->tab), s, k->h);
    f->nchildren++;
    publish_child(f);
  } else {
    promc__err(PROMC_ENOMEM, "out of memory adding a child to \"%s\"", f->name);
  }
  pthread_mutex_unlock(&f->lock);
  return s;
}

/* The lookup of promc_metric_labelsv and the typed _labelsv calls: a typed
 * call passes its type and name (want < 0: any type), so that its check is
 * the first of the same function rather than a layer around it. */
static inline promc_metric *labels_get(promc_metric *m, size_t n, const char *const *values, int want,
                                       const char *fn) {
  struct promc_series *root = promc__series(m);
  if (PROMC_UNLIKELY(!root)) {
    promc__err(PROMC_EINVAL, "labels: NULL metric handle");
    return NULL;
  }
  struct promc_family *f = root->fam;
  if (want >= 0 && PROMC_UNLIKELY(f->type != (promc_type)want)) {
    promc__err(PROMC_ETYPE, "%s: \"%s\" is a %s, not a %s", fn, f->name, promc__type_name(f->type),
               promc__type_name((promc_type)want));
    return NULL;
  }
  if (PROMC_UNLIKELY(root != &f->root)) {
    promc__err(PROMC_EINVAL, "labels: \"%s\" handle is already a child", f->name);
    return NULL;
  }
  if (PROMC_UNLIKELY(n != f->nlabels)) {
    promc__err(PROMC_ECARD, "%s \"%s\" has %zu label names, %zu values given", promc__type_name(f->type), f->name,
               f->nlabels, n);
    return NULL;
  }
  if (n == 0) return m;
  if (PROMC_UNLIKELY(!values)) {
    promc__err(PROMC_EINVAL, "labels of \"%s\": values array is NULL", f->name);
    return NULL;
  }
  struct key k; /* NULL reads as "" (as Prometheus reads an empty value) */
  if (key_make(&k, f, n, values)) return NULL;
  struct promc_series *s = find(f, &k);
  if (PROMC_UNLIKELY(!s || atomic_load_explicit(&s->removed, memory_order_relaxed)))
    s = child_get_slow(f, n, values, &k);
  if (PROMC_UNLIKELY(k.heap != NULL)) promc__free(k.heap);
  return (promc_metric *)s;
}

promc_metric *promc_metric_labelsv(promc_metric *m, size_t n, const char *const *values) {
  return labels_get(m, n, values, -1, NULL);
}

int promc_metric_removev(promc_metric *m, size_t n, const char *const *values) {
  struct promc_series *root = promc__series(m);
  if (!root || root != &root->fam->root) return promc__err(PROMC_EINVAL, "remove: needs a family handle");
  struct promc_family *f = root->fam;
  if (n != f->nlabels || n == 0)
    return promc__err(PROMC_ECARD, "remove: \"%s\" has %zu label names, %zu values given", f->name, f->nlabels, n);
  if (!values) return promc__err(PROMC_EINVAL, "remove: values array is NULL");
  const char *subst[64];
  for (size_t i = 0; i < n; i++)
    if (!values[i]) values = null_as_empty(n, values, subst); /* as promc_metric_labelsv */
  struct key k;
  int rc = key_make(&k, f, n, values);
  if (rc) return rc;
  pthread_mutex_lock(&f->lock);
  struct promc_series *s = find(f, &k);
  if (!s || atomic_load(&s->removed)) {
    rc = promc__err(PROMC_ENOTFOUND, "remove: no such child of \"%s\"", f->name);
  } else {
    atomic_store(&s->removed, 1);
  }
  pthread_mutex_unlock(&f->lock);
  promc__free(k.heap);
  return rc;
}


int promc_metric_clear(promc_metric *m) {
  struct promc_series *root = promc__series(m);
  if (!root || root != &root->fam->root) return promc__err(PROMC_EINVAL, "clear: needs a family handle");
  struct promc_family *f = root->fam;
  if (!f->nlabels) return 0;
  pthread_mutex_lock(&f->lock);
  struct promc_child_it it;
  for (struct promc_series *s = promc__child_first(f, &it); s; s = promc__child_next(f, &it))
    atomic_store(&s->removed, 1);
  pthread_mutex_unlock(&f->lock);
  return 0;
}

/* ------------------------------------------------------- typed lookups */
/* Whether a typed handle is of type t (else PROMC_ETYPE, recorded); a NULL
 * handle or a child is left to the generic call to refuse. */
static bool typed_ok(const void *h, promc_type t, const char *fn) {
  const struct promc_series *s = promc__series(h);
  if (!s || s->fam->type == t) return true;
  promc__err(PROMC_ETYPE, "%s: \"%s\" is a %s, not a %s", fn, s->fam->name, promc__type_name(s->fam->type),
             promc__type_name(t));
  return false;
}

#define PROMC_TYPED_LOOKUP(T, TYPE)                                                                      \
  promc_##T *promc_##T##_labelsv(promc_##T *h, size_t n, const char *const *values) {                    \
    return (promc_##T *)(void *)labels_get((promc_metric *)(void *)h, n, values, (int)TYPE,             \
                                           "promc_" #T "_labelsv");                                      \
  }                                                                                                      \
  int promc_##T##_removev(promc_##T *h, size_t n, const char *const *values) {                           \
    if (!typed_ok(h, TYPE, "promc_" #T "_removev")) return PROMC_ETYPE;                                 \
    return promc_metric_removev((promc_metric *)(void *)h, n, values);                                  \
  }
PROMC_TYPED_LOOKUP(counter, PROMC_TYPE_COUNTER)
PROMC_TYPED_LOOKUP(gauge, PROMC_TYPE_GAUGE)
PROMC_TYPED_LOOKUP(histogram, PROMC_TYPE_HISTOGRAM)
PROMC_TYPED_LOOKUP(summary, PROMC_TYPE_SUMMARY)
PROMC_TYPED_LOOKUP(info, PROMC_TYPE_INFO)
PROMC_TYPED_LOOKUP(enum, PROMC_TYPE_STATESET)
