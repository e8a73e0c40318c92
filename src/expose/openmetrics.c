/* SPDX-License-Identifier: Apache-2.0 */
/* openmetrics.c — the OpenMetrics 1.0 text writer.
 *
 * Layout per family: "# HELP", "# TYPE", "# UNIT" (when the family has one;
 * never on info and stateset, where the spec forbids it), then the samples
 * of each child together, and "# EOF" at the very end. Family names are the
 * base names (a counter "x" has samples x_total and x_created; an info "x"
 * has x_info). Escaping: label values and HELP escape backslash, double
 * quote and newline. Numbers: values in the shortest text that reads back
 * exactly (promc_format_double); "le" and "quantile" label values in the
 * canonical form the spec asks for, which is Go's strconv 'g' shortest form
 * with ".0" added to integers (as client_python's floatToGoString and
 * Prometheus' own protobuf-to-label conversion write them: "1.0", "0.25",
 * "1e+06", "+Inf"). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

/* Canonical numbers for le/quantile, cached per bound list: a registered
 * family hands the same bounds to every child. */
struct om_state {
  size_t n, cap;
  double *bounds;
  char (*text)[40];
};

/* Go's strconv.FormatFloat(v, 'g', -1, 64), then ".0" if it is an integer. */
static size_t om_canonical(double v, char out[40]) {
  if (isnan(v)) return (size_t)snprintf(out, 40, "NaN");
  if (isinf(v)) return (size_t)snprintf(out, 40, v > 0 ? "+Inf" : "-Inf");
  char e[40];
  /* The shortest of 15..17 significant digits that reads back: a normal
   * double's 15-digit rounding is its shortest form padded with zeros
   * (DBL_DIG), which are stripped below. A subnormal has fewer digits of
   * precision, so its search starts at one digit (5e-324, not
   * 4.94065645841247e-324). */
  int prec = v != 0 && fabs(v) < DBL_MIN ? 1 : 15;
  for (; prec < 17; prec++) {
    snprintf(e, sizeof e, "%.*e", prec - 1, v);
    if (strtod(e, NULL) == v) break;
  }
  if (prec == 17) snprintf(e, sizeof e, "%.16e", v);
  /* e = [-]d.ddddde[+-]xx: collect the digits without trailing zeros */
  const char *p = e;
  char *o = out;
  if (*p == '-') *o++ = *p++;
  char digits[20];
  size_t nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  int x = atoi(p + 1);
  if (v == 0) x = 0;
  if (x < -4 || x >= 6) { /* exponent form, at least two exponent digits */
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, digits + 1, nd - 1);
      o += nd - 1;
    }
    o += snprintf(o, 12, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
  } else if (x >= 0) {
    for (int i = 0; i <= x; i++) *o++ = (size_t)i < nd ? digits[i] : '0';
    if (nd > (size_t)x + 1) {
      *o++ = '.';
      memcpy(o, digits + x + 1, nd - (size_t)x - 1);
      o += nd - (size_t)x - 1;
    } else {
      *o++ = '.';
      *o++ = '0';
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -x - 1; i++) *o++ = '0';
    memcpy(o, digits, nd);
    o += nd;
  }
  *o = 0;
  return (size_t)(o - out);
}

/* A wall-clock time in seconds (a _created value, an exemplar timestamp)
 * as the shortest decimal that reads back to exactly the same double,
 * without the general formatter's snprintf/strtod rounds (_created is
 * written for every counter, histogram and summary child, and dominated
 * render time). For 2^23 <= v < 1e10 a double's spacing is at least 2^-29 s,
 * far above the nanosecond, so the shortest form is one of the roundings of
 * v to 9..0 decimals: the shortest that lies inside v's rounding interval
 * (half the spacing to each neighbour). The distances are computed in long
 * double on nanosecond integers, exact to about 1 ns-unit; a candidate
 * within 2 units of the interval's edge is left to promc_format_double
 * (never seen in practice, but exactness first). Other values, or a long
 * double no wider than double, take promc_format_double. */
