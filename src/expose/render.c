/* SPDX-License-Identifier: Apache-2.0 */
/* render.c — the registry walk: families in registration order, then
 * collectors (collect.c), each child's values read once and fed to the
 * writer of the format asked for, into one output (out.c). */
#include <stdio.h>
#include <stdlib.h>

#include "core/kind.h"
#include "core/store.h"
#include "expose/expose.h"

const char *promc_format_content_type(promc_format f) {
  switch (f) {
    case PROMC_FORMAT_OPENMETRICS: return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case PROMC_FORMAT_PROTOBUF:
      return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    default: return "text/plain; version=0.0.4; charset=utf-8";
  }
}

/* name[] selects a family when it names the family or any sample name the
 * family exposes (client_python matches on those names too). */
bool promc__name_selected(const promc_render_opts *o, const char *base, size_t base_len, promc_type type) {
  if (!o || !o->names || !o->nnames) return true;
  const struct promc_kind *k = promc__kind(type);
  const char *const *sfx = (k ? k : &promc__kind_untyped)->suffixes;
  for (size_t i = 0; i < o->nnames; i++) {
    const char *n = o->names[i];
    if (!n || strncmp(n, base, base_len) != 0) continue;
    for (const char *const *s = sfx; *s; s++)
      if (strcmp(n + base_len, *s) == 0) return true;
  }
  return false;
}

/* Fills v from child s through its kind k's read of the child's own cells;
 * cum is room for nbounds + 1 counts, ex for the family's exemplar slots
 * (NULL when it has none). False when the kind leaves the child out of this
 * scrape. */
static bool read_child(const struct promc_kind *k, const struct promc_family *f, const struct promc_series *s,
                       struct promc_sview *v, uint64_t *cum, struct promc_exemplar_view *ex) {
  if (ex) {
    for (size_t i = 0; i < f->nexemplars; i++) promc__exemplar_read(s, i, &ex[i]);
    v->exemplars = ex;
  }
  v->labels = s->labels;
  v->labels_len = s->labels_len;
  v->labels_plain = s->text.plain;
  v->created = atomic_load_explicit(&s->created, memory_order_relaxed);
  v->pairs = NULL; /* the kind's read sets them (info labels) */
  v->pairs_len = 0;
  return k->read(f, s, s->cells, v, cum);
}

/* One sample of an all/liveall gauge: the process's value, read by the kind
 * as a one-process gauge, under the child's labels plus pid="N". */
struct pid_sample {
  struct promc_render_ctx *rc;
  const struct promc_fview *fv;
  const struct promc_family *f;
  const struct promc_series *s;
  struct promc_sview *sv;
  uint64_t *cum;
};

static void pid_sample(void *u, long pid, double v) {
  struct pid_sample *p = u;
  _Atomic uint64_t cells[3] = {promc__double_bits(v), 1, 0};
  if (!promc__kind(p->f->type)->read(p->f, p->s, cells, p->sv, p->cum)) return;
  char num[24], pair[40];
  int nl = snprintf(num, sizeof num, "%ld", pid);
  p->sv->pairs = pair;
  p->sv->pairs_len = (size_t)(promc__pack_item(promc__pack_item(pair, "pid", 3), num, (size_t)nl) - pair);
  p->rc->ops->series(p->rc->out, p->fv, p->sv, p->rc->st);
  p->sv->pairs = NULL;
  p->sv->pairs_len = 0;
}

/* A child whose cells the storage backend holds: its cells summed over
 * processes (sum: room for f->ncells cells, 2 at least), read by the kind
 * as a local child's are; all/liveall gauges give one sample per process.
 * False when the backend does not hold it: read it locally. */
