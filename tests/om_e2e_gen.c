/* SPDX-License-Identifier: Apache-2.0 */
/* om_e2e_gen.c — writes one registry of every type, with exemplars, in the
 * three formats (DIR/metrics.txt, .om, .pb) for tests/tools/om_prom_e2e.py,
 * which serves each file to a real Prometheus. Usage: om_e2e_gen DIR BASE
 * (exemplar timestamps are BASE + 0.25, 1.5 and 2 seconds). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc/promc.h"

#define S(...) ((const char *const[]){__VA_ARGS__})

static int write_format(promc_registry *r, promc_format f, const char *dir, const char *ext) {
  promc_buf b = {0};
  char path[4096];
  snprintf(path, sizeof path, "%s/metrics.%s", dir, ext);
  FILE *fp = fopen(path, "wb");
  int rc = promc_registry_render_buf(r, f, NULL, &b);
  if (rc || !fp || fwrite(b.data, 1, b.len, fp) != b.len) {
    fprintf(stderr, "om_e2e_gen: %s: %s\n", path, rc ? promc_errmsg() : "write failed");
    if (fp) fclose(fp);
    promc_buf_free(&b);
    return 1;
  }
  promc_buf_free(&b);
  return fclose(fp) != 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: om_e2e_gen DIR BASE_SECONDS  (exemplar timestamps are BASE+0.25, +1.5, +2)\n");
    return 2;
  }
  double base = strtod(argv[2], NULL);
  promc_registry *r;
  promc_counter *req;
  promc_gauge *temp;
  promc_histogram *lat;
  promc_summary *pay;
  promc_info *build;
  promc_enum *state;
  int rc = promc_registry_new(&r);
  rc |= promc_counter_new(&req, &(promc_opts){.name = "e2e_requests", .help = "Requests.", .registry = r,
                                              .exemplars = 1, PROMC_LABEL_NAMES("method", "path")});
  rc |= promc_gauge_new(&temp, &(promc_opts){.name = "e2e_temperature_celsius", .unit = "celsius",
                                             .help = "T.", .registry = r, PROMC_LABEL_NAMES("where")});
  rc |= promc_histogram_new(&lat, &(promc_opts){.name = "e2e_latency_seconds", .unit = "seconds", .help = "L.",
                                                .registry = r, .exemplars = 1, PROMC_LABEL_NAMES("route"),
                                                PROMC_BUCKETS(0.005, 0.1, 2.5)});
  rc |= promc_summary_new(&pay, &(promc_opts){.name = "e2e_payload_bytes", .unit = "bytes", .help = "P.",
                                              .registry = r});
  rc |= promc_info_new(&build, &(promc_opts){.name = "e2e_build", .help = "B.", .registry = r});
  rc |= promc_enum_new(&state, &(promc_opts){.name = "e2e_state", .help = "S.", .registry = r,
                                             PROMC_STATES("starting", "running")});
  if (rc) {
    fprintf(stderr, "om_e2e_gen: %s\n", promc_errmsg());
    return 1;
  }
  promc_counter *get = promc_counter_labels(req, "GET", "/a\"b\\c\nd");
  rc |= promc_counter_add(get, 5);
  rc |= promc_counter_add_exemplar(get, 2, 1, S("trace_id"), S("c0ffee"), base + 0.25);
  rc |= promc_counter_add(promc_counter_labels(req, "POST", "/\xc3\xbc"), 2.5);
  rc |= promc_gauge_set(promc_gauge_labels(temp, "a"), -0.0);
  rc |= promc_gauge_set(promc_gauge_labels(temp, "b"), 1e21);
  rc |= promc_gauge_set(promc_gauge_labels(temp, "c"), 1e-9);
  rc |= promc_gauge_set(promc_gauge_labels(temp, "d"), NAN);
  rc |= promc_gauge_set(promc_gauge_labels(temp, "e"), -INFINITY);
  promc_histogram *x = promc_histogram_labels(lat, "/x");
  rc |= promc_histogram_observe_exemplar(x, 0.05, 1, S("trace_id"), S("beef01"), base + 1.5);
  rc |= promc_histogram_observe(x, 0.1);
  rc |= promc_histogram_observe(x, 2);
  rc |= promc_histogram_observe_exemplar(x, 7, 2, S("trace_id", "span_id"), S("beef02", "\xc3\xa9"), base + 2);
  rc |= promc_summary_observe(pay, 10);
  rc |= promc_summary_observe(pay, 20.5);
  rc |= promc_info_set(build, 2, S("version", "commit"), S("1.2.3", "ab\"c"));
  rc |= promc_enum_set(state, 1);
  if (rc) {
    fprintf(stderr, "om_e2e_gen: recording failed\n");
    return 1;
  }
  rc = write_format(r, PROMC_FORMAT_TEXT, argv[1], "txt") | write_format(r, PROMC_FORMAT_OPENMETRICS, argv[1], "om") |
       write_format(r, PROMC_FORMAT_PROTOBUF, argv[1], "pb");
  promc_registry_free(r);
  return rc;
}
