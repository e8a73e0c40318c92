/* SPDX-License-Identifier: Apache-2.0 */
/* expose.h — the exposition pipeline's private declarations: the output
 * buffer, number formatting into it, the format writers and their table,
 * the text dialects, the registry walk's context and the collector
 * context. Included by src/expose only (src/core never includes it). */
#ifndef PROMC_EXPOSE_H
#define PROMC_EXPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"

/* ---- output (out.c) -------------------------------------------------------
 * Output of a render. Writers fill the window buf[len..cap). Into a
 * promc_buf (the sink is promc_buf_write) the window is the buffer's own
 * free space, grown as needed, so bytes are written once; into any other
 * sink it is the 16 KiB `own` array, handed to fn when full. */
struct promc_out {
  promc_write_fn fn;
  void *user;
  int err;           /* sticky: PROMC_EIO once the sink refused (or a promc_buf could not grow) */
  promc_buf *direct; /* the promc_buf written in place, or NULL */
  char *buf;
  size_t len, cap;
  char own[16384];
};
/* Sets o up to write to fn(user, ...). */
PROMC_HIDDEN void promc__out_init(struct promc_out *o, promc_write_fn fn, void *user);
PROMC_HIDDEN void promc__out_write(struct promc_out *o, const char *p, size_t n);
/* Hands what is buffered to the sink (a promc_buf: its len and NUL are
 * brought up to date). */
PROMC_HIDDEN void promc__out_flush(struct promc_out *o);
/* Makes room for n <= sizeof own bytes in the window (after an error the
 * window is `own`, and what is written there is dropped). */
PROMC_HIDDEN void promc__out_room(struct promc_out *o, size_t n);
static inline void promc__out_str(struct promc_out *o, const char *s) { promc__out_write(o, s, strlen(s)); }
static inline void promc__out_ch(struct promc_out *o, char c) {
  if (PROMC_UNLIKELY(o->len == o->cap)) promc__out_room(o, 1);
  o->buf[o->len++] = c;
}

/* ---- numbers (numfmt.c): the one digit formatter ---------------------------
 * Every number of every format comes from promc__fmt_double: the shortest
 * decimal that reads back to the same double, integers (and 0, -0) by a
 * fast path, NaN, +Inf, -Inf. The formats differ only in layout, which the
 * style gives: */
enum promc_numstyle {
  /* as %g at 17 digits (exponent below 1e-4 and from 1e17): the text
   * format's values and le/quantile labels, OpenMetrics' values;
   * promc_format_double */
  PROMC_NUM_G17,
  /* Go's strconv.FormatFloat(v, 'g', -1, 64) (exponent from 1e6) with ".0"
   * after an integer: OpenMetrics' canonical le/quantile label values
   * ("1.0", "0.25", "1e+06", "+Inf"), as client_python and Prometheus'
   * protobuf-to-label conversion write them */
  PROMC_NUM_GO_CANONICAL
};
#define PROMC_NUM_MAX 32 /* room for any formatted number and its NUL */
PROMC_HIDDEN size_t promc__fmt_double(double v, enum promc_numstyle style, char out[PROMC_NUM_MAX]);
PROMC_HIDDEN void promc__out_double(struct promc_out *o, double v); /* PROMC_NUM_G17 */
PROMC_HIDDEN void promc__out_u64(struct promc_out *o, uint64_t v);

/* ---- writers ---------------------------------------------------------------
 * One per promc_format, reached through the static table promc__writers
 * (render.c), so that a static link takes every writer with the walk. */
