/* SPDX-License-Identifier: Apache-2.0 */
/* collect.c — the context a collector callback writes its families through
 * (it validates names, renders labels and hands samples to the format
 * writer of the render), and the exposed-name checks of a render: against
 * the registry's families, the families its collectors emitted before, and,
 * when several registries render as one, the families of earlier ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/kind.h"
#include "expose/expose.h"

/* The families the collectors of one render emitted so far: a name that
 * clashes with one of them, or with a registered family, is refused. */
struct emitted {
  struct emitted *next;
  promc_type type;
  size_t len;
  char name[];
};

/* The label sets one family has exposed so far in this scrape, so that a
 * collector giving the same child twice cannot put a duplicate series in
 * the output. Keys are "name\0value\0..." sorted by name (label order does
 * not make another series) in one buffer; the table is open addressing on
 * their hash, grown at half full. Scrape-time only, reset per family. */
struct seen_slot {
  uint64_t hash;
  size_t off, len; /* into keys; len == SIZE_MAX marks a free slot */
};
struct seen {
  struct seen_slot *slot;
  size_t cap, count;
  promc_buf keys;
};

struct promc_collect {
  struct promc_render_ctx *rc;
  struct promc_registry *reg; /* locked for the whole run */
  struct emitted **emitted;
  const char *collector;
  bool open, selected;
  struct promc_fview fv;
  char name[256];
  char *help;
  char unit[64];
  promc_buf labels; /* rendered labels of the current sample, reused */
  struct seen seen;   /* label sets the current family has exposed */
};

/* Do base names a (type at) and b (type bt) expose a sample name in common? */
static bool clash(const char *a, size_t alen, promc_type at, const char *b, size_t blen, promc_type bt) {
  if (alen > blen) return clash(b, blen, bt, a, alen, at);
  if (memcmp(a, b, alen) != 0) return false; /* a is a prefix of b, or no clash */
  const char *rest = b + alen; /* a + sa == b + sb  <=>  sa == rest + sb */
  size_t rl = blen - alen;
  for (const char *const *sa = promc__kind(at)->suffixes; *sa; sa++) {
    if (strncmp(*sa, rest, rl) != 0 || strlen(*sa) < rl) continue;
    for (const char *const *sb = promc__kind(bt)->suffixes; *sb; sb++)
      if (strcmp(*sa + rl, *sb) == 0) return true;
  }
  return false;
}

static int check_clash(promc_collect *c, size_t n, promc_type type) {
  for (const struct promc_family *f = c->reg->first; f; f = f->reg_next)
    if (clash(c->name, n, type, f->name, f->name_len, f->type))
      return promc__err(PROMC_EDUP, "collector \"%s\": family \"%s\" clashes with the registered \"%s\"",
                        c->collector, c->name, f->name);
  for (const struct emitted *e = *c->emitted; e; e = e->next)
    if (clash(c->name, n, type, e->name, e->len, e->type))
      return promc__err(PROMC_EDUP, "collector \"%s\": family \"%s\" clashes with \"%s\", emitted before in this scrape",
                        c->collector, c->name, e->name);
  char what[300];
  snprintf(what, sizeof what, "collector \"%s\"", c->collector);
  int mrc = promc__multi_note(c->rc, what, c->name, n, type);
  if (mrc) return mrc;
  struct emitted *e = promc__malloc(sizeof *e + n + 1);
  if (!e) return promc__err(PROMC_ENOMEM, "collect_family: out of memory");
  e->type = type;
  e->len = n;
  memcpy(e->name, c->name, n + 1);
  e->next = *c->emitted;
  *c->emitted = e;
  return 0;
}

/* Clearing costs the table's size, not the family's: a big table is let go
 * so that the small families after a big one do not each pay for it. */
static void seen_reset(struct seen *t) {
  if (t->cap > 256) {
    promc__free(t->slot);
    t->slot = NULL;
    t->cap = 0;
  }
  for (size_t i = 0; i < t->cap; i++) t->slot[i].len = SIZE_MAX;
  t->count = 0;
  t->keys.len = 0;
}

