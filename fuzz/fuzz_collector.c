/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_collector.c — a collector whose families and samples come from the
 * input, through promc_collect_family / _sample / _histogram / _summary,
 * beside registered families whose names it may reuse; then every format is
 * rendered and read back strictly. What a collector emits is checked by the
 * collect context; whatever it lets through must be valid output, and a
 * refused call must say why (PROMC_E* code and promc_errmsg). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

struct col {
  fz_reader in; /* replayed from the start at every scrape */
};

static size_t labels(fz_reader *in, char n[4][32], char v[4][64], const char *np[4], const char *vp[4]) {
  size_t k = fz_below(in, 5);
  uint8_t nulls = fz_u8(in);
  for (size_t i = 0; i < k; i++) {
    fz_str(in, FZ_LABEL, n[i], 32);
    fz_str(in, FZ_TEXT, v[i], 64);
    np[i] = n[i];
    vp[i] = (nulls >> i) & (nulls >> 7) & 1 ? NULL : v[i];
  }
  return k;
}

static void one_sample(fz_reader *in, promc_collect *ctx, promc_type t) {
  char n[4][32], v[4][64];
  const char *np[4], *vp[4];
  size_t k = labels(in, n, v, np, vp);
  uint8_t kind = fz_u8(in);
  int rc;
  /* mostly the call that fits the family's type; sometimes another */
  int which = kind & 0x80 ? kind % 3
              : t == PROMC_TYPE_HISTOGRAM || t == PROMC_TYPE_GAUGE_HISTOGRAM ? 1
              : t == PROMC_TYPE_SUMMARY                                       ? 2
                                                                             : 0;
  if (which == 0) {
    rc = promc_collect_sample(ctx, k, np, vp, fz_double(in));
  } else if (which == 1) {
    size_t nb = fz_below(in, 6);
    double b[6], sum;
    uint64_t cum[7], acc = 0;
    for (size_t i = 0; i < nb; i++) b[i] = fz_double(in);
    for (size_t i = 0; i <= nb; i++) {
      uint8_t step = fz_u8(in);
      acc = step == 0xff ? acc - 1 : acc + step; /* 0xff: counts that go down */
      cum[i] = acc;
    }
    sum = fz_double(in);
    rc = promc_collect_histogram(ctx, k, np, vp, nb, nb || !(kind & 1) ? b : NULL, cum, sum);
  } else {
    size_t nq = fz_below(in, 4);
    double q[4], qv[4];
    for (size_t i = 0; i < nq; i++) q[i] = fz_double(in), qv[i] = fz_double(in);
    uint64_t count = fz_uint(in, fz_below(in, 9));
    rc = promc_collect_summary(ctx, k, np, vp, count, fz_double(in), nq, q, qv);
  }
  fz_check_error(rc);
}

static int collect(promc_collect *ctx, void *user) {
  struct col *c = user;
  fz_reader in = c->in;
  size_t nfam = fz_below(&in, 6);
  for (size_t f = 0; f < nfam; f++) {
    char name[64], help[64], unit[24];
    uint8_t flags = fz_u8(&in);
    fz_str(&in, FZ_METRIC, name, sizeof name);
    fz_str(&in, FZ_TEXT, help, sizeof help);
    if (flags & 1) fz_str(&in, FZ_LABEL, unit, sizeof unit);
    promc_type t = (promc_type)fz_below(&in, 10); /* 0 and 9 are no type, 6 (stateset) is refused */
    int rc = promc_collect_family(ctx, name, (flags & 2) ? NULL : help, t, (flags & 1) ? unit : NULL);
    fz_check_error(rc);
    size_t ns = fz_below(&in, 4);
    for (size_t s = 0; s < ns; s++) one_sample(&in, ctx, t);
  }
  if (fz_u8(&in) == 0xff) return promc_set_errmsg(-1, "the collector failed on purpose");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  fz_reader in = {data, size};
  promc_registry *r;
  FZ_CHECK(promc_registry_new(&r) == 0);
  /* registered families a collector's names may clash with */
  size_t nreg = fz_below(&in, 3);
  for (size_t i = 0; i < nreg; i++) {
    char name[64];
    fz_str(&in, FZ_METRIC, name, sizeof name);
    promc_opts o = {.name = name, .help = "registered", .registry = r, PROMC_LABEL_NAMES("a")};
    promc_metric *m = NULL;
    int rc = i == 0 ? promc_counter_new((promc_counter **)&m, &o) : promc_histogram_new((promc_histogram **)&m, &o);
    fz_check_error(rc);
    if (!rc) FZ_CHECK(promc_metric_labelsv(m, 1, (const char *const[]){""}) != NULL);
  }
  struct col c = {in};
  FZ_CHECK(promc_registry_add_collector(r, &(promc_collector){.name = "fuzz", .collect = collect, .user = &c}) == 0);
  fz_render_and_check(r, NULL, FZ_ERRBIT(PROMC_ECALLBACK));
  promc_registry_free(r);
  return 0;
}
