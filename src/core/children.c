/* SPDX-License-Identifier: Apache-2.0 */
/* children.c — a labelled family's children: the label-value -> child hash
 * table (lock-free reads), the chunks children are carved from and their
 * iteration, lookup and creation, removal. */
#include <assert.h>

#include "core/internal.h"

struct promc_htab *promc__htab_new(size_t nbuckets) {
  assert(nbuckets && (nbuckets & (nbuckets - 1)) == 0); /* h & mask picks a bucket */
  struct promc_htab *t = promc__calloc(1, sizeof *t + nbuckets * sizeof(t->b[0]));
  if (t) t->mask = nbuckets - 1;
  return t;
}

/* ---------------------------------------------------------- child lookup */
static inline uint32_t rd32(const char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t rd64(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Reads 1..8 bytes at p into a word without touching bytes past p + r
 * (a byte-wise copy would stall store forwarding). */
static inline uint64_t rd_tail(const char *p, size_t r) {
  const unsigned char *u = (const unsigned char *)p;
  if (r >= 4) return (uint64_t)rd32(p) | ((uint64_t)rd32(p + r - 4) << 32);
  return ((uint64_t)u[0] << 16) | ((uint64_t)u[r >> 1] << 8) | u[r - 1];
}

/* A fast hash over the values; each value's length is mixed in, so
 * ("a","bc") and ("ab","c") differ. One multiply per 8 bytes. */
static uint64_t hash_values(size_t n, const char *const *v, size_t *lens) {
  const uint64_t k = 0x9e3779b97f4a7c15ull;
  uint64_t h = 0x243f6a8885a308d3ull ^ n;
  for (size_t i = 0; i < n; i++) {
    const char *p = v[i];
    size_t len = strlen(p), r = len;
    lens[i] = len;
    while (r > 8) {
      h = (h ^ rd64(p)) * k;
      p += 8;
      r -= 8;
    }
    h = (h ^ (r ? rd_tail(p, r) : 0) ^ ((uint64_t)len << 56)) * k;
    h ^= h >> 29;
  }
  h ^= h >> 32;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

/* Equal bytes? n is small (a label value); both ranges are readable. */
static inline bool bytes_equal(const char *a, const char *b, size_t n) {
  while (n > 8) {
    if (rd64(a) != rd64(b)) return false;
    a += 8, b += 8, n -= 8;
  }
  return n == 0 || rd_tail(a, n) == rd_tail(b, n);
}

/* Compares raw values with a child's rendered `n="v",...` text. */
static bool labels_equal(const struct promc_family *f, const struct promc_series *s, size_t n,
                         const char *const *v, const size_t *lens) {
  const char *r = s->labels, *end = s->labels + s->labels_len;
  for (size_t i = 0; i < n; i++) {
    r += f->label_name_len[i] + 2 + (i ? 1 : 0); /* [,]name=" */
    const char *p = v[i], *pe = v[i] + lens[i];
    if ((size_t)(end - r) > lens[i] && r[lens[i]] == '"' && bytes_equal(r, p, lens[i])) {
      r += lens[i] + 1; /* fast path: nothing escaped */
      continue;
    }
    for (; p < pe; p++) {
      char c = *p;
      if (c == '\\' || c == '"' || c == '\n') {
        if (r + 2 > end || r[0] != '\\' || r[1] != (c == '\n' ? 'n' : c)) return false;
        r += 2;
      } else {
        if (r >= end || *r != c) return false;
        r++;
      }
    }
    if (r >= end || *r != '"') return false;
    r++;
  }
  return r == end;
}

static struct promc_series *find(struct promc_family *f, uint64_t h, size_t n, const char *const *v,
                                 const size_t *lens) {
  struct promc_htab *t = atomic_load_explicit(&f->tab, memory_order_acquire);
  struct promc_series *s = atomic_load_explicit(&t->b[h & t->mask], memory_order_acquire);
  for (; s; s = atomic_load_explicit(&s->hnext, memory_order_acquire))
    if (s->hash == (uint32_t)h && labels_equal(f, s, n, v, lens)) return s;
  return NULL;
}

/* Doubles the table. Old chains are relinked in place: a concurrent reader
 * may wander into a new chain and miss, and then retries under the lock;
 * chains never form a cycle because relinked nodes only point to relinked
 * nodes. The old bucket array is retired, not freed (readers may be in it). */
static void grow(struct promc_family *f) {
  struct promc_htab *old = atomic_load(&f->tab);
  struct promc_htab *nt = promc__htab_new((old->mask + 1) * 2);
  if (!nt) return; /* stay at the current size: slower, still correct */
  for (size_t i = 0; i <= old->mask; i++) {
    struct promc_series *s = atomic_load(&old->b[i]), *next;
    for (; s; s = next) {
      next = atomic_load(&s->hnext);
      size_t j = s->hash & nt->mask;
      atomic_store_explicit(&s->hnext, atomic_load(&nt->b[j]), memory_order_relaxed);
      atomic_store_explicit(&nt->b[j], s, memory_order_relaxed);
    }
  }
  assert(nt->mask == 2 * old->mask + 1);
  atomic_store_explicit(&f->tab, nt, memory_order_release);
  old->retired_next = f->retired;
  f->retired = old;
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
  return (sizeof *s + f->ncells * sizeof(_Atomic uint64_t) + f->nexemplars * sizeof(struct promc_exemplar_slot) +
          s->labels_len + 1 + 7) & ~(size_t)7;
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

static struct promc_series *child_new(struct promc_family *f, uint64_t h, size_t n, const char *const *v,
                                      const size_t *lens) {
  size_t text = n; /* n - 1 commas and the NUL: exactly what child_size() expects */
  for (size_t i = 0; i < n; i++) text += f->label_name_len[i] + 3 + promc__escaped_len(v[i], lens[i]);
  /* layout: series, cells, exemplar slots (opt-in families), label text */
  size_t cells = f->ncells * sizeof(_Atomic uint64_t) + f->nexemplars * sizeof(struct promc_exemplar_slot);
  struct promc_series *s = arena_alloc(f, sizeof *s + cells + text);
  if (!s) return NULL;
  s->fam = f;
  s->hash = (uint32_t)h;
  s->cells = s->inline_cells;
  s->labels = (char *)s->inline_cells + cells;
  char *o = s->labels;
  for (size_t i = 0; i < n; i++) {
    if (i) *o++ = ',';
    memcpy(o, f->label_names[i], f->label_name_len[i]);
    o += f->label_name_len[i];
    *o++ = '=';
    *o++ = '"';
    o += promc__escape_label_value(o, v[i], lens[i]);
    *o++ = '"';
  }
  *o = 0;
  s->labels_len = (uint32_t)(o - s->labels);
  /* the walk of promc__child_next steps by child_size(): it must be the size allocated */
  assert(s->labels_len + 1 == text && child_size(f, s) == ((sizeof *s + cells + text + 7) & ~(size_t)7));
  atomic_store_explicit(&s->created, promc_wall_seconds(), memory_order_relaxed);
  return s;
}

/* values with each NULL replaced by "", in subst (room for n). */
static const char *const *null_as_empty(size_t n, const char *const *values, const char **subst) {
  for (size_t i = 0; i < n; i++) subst[i] = values[i] ? values[i] : "";
  return subst;
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

promc_metric *promc_metric_labelsv(promc_metric *m, size_t n, const char *const *values) {
  struct promc_series *root = promc__series(m);
  if (!root) {
    promc__err(PROMC_EINVAL, "labels: NULL metric handle");
    return NULL;
  }
  struct promc_family *f = root->fam;
  if (root != &f->root) {
    promc__err(PROMC_EINVAL, "labels: \"%s\" handle is already a child", f->name);
    return NULL;
  }
  if (n != f->nlabels) {
    promc__err(PROMC_ECARD, "%s \"%s\" has %zu label names, %zu values given", promc__type_name(f->type), f->name,
               f->nlabels, n);
    return NULL;
  }
  if (n == 0) return m;
  if (!values) {
    promc__err(PROMC_EINVAL, "labels of \"%s\": values array is NULL", f->name);
    return NULL;
  }
  size_t lens[64];
  const char *subst[64]; /* NULL reads as "" (as Prometheus reads an empty value) */
  for (size_t i = 0; i < n; i++)
    if (PROMC_UNLIKELY(!values[i])) values = null_as_empty(n, values, subst);
  uint64_t h = hash_values(n, values, lens);
  struct promc_series *s = find(f, h, n, values, lens);
  if (PROMC_LIKELY(s && !atomic_load_explicit(&s->removed, memory_order_relaxed))) return (promc_metric *)s;

  uint64_t mp_off = 0;
  pthread_mutex_lock(&f->lock);
  s = find(f, h, n, values, lens);
  if (s) {
    if (atomic_load(&s->removed)) { /* revive, from zero */
      promc__series_reset(s);
      atomic_store_explicit(&s->removed, 0, memory_order_release); /* after the reset: see chunk_at */
    }
  } else if (!values_utf8(f, n, values, lens)) {
    s = NULL; /* never stored, so never found: checked only on first sight */
  } else if (f->mp && promc__mp_reserve(f, n, values, lens, &mp_off) != 0) {
    s = NULL; /* no room in the shared mapping: promc_errmsg says so */
  } else if ((s = child_new(f, h, n, values, lens)) != NULL) {
    if (f->mp) promc__mp_attach(s, mp_off);
    struct promc_htab *t = atomic_load(&f->tab);
    /* load factor 1/2 while the table is small (fewer chain walks), 1 beyond */
    size_t nb = t->mask + 1;
    if (f->nchildren + 1 > (nb < 8192 ? nb / 2 : nb)) {
      grow(f);
      t = atomic_load(&f->tab);
    }
    size_t j = h & t->mask;
    assert(s->hash == (uint32_t)h && find(f, h, n, values, lens) == NULL);
    atomic_store_explicit(&s->hnext, atomic_load(&t->b[j]), memory_order_relaxed);
    atomic_store_explicit(&t->b[j], s, memory_order_release);
    f->nchildren++;
    publish_child(f);
  } else {
    promc__err(PROMC_ENOMEM, "out of memory adding a child to \"%s\"", f->name);
  }
  pthread_mutex_unlock(&f->lock);
  return (promc_metric *)s;
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
  size_t lens[64];
  uint64_t h = hash_values(n, values, lens);
  pthread_mutex_lock(&f->lock);
  struct promc_series *s = find(f, h, n, values, lens);
  int rc = 0;
  if (!s || atomic_load(&s->removed)) {
    rc = promc__err(PROMC_ENOTFOUND, "remove: no such child of \"%s\"", f->name);
  } else {
    atomic_store(&s->removed, 1);
  }
  pthread_mutex_unlock(&f->lock);
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

#define PROMC_TYPED_LOOKUP(T, TYPE)                                                          \
  promc_##T *promc_##T##_labelsv(promc_##T *h, size_t n, const char *const *values) {        \
    if (!typed_ok(h, TYPE, "promc_" #T "_labelsv")) return NULL;                            \
    return (promc_##T *)(void *)promc_metric_labelsv((promc_metric *)(void *)h, n, values); \
  }                                                                                          \
  int promc_##T##_removev(promc_##T *h, size_t n, const char *const *values) {               \
    if (!typed_ok(h, TYPE, "promc_" #T "_removev")) return PROMC_ETYPE;                     \
    return promc_metric_removev((promc_metric *)(void *)h, n, values);                      \
  }
PROMC_TYPED_LOOKUP(counter, PROMC_TYPE_COUNTER)
PROMC_TYPED_LOOKUP(gauge, PROMC_TYPE_GAUGE)
PROMC_TYPED_LOOKUP(histogram, PROMC_TYPE_HISTOGRAM)
PROMC_TYPED_LOOKUP(summary, PROMC_TYPE_SUMMARY)
PROMC_TYPED_LOOKUP(info, PROMC_TYPE_INFO)
PROMC_TYPED_LOOKUP(enum, PROMC_TYPE_STATESET)
