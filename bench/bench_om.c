/* SPDX-License-Identifier: Apache-2.0 */
/* bench_om.c — cost of exemplars on the hot path, and of rendering each
 * format, and memory per child. Usage: bench_om [N] | bench_om mem 0|1
 * Output lines: "promc <test> <value> <unit>" */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc/promc.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const char *const EXN[] = {"trace_id"};

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) v = atol(line + 6);
  if (f) fclose(f);
  return v;
}

/* RSS growth per labelled counter child, measured in a fresh process
 * (bench_om mem 0|1: without or with exemplars). */
static int mem(int ex) {
  promc_registry *m;
  promc_registry_new(&m);
  promc_counter *mc;
  promc_counter_new(&mc, &(promc_opts){.name = "mem", .help = "", .registry = m, .exemplars = ex,
                                       PROMC_LABEL_NAMES("path", "code")});
  char p[32], code[8];
  long r0 = rss_kb();
  for (int i = 0; i < 100000; i++) {
    snprintf(p, sizeof p, "/api/%d", i / 5);
    snprintf(code, sizeof code, "%d", 200 + i % 5);
    promc_counter_inc(promc_counter_labels(mc, p, code));
  }
  printf("promc rss_per_labelled_counter_child%s %.1f B\n", ex ? "_with_exemplars" : "",
         (double)(rss_kb() - r0) * 1024.0 / 100000);
  promc_registry_free(m);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "mem") == 0) return mem(atoi(argv[2]));
  long N = argc > 1 ? atol(argv[1]) : 20000000;
  promc_registry *r;
  promc_registry_new(&r);
  promc_counter *c, *ce;
  promc_histogram *h, *he;
  promc_counter_new(&c, &(promc_opts){.name = "c", .help = "", .registry = r});
  promc_counter_new(&ce, &(promc_opts){.name = "ce", .help = "", .registry = r, .exemplars = 1});
  promc_histogram_new(&h, &(promc_opts){.name = "h", .help = "", .registry = r});
  promc_histogram_new(&he, &(promc_opts){.name = "he", .help = "", .registry = r, .exemplars = 1});
  double vals[1024];
  for (int i = 0; i < 1024; i++) vals[i] = (double)(i % 97) / 10.0;
  const char *ids[] = {"4bf92f3577b34da6a3ce929d0e0e4736"};
  double t0;

  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_counter_inc(c);
  printf("promc counter_inc %.2f ns/op\n", (now_ns() - t0) / (double)N);
  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_counter_inc(ce);
  printf("promc counter_inc_on_exemplar_family %.2f ns/op\n", (now_ns() - t0) / (double)N);
  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_counter_inc_exemplar(ce, 1, EXN, ids);
  printf("promc counter_inc_exemplar %.2f ns/op\n", (now_ns() - t0) / (double)N);
  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_histogram_observe(h, vals[i & 1023]);
  printf("promc histogram_observe %.2f ns/op\n", (now_ns() - t0) / (double)N);
  t0 = now_ns();
  for (long i = 0; i < N; i++) promc_histogram_observe_exemplar(he, vals[i & 1023], 1, EXN, ids, 1.7e9);
  printf("promc histogram_observe_exemplar %.2f ns/op\n", (now_ns() - t0) / (double)N);

  /* render: 100,000 labelled counter children and 1,000 histogram children */
  promc_registry *big;
  promc_registry_new(&big);
  promc_counter *bc;
  promc_histogram *bh;
  promc_counter_new(&bc, &(promc_opts){.name = "requests", .help = "Requests.", .registry = big,
                                       PROMC_LABEL_NAMES("path", "code")});
  promc_histogram_new(&bh, &(promc_opts){.name = "latency_seconds", .help = "Latency.", .registry = big,
                                         .unit = "seconds", PROMC_LABEL_NAMES("path")});
  char p[32], code[8];
  for (int i = 0; i < 100000; i++) {
    snprintf(p, sizeof p, "/api/%d", i / 5);
    snprintf(code, sizeof code, "%d", 200 + i % 5);
    promc_counter_add(promc_counter_labels(bc, p, code), i);
  }
  for (int i = 0; i < 1000; i++) {
    snprintf(p, sizeof p, "/api/%d", i);
    promc_histogram_observe(promc_histogram_labels(bh, p), i / 100.0);
  }
  const char *names[] = {"text", "openmetrics", "protobuf"};
  for (int f = 0; f < 3; f++) {
    promc_buf b = {0};
    promc_registry_render_buf(big, (promc_format)f, NULL, &b); /* warm */
    int reps = 10;
    t0 = now_ns();
    for (int k = 0; k < reps; k++) {
      b.len = 0;
      promc_registry_render_buf(big, (promc_format)f, NULL, &b);
    }
    printf("promc render_%s_101k_children %.2f ms (%zu bytes)\n", names[f], (now_ns() - t0) / reps / 1e6, b.len);
    promc_buf_free(&b);
  }
  promc_registry_free(big);

  promc_registry_free(r);
  return 0;
}
