/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_render.c — families created through the public API from the input
 * (names, help, units, label names and values, const labels, buckets, enum
 * states, info labels, values with NaN, infinities and -0), children
 * written, removed and re-registered, then rendered in the text format,
 * OpenMetrics and protobuf, each output read back by the strict parsers of
 * fuzz_util.c. Whatever the API accepts must come out valid; whatever it
 * refuses must be refused with a PROMC_E* code and a message. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#define MAXF 8
#define MAXL 4

struct fam {
  promc_metric *m;
  promc_type type;
  size_t nlabels, nstates;
  int registered;
};

struct run {
  fz_reader in;
  promc_registry *r;
  struct fam f[MAXF];
  size_t nf;
  double fn_values[16];
  size_t nfn;
};

static double value_fn(void *user) { return *(const double *)user; }

static void create(struct run *u) {
  if (u->nf == MAXF) return;
  fz_reader *in = &u->in;
  static const promc_type types[] = {PROMC_TYPE_COUNTER, PROMC_TYPE_GAUGE, PROMC_TYPE_HISTOGRAM,
                                     PROMC_TYPE_SUMMARY, PROMC_TYPE_INFO,  PROMC_TYPE_STATESET};
  promc_type t = types[fz_below(in, 6)];
  char name[64], help[96], unit[24];
  char ln[MAXL][32], cn[2][32], cv[2][64], st[5][32];
  const char *lnp[MAXL], *cnp[2], *cvp[2], *stp[5];
  double b[6];
  uint8_t flags = fz_u8(in);
  fz_str(in, FZ_METRIC, name, sizeof name);
  fz_str(in, FZ_TEXT, help, sizeof help);
  if (flags & 1) fz_str(in, FZ_LABEL, unit, sizeof unit);
  size_t nl = fz_below(in, MAXL + 1), nc = fz_below(in, 3), nb = fz_below(in, 7), ns = fz_below(in, 6);
  for (size_t i = 0; i < nl; i++) lnp[i] = ln[i], fz_str(in, FZ_LABEL, ln[i], sizeof ln[i]);
  for (size_t i = 0; i < nc; i++) {
    cnp[i] = cn[i], fz_str(in, FZ_LABEL, cn[i], sizeof cn[i]);
    cvp[i] = cv[i], fz_str(in, FZ_TEXT, cv[i], sizeof cv[i]);
  }
  for (size_t i = 0; i < nb; i++) b[i] = fz_double(in);
  if (t == PROMC_TYPE_STATESET)
    for (size_t i = 0; i < ns; i++) stp[i] = st[i], fz_str(in, FZ_TEXT, st[i], sizeof st[i]);
  promc_opts o = {.name = name,
                  .help = help,
                  .unit = (flags & 1) ? unit : NULL,
                  .label_names = lnp,
                  .nlabel_names = nl,
                  .const_label_names = cnp,
                  .const_label_values = cvp,
                  .nconst_labels = nc,
                  .buckets = (flags & 2) ? NULL : b,
                  .nbuckets = (flags & 2) ? 0 : nb,
                  .states = stp,
                  .nstates = t == PROMC_TYPE_STATESET ? ns : 0,
                  .registry = u->r,
                  .no_register = (flags & 4) != 0,
                  .exemplars = (flags & 8) != 0};
  promc_metric *m = NULL;
  int rc;
  switch (t) {
    case PROMC_TYPE_COUNTER: rc = promc_counter_new((promc_counter **)&m, &o); break;
    case PROMC_TYPE_GAUGE: rc = promc_gauge_new((promc_gauge **)&m, &o); break;
    case PROMC_TYPE_HISTOGRAM: rc = promc_histogram_new((promc_histogram **)&m, &o); break;
    case PROMC_TYPE_SUMMARY: rc = promc_summary_new((promc_summary **)&m, &o); break;
    case PROMC_TYPE_INFO: rc = promc_info_new((promc_info **)&m, &o); break;
    default: rc = promc_enum_new((promc_enum **)&m, &o); break;
  }
  fz_check_error(rc);
  if (rc) return;
  FZ_CHECK(m != NULL && promc_metric_type(m) == t);
  u->f[u->nf++] = (struct fam){.m = m, .type = t, .nlabels = nl, .nstates = ns, .registered = !(flags & 4)};
}