static void seen_free(struct seen *t) {
  promc__free(t->slot);
  promc_buf_free(&t->keys);
  *t = (struct seen){0};
}

static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
  return h;
}

/* The slot of key [k, k+len) with hash h: its own, or the free one it would take. */
static struct seen_slot *seen_find(const struct seen *t, const char *k, size_t len, uint64_t h) {
  for (size_t i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
    struct seen_slot *s = &t->slot[i];
    if (s->len == SIZE_MAX || (s->hash == h && s->len == len && memcmp(t->keys.data + s->off, k, len) == 0))
      return s;
  }
}

/* Records the label set names/values (already validated) for the current
 * family: PROMC_EDUP when the family exposed it before in this scrape. */
static int note_child(promc_collect *c, size_t n, const char *const *names, const char *const *values) {
  struct seen *t = &c->seen;
  size_t stack_ord[16], *ord = n <= 16 ? stack_ord : promc__malloc(n * sizeof *ord);
  if (!ord) return promc__err(PROMC_ENOMEM, "collect: out of memory");
  for (size_t i = 0; i < n; i++) { /* insertion sort by name: label sets are small */
    size_t j = i;
    for (; j > 0 && strcmp(names[ord[j - 1]], names[i]) > 0; j--) ord[j] = ord[j - 1];
    ord[j] = i;
  }
  size_t off = t->keys.len;
  int w = promc_buf_write(&t->keys, "", 0);
  for (size_t i = 0; i < n && !w; i++)
    w = promc_buf_write(&t->keys, names[ord[i]], strlen(names[ord[i]]) + 1) |
        promc_buf_write(&t->keys, values[ord[i]], strlen(values[ord[i]]) + 1);
  if (ord != stack_ord) promc__free(ord);
  if (w) {
    t->keys.len = off;
    return promc__err(PROMC_ENOMEM, "collect: out of memory");
  }
  size_t len = t->keys.len - off;
  if (2 * (t->count + 1) > t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 64;
    struct seen_slot *old = t->slot, *nw = promc__malloc(cap * sizeof *nw);
    if (!nw) {
      t->keys.len = off;
      return promc__err(PROMC_ENOMEM, "collect: out of memory");
    }
    for (size_t i = 0; i < cap; i++) nw[i].len = SIZE_MAX;
    struct seen grown = {nw, cap, t->count, t->keys};
    for (size_t i = 0; i < t->cap; i++)
      if (old[i].len != SIZE_MAX)
        *seen_find(&grown, t->keys.data + old[i].off, old[i].len, old[i].hash) = old[i];
    promc__free(old);
    t->slot = nw;
    t->cap = cap;
  }
  uint64_t h = fnv1a(t->keys.data + off, len);
  struct seen_slot *s = seen_find(t, t->keys.data + off, len, h);
  if (s->len != SIZE_MAX) {
    t->keys.len = off;
    char shown[301];
    promc__pairs_print(shown, sizeof shown, c->labels.data, c->labels.len);
    return promc__err(PROMC_EDUP, "collector \"%s\": \"%s\" was given the label set {%s} twice", c->collector,
                      c->name, shown);
  }
  *s = (struct seen_slot){h, off, len};
  t->count++;
  return 0;
}

static void end_family(promc_collect *c) {
  if (c->open && c->selected && c->rc->ops->family_end) c->rc->ops->family_end(c->rc->out, &c->fv, c->rc->st);
  c->open = false;
  seen_reset(&c->seen);
  promc__free(c->help);
  c->help = NULL;
}

