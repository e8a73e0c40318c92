/* SPDX-License-Identifier: Apache-2.0 */
/* bench_f.h — the registry of benchmark row f (render of 101,000
 * children), built the same way by bench_core and bench_render: 100,000
 * labelled counters, then 1,000 labelled histograms with three
 * observations each. Two steps, so a caller can measure memory between. */
#ifndef PROMC_BENCH_F_H
#define PROMC_BENCH_F_H

#include <stdio.h>

#include "promc/promc.h"

static void bench_f_counters(promc_registry *reg) {
  promc_counter *c;
  promc_counter_new(&c, &(promc_opts){.name = "bench_requests_total", .help = "Requests.", .registry = reg,
                                      PROMC_LABEL_NAMES("method", "path", "status")});
  char m[16], p[32], s[8];
  long idx = 0;
  for (int a = 0; a < 10; a++)
    for (int b = 0; b < 100; b++)
      for (int d = 0; d < 100; d++) {
        snprintf(m, sizeof m, "m%d", a);
        snprintf(p, sizeof p, "/api/v1/res%d", b);
        snprintf(s, sizeof s, "%d", 100 + d);
        promc_counter_add(promc_counter_labels(c, m, p, s), (double)(idx++ % 7 + 1));
      }
}

static void bench_f_histograms(promc_registry *reg) {
  promc_histogram *h;
  promc_histogram_new(&h, &(promc_opts){.name = "bench_latency_seconds", .help = "Latency.", .registry = reg,
                                        PROMC_LABEL_NAMES("method", "path", "status")});
  char m[16], p[32], s[8];
  for (int a = 0; a < 10; a++)
    for (int b = 0; b < 10; b++)
      for (int d = 0; d < 10; d++) {
        snprintf(m, sizeof m, "m%d", a);
        snprintf(p, sizeof p, "/api/v1/res%d", b);
        snprintf(s, sizeof s, "%d", 200 + d);
        promc_histogram *hc = promc_histogram_labels(h, m, p, s);
        promc_histogram_observe(hc, 0.003);
        promc_histogram_observe(hc, 0.2);
        promc_histogram_observe(hc, 3.0);
      }
}

#endif