static void write_child(struct run *u, struct fam *f, promc_metric *h) {
  fz_reader *in = &u->in;
  size_t nops = 1 + fz_below(in, 4);
  for (size_t k = 0; k < nops; k++) {
    uint8_t op = fz_u8(in);
    double v = fz_double(in);
    int rc = 0;
    switch (f->type) {
      case PROMC_TYPE_COUNTER: {
        promc_counter *c = (promc_counter *)(void *)h;
        if (op % 5 == 0) rc = promc_counter_inc(c);
        else if (op % 5 == 1) rc = promc_counter_add(c, v);
        else if (op % 5 == 2) rc = promc_counter_add_int(c, fz_uint(in, 8));
        else if (op % 5 == 3) rc = promc_counter_reset(c);
        else if (u->nfn < 16) {
          /* a callback's value is the caller's; negative or NaN, the child is
           * left out and the render still succeeds */
          u->fn_values[u->nfn] = v;
          rc = promc_metric_set_function(h, value_fn, &u->fn_values[u->nfn++]);
        }
        break;
      }
      case PROMC_TYPE_GAUGE: {
        promc_gauge *g = (promc_gauge *)(void *)h;
        if (op % 5 == 0) rc = promc_gauge_set(g, v);
        else if (op % 5 == 1) rc = promc_gauge_add(g, v);
        else if (op % 5 == 2) rc = promc_gauge_sub(g, v);
        else if (op % 5 == 3) rc = promc_gauge_inc(g);
        else if (u->nfn < 16) {
          u->fn_values[u->nfn] = v;
          rc = promc_metric_set_function(h, value_fn, &u->fn_values[u->nfn++]);
        }
        break;
      }
      case PROMC_TYPE_HISTOGRAM: rc = promc_histogram_observe((promc_histogram *)(void *)h, v); break;
      case PROMC_TYPE_SUMMARY: rc = promc_summary_observe((promc_summary *)(void *)h, v); break;
      case PROMC_TYPE_INFO: {
        char n[3][32], val[3][64];
        const char *np[3], *vp[3];
        size_t ni = fz_below(in, 4);
        for (size_t i = 0; i < ni; i++) {
          np[i] = n[i], fz_str(in, FZ_LABEL, n[i], sizeof n[i]);
          vp[i] = val[i], fz_str(in, FZ_TEXT, val[i], sizeof val[i]);
        }
        rc = promc_info_set((promc_info *)(void *)h, ni, np, vp);
        fz_check_error(rc);
        rc = 0;
        break;
      }
      default:
        if (op & 1) {
          rc = promc_enum_set((promc_enum *)(void *)h, fz_below(in, f->nstates + 2));
        } else {
          char s[32];
          fz_str(in, FZ_TEXT, s, sizeof s);
          rc = promc_enum_state((promc_enum *)(void *)h, s);
        }
        break;
    }
    FZ_CHECK(rc <= 0 && rc > -32);
  }
}

static void child_op(struct run *u) {
  if (!u->nf) return;
  fz_reader *in = &u->in;
  struct fam *f = &u->f[fz_below(in, u->nf)];
  uint8_t how = fz_u8(in);
  size_t n = (how & 0x80) ? fz_below(in, MAXL + 2) : f->nlabels;
  char v[MAXL + 1][64];
  const char *vp[MAXL + 1];
  for (size_t i = 0; i < n; i++) {
    fz_str(in, FZ_TEXT, v[i], sizeof v[i]);
    vp[i] = (how & 0x40) && i == 0 ? NULL : v[i];
  }
  if (how % 8 == 7) {
    int rc = promc_metric_removev(f->m, n, vp);
    fz_check_error(rc);
    return;
  }
  if (how % 8 == 6) {
    FZ_CHECK(promc_metric_clear(f->m) == 0);
    return;
  }
  promc_metric *h = f->nlabels || n ? promc_metric_labelsv(f->m, n, vp) : f->m;
  if (!h) {
    FZ_CHECK(promc_errmsg()[0]);
    return;
  }
  FZ_CHECK(promc_metric_labelsv(f->m, n, vp) == h || (!f->nlabels && !n));
  write_child(u, f, h);
}

static void registration_op(struct run *u) {
  if (!u->nf) return;
  size_t k = fz_below(&u->in, u->nf);
  struct fam *f = &u->f[k];
  uint8_t op = fz_u8(&u->in);
  if (op & 1) { /* destroy */
    FZ_CHECK(promc_metric_destroy(f->m) == 0);
    u->f[k] = u->f[--u->nf];
  } else if (f->registered) {
    FZ_CHECK(promc_unregister(f->m) == 0);
    f->registered = 0;
  } else {
    int rc = promc_register(u->r, f->m);
    fz_check_error(rc);
    FZ_CHECK(rc == 0 || rc == PROMC_EDUP);
    f->registered = rc == 0;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  struct run u = {.in = {data, size}};
  FZ_CHECK(promc_registry_new(&u.r) == 0);
  promc_registry_set_created(u.r, fz_u8(&u.in) & 1);
  for (size_t ops = 0; u.in.n && ops < 64; ops++) {
    uint8_t op = fz_u8(&u.in) % 10;
    if (op < 3) create(&u);
    else if (op < 8) child_op(&u);
    else if (op < 9) registration_op(&u);
    else fz_render_and_check(u.r, NULL, 0); /* renders between writes too */
  }
  fz_render_and_check(u.r, NULL, 0);
  for (size_t i = 0; i < u.nf; i++)
    if (!u.f[i].registered) promc_metric_destroy(u.f[i].m);
  promc_registry_free(u.r);
  return 0;
}
