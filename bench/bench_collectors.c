/* SPDX-License-Identifier: Apache-2.0 */
/* bench_collectors.c — cost of one scrape of each default collector (the
 * render of a registry holding only that collector, into a reused buffer)
 * and of one promc_write_textfile (temporary file, fsync, rename, directory
 * fsync) into a directory given on the command line (default /tmp).
 *   build/bench/bench_collectors [dir]                                    */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "promc/promc.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  const char *names[] = {"process", "platform", "malloc"};
  for (int k = 0; k < 3; k++) {
    promc_registry *r;
    if (promc_registry_new(&r) != 0) return 1;
    int rc = k == 0 ? promc_process_collector_register(r, NULL)
                    : k == 1 ? promc_platform_collector_register(r) : promc_malloc_collector_register(r);
    if (rc != 0) {
      printf("%-8s collector: %s\n", names[k], promc_strerror(rc));
      promc_registry_free(r);
      continue;
    }
    promc_buf b = {0};
    promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b);
    int n = 20000;
    double t0 = now();
    for (int i = 0; i < n; i++) {
      b.len = 0;
      promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b);
    }
    double dt = now() - t0;
    printf("%-8s collector: %8.2f us per scrape (%zu bytes)\n", names[k], dt / n * 1e6, b.len);
    promc_buf_free(&b);
    promc_registry_free(r);
  }
  promc_registry *r;
  if (promc_registry_new(&r) != 0) return 1;
  promc_counter *c;
  promc_counter_new(&c, &(promc_opts){.name = "bench_items", .help = "x", PROMC_LABEL_NAMES("i"), .registry = r});
  for (int i = 0; i < 100; i++) {
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    promc_counter_inc(promc_counter_labels(c, v));
  }
  char path[512];
  snprintf(path, sizeof path, "%s/promc_bench.prom", dir);
  int n = 200;
  double t0 = now();
  for (int i = 0; i < n; i++)
    if (promc_write_textfile(r, path) != 0) {
      printf("textfile: %s\n", promc_errmsg());
      return 1;
    }
  double dt = now() - t0;
  remove(path);
  printf("textfile (100 series, %s): %8.1f us per write\n", dir, dt / n * 1e6);
  promc_registry_free(r);
  return 0;
}
