/* SPDX-License-Identifier: Apache-2.0 */
/* family.c — metric families: validation and creation, the label-value →
 * child hash table (lock-free reads), child removal, destruction. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/kind.h"

const double PROMC_DEFAULT_BUCKETS[14] = {.005, .01, .025, .05, .075, .1, .25,
                                          .5,   .75, 1,    2.5, 5,    7.5, 10};

static const char *type_name(promc_type t) {
  const struct promc_kind *k = promc__kind(t);
  return k ? k->name : "metric";
}

/* ------------------------------------------------------------ validation */
bool promc__valid_metric_name(const char *s) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (p != s && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool promc__valid_label_name(const char *s) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (p != s && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool promc__utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    if (*p < 0x80) { /* ASCII, the common case */
      p++;
      continue;
    }
    size_t k = promc__utf8_char(p, (size_t)(end - p));
    if (!k) return false;
    p += k;
  }
  return true;
}

/* Checks that text handed in is UTF-8; what names it in the message. */
static int check_utf8(const char *v, const char *what, const char *fam_name) {
  if (promc__utf8_valid(v, strlen(v))) return 0;
  return promc__err(PROMC_EVALUE, "%s of \"%s\" is not valid UTF-8", what, fam_name);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

size_t promc__escaped_len(const char *v, size_t n) {
  size_t e = n;
  for (size_t i = 0; i < n; i++)
    if (v[i] == '\\' || v[i] == '"' || v[i] == '\n') e++;
  return e;
}

size_t promc__escape_label_value(char *out, const char *v, size_t n) {
  char *o = out;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == '\\' || c == '"') {
      *o++ = '\\';
      *o++ = c;
    } else if (c == '\n') {
      *o++ = '\\';
      *o++ = 'n';
    } else {
      *o++ = c;
    }
  }
  return (size_t)(o - out);
}

/* Checks a label name for family f (being built) of the given kind. */
static int check_label_name(const char *fam_name, promc_type t, const char *ln, const char *what) {
  if (!promc__valid_label_name(ln))
    return promc__err(PROMC_ELABEL, "%s name \"%s\" of %s \"%s\" is not a valid label name", what,
                      ln ? ln : "(null)", type_name(t), fam_name);
  if (ln[0] == '_' && ln[1] == '_')
    return promc__err(PROMC_ELABEL, "%s name \"%s\" of %s \"%s\": names starting \"__\" are reserved",
                      what, ln, type_name(t), fam_name);
  const struct promc_kind *k = promc__kind(t);
  if (k->reserved_label && strcmp(ln, k->reserved_label) == 0)
    return promc__err(PROMC_ELABEL, "label name \"%s\" is reserved for %s \"%s\"", ln, k->name, fam_name);
  if (t == PROMC_TYPE_STATESET && strcmp(ln, fam_name) == 0)
    return promc__err(PROMC_ELABEL, "enum \"%s\" cannot have a label named like itself", fam_name);
  return 0;
}

/* ------------------------------------------------------------- creation */
static void fam_set_exposed(struct promc_family *f) {
  const char *const *sfx = promc__kind(f->type)->suffixes;
  f->nexposed = 0;
  for (; *sfx; sfx++) {
    assert(f->nexposed < sizeof f->exposed / sizeof f->exposed[0]);
    size_t n = f->name_len + strlen(*sfx) + 1;
    char *e = promc__malloc(n);
    if (!e) return; /* checked by caller via nexposed */
    snprintf(e, n, "%s%s", f->name, *sfx);
    f->exposed[f->nexposed++] = e;
  }
}

static char **dup_strv(const char *const *v, size_t n) {
  char **d = promc__calloc(n ? n : 1, sizeof *d);
  if (!d) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (!(d[i] = promc__strdup(v[i]))) {
      for (size_t j = 0; j < i; j++) promc__free(d[j]);
      promc__free(d);
      return NULL;
    }
  }
  return d;
}

static void free_strv(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) promc__free(v[i]);
  promc__free(v);
}

