/* SPDX-License-Identifier: Apache-2.0 */
/* hostile_gen.c — a registry fed with every input that once poisoned a
 * whole scrape, rendered in the three formats for the real parsers to judge
 * (tests/integration/hostile_input.py: promtool, client_python, Prometheus).
 *
 *   hostile_gen DIR     writes DIR/metrics.txt, DIR/metrics.om, DIR/metrics.pb
 *
 * Each hostile call is made as an application would make it, its result
 * ignored: what promc accepts must come out readable, and what it refuses
 * must leave nothing behind. The unit tests (test_badinput.c, test_om.c)
 * check the codes; this program only feeds. Exit status 0 unless a render
 * or a write failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc/promc.h"

#define STRS(...) PROMC_STRS_(__VA_ARGS__)

static int collect(promc_collect *ctx, void *user) {
  (void)user;
  static const double b[] = {0.1, 1};
  static const uint64_t cum[] = {1, 2, 3};
  /* a good family, then a label given twice, a value not UTF-8, a negative counter */
  promc_collect_family(ctx, "hostile_jobs_total", "Jobs from elsewhere.", PROMC_TYPE_COUNTER, NULL);
  promc_collect_sample(ctx, 1, STRS("queue"), STRS("mail"), 4);
  promc_collect_sample(ctx, 2, STRS("queue", "queue"), STRS("a", "b"), 1);
  promc_collect_sample(ctx, 1, STRS("queue"), STRS("caf\xe9"), 1);
  promc_collect_sample(ctx, 1, STRS("queue"), STRS("neg"), -1);
  /* a histogram with an "le" label, without bounds, with a negative sum */
  promc_collect_family(ctx, "hostile_wait_seconds", "Waits.", PROMC_TYPE_HISTOGRAM, "seconds");
  promc_collect_histogram(ctx, 1, STRS("pool"), STRS("a"), 2, b, cum, 2.5);
  promc_collect_histogram(ctx, 1, STRS("le"), STRS("0.5"), 2, b, cum, 2.5);
  promc_collect_histogram(ctx, 1, STRS("pool"), STRS("empty"), 0, NULL, cum, 0);
  promc_collect_histogram(ctx, 1, STRS("pool"), STRS("neg"), 2, b, cum, -2.5);
  /* a summary with a "quantile" label and a negative quantile value */
  promc_collect_family(ctx, "hostile_rtt_seconds", "Round trips.", PROMC_TYPE_SUMMARY, "seconds");
  promc_collect_summary(ctx, 1, STRS("peer"), STRS("a"), 3, 0.75, 1, (const double[]){0.5}, (const double[]){0.2});
  promc_collect_summary(ctx, 1, STRS("quantile"), STRS("x"), 3, 0.75, 0, NULL, NULL);
  promc_collect_summary(ctx, 1, STRS("peer"), STRS("b"), 3, 0.75, 1, (const double[]){0.5}, (const double[]){-1});
  /* a gauge histogram (0.0.4 has none: _gcount/_gsum need families of their own) */
  promc_collect_family(ctx, "hostile_queue_age_seconds", "Ages of queued items.", PROMC_TYPE_GAUGE_HISTOGRAM,
                       "seconds");
  promc_collect_histogram(ctx, 1, STRS("queue"), STRS("mail"), 2, b, cum, 1.5);
  /* help not UTF-8; the same family twice; a family named like a registered one */
  promc_collect_family(ctx, "hostile_bad_help", "caf\xe9", PROMC_TYPE_GAUGE, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 1);
  promc_collect_family(ctx, "hostile_jobs", "Again.", PROMC_TYPE_COUNTER, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 1);
  promc_collect_family(ctx, "hostile_requests_total", "Clash.", PROMC_TYPE_GAUGE, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 1);
  promc_collect_family(ctx, "hostile_latency_seconds_sum", "Clash.", PROMC_TYPE_GAUGE, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 1);
  return 0;
}