static bool store_child(struct promc_render_ctx *rc, const struct promc_fview *fv, const struct promc_family *f,
                        const struct promc_series *s, struct promc_sview *sv, uint64_t *cum,
                        _Atomic uint64_t *sum) {
  const struct promc_store_ops *b = promc__store_backend;
  for (size_t i = 0; i < f->ncells || i < 2; i++) atomic_store_explicit(&sum[i], 0, memory_order_relaxed);
  int r = b->read_sum(f, s, sum);
  if (!r) return false;
  sv->labels = s->labels;
  sv->labels_len = s->labels_len;
  sv->labels_plain = s->text.plain;
  sv->created = atomic_load_explicit(&s->created, memory_order_relaxed);
  sv->pairs = NULL;
  sv->pairs_len = 0;
  sv->exemplars = NULL; /* exemplars stay in each process's memory: not exposed in this mode */
  if (r == 2) {
    struct pid_sample p = {.rc = rc, .fv = fv, .f = f, .s = s, .sv = sv, .cum = cum};
    b->each(f, s, pid_sample, &p);
  } else if (promc__kind(f->type)->read(f, s, sum, sv, cum)) {
    rc->ops->series(rc->out, fv, sv, rc->st);
  }
  return true;
}

static void render_family(struct promc_render_ctx *rc, struct promc_family *f) {
  struct promc_fview fv = {
      .name = f->name, .name_len = f->name_len, .help = f->help, .unit = f->unit, .type = f->type,
      .const_labels = f->const_labels, .const_labels_len = f->const_labels_len, .nlabels = f->nlabels,
      .label_names = (const char *const *)f->label_names, .label_name_len = f->label_name_len, .state_label = f->name,
      .text_name = f->text_name, .text_name_len = f->text_name ? strlen(f->text_name) : 0};
  promc__labels_prepare(&fv);
  uint64_t stack_cum[64], *cum = stack_cum;
  if (f->nbounds + 1 > 64) {
    cum = promc__malloc((f->nbounds + 1) * sizeof *cum); /* once per family, not per child */
    if (!cum) {
      rc->out->err = rc->out->err ? rc->out->err : PROMC_ENOMEM;
      return;
    }
  }
  _Atomic uint64_t stack_sum[66], *sum = stack_sum; /* a store-held child's sum over processes */
  if (f->mp && f->ncells > 66 && !(sum = promc__malloc(f->ncells * sizeof *sum))) {
    if (cum != stack_cum) promc__free(cum);
    rc->out->err = rc->out->err ? rc->out->err : PROMC_ENOMEM;
    return;
  }
  struct promc_exemplar_view *ex = NULL;
  if (f->nexemplars && !(ex = promc__malloc(f->nexemplars * sizeof *ex))) { /* once per family */
    if (cum != stack_cum) promc__free(cum);
    if (sum != stack_sum) promc__free(sum);
    rc->out->err = rc->out->err ? rc->out->err : PROMC_ENOMEM;
    return;
  }
  struct promc_sview sv = {.nbounds = f->nbounds, .bounds = f->bounds, .cumulative = cum,
                           .nstates = f->nstates, .states = (const char *const *)f->states};
  /* Not the family lock: creating a child must not wait for a scrape. The
   * children are walked lock-free (promc__child_first says why that is
   * safe); vlock only keeps callbacks and info text alive while we use them. */
  pthread_mutex_lock(&f->vlock);
  promc__render_hold(f); /* set_function / info_set on f from here: PROMC_ESTATE, not a deadlock */
  const struct promc_writer_ops *ops = rc->ops;
  ops->family_begin(rc->out, &fv, rc->st);
  struct promc_child_it it;
  struct promc_series *first = promc__child_first(f, &it);
  const struct promc_child_it start = it; /* the _created pass walks the same snapshot */
  struct promc_series **left_out = NULL; /* children read_child refused: no _created either */
  size_t nleft = 0, capleft = 0;
  const struct promc_kind *kind = promc__kind(f->type);
  for (struct promc_series *s = first; s; s = promc__child_next(f, &it)) {
    if (atomic_load_explicit(&s->removed, memory_order_acquire)) continue;
    sv.signed_obs = false; /* the aggregate of other processes: the writers check its sum */
    if (f->mp && store_child(rc, &fv, f, s, &sv, cum, sum)) continue;
    if (!read_child(kind, f, s, &sv, cum, ex)) {
      if (nleft == capleft) { /* rare and at scrape time; without room the child only keeps its _created */
        struct promc_series **g = promc__realloc(left_out, (capleft = capleft ? 2 * capleft : 8) * sizeof *g);
        if (g) left_out = g;
        else capleft = nleft;
      }
      if (nleft < capleft) left_out[nleft++] = s;
      continue;
    }
    ops->series(rc->out, &fv, &sv, rc->st);
  }
  if (ops->family_end) ops->family_end(rc->out, &fv, rc->st);
  if (rc->created && ops->created_begin && promc__kind(f->type)->has_created && first) {
    ops->created_begin(rc->out, &fv, rc->st);
    it = start;
    for (struct promc_series *s = first; s; s = promc__child_next(f, &it)) {
      if (atomic_load_explicit(&s->removed, memory_order_acquire)) continue;
      size_t k = 0;
      while (k < nleft && left_out[k] != s) k++;
      if (k < nleft) continue;
      sv.labels = s->labels;
      sv.labels_len = s->labels_len;
      sv.labels_plain = s->text.plain;
      sv.pairs = NULL;
      sv.pairs_len = 0;
      sv.created = atomic_load_explicit(&s->created, memory_order_relaxed);
      ops->created_series(rc->out, &fv, &sv, rc->st);
    }
  }
  promc__render_hold(NULL);
  pthread_mutex_unlock(&f->vlock);
  promc__free(left_out);
  if (cum != stack_cum) promc__free(cum);
  if (sum != stack_sum) promc__free(sum);
  promc__free(ex);
}