/* Renders `n1="v1",n2="v2"` into a new string (escaped). */
static char *render_pairs(size_t n, const char *const *names, const char *const *values, size_t *len) {
  size_t total = 1;
  for (size_t i = 0; i < n; i++) total += strlen(names[i]) + 4 + promc__escaped_len(values[i], strlen(values[i]));
  char *out = promc__malloc(total), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (i) *o++ = ',';
    size_t nl = strlen(names[i]);
    memcpy(o, names[i], nl);
    o += nl;
    *o++ = '=';
    *o++ = '"';
    o += promc__escape_label_value(o, values[i], strlen(values[i]));
    *o++ = '"';
  }
  *o = 0;
  *len = (size_t)(o - out);
  return out;
}

static struct promc_htab *htab_new(size_t nbuckets) {
  assert(nbuckets && (nbuckets & (nbuckets - 1)) == 0); /* h & mask picks a bucket */
  struct promc_htab *t = promc__calloc(1, sizeof *t + nbuckets * sizeof(t->b[0]));
  if (t) t->mask = nbuckets - 1;
  return t;
}

static int validate_opts(promc_type t, const promc_opts *o, char *base, size_t cap) {
  if (!o) return promc__err(PROMC_EINVAL, "options must not be NULL");
  if (!o->name) return promc__err(PROMC_EINVAL, "%s name must not be NULL", type_name(t));
  if (!o->help) return promc__err(PROMC_EINVAL, "help of %s \"%s\" must not be NULL", type_name(t), o->name);
  if (!promc__valid_metric_name(o->name))
    return promc__err(PROMC_ENAME, "\"%s\" is not a valid metric name", o->name);
  int urc = check_utf8(o->help, "help text", o->name);
  if (urc) return urc;
  size_t n = strlen(o->name);
  if (n >= cap) return promc__err(PROMC_ENAME, "metric name \"%.40s...\" is too long", o->name);
  memcpy(base, o->name, n + 1);
  const struct promc_kind *k = promc__kind(t);
  size_t sl = k->name_suffix ? strlen(k->name_suffix) : 0;
  if (sl && ends_with(base, k->name_suffix) && n > sl) base[n - sl] = 0;
  if (o->unit && *o->unit) {
    char suffix[256];
    if (!promc__valid_label_name(o->unit) || strlen(o->unit) > 200)
      return promc__err(PROMC_ENAME, "unit \"%s\" of \"%s\" is not valid", o->unit, o->name);
    snprintf(suffix, sizeof suffix, "_%s", o->unit);
    if (!ends_with(base, suffix))
      return promc__err(PROMC_ENAME, "metric name \"%s\" must end in \"%s\" to declare unit \"%s\"",
                        o->name, suffix, o->unit);
  }
  if (o->nlabel_names && !o->label_names)
    return promc__err(PROMC_EINVAL, "label_names of \"%s\" is NULL but nlabel_names is %zu", o->name,
                      o->nlabel_names);
  if (o->nlabel_names > 64)
    return promc__err(PROMC_ELABEL, "\"%s\" declares %zu label names; at most 64", o->name, o->nlabel_names);
  for (size_t i = 0; i < o->nlabel_names; i++) {
    int rc = check_label_name(base, t, o->label_names[i], "label");
    if (rc) return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->label_names[i], o->label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "label name \"%s\" is declared twice on \"%s\"", o->label_names[i],
                          o->name);
  }
  if (o->nconst_labels && (!o->const_label_names || !o->const_label_values))
    return promc__err(PROMC_EINVAL, "const labels of \"%s\": names or values NULL", o->name);
  for (size_t i = 0; i < o->nconst_labels; i++) {
    int rc = check_label_name(base, t, o->const_label_names[i], "const label");
    if (rc) return rc;
    if (!o->const_label_values[i])
      return promc__err(PROMC_EINVAL, "const label \"%s\" of \"%s\" has a NULL value", o->const_label_names[i],
                        o->name);
    if ((rc = check_utf8(o->const_label_values[i], "a const label value", o->name)) != 0) return rc;
    for (size_t j = 0; j < o->nlabel_names; j++)
      if (strcmp(o->const_label_names[i], o->label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "const label \"%s\" of \"%s\" is also a label name",
                          o->const_label_names[i], o->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->const_label_names[i], o->const_label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "const label \"%s\" is given twice on \"%s\"", o->const_label_names[i],
                          o->name);
  }
  if (o->counter_name_as_given && t != PROMC_TYPE_COUNTER)
    return promc__err(PROMC_EINVAL, "%s \"%s\": counter_name_as_given is only for counters", type_name(t),
                      o->name);
  if (o->exemplars && !k->nexemplars)
    return promc__err(PROMC_EINVAL, "%s \"%s\": exemplars are only for counters and histograms", type_name(t),
                      o->name);
  return k->validate ? k->validate(o) : 0;
}