struct promc_writer_ops {
  void (*family_begin)(struct promc_out *o, const struct promc_fview *f, void *st);
  void (*series)(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s, void *st);
  void (*family_end)(struct promc_out *o, const struct promc_fview *f, void *st); /* may be NULL */
  void (*finish)(struct promc_out *o, void *st);                                  /* may be NULL */
  /* Text format only: a second pass over the children for _created samples
   * (render.c runs it when the registry asks for _created). NULL elsewhere. */
  void (*created_begin)(struct promc_out *o, const struct promc_fview *f, void *st);
  void (*created_series)(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                         void *st);
  /* Per-render writer state: render.c allocates state_size zeroed bytes
   * (passed as st) and calls cleanup(st) (may be NULL) before freeing them. */
  size_t state_size;
  void (*cleanup)(void *st);
};
PROMC_HIDDEN extern const struct promc_writer_ops promc__text_ops;        /* text.c */
PROMC_HIDDEN extern const struct promc_writer_ops promc__openmetrics_ops; /* openmetrics.c */
PROMC_HIDDEN extern const struct promc_writer_ops promc__protobuf_ops;    /* protobuf.c */

/* ---- the two text dialects (lines.c) ----------------------------------------
 * Prometheus text 0.0.4 and OpenMetrics 1.0 write the same lines: metadata
 * ("# HELP", "# TYPE", OpenMetrics' "# UNIT") and samples
 * `name{labels} value`. What differs between them is this table. */
struct promc_dialect {
  const char *const *type_word; /* TYPE line word, by promc_type */
  /* HELP/TYPE name a counter x_total (or its name as given) and an info
   * x_info, as the 0.0.4 text does; else the base name (OpenMetrics) */
  bool meta_sample_name;
  bool help_escapes_quote; /* OpenMetrics escapes " in HELP too */
  bool unit;               /* "# UNIT" lines */
  enum promc_numstyle label_num; /* le and quantile label values */
};
PROMC_HIDDEN extern const struct promc_dialect promc__dialect_text, promc__dialect_om;

/* The metadata of family f: HELP and TYPE (and UNIT where the dialect has
 * it) under the dialect's name for f. */
PROMC_HIDDEN void promc__line_meta(struct promc_out *o, const struct promc_dialect *d, const struct promc_fview *f);
/* HELP and TYPE of a family made of one of f's sample names (name +
 * suffix) with the type word `type`: the text format's gauge families
 * for _created, _gcount and _gsum (suffix NULL: f's own metadata name). */
PROMC_HIDDEN void promc__line_meta_as(struct promc_out *o, const struct promc_dialect *d,
                                      const struct promc_fview *f, const char *suffix, const char *type);
/* name + suffix (suffix may be NULL). */
static inline void promc__line_name(struct promc_out *o, const struct promc_fview *f, const char *suffix) {
  promc__out_write(o, f->name, f->name_len);
  if (suffix) promc__out_str(o, suffix);
}
/* A counter's sample name in the text format: x_total, or as given. */
static inline void promc__line_counter_name(struct promc_out *o, const struct promc_fview *f) {
  if (f->text_name) promc__out_write(o, f->text_name, f->text_name_len);
  else promc__line_name(o, f, "_total");
}

/* A whole one-line sample: name (nl bytes) + sfx (sl bytes; NULL when 0),
 * child s's label block (no extra xname pair), a space, v and the newline,
 * written with one reservation when f's label text is prepared. */
PROMC_HIDDEN void promc__out_sample(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                                    const char *name, size_t nl, const char *sfx, size_t sl, double v);

/* The label block of child s as its sample lines print it. A child of one
 * line has it escaped by promc__out_labels as the line is written
 * (promc__lblock_direct). A child of several lines (buckets, quantiles,
 * states, _count, _sum, _created) has it escaped once, into the writer's
 * scratch buffer (promc__lblock_cache), and each line copies it and adds
 * its own le, quantile or state pair. */
struct promc_lblock {
  const struct promc_sview *s;
  const char *text; /* NULL: escaped on each line; else "{...}", or "" (len 0) without labels */
  size_t len;
};
/* Part of a writer's state: the buffer the block is escaped into, reused by
 * every child of the render (so no allocation per child once grown). */
struct promc_lscratch {
  struct promc_out *out; /* writes into buf; made on first use */
  promc_buf buf;
};
static inline struct promc_lblock promc__lblock_direct(const struct promc_sview *s) {
  return (struct promc_lblock){s, NULL, 0};
}
/* Escapes s's label block into sc for b. Out of memory for it, b is
 * promc__lblock_direct(s): the lines escape it each, and the output is the
 * same. */
