/* SPDX-License-Identifier: Apache-2.0 */
/* name_as_given_gen.c — writes a registry of counters created with
 * counter_name_as_given (and one without) in the text format and in
 * OpenMetrics, for tests/tools/name_as_given.sh to check with promtool and
 * client_python's parsers.  Usage: name_as_given_gen TEXT_FILE OM_FILE */
#include <stdio.h>

#include "promc/promc.h"

static int write_file(promc_registry *r, promc_format f, const char *path) {
  promc_buf b = {0};
  int rc = promc_registry_render_buf(r, f, NULL, &b);
  FILE *out = rc ? NULL : fopen(path, "w");
  if (!out || fwrite(b.data, 1, b.len, out) != b.len || fclose(out) != 0) {
    fprintf(stderr, "name_as_given_gen: %s: %s\n", path, rc ? promc_errmsg() : "cannot write");
    promc_buf_free(&b);
    return 1;
  }
  promc_buf_free(&b);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s TEXT_FILE OM_FILE\n", argv[0]);
    return 2;
  }
  promc_registry *r;
  promc_counter *reqs, *errs, *modern;
  if (promc_registry_new(&r) ||
      promc_counter_new(&reqs, &(promc_opts){.name = "http_requests", .help = "Requests served.", .registry = r,
                                             .counter_name_as_given = 1, PROMC_LABEL_NAMES("method")}) ||
      promc_counter_new(&errs, &(promc_opts){.name = "app_errors", .help = "Errors.", .registry = r,
                                             .counter_name_as_given = 1}) ||
      promc_counter_new(&modern, &(promc_opts){.name = "app_jobs", .help = "Jobs.", .registry = r})) {
    fprintf(stderr, "name_as_given_gen: %s\n", promc_errmsg());
    return 1;
  }
  promc_counter_add_int(promc_counter_labels(reqs, "GET"), 7);
  promc_counter_add_int(promc_counter_labels(reqs, "POST"), 2);
  promc_counter_inc(errs);
  promc_counter_add_int(modern, 5);
  int rc = write_file(r, PROMC_FORMAT_TEXT, argv[1]) | write_file(r, PROMC_FORMAT_OPENMETRICS, argv[2]);
  promc_registry_free(r);
  return rc;
}