static void init_root(struct promc_family *f) {
  struct promc_series *s = &f->root;
  s->fam = f;
  s->flags = f->nlabels ? S_LABELLED_ROOT : 0;
  s->labels = (char *)"";
  s->labels_len = 0;
  atomic_store_explicit(&s->created, promc_wall_seconds(), memory_order_relaxed);
}

static int family_new(promc_type t, const promc_opts *o, void **out) {
  char base[512];
  if (!out) return promc__err(PROMC_EINVAL, "out pointer must not be NULL");
  *out = NULL;
  int rc = validate_opts(t, o, base, sizeof base);
  if (rc) return rc;

  size_t nbounds = 0;
  const double *bounds = NULL;
  if (t == PROMC_TYPE_HISTOGRAM) {
    bounds = o->buckets ? o->buckets : PROMC_DEFAULT_BUCKETS;
    nbounds = o->buckets ? o->nbuckets : PROMC_DEFAULT_NBUCKETS;
    if (isinf(bounds[nbounds - 1])) nbounds--; /* +Inf is implicit */
  }
  /* the kind sizes a child from the family's shape (type and buckets) */
  const struct promc_kind *k = promc__kind(t);
  const struct promc_family shape = {.type = t, .nbounds = nbounds};
  size_t ncells = k->ncells(&shape);
  size_t nex = o->exemplars ? k->nexemplars(&shape) : 0;
  /* the family and its root child's cells (and exemplar slots, unlabelled
   * only) in one allocation */
  size_t root_ex = o->nlabel_names ? 0 : nex * sizeof(struct promc_exemplar_slot);
  struct promc_family *f = promc__calloc(1, sizeof *f + ncells * sizeof(_Atomic uint64_t) + root_ex);
  if (!f) return promc__err(PROMC_ENOMEM, "out of memory creating \"%s\"", o->name);
  promc__stripes_hold(); /* let go in promc__family_free */
  f->type = t;
  f->nexemplars = nex;
  f->ncells = ncells;
  f->nbounds = nbounds;
  pthread_mutex_init(&f->lock, NULL);
  pthread_mutex_init(&f->vlock, NULL);
  f->name = promc__strdup(base);
  f->help = promc__strdup(o->help);
  f->unit = o->unit && *o->unit ? promc__strdup(o->unit) : NULL;
  f->nlabels = o->nlabel_names;
  f->label_names = dup_strv(o->label_names, o->nlabel_names);
  f->label_name_len = promc__calloc(o->nlabel_names ? o->nlabel_names : 1, sizeof(size_t));
  f->nconst = o->nconst_labels;
  f->const_names = dup_strv(o->const_label_names, o->nconst_labels);
  f->const_values = dup_strv(o->const_label_values, o->nconst_labels);
  f->const_labels = render_pairs(o->nconst_labels, o->const_label_names, o->const_label_values,
                                 &f->const_labels_len);
  if (o->counter_name_as_given) f->text_name = promc__strdup(o->name);
  bool ok = f->name && f->help && (!o->unit || !*o->unit || f->unit) && f->label_names &&
            (!o->counter_name_as_given || f->text_name) &&
            f->label_name_len && f->const_names && f->const_values && f->const_labels;
  if (ok) {
    f->name_len = strlen(f->name);
    for (size_t i = 0; i < f->nlabels; i++) f->label_name_len[i] = strlen(f->label_names[i]);
  }
  if (ok && t == PROMC_TYPE_HISTOGRAM) {
    f->bounds = promc__malloc((nbounds + 1) * sizeof(double));
    ok = f->bounds != NULL;
    for (size_t i = 0; ok && i <= nbounds; i++) f->bounds[i] = i < nbounds ? bounds[i] : INFINITY;
  }
  if (ok && t == PROMC_TYPE_STATESET) {
    f->nstates = o->nstates;
    ok = (f->states = dup_strv(o->states, o->nstates)) != NULL;
  }
  if (ok) {
    fam_set_exposed(f);
    ok = f->nexposed > 0;
  }
  if (ok && f->nlabels) {
    struct promc_htab *tab = htab_new(16);
    ok = tab != NULL;
    atomic_store(&f->tab, tab);
  }
  if (!ok) {
    promc__family_free(f);
    return promc__err(PROMC_ENOMEM, "out of memory creating \"%s\"", o->name);
  }
  f->root.cells = f->root.inline_cells;
  init_root(f);
  if ((rc = promc__store_family_init(f, o)) != 0) {
    promc__family_free(f);
    return rc;
  }
  promc__stripes_refill();
  if (!o->no_register) {
    promc_registry *r = o->registry ? o->registry : promc_default_registry();
    if (!r) {
      promc__family_free(f);
      return promc__err(PROMC_ENOMEM, "out of memory creating the default registry");
    }
    rc = promc_register(r, (promc_metric *)&f->root);
    if (rc) {
      promc__family_free(f);
      return rc;
    }
  }
  *out = &f->root;
  return 0;
}