static void out_time(struct promc_out *o, double v) {
#if LDBL_MANT_DIG >= 64
  if (v >= 8388608.0 && v < 1e10) {
    long double x = (long double)v * 1e9L; /* v in nanoseconds, < 1e19 < 2^64 */
    long double up = (long double)(nextafter(v, INFINITY) - v) * 0.5e9L;
    long double down = (long double)(v - nextafter(v, 0)) * 0.5e9L;
    uint64_t n9 = (uint64_t)(x + 0.5L), p10 = 1, best = n9;
    int drop = 0; /* trailing decimals rounded away */
    for (int k = 1; k <= 9; k++) {
      p10 *= 10;
      uint64_t c = (n9 + p10 / 2) / p10 * p10;
      long double d = (long double)c - x, lim = d < 0 ? down : up;
      if (d < 0) d = -d;
      if (d < lim - 2) {
        best = c;
        drop = k;
      } else if (d <= lim + 2) {
        promc__out_double(o, v); /* too close to call here */
        return;
      }
    }
    if (drop == 0 && ((long double)n9 - x > up - 2 || x - (long double)n9 > down - 2)) {
      promc__out_double(o, v);
      return;
    }
    promc__out_u64(o, best / 1000000000u);
    if (drop < 9) {
      char frac[10];
      uint64_t f = best % 1000000000u;
      for (int i = 8; i >= 0; i--, f /= 10) frac[i] = (char)('0' + f % 10);
      int n = 9 - drop;
      while (n > 0 && frac[n - 1] == '0') n--;
      if (n) {
        promc__out_ch(o, '.');
        promc__out_write(o, frac, (size_t)n);
      }
    }
    return;
  }
#endif
  promc__out_double(o, v);
}

static void name(struct promc_out *o, const struct promc_fview *f, const char *suffix) {
  promc__out_write(o, f->name, f->name_len);
  if (suffix) promc__out_str(o, suffix);
}

/* " # {a="b"} value [ts]" */
static void exemplar(struct promc_out *o, const struct promc_exemplar_view *x) {
  if (!x || !x->present) return;
  promc__out_write(o, " # {", 4);
  promc__out_pairs(o, x->text, x->len);
  promc__out_write(o, "} ", 2);
  promc__out_double(o, x->value);
  if (x->ts != 0) {
    promc__out_ch(o, ' ');
    out_time(o, x->ts);
  }
}

static void sample(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                   const char *suffix, double v) {
  name(o, f, suffix);
  promc__out_labels(o, f, s, NULL, NULL, false);
  promc__out_ch(o, ' ');
  promc__out_double(o, v);
  promc__out_ch(o, '\n');
}

static void created(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s) {
  name(o, f, "_created");
  promc__out_labels(o, f, s, NULL, NULL, false);
  promc__out_ch(o, ' ');
  out_time(o, s->created);
  promc__out_ch(o, '\n');
}

static void om_family_begin(struct promc_out *o, const struct promc_fview *f, void *st) {
  (void)st;
  const char *type = "unknown";
  switch (f->type) {
    case PROMC_TYPE_COUNTER: type = "counter"; break;
    case PROMC_TYPE_GAUGE: type = "gauge"; break;
    case PROMC_TYPE_HISTOGRAM: type = "histogram"; break;
    case PROMC_TYPE_GAUGE_HISTOGRAM: type = "gaugehistogram"; break;
    case PROMC_TYPE_SUMMARY: type = "summary"; break;
    case PROMC_TYPE_INFO: type = "info"; break;
    case PROMC_TYPE_STATESET: type = "stateset"; break;
    default: break;
  }
  promc__out_write(o, "# HELP ", 7);
  name(o, f, NULL);
  promc__out_ch(o, ' ');
  promc__out_escaped(o, f->help, strlen(f->help));
  promc__out_write(o, "\n# TYPE ", 8);
  name(o, f, NULL);
  promc__out_ch(o, ' ');
  promc__out_str(o, type);
  promc__out_ch(o, '\n');
  /* registered families were checked at creation; a collector's unit that
   * its name does not end in is left out rather than made invalid output */
  size_t ul = f->unit ? strlen(f->unit) : 0;
  if (ul && f->type != PROMC_TYPE_INFO && f->type != PROMC_TYPE_STATESET && f->name_len > ul + 1 &&
      f->name[f->name_len - ul - 1] == '_' && memcmp(f->name + f->name_len - ul, f->unit, ul) == 0) {
    promc__out_write(o, "# UNIT ", 7);
    name(o, f, NULL);
    promc__out_ch(o, ' ');
    promc__out_str(o, f->unit);
    promc__out_ch(o, '\n');
  }
}

