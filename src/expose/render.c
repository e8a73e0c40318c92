/* SPDX-License-Identifier: Apache-2.0 */
/* render.c — walks a registry (families in registration order, then
 * collectors) and feeds each child's values to a format writer. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

const char *promc_format_content_type(promc_format f) {
  switch (f) {
    case PROMC_FORMAT_OPENMETRICS: return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case PROMC_FORMAT_PROTOBUF:
      return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    default: return "text/plain; version=0.0.4; charset=utf-8";
  }
}

const char *const *promc__type_suffixes(promc_type t) {
  static const char *const counter[] = {"", "_total", "_created", NULL};
  static const char *const hist[] = {"", "_bucket", "_count", "_sum", "_created", NULL};
  static const char *const ghist[] = {"", "_bucket", "_gcount", "_gsum", NULL};
  static const char *const summ[] = {"", "_count", "_sum", "_created", NULL};
  static const char *const info[] = {"", "_info", NULL};
  static const char *const plain[] = {"", NULL};
  switch (t) {
    case PROMC_TYPE_COUNTER: return counter;
    case PROMC_TYPE_HISTOGRAM: return hist;
    case PROMC_TYPE_GAUGE_HISTOGRAM: return ghist;
    case PROMC_TYPE_SUMMARY: return summ;
    case PROMC_TYPE_INFO: return info;
    default: return plain;
  }
}

/* name[] selects a family when it names the family or any sample name the
 * family exposes (client_python matches on those names too). */
bool promc__name_selected(const promc_render_opts *o, const char *base, size_t base_len, promc_type type) {
  if (!o || !o->names || !o->nnames) return true;
  const char *const *sfx = promc__type_suffixes(type);
  for (size_t i = 0; i < o->nnames; i++) {
    const char *n = o->names[i];
    if (!n || strncmp(n, base, base_len) != 0) continue;
    for (const char *const *s = sfx; *s; s++)
      if (strcmp(n + base_len, *s) == 0) return true;
  }
  return false;
}

static double fn_value(const struct promc_family *f, const struct promc_series *s, bool *has) {
  for (const struct promc_fnreg *r = f->fns; r; r = r->next)
    if (r->s == s) {
      *has = true;
      return r->fn(r->user);
    }
  *has = false;
  return 0;
}

/* Fills v from child s; cum is room for nbounds + 1 counts, ex for the
 * family's exemplar slots (NULL when it has none). False when the child is
 * left out: its counter value callback gave a negative number or NaN, which
 * no counter may expose (OpenMetrics; every other path to a counter refuses
 * them, as promc_collect_sample does). */
static bool read_child(const struct promc_family *f, const struct promc_series *s, struct promc_sview *v,
                       uint64_t *cum, struct promc_exemplar_view *ex) {
  if (ex) {
    for (size_t i = 0; i < f->nexemplars; i++) promc__exemplar_read(s, i, &ex[i]);
    v->exemplars = ex;
  }
  v->labels = s->labels;
  v->labels_len = s->labels_len;
  v->created = atomic_load_explicit(&s->created, memory_order_relaxed);
  v->pairs = NULL;
  v->pairs_len = 0;
  bool has = false;
  switch (f->type) {
    case PROMC_TYPE_COUNTER:
      v->value = f->fns ? fn_value(f, s, &has) : 0;
      if (!has) v->value = promc__counter_value(s);
      else if (!(v->value >= 0)) return false;
      break;
    case PROMC_TYPE_GAUGE:
      v->value = f->fns ? fn_value(f, s, &has) : 0;
      if (!has) v->value = promc__gauge_value(s);
      break;
    case PROMC_TYPE_HISTOGRAM: {
      uint64_t acc = 0;
      for (size_t i = 0; i <= f->nbounds; i++) {
        acc += atomic_load_explicit(&s->cells[1 + i], memory_order_relaxed);
        cum[i] = acc;
      }
      v->count = acc;
      v->sum = promc__bits_double(atomic_load_explicit(&s->cells[0], memory_order_relaxed));
      v->signed_obs = atomic_load_explicit(&s->signed_obs, memory_order_relaxed) != 0;
      break;
    }
    case PROMC_TYPE_SUMMARY:
      v->count = atomic_load_explicit(&s->cells[0], memory_order_relaxed);
      v->sum = promc__bits_double(atomic_load_explicit(&s->cells[1], memory_order_relaxed));
      v->signed_obs = atomic_load_explicit(&s->signed_obs, memory_order_relaxed) != 0;
      break;
    case PROMC_TYPE_INFO: {
      const struct promc_pairs *t =
          (const struct promc_pairs *)(uintptr_t)atomic_load_explicit(&s->cells[0], memory_order_relaxed);
      v->pairs = t ? t->data : NULL;
      v->pairs_len = t ? t->len : 0;
      break;
    }
    case PROMC_TYPE_STATESET:
      v->state = (size_t)atomic_load_explicit(&s->cells[0], memory_order_relaxed);
      break;
    default: break;
  }
  return true;
}