/* The writers by format: strong references, so that whatever links the
 * walk (a static link included) has every format. */
static const struct promc_writer_ops *const k_writers[] = {
    [PROMC_FORMAT_TEXT] = &promc__text_ops,
    [PROMC_FORMAT_OPENMETRICS] = &promc__openmetrics_ops,
    [PROMC_FORMAT_PROTOBUF] = &promc__protobuf_ops,
};

static int writer_for(promc_format fmt, const struct promc_writer_ops **ops) {
  if ((unsigned)fmt >= sizeof k_writers / sizeof k_writers[0] || !k_writers[fmt])
    return promc__err(PROMC_EINVAL, "render: unknown format %d", (int)fmt);
  *ops = k_writers[fmt];
  return 0;
}

/* Renders regs[0..n) in order into one output (multi: as one exposition,
 * with one exposed-name check across them). */
static int render_regs(promc_registry *const *regs, size_t n, bool multi, promc_format fmt,
                       const promc_render_opts *opts, promc_write_fn write, void *user) {
  size_t same = 0; /* a render inside a render: refused, with the registry it would take again named */
  while (same + 1 < n && !promc__rendering(regs[same])) same++;
  int rc = promc__render_refuse(regs[same], "render");
  if (rc) return rc;
  const struct promc_writer_ops *ops = NULL;
  rc = writer_for(fmt, &ops);
  if (rc) return rc;
  promc__stripes_refill(); /* top up the counter stripe pool off the hot path */
  promc__store_scrape_begin();
  struct promc_out *out = promc__malloc(sizeof *out);
  struct promc_render_ctx *ctx = promc__calloc(1, sizeof *ctx);
  if (!out || !ctx) {
    promc__free(out);
    promc__free(ctx);
    return promc__err(PROMC_ENOMEM, "render: out of memory");
  }
  promc__out_init(out, write, user);
  *ctx = (struct promc_render_ctx){.out = out, .ops = ops, .opts = opts, .multi = multi};
  if (ops->state_size && !(ctx->st = promc__calloc(1, ops->state_size))) {
    promc__free(out);
    promc__free(ctx);
    return promc__err(PROMC_ENOMEM, "render: out of memory");
  }
  int crc = 0;
  for (size_t i = 0; i < n && !out->err; i++) {
    promc_registry *r = regs[i];
    ctx->reg_index = i;
    struct promc_render_mark mark; /* callbacks that come back to r get PROMC_ESTATE */
    promc__render_enter(&mark, r);
    pthread_mutex_lock(&r->lock);
    ctx->created = fmt == PROMC_FORMAT_TEXT && r->created_text;
    for (struct promc_family *f = r->first; f && !out->err; f = f->reg_next) {
      if (multi && promc__multi_note(ctx, "registered", f->name, f->name_len, f->type)) continue;
      if (promc__name_selected(opts, f->name, f->name_len, f->type)) render_family(ctx, f);
    }
    pthread_mutex_unlock(&r->lock);
    int c = out->err ? 0 : promc__run_collectors(r, ctx);
    promc__render_leave(&mark);
    if (c && !crc) crc = c;
    if (c && multi && !ctx->first_rc) { /* the next registry's render may overwrite promc_errmsg */
      ctx->first_rc = c;
      snprintf(ctx->first_msg, sizeof ctx->first_msg, "%s", promc_errmsg());
    }
  }
  if (ops->finish && !out->err) ops->finish(out, ctx->st);
  promc__out_flush(out);
  if (ops->cleanup) ops->cleanup(ctx->st);
  promc__free(ctx->st);
  promc__multi_free(ctx);
  rc = out->err;
  promc__free(out);
  int first = ctx->first_rc;
  if (rc == PROMC_EIO) first = promc__err(PROMC_EIO, "render: the sink refused the output");
  else if (rc) first = promc__err(rc, "render: %s", promc_strerror(rc));
  else if (first) first = promc__err(first, "%s", ctx->first_msg);
  else first = crc;
  promc__free(ctx);
  return first;
}

