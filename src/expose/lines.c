/* SPDX-License-Identifier: Apache-2.0 */
/* lines.c — the lines the two text formats have in common (metadata and
 * samples), written under a dialect: Prometheus text 0.0.4 or OpenMetrics
 * 1.0. The writers (text.c, openmetrics.c) keep only what one format has
 * and the other does not. */
#include <math.h>
#include <stdlib.h>

#include "core/labels.h"
#include "expose/expose.h"

static const char *const k_text_types[] = {
    [0] = "untyped",
    [PROMC_TYPE_COUNTER] = "counter",
    [PROMC_TYPE_GAUGE] = "gauge",
    [PROMC_TYPE_HISTOGRAM] = "histogram",
    [PROMC_TYPE_SUMMARY] = "summary",
    [PROMC_TYPE_INFO] = "gauge",     /* x_info 1 */
    [PROMC_TYPE_STATESET] = "gauge", /* one 0/1 sample per state */
    [PROMC_TYPE_UNTYPED] = "untyped",
    [PROMC_TYPE_GAUGE_HISTOGRAM] = "histogram", /* _gcount, _gsum: gauge families after it */
};
static const char *const k_om_types[] = {
    [0] = "unknown",
    [PROMC_TYPE_COUNTER] = "counter",
    [PROMC_TYPE_GAUGE] = "gauge",
    [PROMC_TYPE_HISTOGRAM] = "histogram",
    [PROMC_TYPE_SUMMARY] = "summary",
    [PROMC_TYPE_INFO] = "info",
    [PROMC_TYPE_STATESET] = "stateset",
    [PROMC_TYPE_UNTYPED] = "unknown",
    [PROMC_TYPE_GAUGE_HISTOGRAM] = "gaugehistogram",
};
#define NTYPES (sizeof k_text_types / sizeof k_text_types[0])
_Static_assert(sizeof k_om_types == sizeof k_text_types, "one TYPE word per type in each dialect");

const struct promc_dialect promc__dialect_text = {
    .type_word = k_text_types, .meta_sample_name = true, .label_num = PROMC_NUM_G17};
const struct promc_dialect promc__dialect_om = {
    .type_word = k_om_types, .help_escapes_quote = true, .unit = true, .label_num = PROMC_NUM_GO_CANONICAL};

static void help(struct promc_out *o, const struct promc_dialect *d, const char *h) {
  if (d->help_escapes_quote) {
    promc__out_escaped(o, h, strlen(h));
    return;
  }
  for (; *h; h++) {
    if (*h == '\\') promc__out_write(o, "\\\\", 2);
    else if (*h == '\n') promc__out_write(o, "\\n", 2);
    else promc__out_ch(o, *h);
  }
}

/* The name metadata lines give f (see meta_sample_name). */
static void meta_name(struct promc_out *o, const struct promc_dialect *d, const struct promc_fview *f) {
  if (d->meta_sample_name && f->type == PROMC_TYPE_COUNTER) promc__line_counter_name(o, f);
  else promc__line_name(o, f, d->meta_sample_name && f->type == PROMC_TYPE_INFO ? "_info" : NULL);
}

/* # HELP and # TYPE of f: under its metadata name (meta_name) when suffix
 * is NULL, else under its name + suffix (a side family such as _created). */
void promc__line_meta_as(struct promc_out *o, const struct promc_dialect *d, const struct promc_fview *f,
                      const char *suffix, const char *type) {
  for (int line = 0; line < 2; line++) {
    if (line) promc__out_write(o, "\n# TYPE ", 8);
    else promc__out_write(o, "# HELP ", 7);
    if (suffix) promc__line_name(o, f, suffix);
    else meta_name(o, d, f);
    promc__out_ch(o, ' ');
    if (line) promc__out_str(o, type);
    else help(o, d, f->help);
  }
  promc__out_ch(o, '\n');
}