int promc_counter_new(promc_counter **out, const promc_opts *o) {
  return family_new(PROMC_TYPE_COUNTER, o, (void **)out);
}
int promc_gauge_new(promc_gauge **out, const promc_opts *o) {
  return family_new(PROMC_TYPE_GAUGE, o, (void **)out);
}
int promc_histogram_new(promc_histogram **out, const promc_opts *o) {
  return family_new(PROMC_TYPE_HISTOGRAM, o, (void **)out);
}
int promc_summary_new(promc_summary **out, const promc_opts *o) {
  return family_new(PROMC_TYPE_SUMMARY, o, (void **)out);
}
int promc_info_new(promc_info **out, const promc_opts *o) {
  return family_new(PROMC_TYPE_INFO, o, (void **)out);
}
int promc_enum_new(promc_enum **out, const promc_opts *o) {
  return family_new(PROMC_TYPE_STATESET, o, (void **)out);
}

void promc__family_free(struct promc_family *f) {
  if (!f) return;
  if (f->mp) promc__store_family_free(f);
  struct promc_htab *t = atomic_load(&f->tab);
  if (t) {
    for (size_t i = 0; i <= t->mask; i++) {
      struct promc_series *s = atomic_load(&t->b[i]), *n;
      for (; s; s = n) {
        n = atomic_load(&s->hnext);
        if (f->type == PROMC_TYPE_INFO) promc__free((void *)(uintptr_t)atomic_load(&s->cells[0]));
      }
    }
    promc__free(t);
  }
  for (struct promc_chunk *c = f->chunks, *n; c; c = n) {
    n = c->next;
    promc__free(c);
  }
  for (struct promc_htab *r = f->retired, *n; r; r = n) {
    n = r->retired_next;
    promc__free(r);
  }
  if (f->type == PROMC_TYPE_INFO && f->root.cells)
    promc__free((void *)(uintptr_t)atomic_load(&f->root.cells[0]));
  for (struct promc_fnreg *r = f->fns, *n; r; r = n) {
    n = r->next;
    promc__free(r);
  }
  promc__free(f->name);
  promc__free(f->text_name);
  promc__free(f->help);
  promc__free(f->unit);
  free_strv(f->label_names, f->nlabels);
  promc__free(f->label_name_len);
  free_strv(f->const_names, f->nconst);
  free_strv(f->const_values, f->nconst);
  promc__free(f->const_labels);
  promc__free(f->bounds);
  free_strv(f->states, f->nstates);
  for (size_t i = 0; i < f->nexposed; i++) promc__free(f->exposed[i]);
  pthread_mutex_destroy(&f->lock);
  pthread_mutex_destroy(&f->vlock);
  promc__free(f);
  promc__stripes_release();
}

static struct promc_family *family_of_handle(const promc_metric *m) {
  struct promc_series *s = promc__series(m);
  if (!s || &s->fam->root != s) return NULL;
  return s->fam;
}

int promc_metric_destroy(promc_metric *m) {
  if (!m) return 0;
  struct promc_family *f = family_of_handle(m);
  if (!f) return promc__err(PROMC_ETYPE, "promc_metric_destroy needs a family handle, not a child");
  int rc = promc__registry_unlink(f);
  if (rc && rc != PROMC_ENOTFOUND) return rc; /* still registered: keep it */
  promc__family_free(f);
  return 0;
}

promc_type promc_metric_type(const promc_metric *m) {
  return m ? promc__series(m)->fam->type : (promc_type)0;
}