PROMC_HIDDEN void promc__lblock_cache(struct promc_lblock *b, struct promc_lscratch *sc,
                                      const struct promc_fview *f, const struct promc_sview *s);
PROMC_HIDDEN void promc__lscratch_free(struct promc_lscratch *sc);

/* The start of a sample line up to its value: name+suffix, the label
 * block (with xname="xval" when xname; xval is a number, written as is)
 * and the space. */
PROMC_HIDDEN void promc__line_head(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b,
                                   const char *suffix, const char *xname, const char *xval);
/* A whole sample line with a double value / an integer value. */
PROMC_HIDDEN void promc__line(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b,
                              const char *suffix, const char *xname, const char *xval, double v);
PROMC_HIDDEN void promc__line_u64(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b,
                                  const char *suffix, uint64_t v);
/* A stateset child: one line per state, 1 for the current one. */
PROMC_HIDDEN void promc__line_states(struct promc_out *o, const struct promc_fview *f, const struct promc_lblock *b);

/* The le label values of a histogram child (+Inf last) in the dialect's
 * number style, cached per bound list: a registered family hands the same
 * bounds to every child, so they are formatted once per family. NULL when
 * out of memory. Part of a writer's state; free with promc__bounds_free. */
struct promc_bounds_cache {
  size_t n, cap;
  double *bounds;
  char (*text)[PROMC_NUM_MAX];
  unsigned char *text_len; /* strlen of each text */
};
PROMC_HIDDEN char (*promc__bounds_text(struct promc_bounds_cache *c, enum promc_numstyle style,
                                       const struct promc_sview *s))[PROMC_NUM_MAX];
PROMC_HIDDEN void promc__bounds_free(struct promc_bounds_cache *c);
/* The quantile lines of summary child s (quantile label in the dialect's
 * number style). */
PROMC_HIDDEN void promc__line_quantiles(struct promc_out *o, const struct promc_dialect *d,
                                        const struct promc_fview *f, const struct promc_lblock *b);
/* The _bucket lines of histogram child s, le texts from cache c; exemplar
 * (NULL in text) writes bucket i's exemplar before its newline. false when
 * there was no memory for the le texts (o->err is set). */
PROMC_HIDDEN bool promc__line_buckets(struct promc_out *o, struct promc_bounds_cache *c, enum promc_numstyle style,
                                      const struct promc_fview *f, const struct promc_lblock *b,
                                      void (*exemplar)(struct promc_out *o, const struct promc_exemplar_view *x));

/* ---- the registry walk (render.c) and the collector context (collect.c) --- */
struct promc_render_ctx {
  struct promc_out *out;
  const struct promc_writer_ops *ops;
  void *st;
  const promc_render_opts *opts;
  int created; /* text format: render _created */
  /* Several registries rendered as one (promc_registries_render): the
   * families shown so far, by registry position, and the first error. */
  bool multi;
  size_t reg_index;
  struct promc_multi_name *shown;
  int first_rc;
  char first_msg[512];
};

/* Exposed-name filter for name[] (render.c). */
PROMC_HIDDEN bool promc__name_selected(const promc_render_opts *o, const char *base, size_t base_len,
                                       promc_type type);
/* collect.c: run the registry's collectors into the writer. */
PROMC_HIDDEN int promc__run_collectors(struct promc_registry *r, struct promc_render_ctx *rc);
/* collect.c: when rc->multi, refuses (PROMC_EDUP, recorded in rc) a family
 * whose exposed names clash with one an earlier registry showed, and
 * otherwise remembers it. what names it in the message ("family", a
 * collector's name). */
PROMC_HIDDEN int promc__multi_note(struct promc_render_ctx *rc, const char *what, const char *name, size_t len,
                                   promc_type type);
PROMC_HIDDEN void promc__multi_free(struct promc_render_ctx *rc);

#endif
