/* SPDX-License-Identifier: Apache-2.0 */
/* protobuf.c — the protobuf exposition writer: a stream of varint-length-
 * delimited io.prometheus.client.MetricFamily messages, encoded by hand
 * (the core depends on no protobuf library).
 *
 * Field numbers follow metrics.proto of client_model as Debian ships it
 * (golang-github-prometheus-client-model-dev 0.3 / Prometheus 2.42):
 *   MetricFamily  name 1, help 2, type 3, metric 4
 *   Metric        label 1, gauge 2, counter 3, summary 4, untyped 5, histogram 7
 *   LabelPair     name 1, value 2
 *   Gauge/Untyped value 1;  Counter value 1, exemplar 2
 *   Summary       sample_count 1, sample_sum 2, quantile 3 {quantile 1, value 2}
 *   Histogram     sample_count 1, sample_sum 2, bucket 3
 *   Bucket        cumulative_count 1, upper_bound 2, exemplar 3
 *   Exemplar      label 1, value 2, timestamp 3 (google.protobuf.Timestamp
 *                 {seconds 1, nanos 2})
 * That proto has no created_timestamp fields (newer client_model adds them),
 * so created timestamps are not encoded. Counters are named with "_total"
 * (or as given, with counter_name_as_given, as in the text format),
 * info families as gauges named "x_info" with value 1, statesets as gauges
 * with one metric per state (as client_golang and client_python's protobuf
 * bridges do). Histograms carry every bucket, +Inf included. Families with no
 * child are left out, as client_golang does.
 *
 * A family is encoded into a growable buffer of the writer state (reused by
 * every family of one render: no allocation per child), then written with
 * its length prefix. */
#include <math.h>
#include <stdlib.h>

#include "core/labels.h"
#include "expose/expose.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };
enum { MT_COUNTER = 0, MT_GAUGE = 1, MT_SUMMARY = 2, MT_UNTYPED = 3, MT_HISTOGRAM = 4, MT_GAUGE_HISTOGRAM = 5 };

struct pb_state {
  unsigned char *d;
  size_t len, cap;
  int oom;
  size_t nmetrics;
};

static bool reserve(struct pb_state *b, size_t n) {
  if (b->oom) return false;
  if (b->len + n <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + n) cap *= 2;
  unsigned char *d = promc__realloc(b->d, cap);
  if (!d) {
    b->oom = 1;
    return false;
  }
  b->d = d;
  b->cap = cap;
  return true;
}

static size_t varint_to(unsigned char *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (unsigned char)v;
  return n;
}

static void put_varint(struct pb_state *b, uint64_t v) {
  if (reserve(b, 10)) b->len += varint_to(b->d + b->len, v);
}

static void put_bytes(struct pb_state *b, const void *p, size_t n) {
  if (!reserve(b, n)) return;
  memcpy(b->d + b->len, p, n);
  b->len += n;
}

static void put_tag(struct pb_state *b, unsigned field, unsigned wt) { put_varint(b, (uint64_t)field << 3 | wt); }

static void put_uint(struct pb_state *b, unsigned field, uint64_t v) {
  put_tag(b, field, WT_VARINT);
  put_varint(b, v);
}

static void put_double(struct pb_state *b, unsigned field, double v) {
  put_tag(b, field, WT_I64);
  if (!reserve(b, 8)) return;
  uint64_t bits = promc__double_bits(v);
  for (int i = 0; i < 8; i++) b->d[b->len++] = (unsigned char)(bits >> (8 * i)); /* little-endian */
}

static void put_string(struct pb_state *b, unsigned field, const char *s, size_t n) {
  put_tag(b, field, WT_LEN);
  put_varint(b, n);
  put_bytes(b, s, n);
}

/* A nested message: the tag and one reserved length byte; nest_end fills in
 * the length, moving the body when the length needs more than one byte. */
