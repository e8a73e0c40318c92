/* SPDX-License-Identifier: Apache-2.0 */
/* family.c — metric families: creation and destruction, and what is set on
 * a family handle (info labels, value callbacks). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/kind.h"

const double PROMC_DEFAULT_BUCKETS[14] = {.005, .01, .025, .05, .075, .1, .25,
                                          .5,   .75, 1,    2.5, 5,    7.5, 10};

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

static void init_root(struct promc_family *f) {
  struct promc_series *s = &f->root;
  s->fam = f;
  s->flags = f->nlabels ? S_LABELLED_ROOT : 0;
  s->text.plain = 1; /* no values */
  s->labels = (char *)"";
  s->labels_len = 0;
  atomic_store_explicit(&s->created, promc_wall_seconds(), memory_order_relaxed);
}

static int family_new(promc_type t, const promc_opts *o, void **out) {
  char base[512];
  if (!out) return promc__err(PROMC_EINVAL, "out pointer must not be NULL");
  *out = NULL;
  int rc = promc__validate_opts(t, o, base, sizeof base);
  if (rc) return rc;
  if ((rc = promc__render_refuse(o->no_register ? NULL : o->registry, "creating a metric")) != 0) return rc;

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
  f->key_off = sizeof(struct promc_series) + ncells * sizeof(_Atomic uint64_t) +
               nex * sizeof(struct promc_exemplar_slot);
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
  f->const_labels = promc__pack_pairs(o->nconst_labels, o->const_label_names, o->const_label_values,
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
    struct promc_htab *tab = promc__htab_new(16);
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
  void (*release)(struct promc_series *) = promc__kind(f->type)->release;
  struct promc_htab *t = atomic_load(&f->tab);
  if (t) {
    for (size_t i = 0; release && i <= t->mask; i++) {
      struct promc_series *s = promc__slot_child(t, i);
      if (s) release(s);
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
  if (release && f->root.cells) release(&f->root);
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
  int rc = promc__render_refuse(atomic_load(&f->registry), "metric_destroy");
  if (rc) return rc;
  rc = promc__registry_unlink(f);
  if (rc && rc != PROMC_ENOTFOUND) return rc; /* still registered: keep it */
  promc__family_free(f);
  return 0;
}

promc_type promc_metric_type(const promc_metric *m) {
  return m ? promc__series(m)->fam->type : (promc_type)0;
}

const char *promc_metric_name(const promc_metric *m) { return m ? promc__series(m)->fam->name : NULL; }

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
    int rc = promc__check_label_name(f->name, f->type, names[k], "info label");
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
  size_t len = promc__pack_size(n, names, NULL) + promc__pack_size(n, values, NULL);
  struct promc_pairs *text = promc__malloc(sizeof *text + len);
  if (!text) return promc__err(PROMC_ENOMEM, "out of memory in info_set");
  char *o = text->data;
  for (size_t k = 0; k < n; k++) {
    o = promc__pack_item(o, names[k], strlen(names[k]));
    o = promc__pack_item(o, values[k], strlen(values[k]));
  }
  text->len = (size_t)(o - text->data);
  assert(text->len == len);
  int rc = promc__vlock_take(f, "info_set"); /* a scrape may be reading the old labels */
  if (rc) {
    promc__free(text);
    return rc;
  }
  struct promc_pairs *old = (struct promc_pairs *)(uintptr_t)atomic_load(&s->cells[0]);
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
  int rc = promc__vlock_take(f, "set_function"); /* a scrape walks the list and calls the callbacks under it */
  if (rc) return rc;
  struct promc_fnreg **pp = &f->fns, *r;
  while ((r = *pp) && r->s != s) pp = &r->next;
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
