/* SPDX-License-Identifier: Apache-2.0 */
/* text.c — the Prometheus text format 0.0.4 writer (client_python's layout:
 * counters as name_total, info as name_info gauge, enums as gauges, and
 * _created samples, when asked for, in a gauge family after their family). */
#include "core/internal.h"

/* A gauge histogram's _gcount and _gsum samples are no part of a 0.0.4
 * histogram: like client_python, each goes into a gauge family of its own
 * (HELP and TYPE) after the histogram. Their lines wait in side buffers,
 * made on the first gauge histogram of a render, until family_end. */
enum { G_COUNT, G_SUM };
struct text_state {
  struct promc_out *side[2];
  promc_buf text[2];
};

static void help_escaped(struct promc_out *o, const char *h) {
  for (; *h; h++) {
    if (*h == '\\') promc__out_write(o, "\\\\", 2);
    else if (*h == '\n') promc__out_write(o, "\\n", 2);
    else promc__out_ch(o, *h);
  }
}

static void sample_name(struct promc_out *o, const struct promc_fview *f, const char *suffix) {
  promc__out_write(o, f->name, f->name_len);
  if (suffix) promc__out_str(o, suffix);
}

/* A counter's own sample and metadata name: x_total, or the name as given
 * when the family asked for it. */
static void counter_name(struct promc_out *o, const struct promc_fview *f) {
  if (f->text_name) promc__out_write(o, f->text_name, f->text_name_len);
  else sample_name(o, f, "_total");
}

static void line(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                 const char *suffix, const char *xname, const char *xval, double v) {
  sample_name(o, f, suffix);
  promc__out_labels(o, f, s, xname, xval, false);
  promc__out_ch(o, ' ');
  promc__out_double(o, v);
  promc__out_ch(o, '\n');
}

static void text_family_begin(struct promc_out *o, const struct promc_fview *f, void *st) {
  (void)st;
  const char *sfx = NULL, *type = "untyped";
  switch (f->type) {
    case PROMC_TYPE_COUNTER: sfx = "_total"; type = "counter"; break;
    case PROMC_TYPE_GAUGE: type = "gauge"; break;
    case PROMC_TYPE_HISTOGRAM: type = "histogram"; break;
    case PROMC_TYPE_GAUGE_HISTOGRAM: type = "histogram"; break;
    case PROMC_TYPE_SUMMARY: type = "summary"; break;
    case PROMC_TYPE_INFO: sfx = "_info"; type = "gauge"; break;
    case PROMC_TYPE_STATESET: type = "gauge"; break;
    default: break;
  }
  promc__out_write(o, "# HELP ", 7);
  if (f->type == PROMC_TYPE_COUNTER) counter_name(o, f);
  else sample_name(o, f, sfx);
  promc__out_ch(o, ' ');
  help_escaped(o, f->help);
  promc__out_write(o, "\n# TYPE ", 8);
  if (f->type == PROMC_TYPE_COUNTER) counter_name(o, f);
  else sample_name(o, f, sfx);
  promc__out_ch(o, ' ');
  promc__out_str(o, type);
  promc__out_ch(o, '\n');
}

static void text_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                        void *st) {
  switch (f->type) {
    case PROMC_TYPE_COUNTER:
      counter_name(o, f);
      promc__out_labels(o, f, s, NULL, NULL, false);
      promc__out_ch(o, ' ');
      promc__out_double(o, s->value);
      promc__out_ch(o, '\n');
      break;
    case PROMC_TYPE_INFO: line(o, f, s, "_info", NULL, NULL, 1); break;
    case PROMC_TYPE_STATESET:
      for (size_t i = 0; i < s->nstates; i++) {
        sample_name(o, f, NULL);
        promc__out_labels(o, f, s, f->state_label, s->states[i], true);
        promc__out_write(o, i == s->state ? " 1\n" : " 0\n", 3);
      }
      break;
    case PROMC_TYPE_HISTOGRAM:
    case PROMC_TYPE_GAUGE_HISTOGRAM: {
      for (size_t i = 0; i <= s->nbounds; i++) {
        sample_name(o, f, "_bucket");
        promc__out_labels(o, f, s, "le", s->bound_text[i], false);
        promc__out_ch(o, ' ');
        promc__out_u64(o, s->cumulative[i]);
        promc__out_ch(o, '\n');
      }
      if (f->type == PROMC_TYPE_GAUGE_HISTOGRAM) {
        struct text_state *ts = st;
        for (int k = G_COUNT; k <= G_SUM; k++)
          if (!ts->side[k]) {
            if (!(ts->side[k] = promc__calloc(1, sizeof *ts->side[k]))) {
              o->err = o->err ? o->err : PROMC_ENOMEM;
              return;
            }
            promc__out_init(ts->side[k], promc_buf_write, &ts->text[k]);
          }
        line(ts->side[G_COUNT], f, s, "_gcount", NULL, NULL, (double)s->count);
        line(ts->side[G_SUM], f, s, "_gsum", NULL, NULL, s->sum);
        break;
      }
      line(o, f, s, "_count", NULL, NULL, (double)s->count);
      line(o, f, s, "_sum", NULL, NULL, s->sum);
      break;
    }
    case PROMC_TYPE_SUMMARY:
      for (size_t i = 0; i < s->nq; i++) {
        char q[32];
        promc_format_double(s->quantiles[i], q);
        line(o, f, s, NULL, "quantile", q, s->qvalues[i]);
      }
      line(o, f, s, "_count", NULL, NULL, (double)s->count);
      line(o, f, s, "_sum", NULL, NULL, s->sum);
      break;
    default: line(o, f, s, NULL, NULL, NULL, s->value); break;
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
      promc__out_write(o, "# HELP ", 7);
      sample_name(o, f, sfx[k]);
      promc__out_ch(o, ' ');
      help_escaped(o, f->help);
      promc__out_write(o, "\n# TYPE ", 8);
      sample_name(o, f, sfx[k]);
      promc__out_str(o, " gauge\n");
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
}

/* The second pass over a family's children when _created is on. */
static void text_created_begin(struct promc_out *o, const struct promc_fview *f, void *st) {
  (void)st;
  promc__out_write(o, "# HELP ", 7);
  sample_name(o, f, "_created");
  promc__out_ch(o, ' ');
  help_escaped(o, f->help);
  promc__out_write(o, "\n# TYPE ", 8);
  sample_name(o, f, "_created");
  promc__out_str(o, " gauge\n");
}

static void text_created_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                                void *st) {
  (void)st;
  line(o, f, s, "_created", NULL, NULL, s->created);
}

static const struct promc_writer_ops k_text = {
    .family_begin = text_family_begin,
    .series = text_series,
    .family_end = text_family_end,
    .created_begin = text_created_begin,
    .created_series = text_created_series,
    .state_size = sizeof(struct text_state),
    .cleanup = text_cleanup,
};

const struct promc_writer_ops *promc__text_writer(void) { return &k_text; }