static size_t nest_begin(struct pb_state *b, unsigned field) {
  put_tag(b, field, WT_LEN);
  if (!reserve(b, 1)) return 0;
  b->d[b->len] = 0;
  return b->len++;
}

static void nest_end(struct pb_state *b, size_t at) {
  if (b->oom) return;
  size_t body = b->len - at - 1;
  unsigned char v[10];
  size_t k = varint_to(v, body);
  if (k > 1) {
    if (!reserve(b, k - 1)) return;
    memmove(b->d + at + k, b->d + at + 1, body);
    b->len += k - 1;
  }
  memcpy(b->d + at, v, k);
}

/* A LabelPair (raw name and value: protobuf needs no escaping). */
static void label_pair(struct pb_state *b, unsigned field, const char *n, size_t nl, const char *v, size_t vl) {
  size_t at = nest_begin(b, field);
  put_string(b, 1, n, nl);
  put_string(b, 2, v, vl);
  nest_end(b, at);
}

/* Packed raw pairs (labels.c) to LabelPairs. */
static void raw_pairs(struct pb_state *b, const char *p, size_t len) {
  if (!len) return; /* p may be NULL then */
  const char *end = p + len, *nm, *v;
  size_t nl, vl;
  while (promc__pair_next(&p, end, &nm, &nl, &v, &vl)) label_pair(b, 1, nm, nl, v, vl);
}

static void exemplar(struct pb_state *b, unsigned field, const struct promc_exemplar_view *x) {
  if (!x || !x->present) return;
  size_t at = nest_begin(b, field);
  raw_pairs(b, x->text, x->len);
  put_double(b, 2, x->value);
  if (x->ts != 0) {
    double sec = floor(x->ts);
    int64_t nanos = (int64_t)llround((x->ts - sec) * 1e9);
    if (nanos > 999999999) nanos = 999999999;
    size_t t = nest_begin(b, 3);
    put_uint(b, 1, (uint64_t)(int64_t)sec);
    if (nanos) put_uint(b, 2, (uint64_t)nanos);
    nest_end(b, t);
  }
  nest_end(b, at);
}

static void pb_family_begin(struct promc_out *o, const struct promc_fview *f, void *vst) {
  (void)o;
  struct pb_state *b = vst;
  b->len = 0;
  b->nmetrics = 0;
  const char *sfx = "";
  unsigned type = MT_UNTYPED;
  switch (f->type) {
    case PROMC_TYPE_COUNTER: sfx = "_total"; type = MT_COUNTER; break;
    case PROMC_TYPE_GAUGE: type = MT_GAUGE; break;
    case PROMC_TYPE_HISTOGRAM: type = MT_HISTOGRAM; break;
    case PROMC_TYPE_GAUGE_HISTOGRAM: type = MT_GAUGE_HISTOGRAM; break;
    case PROMC_TYPE_SUMMARY: type = MT_SUMMARY; break;
    case PROMC_TYPE_INFO: sfx = "_info"; type = MT_GAUGE; break;
    case PROMC_TYPE_STATESET: type = MT_GAUGE; break;
    default: break;
  }
  if (f->text_name) {
    put_string(b, 1, f->text_name, f->text_name_len);
  } else {
    size_t sl = strlen(sfx);
    put_tag(b, 1, WT_LEN);
    put_varint(b, f->name_len + sl);
    put_bytes(b, f->name, f->name_len);
    put_bytes(b, sfx, sl);
  }
  put_string(b, 2, f->help, strlen(f->help));
  put_uint(b, 3, type);
}

/* Opens a Metric with the child's labels (const, own, info). */
static size_t metric_begin(struct pb_state *b, const struct promc_fview *f, const struct promc_sview *s) {
  b->nmetrics++;
  size_t at = nest_begin(b, 4);
  raw_pairs(b, f->const_labels, f->const_labels_len);
  const char *p = s->labels, *end = s->labels_len ? s->labels + s->labels_len : p;
  for (size_t i = 0; p < end; i++) { /* the child's values, named by the family */
    const char *v;
    size_t vl;
    p = promc__unpack(p, &v, &vl);
    label_pair(b, 1, f->label_names[i], f->label_name_len[i], v, vl);
  }
  raw_pairs(b, s->pairs, s->pairs_len);
  return at;
}