static void render_family(struct promc_render_ctx *rc, struct promc_family *f) {
  struct promc_fview fv = {
      .name = f->name, .name_len = f->name_len, .help = f->help, .unit = f->unit, .type = f->type,
      .const_labels = f->const_labels, .const_labels_len = f->const_labels_len, .nlabels = f->nlabels,
      .label_names = (const char *const *)f->label_names, .label_name_len = f->label_name_len, .state_label = f->name,
      .text_name = f->text_name, .text_name_len = f->text_name ? strlen(f->text_name) : 0};
  uint64_t stack_cum[64], *cum = stack_cum;
  if (f->nbounds + 1 > 64) {
    cum = promc__malloc((f->nbounds + 1) * sizeof *cum); /* once per family, not per child */
    if (!cum) {
      rc->out->err = rc->out->err ? rc->out->err : PROMC_ENOMEM;
      return;
    }
  }
  struct promc_exemplar_view *ex = NULL;
  if (f->nexemplars && !(ex = promc__malloc(f->nexemplars * sizeof *ex))) { /* once per family */
    if (cum != stack_cum) promc__free(cum);
    rc->out->err = rc->out->err ? rc->out->err : PROMC_ENOMEM;
    return;
  }
  struct promc_sview sv = {.nbounds = f->nbounds, .bounds = f->bounds,
                           .bound_text = (const char *const *)f->bound_text, .cumulative = cum,
                           .nstates = f->nstates, .states = (const char *const *)f->states};
  /* Not the family lock: creating a child must not wait for a scrape. The
   * children are walked lock-free (promc__child_first says why that is
   * safe); vlock only keeps callbacks and info text alive while we use them. */
  pthread_mutex_lock(&f->vlock);
  const struct promc_writer_ops *ops = rc->ops;
  ops->family_begin(rc->out, &fv, rc->st);
  struct promc_child_it it;
  struct promc_series *first = promc__child_first(f, &it);
  const struct promc_child_it start = it; /* the _created pass walks the same snapshot */
  struct promc_series **left_out = NULL; /* children read_child refused: no _created either */
  size_t nleft = 0, capleft = 0;
  for (struct promc_series *s = first; s; s = promc__child_next(f, &it)) {
    if (atomic_load_explicit(&s->removed, memory_order_acquire)) continue;
    sv.signed_obs = false; /* the aggregate of other processes: the writers check its sum */
    if (f->mp && promc__mp_emit(rc, &fv, f, s, &sv, cum)) continue;
    if (!read_child(f, s, &sv, cum, ex)) {
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
  bool has_created = f->type == PROMC_TYPE_COUNTER || f->type == PROMC_TYPE_HISTOGRAM ||
                     f->type == PROMC_TYPE_SUMMARY;
  if (rc->created && ops->created_begin && has_created && first) {
    ops->created_begin(rc->out, &fv, rc->st);
    it = start;
    for (struct promc_series *s = first; s; s = promc__child_next(f, &it)) {
      if (atomic_load_explicit(&s->removed, memory_order_acquire)) continue;
      size_t k = 0;
      while (k < nleft && left_out[k] != s) k++;
      if (k < nleft) continue;
      sv.labels = s->labels;
      sv.labels_len = s->labels_len;
      sv.pairs = NULL;
      sv.pairs_len = 0;
      sv.created = atomic_load_explicit(&s->created, memory_order_relaxed);
      ops->created_series(rc->out, &fv, &sv, rc->st);
    }
  }
  pthread_mutex_unlock(&f->vlock);
  promc__free(left_out);
  if (cum != stack_cum) promc__free(cum);
  promc__free(ex);
}

static int writer_for(promc_format fmt, const struct promc_writer_ops **ops) {
  switch (fmt) {
    case PROMC_FORMAT_TEXT: *ops = promc__text_writer(); return 0;
    case PROMC_FORMAT_OPENMETRICS:
      *ops = promc__openmetrics_writer ? promc__openmetrics_writer() : NULL;
      break;
    case PROMC_FORMAT_PROTOBUF:
      *ops = promc__protobuf_writer ? promc__protobuf_writer() : NULL;
      break;
    default: return promc__err(PROMC_EINVAL, "render: unknown format %d", (int)fmt);
  }
  return *ops ? 0 : promc__err(PROMC_EUNSUPP, "render: format %d is not built into this library", (int)fmt);
}

/* Renders regs[0..n) in order into one output (multi: as one exposition,
 * with one exposed-name check across them). */
static int render_regs(promc_registry *const *regs, size_t n, bool multi, promc_format fmt,
                       const promc_render_opts *opts, promc_write_fn write, void *user) {
  for (size_t i = 0; i < n; i++)
    if (promc__rendering(regs[i]))
      return promc__err(PROMC_ESTATE, "render: called from a collector or value callback of the registry it renders");
  const struct promc_writer_ops *ops;
  int rc = writer_for(fmt, &ops);
  if (rc) return rc;
  promc__stripes_refill(); /* top up the counter stripe pool off the hot path */
  if (PROMC_MP_PRESENT(promc__mp_scrape_begin)) promc__mp_scrape_begin();
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
