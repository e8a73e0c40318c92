/* SPDX-License-Identifier: Apache-2.0 */
/* roundtrip_gen.c — builds a registry with every metric type, hostile label
 * values and special floats; writes its exposition and, independently, the
 * samples it must contain, for roundtrip_check.py and promtool.
 * Usage: roundtrip_gen FORMAT(text|openmetrics|protobuf) OUT EXPECTED */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc/promc.h"

static FILE *exp_f;

/* One expected sample: name, label pairs (hex-encoded), value as %a. */
static void expect(const char *name, size_t n, const char *const *ln, const char *const *lv, double v) {
  fprintf(exp_f, "%s\t", name);
  for (size_t i = 0; i < n; i++) {
    fprintf(exp_f, "%s%s=", i ? "," : "", ln[i]);
    for (const unsigned char *p = (const unsigned char *)lv[i]; *p; p++) fprintf(exp_f, "%02x", *p);
  }
  if (isnan(v)) fprintf(exp_f, "\tnan\n");
  else fprintf(exp_f, "\t%a\n", v);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s text|openmetrics|protobuf OUT EXPECTED\n", argv[0]);
    return 2;
  }
  promc_format fmt = !strcmp(argv[1], "openmetrics") ? PROMC_FORMAT_OPENMETRICS
                     : !strcmp(argv[1], "protobuf")  ? PROMC_FORMAT_PROTOBUF
                                                     : PROMC_FORMAT_TEXT;
  exp_f = fopen(argv[3], "w");
  if (!exp_f) return 1;
  promc_registry *r;
  promc_registry_new(&r);
  const char *help = "Help with a backslash \\ and a\nnewline.";
  static const char *hostile[] = {"quote\"d", "back\\slash", "new\nline", "日本語 ü € 🙂", "", "a,b=c{d}"};
  const size_t nh = sizeof hostile / sizeof hostile[0];
  static const double specials[] = {0, -0.0, 1e-9, 1e21, 0.1, NAN, INFINITY, -INFINITY, 123456.789, -2.5e-300};
  const size_t ns = sizeof specials / sizeof specials[0];
  int rc = 0;

  promc_gauge *g;
  rc |= promc_gauge_new(&g, &(promc_opts){.name = "rt_temperature", .help = help, .registry = r, PROMC_LABEL_NAMES("v", "idx")});
  for (size_t i = 0; i < ns; i++) {
    char idx[8];
    snprintf(idx, sizeof idx, "%zu", i);
    const char *lv[] = {hostile[i % nh], idx};
    promc_gauge_set((promc_gauge *)promc_metric_labelsv(PROMC_METRIC(g), 2, lv), specials[i]);
    expect("rt_temperature", 2, (const char *[]){"v", "idx"}, lv, specials[i]);
  }
  promc_counter *c;
  rc |= promc_counter_new(&c, &(promc_opts){.name = "rt_requests_total", .help = "Requests.", .registry = r, PROMC_LABEL_NAMES("path")});
  for (size_t i = 0; i < nh; i++) {
    promc_counter_add((promc_counter *)promc_metric_labelsv(PROMC_METRIC(c), 1, &hostile[i]), (double)i + 0.5);
    expect("rt_requests_total", 1, (const char *[]){"path"}, &hostile[i], (double)i + 0.5);
  }
  static const char *cn[] = {"env"}, *cv[] = {"pr\"od"};
  promc_counter *big;
  rc |= promc_counter_new(&big, &(promc_opts){.name = "rt_bytes_total", .help = "Bytes.", .registry = r, PROMC_CONST_LABELS(cn, cv)});
  promc_counter_add_int(big, 9007199254740991ull);
  expect("rt_bytes_total", 1, cn, cv, 9007199254740991.0);

  promc_histogram *h;
  rc |= promc_histogram_new(&h, &(promc_opts){.name = "rt_latency_seconds", .help = help, .unit = "seconds",
                                              .registry = r, PROMC_LABEL_NAMES("method"), PROMC_BUCKETS(0.1, 0.5, 2.5)});
  promc_histogram *hc = promc_histogram_labels(h, "GE\"T");
  double obs[] = {0.05, 0.1, 0.3, 3, 1e9};
  for (size_t i = 0; i < 5; i++) promc_histogram_observe(hc, obs[i]);
  const char *hl[] = {"method", "le"};
  const char *les[] = {"0.1", "0.5", "2.5", "+Inf"};
  double cum[] = {2, 3, 3, 5};
  for (int i = 0; i < 4; i++) expect("rt_latency_seconds_bucket", 2, hl, (const char *[]){"GE\"T", les[i]}, cum[i]);
  expect("rt_latency_seconds_count", 1, hl, (const char *[]){"GE\"T"}, 5);
  expect("rt_latency_seconds_sum", 1, hl, (const char *[]){"GE\"T"}, 0.05 + 0.1 + 0.3 + 3 + 1e9);

  promc_summary *s;
  rc |= promc_summary_new(&s, &(promc_opts){.name = "rt_size_bytes", .help = "Sizes.", .unit = "bytes", .registry = r});
  promc_summary_observe(s, 1024);
  promc_summary_observe(s, 0.5);
  expect("rt_size_bytes_count", 0, NULL, NULL, 2);
  expect("rt_size_bytes_sum", 0, NULL, NULL, 1024.5);

  promc_info *in;
  rc |= promc_info_new(&in, &(promc_opts){.name = "rt_build", .help = "Build.", .registry = r});
  const char *inn[] = {"version", "branch"}, *inv[] = {"1.2.3", "feat/\"x\"\n"};
  promc_info_set(in, 2, inn, inv);
  expect("rt_build_info", 2, inn, inv, 1);

  promc_enum *e;
  rc |= promc_enum_new(&e, &(promc_opts){.name = "rt_state", .help = "State.", .registry = r, PROMC_STATES("idle", "busy", "down")});
  promc_enum_state(e, "busy");
  const char *st[] = {"idle", "busy", "down"};
  for (int i = 0; i < 3; i++) expect("rt_state", 1, (const char *[]){"rt_state"}, &st[i], i == 1);
  if (rc) {
    fprintf(stderr, "setup failed: %s\n", promc_errmsg());
    return 1;
  }
  promc_buf b = {0};
  rc = promc_registry_render_buf(r, fmt, NULL, &b);
  if (rc) {
    fprintf(stderr, "render: %s\n", promc_errmsg());
    return 1;
  }
  FILE *o = fopen(argv[2], "wb");
  if (!o || fwrite(b.data, 1, b.len, o) != b.len || fclose(o)) return 1;
  fclose(exp_f);
  promc_buf_free(&b);
  promc_registry_free(r);
  promc_shutdown();
  return 0;
}