static void single(struct pb_state *b, const struct promc_fview *f, const struct promc_sview *s, unsigned field,
                   double v) {
  size_t m = metric_begin(b, f, s);
  size_t at = nest_begin(b, field);
  put_double(b, 1, v);
  nest_end(b, at);
  nest_end(b, m);
}

static void pb_series(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s, void *vst) {
  (void)o;
  struct pb_state *b = vst;
  switch (f->type) {
    case PROMC_TYPE_COUNTER: {
      size_t m = metric_begin(b, f, s);
      size_t at = nest_begin(b, 3);
      put_double(b, 1, s->value);
      exemplar(b, 2, s->exemplars);
      nest_end(b, at);
      nest_end(b, m);
      break;
    }
    case PROMC_TYPE_GAUGE: single(b, f, s, 2, s->value); break;
    case PROMC_TYPE_INFO: single(b, f, s, 2, 1); break;
    case PROMC_TYPE_STATESET:
      for (size_t i = 0; i < s->nstates; i++) {
        size_t m = metric_begin(b, f, s);
        label_pair(b, 1, f->state_label, strlen(f->state_label), s->states[i], strlen(s->states[i]));
        size_t at = nest_begin(b, 2);
        put_double(b, 1, i == s->state ? 1 : 0);
        nest_end(b, at);
        nest_end(b, m);
      }
      break;
    case PROMC_TYPE_HISTOGRAM:
    case PROMC_TYPE_GAUGE_HISTOGRAM: {
      size_t m = metric_begin(b, f, s);
      size_t h = nest_begin(b, 7);
      put_uint(b, 1, s->count);
      put_double(b, 2, s->sum);
      for (size_t i = 0; i <= s->nbounds; i++) {
        size_t at = nest_begin(b, 3);
        put_uint(b, 1, s->cumulative[i]);
        put_double(b, 2, i < s->nbounds ? s->bounds[i] : INFINITY);
        exemplar(b, 3, s->exemplars ? &s->exemplars[i] : NULL);
        nest_end(b, at);
      }
      nest_end(b, h);
      nest_end(b, m);
      break;
    }
    case PROMC_TYPE_SUMMARY: {
      size_t m = metric_begin(b, f, s);
      size_t at = nest_begin(b, 4);
      put_uint(b, 1, s->count);
      put_double(b, 2, s->sum);
      for (size_t i = 0; i < s->nq; i++) {
        size_t q = nest_begin(b, 3);
        put_double(b, 1, s->quantiles[i]);
        put_double(b, 2, s->qvalues[i]);
        nest_end(b, q);
      }
      nest_end(b, at);
      nest_end(b, m);
      break;
    }
    default: single(b, f, s, 5, s->value); break; /* untyped */
  }
}

static void pb_family_end(struct promc_out *o, const struct promc_fview *f, void *vst) {
  (void)f;
  struct pb_state *b = vst;
  if (b->oom) {
    o->err = o->err ? o->err : PROMC_ENOMEM;
    return;
  }
  if (!b->nmetrics) return;
  unsigned char v[10];
  promc__out_write(o, (const char *)v, varint_to(v, b->len));
  promc__out_write(o, (const char *)b->d, b->len);
}

static void pb_cleanup(void *vst) {
  struct pb_state *b = vst;
  promc__free(b->d);
}

const struct promc_writer_ops promc__protobuf_ops = {
    .family_begin = pb_family_begin,
    .series = pb_series,
    .family_end = pb_family_end,
    .state_size = sizeof(struct pb_state),
    .cleanup = pb_cleanup,
};