int promc_collect_family(promc_collect *c, const char *name, const char *help, promc_type type,
                         const char *unit) {
  if (!c || !name || !help) return promc__err(PROMC_EINVAL, "collect_family: NULL argument");
  end_family(c);
  if (!promc__valid_metric_name(name) || strlen(name) >= sizeof c->name)
    return promc__err(PROMC_ENAME, "collector \"%s\": \"%s\" is not a valid metric name", c->collector, name);
  if (type < PROMC_TYPE_COUNTER || type > PROMC_TYPE_GAUGE_HISTOGRAM || type == PROMC_TYPE_STATESET)
    return promc__err(PROMC_ETYPE, "collector \"%s\": type %d not supported for \"%s\"", c->collector, (int)type,
                      name);
  if (unit && (strlen(unit) >= sizeof c->unit || !promc__valid_label_name(unit)))
    return promc__err(PROMC_ENAME, "collector \"%s\": invalid unit for \"%s\"", c->collector, name);
  if (!promc__utf8_valid(help, strlen(help)))
    return promc__err(PROMC_EVALUE, "collector \"%s\": the help text of \"%s\" is not valid UTF-8", c->collector,
                      name);
  size_t n = strlen(name);
  memcpy(c->name, name, n + 1);
  const char *sfx = promc__kind(type)->name_suffix; /* _total, _info: the base name is without */
  size_t sl = sfx ? strlen(sfx) : 0;
  if (sl && n > sl && strcmp(name + n - sl, sfx) == 0) c->name[n -= sl] = 0;
  int rc = check_clash(c, n, type);
  if (rc) return rc;
  if (!(c->help = promc__strdup(help))) return promc__err(PROMC_ENOMEM, "collect_family: out of memory");
  if (unit) strcpy(c->unit, unit);
  c->fv = (struct promc_fview){.name = c->name, .name_len = n, .help = c->help,
                               .unit = unit ? c->unit : NULL, .type = type, .const_labels = "",
                               .state_label = c->name};
  c->open = true;
  c->selected = promc__name_selected(c->rc->opts, c->name, n, type);
  if (c->selected) c->rc->ops->family_begin(c->rc->out, &c->fv, c->rc->st);
  return 0;
}

/* Packs names/values into c->labels as raw pairs (labels.c). */
static int render_labels(promc_collect *c, size_t n, const char *const *names, const char *const *values) {
  c->labels.len = 0;
  if (n && (!names || !values)) return promc__err(PROMC_EINVAL, "collect: label names or values NULL");
  for (size_t i = 0; i < n; i++) {
    if (!promc__valid_label_name(names[i]) || (names[i][0] == '_' && names[i][1] == '_'))
      return promc__err(PROMC_ELABEL, "collector \"%s\": invalid label name \"%s\" on \"%s\"", c->collector,
                        names[i] ? names[i] : "(null)", c->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0)
        return promc__err(PROMC_ELABEL, "collector \"%s\": label \"%s\" given twice on \"%s\"", c->collector,
                          names[i], c->name);
    const char *reserved = promc__kind(c->fv.type)->reserved_label;
    if (reserved && strcmp(names[i], reserved) == 0)
      return promc__err(PROMC_ELABEL, "collector \"%s\": label name \"%s\" is reserved on \"%s\"", c->collector,
                        names[i], c->name);
    if (!values[i]) return promc__err(PROMC_EINVAL, "collector \"%s\": NULL label value", c->collector);
    size_t vl = strlen(values[i]);
    if (!promc__utf8_valid(values[i], vl))
      return promc__err(PROMC_EVALUE, "collector \"%s\": the value of label \"%s\" on \"%s\" is not valid UTF-8",
                        c->collector, names[i], c->name);
    size_t nl = strlen(names[i]);
    char np[10], vp[10]; /* the two items' length prefixes */
    size_t npl = (size_t)(promc__pack_len(np, nl) - np), vpl = (size_t)(promc__pack_len(vp, vl) - vp);
    int w = promc_buf_write(&c->labels, np, npl) | promc_buf_write(&c->labels, names[i], nl) |
            promc_buf_write(&c->labels, vp, vpl) | promc_buf_write(&c->labels, values[i], vl);
    if (w) return promc__err(PROMC_ENOMEM, "collect: out of memory");
  }
  return 0;
}