const char *promc_metric_name(const promc_metric *m) { return m ? promc__series(m)->fam->name : NULL; }

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
  struct promc_htab *nt = htab_new((old->mask + 1) * 2);
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
    promc__err(PROMC_ECARD, "%s \"%s\" has %zu label names, %zu values given", type_name(f->type), f->name,
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
  } else if (f->mp && promc__store_reserve(f, n, values, lens, &mp_off) != 0) {
    s = NULL; /* no room in the shared mapping: promc_errmsg says so */
  } else if ((s = child_new(f, h, n, values, lens)) != NULL) {
    if (f->mp) promc__store_attach(s, mp_off);
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

/* ------------------------------------------------------------------ info */
int promc_info_set(promc_info *i, size_t n, const char *const *names, const char *const *values) {
  struct promc_series *s = promc__series(i);
  if (!s) return promc__err(PROMC_EINVAL, "info_set: NULL handle");
  struct promc_family *f = s->fam;
  if (f->type != PROMC_TYPE_INFO) return promc__err(PROMC_ETYPE, "info_set: \"%s\" is not an info", f->name);
  if (s->flags & S_LABELLED_ROOT)
    return promc__err(PROMC_ECARD, "info_set: \"%s\" has labels; set a child", f->name);
  if (n && (!names || !values)) return promc__err(PROMC_EINVAL, "info_set: names or values NULL");
  for (size_t k = 0; k < n; k++) {
    if (!values[k]) return promc__err(PROMC_EINVAL, "info_set: value %zu is NULL", k);
    if (!promc__utf8_valid(values[k], strlen(values[k])))
      return promc__err(PROMC_EVALUE, "info_set: the value of \"%s\" is not valid UTF-8", names[k] ? names[k] : "");
    int rc = check_label_name(f->name, f->type, names[k], "info label");
    if (rc) return rc;
    for (size_t j = 0; j < f->nlabels; j++)
      if (strcmp(names[k], f->label_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "info label \"%s\" clashes with a label name of \"%s\"", names[k], f->name);
    for (size_t j = 0; j < f->nconst; j++)
      if (strcmp(names[k], f->const_names[j]) == 0)
        return promc__err(PROMC_ELABEL, "info label \"%s\" clashes with a const label of \"%s\"", names[k], f->name);
    for (size_t j = 0; j < k; j++)
      if (strcmp(names[k], names[j]) == 0)
        return promc__err(PROMC_ELABEL, "info label \"%s\" given twice", names[k]);
  }
  size_t len;
  char *text = render_pairs(n, names, values, &len);
  if (!text) return promc__err(PROMC_ENOMEM, "out of memory in info_set");
  pthread_mutex_lock(&f->vlock); /* a scrape may be copying the old text */
  char *old = (char *)(uintptr_t)atomic_load(&s->cells[0]);
  atomic_store(&s->cells[0], (uint64_t)(uintptr_t)text);
  pthread_mutex_unlock(&f->vlock);
  promc__free(old);
  return 0;
}

/* ---------------------------------------------------------- set_function */
int promc_metric_set_function(promc_metric *m, promc_value_fn fn, void *user) {
  struct promc_series *s = promc__series(m);
  if (!s) return promc__err(PROMC_EINVAL, "set_function: NULL handle");
  struct promc_family *f = s->fam;
  if (f->type != PROMC_TYPE_GAUGE && f->type != PROMC_TYPE_COUNTER)
    return promc__err(PROMC_ETYPE, "set_function: \"%s\" is not a gauge or counter", f->name);
  if (s->flags & S_LABELLED_ROOT)
    return promc__err(PROMC_ECARD, "set_function: \"%s\" has labels; use a child", f->name);
  pthread_mutex_lock(&f->vlock); /* a scrape walks the list and calls the callbacks under it */
  struct promc_fnreg **pp = &f->fns, *r;
  while ((r = *pp) && r->s != s) pp = &r->next;
  int rc = 0;
  if (!fn) {
    if (r) {
      *pp = r->next;
      promc__free(r);
    }
  } else {
    if (!r) {
      r = promc__calloc(1, sizeof *r);
      if (r) {
        r->s = s;
        r->next = f->fns;
        f->fns = r;
      }
    }
    if (r) {
      r->fn = fn;
      r->user = user;
    } else {
      rc = promc__err(PROMC_ENOMEM, "out of memory in set_function");
    }
  }
  pthread_mutex_unlock(&f->vlock);
  return rc;
}