static int write_out(promc_registry *r, promc_format f, const char *dir, const char *file) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(r, f, NULL, &b);
  if (rc) {
    fprintf(stderr, "hostile_gen: render %s: %s (%s)\n", file, promc_errname(rc), promc_errmsg());
    return 1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *fp = fopen(path, "wb");
  int bad = !fp || fwrite(b.data, 1, b.len, fp) != b.len;
  if (fp && fclose(fp) != 0) bad = 1;
  if (bad) fprintf(stderr, "hostile_gen: cannot write %s\n", path);
  promc_buf_free(&b);
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  promc_registry *r;
  if (promc_registry_new(&r)) return 1;

  /* label values: NULL (the empty string), not UTF-8 of every kind, valid edge cases */
  promc_counter *req;
  promc_counter_new(&req, &(promc_opts){.name = "hostile_requests_total", .help = "Requests.", .registry = r,
                                        .exemplars = 1, PROMC_LABEL_NAMES("path")});
  promc_counter_add(promc_counter_labels(req, NULL), 2);
  promc_counter_inc(promc_counter_labels(req, "/\xff\xfe"));
  promc_counter_inc(promc_counter_labels(req, "/caf\xe9"));
  promc_counter_inc(promc_counter_labels(req, "/\xc0\xaf"));        /* overlong */
  promc_counter_inc(promc_counter_labels(req, "/\xed\xa0\x80"));    /* surrogate */
  promc_counter_inc(promc_counter_labels(req, "/\xf4\x90\x80\x80")); /* above U+10FFFF */
  promc_counter_inc(promc_counter_labels(req, "/\xe2\x82"));        /* cut short */
  promc_counter_inc(promc_counter_labels(req, "/\x80"));            /* stray continuation */
  promc_counter *ok = promc_counter_labels(req, "/\xc3\xbc\xef\xbf\xbd\xf4\x8f\xbf\xbf");
  promc_counter_add(ok, 3);
  /* an exemplar timestamp protobuf cannot carry, then a good one */
  promc_counter_add_exemplar(ok, 1, 1, STRS("trace_id"), STRS("ab12"), 1e19);
  promc_counter_add_exemplar(ok, 1, 1, STRS("trace_id"), STRS("ab12"), 1700000000.5);
  promc_counter_add_exemplar(ok, 1, 1, STRS("trace_id"), STRS("\xff"), 1700000001);

  /* help, const label value, info label value, enum state not UTF-8 */
  promc_gauge *g;
  promc_gauge_new(&g, &(promc_opts){.name = "hostile_help_gauge", .help = "caf\xe9", .registry = r});
  static const char *const cn[] = {"site"}, *const cv[] = {"\xc3"};
  promc_gauge_new(&g, &(promc_opts){.name = "hostile_const_gauge", .help = "Const.", .registry = r,
                                    PROMC_CONST_LABELS(cn, cv)});
  promc_gauge_new(&g, &(promc_opts){.name = "hostile_temperature_celsius", .help = "Temperature.", .unit = "celsius",
                                    .registry = r});
  promc_gauge_set(g, -3.5);
  promc_info *info;
  promc_info_new(&info, &(promc_opts){.name = "hostile_build", .help = "Build.", .registry = r});
  promc_info_set(info, 1, STRS("version"), STRS("1.0"));
  promc_info_set(info, 2, STRS("version", "branch"), STRS("1.1", "\xc3"));
  promc_enum *e;
  promc_enum_new(&e, &(promc_opts){.name = "hostile_bad_state", .help = "States.", .registry = r,
                                   PROMC_STATES("up", "\xff")});
  /* an enum whose name would be an invalid label name */
  promc_enum_new(&e, &(promc_opts){.name = "hostile:mode", .help = "Mode.", .registry = r, PROMC_STATES("a", "b")});
  promc_enum_new(&e, &(promc_opts){.name = "hostile_mode", .help = "Mode.", .registry = r, PROMC_STATES("a", "b")});
  promc_enum_set(e, 1);

  /* negative and NaN observations: their sums are no counters */
  promc_histogram *h;
  promc_histogram_new(&h, &(promc_opts){.name = "hostile_latency_seconds", .help = "Latency.", .unit = "seconds",
                                        .registry = r, PROMC_LABEL_NAMES("kind"), PROMC_BUCKETS(0.1, 1)});
  promc_histogram_observe(promc_histogram_labels(h, "pos"), 0.5);
  promc_histogram *hn = promc_histogram_labels(h, "neg");
  promc_histogram_observe(hn, 0.5);
  promc_histogram_observe(hn, -0.25);
  promc_histogram_observe(promc_histogram_labels(h, "nan"), NAN);
  promc_summary *s;
  promc_summary_new(&s, &(promc_opts){.name = "hostile_offset_seconds", .help = "Clock offsets.", .unit = "seconds",
                                      .registry = r, PROMC_LABEL_NAMES("peer")});
  promc_summary_observe(promc_summary_labels(s, "a"), 0.5);
  promc_summary_observe(promc_summary_labels(s, "b"), -0.5);

  promc_registry_add_collector(r, &(promc_collector){.name = "hostile", .collect = collect});

  int bad = write_out(r, PROMC_FORMAT_TEXT, argv[1], "metrics.txt") |
            write_out(r, PROMC_FORMAT_OPENMETRICS, argv[1], "metrics.om") |
            write_out(r, PROMC_FORMAT_PROTOBUF, argv[1], "metrics.pb");
  promc_registry_free(r);
  promc_shutdown();
  return bad;
}