static int begin_sample(promc_collect *c, struct promc_sview *v, size_t n, const char *const *names,
                        const char *const *values) {
  if (!c) return promc__err(PROMC_EINVAL, "collect: NULL context");
  if (!c->open) return promc__err(PROMC_ESTATE, "collector \"%s\": sample before promc_collect_family", c->collector);
  int rc = render_labels(c, n, names, values);
  if (rc) return rc;
  memset(v, 0, sizeof *v);
  v->pairs = c->labels.len ? c->labels.data : NULL;
  v->pairs_len = c->labels.len;
  return 0;
}

int promc_collect_sample(promc_collect *c, size_t n, const char *const *names, const char *const *values,
                         double value) {
  struct promc_sview v;
  int rc = begin_sample(c, &v, n, names, values);
  if (rc) return rc;
  promc_type t = c->fv.type;
  if (t == PROMC_TYPE_HISTOGRAM || t == PROMC_TYPE_SUMMARY || t == PROMC_TYPE_GAUGE_HISTOGRAM)
    return promc__err(PROMC_ETYPE, "collector \"%s\": use collect_histogram/summary for \"%s\"", c->collector,
                      c->name);
  if (t == PROMC_TYPE_COUNTER && !(value >= 0))
    return promc__err(PROMC_EVALUE, "collector \"%s\": counter \"%s\" given %g (negative or NaN)", c->collector,
                      c->name, value);
  if ((rc = note_child(c, n, names, values))) return rc;
  v.value = value;
  if (c->selected) c->rc->ops->series(c->rc->out, &c->fv, &v, c->rc->st);
  return 0;
}

int promc_collect_histogram(promc_collect *c, size_t n, const char *const *names, const char *const *values,
                            size_t nbounds, const double *bounds, const uint64_t *cumulative, double sum) {
  struct promc_sview v;
  int rc = begin_sample(c, &v, n, names, values);
  if (rc) return rc;
  if (c->fv.type != PROMC_TYPE_HISTOGRAM && c->fv.type != PROMC_TYPE_GAUGE_HISTOGRAM)
    return promc__err(PROMC_ETYPE, "collector \"%s\": \"%s\" is not a histogram", c->collector, c->name);
  if (!bounds || !cumulative || nbounds > 256)
    return promc__err(PROMC_EINVAL, "collect_histogram: bounds/cumulative missing or too many bounds");
  if (nbounds == 0) /* as at creation: +Inf alone is no histogram */
    return promc__err(PROMC_EBUCKETS, "collect_histogram: \"%s\" has no bounds", c->name);
  for (size_t i = 0; i <= nbounds; i++) {
    if (i < nbounds && (isnan(bounds[i]) || isinf(bounds[i]) || (i && !(bounds[i] > bounds[i - 1]))))
      return promc__err(PROMC_EBUCKETS, "collect_histogram: bounds of \"%s\" not finite and increasing (+Inf is "
                        "implied)", c->name);
    if (i && cumulative[i] < cumulative[i - 1])
      return promc__err(PROMC_EVALUE, "collect_histogram: counts of \"%s\" not cumulative", c->name);
  }
  if ((rc = note_child(c, n, names, values))) return rc;
  v.nbounds = nbounds;
  v.bounds = bounds;
  v.cumulative = cumulative;
  v.count = cumulative[nbounds];
  v.sum = sum;
  if (c->selected) c->rc->ops->series(c->rc->out, &c->fv, &v, c->rc->st);
  return 0;
}