void promc__line_meta(struct promc_out *o, const struct promc_dialect *d, const struct promc_fview *f) {
  promc__line_meta_as(o, d, f, NULL, d->type_word[(unsigned)f->type < NTYPES ? f->type : 0]);
  if (!d->unit) return;
  /* registered families were checked at creation; a collector's unit that
   * its name does not end in is left out rather than made invalid output;
   * info and stateset have none (the spec forbids it) */
  size_t ul = f->unit ? strlen(f->unit) : 0;
  if (ul && f->type != PROMC_TYPE_INFO && f->type != PROMC_TYPE_STATESET && f->name_len > ul + 1 &&
      f->name[f->name_len - ul - 1] == '_' && memcmp(f->name + f->name_len - ul, f->unit, ul) == 0) {
    promc__out_write(o, "# UNIT ", 7);
    promc__line_name(o, f, NULL);
    promc__out_ch(o, ' ');
    promc__out_str(o, f->unit);
    promc__out_ch(o, '\n');
  }
}

void promc__lblock_cache(struct promc_lblock *b, struct promc_lscratch *sc, const struct promc_fview *f,
                         const struct promc_sview *s) {
  *b = promc__lblock_direct(s);
  if (!sc->out && !(sc->out = promc__calloc(1, sizeof *sc->out))) return;
  sc->buf.len = 0;
  promc__out_init(sc->out, promc_buf_write, &sc->buf);
  promc__out_labels(sc->out, f, s, NULL, NULL, false);
  promc__out_flush(sc->out);
  if (sc->out->err) return; /* a promc_buf only fails to grow */
  *b = (struct promc_lblock){s, sc->buf.len ? sc->buf.data : "", sc->buf.len};
}

void promc__lscratch_free(struct promc_lscratch *sc) {
  promc__free(sc->out);
  promc_buf_free(&sc->buf);
  *sc = (struct promc_lscratch){0};
}

/* The label block of b with xname="xval" (xval escaped when xescape). */
static void out_block(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b,
                      const char *xname, const char *xval, bool xescape) {
  if (!b->text) {
    promc__out_labels(o, f, b->s, xname, xval, xescape);
    return;
  }
  if (!xname) {
    promc__out_write(o, b->text, b->len);
    return;
  }
  size_t xl = strlen(xname), vl = strlen(xval);
  if (b->len) promc__out_write(o, b->text, b->len - 1); /* all but its '}' */
  promc__out_ch(o, b->len ? ',' : '{');
  promc__out_write(o, xname, xl);
  promc__out_write(o, "=\"", 2);
  if (xescape) promc__out_escaped(o, xval, vl);
  else promc__out_write(o, xval, vl);
  promc__out_write(o, "\"}", 2);
}

/* promc__line_head with the lengths of suffix, xname and xval known (a
 * bucket line's are). Inlined into both callers: a call costs more than
 * the cached copy itself. */
static inline __attribute__((always_inline)) void head(struct promc_out *o, const struct promc_fview *f,
                                                       const struct promc_lblock *b, const char *suffix, size_t sl,
                                                       const char *xname, size_t xl, const char *xval, size_t vl) {
  if (b->text) { /* a cached block: the whole head with one reservation */
    size_t n = f->name_len + sl + b->len + (xname ? xl + vl + 5 : 0) + 1;
    if (PROMC_LIKELY(n <= sizeof o->own)) {
      promc__out_room(o, n); /* room for n: the sink's buffer grown, or own emptied */
      char *w = o->buf + o->len;
      promc__copy_short(w, f->name, f->name_len);
      w += f->name_len;
      promc__copy_short(w, suffix, sl);
      w += sl;
      if (!xname) {
        memcpy(w, b->text, b->len);
        w += b->len;
      } else {
        if (b->len) {
          memcpy(w, b->text, b->len - 1); /* all but its '}' */
          w += b->len - 1;
          *w++ = ',';
        } else {
          *w++ = '{';
        }
        promc__copy_short(w, xname, xl);
        w += xl;
        *w++ = '=';
        *w++ = '"';
        promc__copy_short(w, xval, vl);
        w += vl;
        *w++ = '"';
        *w++ = '}';
      }
      *w++ = ' ';
      o->len = (size_t)(w - o->buf);
      return;
    }
  }
  promc__out_write(o, f->name, f->name_len);
  if (sl) promc__out_write(o, suffix, sl);
  out_block(o, f, b, xname, xval, false);
  promc__out_ch(o, ' ');
}