/* The canonical texts of s's bounds (+Inf last), from the cache. */
static char (*bound_texts(struct om_state *st, const struct promc_sview *s))[40] {
  size_t n = s->nbounds + 1;
  if (st->n == n && (n == 1 || memcmp(st->bounds, s->bounds, s->nbounds * sizeof(double)) == 0)) return st->text;
  if (n > st->cap) {
    double *b = promc__realloc(st->bounds, n * sizeof *b);
    if (b) st->bounds = b;
    char(*t)[40] = b ? promc__realloc(st->text, n * sizeof *t) : NULL;
    if (t) st->text = t;
    if (!b || !t) return NULL;
    st->cap = n;
  }
  for (size_t i = 0; i < s->nbounds; i++) {
    st->bounds[i] = s->bounds[i];
    om_canonical(s->bounds[i], st->text[i]);
  }
  om_canonical(INFINITY, st->text[s->nbounds]);
  st->n = n;
  return st->text;
}

static void om_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s, void *vst) {
  struct om_state *st = vst;
  switch (f->type) {
    case PROMC_TYPE_COUNTER:
      name(o, f, "_total");
      promc__out_labels(o, f, s, NULL, NULL, false);
      promc__out_ch(o, ' ');
      promc__out_double(o, s->value);
      exemplar(o, s->exemplars);
      promc__out_ch(o, '\n');
      if (s->created > 0) created(o, f, s);
      break;
    case PROMC_TYPE_INFO:
      name(o, f, "_info");
      promc__out_labels(o, f, s, NULL, NULL, false);
      promc__out_write(o, " 1\n", 3);
      break;
    case PROMC_TYPE_STATESET:
      for (size_t i = 0; i < s->nstates; i++) {
        name(o, f, NULL);
        promc__out_labels(o, f, s, f->state_label, s->states[i], true);
        promc__out_write(o, i == s->state ? " 1\n" : " 0\n", 3);
      }
      break;
    case PROMC_TYPE_HISTOGRAM:
    case PROMC_TYPE_GAUGE_HISTOGRAM: {
      bool g = f->type == PROMC_TYPE_GAUGE_HISTOGRAM;
      char(*bt)[40] = bound_texts(st, s);
      if (!bt) {
        o->err = o->err ? o->err : PROMC_ENOMEM;
        return;
      }
      for (size_t i = 0; i <= s->nbounds; i++) {
        name(o, f, "_bucket");
        promc__out_labels(o, f, s, "le", bt[i], false);
        promc__out_ch(o, ' ');
        promc__out_u64(o, s->cumulative[i]);
        exemplar(o, s->exemplars ? &s->exemplars[i] : NULL);
        promc__out_ch(o, '\n');
      }
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
        name(o, f, g ? "_gcount" : "_count");
        promc__out_labels(o, f, s, NULL, NULL, false);
        promc__out_ch(o, ' ');
        promc__out_u64(o, s->count);
        promc__out_ch(o, '\n');
        sample(o, f, s, g ? "_gsum" : "_sum", s->sum);
      }
      if (!g && s->created > 0) created(o, f, s);
      break;
    }
    case PROMC_TYPE_SUMMARY:
      for (size_t i = 0; i < s->nq; i++) {
        char q[40];
        om_canonical(s->quantiles[i], q);
        name(o, f, NULL);
        promc__out_labels(o, f, s, "quantile", q, false);
        promc__out_ch(o, ' ');
        promc__out_double(o, s->qvalues[i]);
        promc__out_ch(o, '\n');
      }
      name(o, f, "_count");
      promc__out_labels(o, f, s, NULL, NULL, false);
      promc__out_ch(o, ' ');
      promc__out_u64(o, s->count);
      promc__out_ch(o, '\n');
      /* a summary's sum is a counter too: none after a negative or NaN value */
      if (!s->signed_obs && s->sum >= 0) sample(o, f, s, "_sum", s->sum);
      if (s->created > 0) created(o, f, s);
      break;
    default: sample(o, f, s, NULL, s->value); break; /* gauge, unknown */
  }
}

static void om_finish(struct promc_out *o, void *st) {
  (void)st;
  promc__out_write(o, "# EOF\n", 6);
}

static void om_cleanup(void *vst) {
  struct om_state *st = vst;
  promc__free(st->bounds);
  promc__free(st->text);
}

static const struct promc_writer_ops k_openmetrics = {
    .family_begin = om_family_begin,
    .series = om_series,
    .finish = om_finish,
    .state_size = sizeof(struct om_state),
    .cleanup = om_cleanup,
};

const struct promc_writer_ops *promc__openmetrics_writer(void) { return &k_openmetrics; }

PROMC_HIDDEN const int promc__openmetrics_linked = 1; /* see exemplar.c */