int promc_collect_summary(promc_collect *c, size_t n, const char *const *names, const char *const *values,
                          uint64_t count, double sum, size_t nq, const double *quantiles, const double *qvalues) {
  struct promc_sview v;
  int rc = begin_sample(c, &v, n, names, values);
  if (rc) return rc;
  if (c->fv.type != PROMC_TYPE_SUMMARY)
    return promc__err(PROMC_ETYPE, "collector \"%s\": \"%s\" is not a summary", c->collector, c->name);
  if (nq && (!quantiles || !qvalues)) return promc__err(PROMC_EINVAL, "collect_summary: quantiles NULL");
  for (size_t i = 0; i < nq; i++) {
    if (!(quantiles[i] >= 0 && quantiles[i] <= 1))
      return promc__err(PROMC_EVALUE, "collect_summary: quantile %g out of [0,1]", quantiles[i]);
    if (qvalues[i] < 0) /* OpenMetrics: quantile values are never negative (NaN = no events) */
      return promc__err(PROMC_EVALUE, "collect_summary: \"%s\" quantile %g has the negative value %g", c->name,
                        quantiles[i], qvalues[i]);
    for (size_t j = 0; j < i; j++)
      if (quantiles[j] == quantiles[i])
        return promc__err(PROMC_EVALUE, "collect_summary: \"%s\" quantile %g given twice", c->name, quantiles[i]);
  }
  if ((rc = note_child(c, n, names, values))) return rc;
  v.count = count;
  v.sum = sum;
  v.nq = nq;
  v.quantiles = quantiles;
  v.qvalues = qvalues;
  if (c->selected) c->rc->ops->series(c->rc->out, &c->fv, &v, c->rc->st);
  return 0;
}

struct promc_multi_name {
  struct promc_multi_name *next;
  size_t reg_index;
  promc_type type;
  size_t len;
  char name[];
};

static void multi_record(struct promc_render_ctx *rc, int code) {
  if (rc->first_rc) return;
  rc->first_rc = code;
  snprintf(rc->first_msg, sizeof rc->first_msg, "%s", promc_errmsg());
}

int promc__multi_note(struct promc_render_ctx *rc, const char *what, const char *name, size_t len,
                      promc_type type) {
  if (!rc->multi) return 0;
  for (const struct promc_multi_name *m = rc->shown; m; m = m->next)
    if (m->reg_index < rc->reg_index && clash(name, len, type, m->name, m->len, m->type)) {
      int e = promc__err(PROMC_EDUP, "render: family \"%s\" (%s) of registry %zu clashes with \"%s\" of "
                         "registry %zu; left out", name, what, rc->reg_index, m->name, m->reg_index);
      multi_record(rc, e);
      return e;
    }
  struct promc_multi_name *m = promc__malloc(sizeof *m + len + 1);
  if (!m) {
    int e = promc__err(PROMC_ENOMEM, "render: out of memory");
    multi_record(rc, e);
    return e;
  }
  m->reg_index = rc->reg_index;
  m->type = type;
  m->len = len;
  memcpy(m->name, name, len);
  m->name[len] = 0;
  m->next = rc->shown;
  rc->shown = m;
  return 0;
}

void promc__multi_free(struct promc_render_ctx *rc) {
  for (struct promc_multi_name *m = rc->shown, *next; m; m = next) {
    next = m->next;
    promc__free(m);
  }
  rc->shown = NULL;
}

int promc__run_collectors(struct promc_registry *r, struct promc_render_ctx *rc) {
  int result = 0;
  struct emitted *emitted = NULL;
  pthread_mutex_lock(&r->lock);
  for (struct promc_collector_node *n = r->collectors; n && !rc->out->err; n = n->next) {
    promc_collect c = {.rc = rc, .reg = r, .emitted = &emitted, .collector = n->name};
    promc__err_clear();
    int cr = n->c.collect(&c, n->c.user);
    end_family(&c);
    promc_buf_free(&c.labels);
    seen_free(&c.seen);
    if (cr < 0 && !result) { /* keep what the collector said about its failure */
      char why[400];
      snprintf(why, sizeof why, "%s", promc_errmsg());
      result = promc__err(PROMC_ECALLBACK, "collector \"%s\" failed (%d)%s%s", n->name, cr, why[0] ? ": " : "", why);
    }
  }
  pthread_mutex_unlock(&r->lock);
  for (struct emitted *e = emitted, *next; e; e = next) {
    next = e->next;
    promc__free(e);
  }
  return result;
}
