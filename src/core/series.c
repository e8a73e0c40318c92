/* SPDX-License-Identifier: Apache-2.0 */
/* series.c — what every kind shares: the table of kind tables, a child's
 * reset, value callbacks, the static assertions that pin promc/inline.h's
 * mirror to the real structures, and the timing and failure-counting
 * helpers. Each kind's hot path is in its kind file (kind_counter.c, ...). */
#include <stdlib.h>
#include <time.h>

#include "core/kind.h"
#define PROMC_STATIC_LINKING_ONLY
#include "promc/inline.h"

/* ---------------------------------------------------------------- kinds */
static const struct promc_kind *const kinds[] = {
    [PROMC_TYPE_COUNTER] = &promc__kind_counter,
    [PROMC_TYPE_GAUGE] = &promc__kind_gauge,
    [PROMC_TYPE_HISTOGRAM] = &promc__kind_histogram,
    [PROMC_TYPE_SUMMARY] = &promc__kind_summary,
    [PROMC_TYPE_INFO] = &promc__kind_info,
    [PROMC_TYPE_STATESET] = &promc__kind_enum,
    [PROMC_TYPE_UNTYPED] = &promc__kind_untyped,
    [PROMC_TYPE_GAUGE_HISTOGRAM] = &promc__kind_gauge_histogram,
};

const struct promc_kind *promc__kind(promc_type t) {
  return (unsigned)t < sizeof kinds / sizeof kinds[0] ? kinds[t] : NULL;
}

/* Back to a fresh child: the kind's cells, exemplars, the signed flag, and
 * a new start time (family lock held: a reset does not race a revival). */
void promc__series_reset(struct promc_series *s) {
  struct promc_family *f = s->fam;
  promc__kind(f->type)->reset(s);
  if (f->nexemplars) promc__exemplars_clear(s);
  atomic_store(&s->signed_obs, 0);
  atomic_store_explicit(&s->created, promc_wall_seconds(), memory_order_relaxed);
}

bool promc__series_callback(const struct promc_family *f, const struct promc_series *s, double *v) {
  for (const struct promc_fnreg *r = f->fns; r; r = r->next)
    if (r->s == s) {
      *v = r->fn(r->user);
      return true;
    }
  return false;
}

/* ------------------------------------------------------- promc/inline.h */
/* The inline hot paths read and write these structures through a mirror;
 * each field they touch must sit where the mirror says. A change here that
 * trips an assertion bumps PROMC_INLINE_LAYOUT and renames the
 * promc__inline<N>_ functions (defined in kind_counter.c, kind_gauge.c and
 * kind_histogram.c), so that programs built against the old mirror stop
 * linking. The cell indices (counter [0] integer, [2] stripe block; gauge
 * [0]; histogram [0] sum, [1 + i] bucket i) are part of it. */
#define MIRRORED(m, real, field) \
  _Static_assert(offsetof(struct promc__inline_##m, field) == offsetof(struct real, field) && \
                     sizeof(((struct promc__inline_##m *)0)->field) == sizeof(((struct real *)0)->field), \
                 #real "." #field " is not where promc/inline.h has it")
MIRRORED(series, promc_series, fam);
MIRRORED(series, promc_series, flags);
MIRRORED(series, promc_series, signed_obs);
MIRRORED(series, promc_series, cells);
MIRRORED(family, promc_family, nbounds);
MIRRORED(family, promc_family, bounds);
_Static_assert(PROMC__INLINE_ROOT == S_LABELLED_ROOT && PROMC__INLINE_MP_GAUGE == S_MP_GAUGE,
               "series flags differ from promc/inline.h");
_Static_assert(PROMC_INLINE_LAYOUT == 1, "rename the promc__inline<N>_ functions with the layout");

/* ---------------------------------------------------------------- helpers */
int64_t promc_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double promc_wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

promc_timer promc_timer_start(promc_metric *m) {
  promc_timer t = {m, promc_monotonic_ns()};
  return t;
}

int promc_timer_stop(promc_timer *t, double *seconds) {
  if (!t) return promc__err(PROMC_EINVAL, "timer_stop: NULL timer");
  if (!t->metric) return 0; /* stopped already */
  double d = (double)(promc_monotonic_ns() - t->start_ns) / 1e9;
  promc_metric *m = t->metric;
  t->metric = NULL;
  if (seconds) *seconds = d;
  const struct promc_kind *k = promc__kind(promc_metric_type(m));
  if (!k || !k->record) return promc__err(PROMC_ETYPE, "a timer records into a histogram, summary or gauge");
  return k->record(m, d);
}

void promc_timer_cleanup(promc_timer *t) { (void)promc_timer_stop(t, NULL); }

long promc_count_failures(promc_counter *c, long rc, promc_error_pred is_error, void *user) {
  if (is_error ? is_error(rc, user) : rc < 0) (void)promc_counter_inc(c);
  return rc;
}