void promc__line_head(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b,
                      const char *suffix, const char *xname, const char *xval) {
  head(o, f, b, suffix, suffix ? strlen(suffix) : 0, xname, xname ? strlen(xname) : 0, xval,
       xname ? strlen(xval) : 0);
}

void promc__line(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b, const char *suffix,
                 const char *xname, const char *xval, double v) {
  if (!b->text && !xname) {
    promc__out_sample(o, f, b->s, f->name, f->name_len, suffix, suffix ? strlen(suffix) : 0, v);
    return;
  }
  promc__line_head(o, f, b, suffix, xname, xval);
  promc__out_double(o, v);
  promc__out_ch(o, '\n');
}

void promc__line_u64(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b,
                     const char *suffix, uint64_t v) {
  promc__line_head(o, f, b, suffix, NULL, NULL);
  promc__out_u64(o, v);
  promc__out_ch(o, '\n');
}

void promc__line_states(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b) {
  const struct promc_sview *s = b->s;
  for (size_t i = 0; i < s->nstates; i++) {
    promc__line_name(o, f, NULL);
    out_block(o, f, b, f->state_label, s->states[i], true);
    promc__out_write(o, i == s->state ? " 1\n" : " 0\n", 3);
  }
}

char (*promc__bounds_text(struct promc_bounds_cache *c, enum promc_numstyle style,
                          const struct promc_sview *s))[PROMC_NUM_MAX] {
  size_t n = s->nbounds + 1;
  if (c->n == n && (n == 1 || memcmp(c->bounds, s->bounds, s->nbounds * sizeof(double)) == 0)) return c->text;
  if (n > c->cap) {
    double *b = promc__realloc(c->bounds, n * sizeof *b);
    if (b) c->bounds = b;
    char(*t)[PROMC_NUM_MAX] = b ? promc__realloc(c->text, n * sizeof *t) : NULL;
    if (t) c->text = t;
    unsigned char *tl = t ? promc__realloc(c->text_len, n) : NULL;
    if (tl) c->text_len = tl;
    if (!b || !t || !tl) return NULL;
    c->cap = n;
  }
  for (size_t i = 0; i < s->nbounds; i++) {
    c->bounds[i] = s->bounds[i];
    c->text_len[i] = (unsigned char)promc__fmt_double(s->bounds[i], style, c->text[i]);
  }
  c->text_len[s->nbounds] = (unsigned char)promc__fmt_double(INFINITY, style, c->text[s->nbounds]);
  c->n = n;
  return c->text;
}

void promc__bounds_free(struct promc_bounds_cache *c) {
  promc__free(c->bounds);
  promc__free(c->text);
  promc__free(c->text_len);
  *c = (struct promc_bounds_cache){0};
}

bool promc__line_buckets(struct promc_out *o, struct promc_bounds_cache *c, enum promc_numstyle style,
                         const struct promc_fview *f, const struct promc_lblock *b,
                         void (*exemplar)(struct promc_out *o, const struct promc_exemplar_view *x)) {
  const struct promc_sview *s = b->s;
  char(*le)[PROMC_NUM_MAX] = promc__bounds_text(c, style, s);
  if (!le) {
    o->err = o->err ? o->err : PROMC_ENOMEM;
    return false;
  }
  for (size_t i = 0; i <= s->nbounds; i++) {
    head(o, f, b, "_bucket", 7, "le", 2, le[i], c->text_len[i]);
    promc__out_u64(o, s->cumulative[i]);
    if (exemplar) exemplar(o, s->exemplars ? &s->exemplars[i] : NULL);
    promc__out_ch(o, '\n');
  }
  return true;
}

void promc__line_quantiles(struct promc_out *o, const struct promc_dialect *d, const struct promc_fview *f,
                           const struct promc_lblock *b) {
  const struct promc_sview *s = b->s;
  for (size_t i = 0; i < s->nq; i++) {
    char q[PROMC_NUM_MAX];
    promc__fmt_double(s->quantiles[i], d->label_num, q);
    promc__line(o, f, b, NULL, "quantile", q, s->qvalues[i]);
  }
}
