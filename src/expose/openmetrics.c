/* SPDX-License-Identifier: Apache-2.0 */
/* openmetrics.c — the OpenMetrics 1.0 text writer.
 *
 * Layout per family: "# HELP", "# TYPE", "# UNIT" (when the family has one;
 * never on info and stateset, where the spec forbids it), then the samples
 * of each child together, and "# EOF" at the very end. Family names are the
 * base names (a counter "x" has samples x_total and x_created; an info "x"
 * has x_info). Escaping: label values and HELP escape backslash, double
 * quote and newline. Numbers: values in the shortest text that reads back
 * exactly; "le" and "quantile" label values in the canonical form the spec
 * asks for (PROMC_NUM_GO_CANONICAL: "1.0", "0.25", "1e+06", "+Inf"). The
 * lines it shares with the text format are in lines.c. */
#include <math.h>
#include <stdlib.h>

#include "expose/expose.h"

struct om_state {
  struct promc_bounds_cache le;
  struct promc_lscratch lb;
};

/* " # {a="b"} value [ts]" */
static void exemplar(struct promc_out *o, const struct promc_exemplar_view *x) {
  if (!x || !x->present) return;
  promc__out_write(o, " # {", 4);
  promc__out_pairs(o, x->text, x->len);
  promc__out_write(o, "} ", 2);
  promc__out_double(o, x->value);
  if (x->ts != 0) {
    promc__out_ch(o, ' ');
    promc__out_double(o, x->ts);
  }
}

static void om_family_begin(struct promc_out *o, const struct promc_fview *f, void *st) {
  (void)st;
  promc__line_meta(o, &promc__dialect_om, f);
}

static void om_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s, void *vst) {
  struct om_state *st = vst;
  struct promc_lblock b = promc__lblock_direct(s);
  switch (f->type) {
    case PROMC_TYPE_COUNTER:
      if (s->created <= 0 && !(s->exemplars && s->exemplars->present)) { /* one line */
        promc__out_sample(o, f, s, f->name, f->name_len, "_total", 6, s->value);
        break;
      }
      if (s->created > 0) promc__lblock_cache(&b, &st->lb, f, s);
      promc__line_head(o, f, &b, "_total", NULL, NULL);
      promc__out_double(o, s->value);
      exemplar(o, s->exemplars);
      promc__out_ch(o, '\n');
      if (s->created > 0) promc__line(o, f, &b, "_created", NULL, NULL, s->created);
      break;
    case PROMC_TYPE_INFO:
      promc__out_sample(o, f, s, f->name, f->name_len, "_info", 5, 1);
      break;
    case PROMC_TYPE_STATESET:
      if (s->nstates > 1) promc__lblock_cache(&b, &st->lb, f, s);
      promc__line_states(o, f, &b);
      break;
    case PROMC_TYPE_HISTOGRAM:
    case PROMC_TYPE_GAUGE_HISTOGRAM: {
      bool g = f->type == PROMC_TYPE_GAUGE_HISTOGRAM;
      promc__lblock_cache(&b, &st->lb, f, s);
      if (!promc__line_buckets(o, &st->le, promc__dialect_om.label_num, f, &b, exemplar)) return;
      /* The spec: a histogram's sum is a counter, so never NaN or negative,
       * and one with negative buckets has none; a gauge histogram's may be
       * negative only with negative buckets, never NaN. A histogram that
       * observed a negative or NaN value (signed_obs, or a sum below zero
       * from a collector or other processes) therefore has no sum either,
       * and _count comes only together with the sum. */
      bool neg_buckets = s->nbounds && s->bounds[0] < 0;
      bool has_sum = g ? !isnan(s->sum) && (s->sum >= 0 || neg_buckets)
                       : !neg_buckets && !s->signed_obs && s->sum >= 0;
      if (has_sum) {
        promc__line_u64(o, f, &b, g ? "_gcount" : "_count", s->count);
        promc__line(o, f, &b, g ? "_gsum" : "_sum", NULL, NULL, s->sum);
      }
      if (!g && s->created > 0) promc__line(o, f, &b, "_created", NULL, NULL, s->created);
      break;
    }
    case PROMC_TYPE_SUMMARY:
      promc__lblock_cache(&b, &st->lb, f, s);
      promc__line_quantiles(o, &promc__dialect_om, f, &b);
      promc__line_u64(o, f, &b, "_count", s->count);
      /* a summary's sum is a counter too: none after a negative or NaN value */
      if (!s->signed_obs && s->sum >= 0) promc__line(o, f, &b, "_sum", NULL, NULL, s->sum);
      if (s->created > 0) promc__line(o, f, &b, "_created", NULL, NULL, s->created);
      break;
    default: promc__line(o, f, &b, NULL, NULL, NULL, s->value); break; /* gauge, unknown */
  }
}

static void om_finish(struct promc_out *o, void *st) {
  (void)st;
  promc__out_write(o, "# EOF\n", 6);
}

static void om_cleanup(void *vst) {
  struct om_state *st = vst;
  promc__bounds_free(&st->le);
  promc__lscratch_free(&st->lb);
}

const struct promc_writer_ops promc__openmetrics_ops = {
    .family_begin = om_family_begin,
    .series = om_series,
    .finish = om_finish,
    .state_size = sizeof(struct om_state),
    .cleanup = om_cleanup,
};
