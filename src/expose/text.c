/* SPDX-License-Identifier: Apache-2.0 */
/* text.c — the Prometheus text format 0.0.4 writer (client_python's layout:
 * counters as name_total, info as name_info gauge, enums as gauges, and
 * _created samples, when asked for, in a gauge family after their family).
 * The lines it shares with OpenMetrics are in lines.c. */
#include "expose/expose.h"

/* A gauge histogram's _gcount and _gsum samples are no part of a 0.0.4
 * histogram: like client_python, each goes into a gauge family of its own
 * (HELP and TYPE) after the histogram. Their lines wait in side buffers,
 * made on the first gauge histogram of a render, until family_end. */
enum { G_COUNT, G_SUM };
struct text_state {
  struct promc_out *side[2];
  promc_buf text[2];
  struct promc_bounds_cache le;
  struct promc_lscratch lb;
};

static void text_family_begin(struct promc_out *o, const struct promc_fview *f, void *st) {
  (void)st;
  promc__line_meta(o, &promc__dialect_text, f);
}

static void text_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                        void *st) {
  struct text_state *ts = st;
  struct promc_lblock b = promc__lblock_direct(s);
  switch (f->type) {
    case PROMC_TYPE_COUNTER:
      if (f->text_name) promc__out_sample(o, f, s, f->text_name, f->text_name_len, NULL, 0, s->value);
      else promc__out_sample(o, f, s, f->name, f->name_len, "_total", 6, s->value);
      break;
    case PROMC_TYPE_INFO: promc__line(o, f, &b, "_info", NULL, NULL, 1); break;
    case PROMC_TYPE_STATESET:
      if (s->nstates > 1) promc__lblock_cache(&b, &ts->lb, f, s);
      promc__line_states(o, f, &b);
      break;
    case PROMC_TYPE_HISTOGRAM:
    case PROMC_TYPE_GAUGE_HISTOGRAM: {
      promc__lblock_cache(&b, &ts->lb, f, s);
      if (!promc__line_buckets(o, &ts->le, promc__dialect_text.label_num, f, &b, NULL)) return;
      /* _count is written as a double here (from 1e15 on in exponent form) */
      if (f->type == PROMC_TYPE_GAUGE_HISTOGRAM) {
        for (int k = G_COUNT; k <= G_SUM; k++)
          if (!ts->side[k]) {
            if (!(ts->side[k] = promc__calloc(1, sizeof *ts->side[k]))) {
              o->err = o->err ? o->err : PROMC_ENOMEM;
              return;
            }
            promc__out_init(ts->side[k], promc_buf_write, &ts->text[k]);
          }
        promc__line(ts->side[G_COUNT], f, &b, "_gcount", NULL, NULL, (double)s->count);
        promc__line(ts->side[G_SUM], f, &b, "_gsum", NULL, NULL, s->sum);
        break;
      }
      promc__line(o, f, &b, "_count", NULL, NULL, (double)s->count);
      promc__line(o, f, &b, "_sum", NULL, NULL, s->sum);
      break;
    }
    case PROMC_TYPE_SUMMARY:
      promc__lblock_cache(&b, &ts->lb, f, s);
      promc__line_quantiles(o, &promc__dialect_text, f, &b);
      promc__line(o, f, &b, "_count", NULL, NULL, (double)s->count);
      promc__line(o, f, &b, "_sum", NULL, NULL, s->sum);
      break;
    default: promc__line(o, f, &b, NULL, NULL, NULL, s->value); break;
  }
}

/* After a gauge histogram: its _gcount and _gsum families. */
static void text_family_end(struct promc_out *o, const struct promc_fview *f, void *st) {
  struct text_state *ts = st;
  if (f->type != PROMC_TYPE_GAUGE_HISTOGRAM || !ts->side[G_COUNT]) return;
  static const char *const sfx[2] = {"_gcount", "_gsum"};
  for (int k = G_COUNT; k <= G_SUM; k++) {
    struct promc_out *side = ts->side[k];
    promc__out_flush(side);
    if (side->err) o->err = o->err ? o->err : PROMC_ENOMEM; /* a promc_buf only fails to grow */
    if (ts->text[k].len) {
      promc__line_meta_as(o, &promc__dialect_text, f, sfx[k], "gauge");
      promc__out_write(o, ts->text[k].data, ts->text[k].len);
    }
    ts->text[k].len = 0;
    promc__out_init(side, promc_buf_write, &ts->text[k]); /* the window moved back to the start */
  }
}

static void text_cleanup(void *st) {
  struct text_state *ts = st;
  for (int k = G_COUNT; k <= G_SUM; k++) {
    promc__free(ts->side[k]);
    promc_buf_free(&ts->text[k]);
  }
  promc__bounds_free(&ts->le);
  promc__lscratch_free(&ts->lb);
}

/* The second pass over a family's children when _created is on. */
static void text_created_begin(struct promc_out *o, const struct promc_fview *f, void *st) {
  (void)st;
  promc__line_meta_as(o, &promc__dialect_text, f, "_created", "gauge");
}

static void text_created_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                                void *st) {
  (void)st;
  struct promc_lblock b = promc__lblock_direct(s);
  promc__line(o, f, &b, "_created", NULL, NULL, s->created);
}

const struct promc_writer_ops promc__text_ops = {
    .family_begin = text_family_begin,
    .series = text_series,
    .family_end = text_family_end,
    .created_begin = text_created_begin,
    .created_series = text_created_series,
    .state_size = sizeof(struct text_state),
    .cleanup = text_cleanup,
};