int promc_registry_render(promc_registry *r, promc_format fmt, const promc_render_opts *opts,
                          promc_write_fn write, void *user) {
  if (!write) return promc__err(PROMC_EINVAL, "render: NULL write function");
  if (!r && !(r = promc_default_registry()))
    return promc__err(PROMC_ENOMEM, "render: out of memory creating the default registry");
  return render_regs(&r, 1, false, fmt, opts, write, user);
}

int promc_registries_render(promc_registry *const *regs, size_t n, promc_format fmt,
                            const promc_render_opts *opts, promc_write_fn write, void *user) {
  if (!write) return promc__err(PROMC_EINVAL, "render: NULL write function");
  if (!regs || !n) return promc__err(PROMC_EINVAL, "registries_render: no registries (regs %s, n %zu)",
                                     regs ? "set" : "NULL", n);
  for (size_t i = 0; i < n; i++) {
    if (!regs[i]) return promc__err(PROMC_EINVAL, "registries_render: registry %zu is NULL", i);
    for (size_t j = 0; j < i; j++)
      if (regs[j] == regs[i])
        return promc__err(PROMC_EINVAL, "registries_render: registries %zu and %zu are the same", j, i);
  }
  return render_regs(regs, n, true, fmt, opts, write, user);
}

int promc_registry_render_buf(promc_registry *r, promc_format f, const promc_render_opts *opts, promc_buf *b) {
  if (!b) return promc__err(PROMC_EINVAL, "render_buf: NULL buffer");
  return promc_registry_render(r, f, opts, promc_buf_write, b);
}

int promc_registries_render_buf(promc_registry *const *regs, size_t n, promc_format f,
                                const promc_render_opts *opts, promc_buf *b) {
  if (!b) return promc__err(PROMC_EINVAL, "render_buf: NULL buffer");
  return promc_registries_render(regs, n, f, opts, promc_buf_write, b);
}
