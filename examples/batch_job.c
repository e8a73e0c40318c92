/* SPDX-License-Identifier: Apache-2.0 */
/* batch_job.c — a batch job instrumented as the Prometheus documentation
 * advises (https://prometheus.io/docs/practices/instrumentation/#batch-jobs):
 * it records how long the run took, when it last succeeded and how many
 * items it processed, then pushes those figures to a Pushgateway and/or
 * writes them for node_exporter's textfile collector.
 *
 *   batch_job [--gateway URL] [--job NAME] [--grouping k=v ...]
 *             [--textfile PATH] [--items N] [--fail-at N] [--timeout-ms MS]
 *             [--import URL [--interval-ms MS]] [--gzip] [--protobuf]
 *             [--header 'Name: value' ...]
 *
 * --import URL posts the run's figures to a receiver that takes a scrape's
 * body on a fixed URL instead (vmagent or VictoriaMetrics:
 * http://host:8429/api/v1/import/prometheus?extra_label=job=nightly); with
 * --interval-ms it pushes them every MS milliseconds while the job runs, as
 * a progress report, and a final time when it ends (a promc_pusher).
 * --gzip compresses the bodies, --protobuf sends the protobuf format to the
 * gateway, --header adds a request header (e.g. a bearer token).
 *
 * On success the whole group is replaced (push, HTTP PUT) and the textfile
 * rewritten. When the run fails (--fail-at N simulates a failure at item N)
 * only job_duration_seconds and job_last_failure_unixtime are sent with
 * pushadd (HTTP POST), so the gateway keeps job_last_success_unixtime from
 * the last good run; the textfile, which holds the last good run, is left
 * alone. Exit status: 0 success, 1 the job failed, 2 usage, 3 the push or
 * the textfile write failed.
 *
 * The job's metrics live in their own registry: a batch job pushes what
 * describes the run, not its process metrics (those describe a process the
 * gateway would keep showing long after it exited). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promc/promc.h"
#include "promc/push.h"

enum { MAX_GROUPING = 16, MAX_HEADERS = 8 };

static void usage(FILE *f) {
  fprintf(f,
          "usage: batch_job [--gateway URL] [--job NAME] [--grouping k=v ...] [--textfile PATH]\n"
          "                 [--items N] [--fail-at N] [--timeout-ms MS]\n"
          "                 [--import URL [--interval-ms MS]] [--gzip] [--protobuf] [--header 'Name: value' ...]\n");
}

/* One unit of work; returns 0 or a negative error like any C call. */
static long process_item(long i, long fail_at) {
  struct timespec ts = {0, 2000000}; /* 2 ms of "work" */
  nanosleep(&ts, NULL);
  return i == fail_at ? -1 : 0;
}

int main(int argc, char **argv) {
  const char *gateway = NULL, *job = "batch_job", *textfile = NULL;
  const char *gnames[MAX_GROUPING], *gvalues[MAX_GROUPING];
  char *gbuf[MAX_GROUPING];
  const char *import = NULL, *headers[MAX_HEADERS];
  size_t ngroup = 0, nheaders = 0;
  long items = 100, fail_at = -1, timeout_ms = 10000, interval_ms = 0;
  int gzip = 0;
  promc_format format = PROMC_FORMAT_TEXT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(a, "--gzip")) {
      gzip = 1;
      continue;
    }
    if (!strcmp(a, "--protobuf")) {
      format = PROMC_FORMAT_PROTOBUF;
      continue;
    }
    if (!v) {
      usage(stderr);
      return 2;
    }
    i++;
    if (!strcmp(a, "--gateway")) {
      gateway = v;
    } else if (!strcmp(a, "--job")) {
      job = v;
    } else if (!strcmp(a, "--textfile")) {
      textfile = v;
    } else if (!strcmp(a, "--items")) {
      items = strtol(v, NULL, 10);
    } else if (!strcmp(a, "--fail-at")) {
      fail_at = strtol(v, NULL, 10);
    } else if (!strcmp(a, "--timeout-ms")) {
      timeout_ms = strtol(v, NULL, 10);
    } else if (!strcmp(a, "--import")) {
      import = v;
    } else if (!strcmp(a, "--interval-ms")) {
      interval_ms = strtol(v, NULL, 10);
    } else if (!strcmp(a, "--header")) {
      if (nheaders == MAX_HEADERS) {
        fprintf(stderr, "batch_job: at most %d --header\n", MAX_HEADERS);
        return 2;
      }
      headers[nheaders++] = v;
    } else if (!strcmp(a, "--grouping")) {
      const char *eq = strchr(v, '=');
      if (!eq || eq == v || ngroup == MAX_GROUPING) {
        fprintf(stderr, "batch_job: --grouping wants name=value (at most %d)\n", MAX_GROUPING);
        return 2;
      }
      gbuf[ngroup] = strdup(v);
      if (!gbuf[ngroup]) return 2;
      gbuf[ngroup][eq - v] = '\0';
      gnames[ngroup] = gbuf[ngroup];
      gvalues[ngroup] = gbuf[ngroup] + (eq - v) + 1; /* may be "" */
      ngroup++;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (!gateway && !textfile && !import)
    fprintf(stderr, "batch_job: no --gateway, --import or --textfile: nothing is reported\n");
  if (interval_ms && !import) {
    fprintf(stderr, "batch_job: --interval-ms needs --import (a gateway group would lose its last success)\n");
    return 2;
  }

  /* --- metrics: created once, in the job's own registry ------------------ */
  promc_registry *reg, *fail_reg;
  promc_gauge *duration, *last_success, *fail_duration, *last_failure;
  promc_counter *processed, *item_errors;
  if (promc_registry_new(&reg) || promc_registry_new(&fail_reg) ||
      promc_gauge_new(&duration, &(promc_opts){.name = "job_duration_seconds", .unit = "seconds",
                                               .help = "Duration of the last run of the batch job.",
                                               .registry = reg}) ||
      promc_gauge_new(&last_success, &(promc_opts){.name = "job_last_success_unixtime",
                                                   .help = "Last time the batch job completed successfully.",
                                                   .registry = reg}) ||
      promc_counter_new(&processed, &(promc_opts){.name = "job_items_processed",
                                                  .help = "Items processed by the last run.", .registry = reg}) ||
      promc_counter_new(&item_errors, &(promc_opts){.name = "job_item_errors",
                                                    .help = "Items that failed in the last run.",
                                                    .registry = reg}) ||
      promc_gauge_new(&fail_duration, &(promc_opts){.name = "job_duration_seconds", .unit = "seconds",
                                                    .help = "Duration of the last run of the batch job.",
                                                    .registry = fail_reg}) ||
      promc_gauge_new(&last_failure, &(promc_opts){.name = "job_last_failure_unixtime",
                                                   .help = "Last time the batch job failed.",
                                                   .registry = fail_reg})) {
    fprintf(stderr, "batch_job: creating metrics: %s\n", promc_errmsg());
    return 3;
  }

  /* --- the run ----------------------------------------------------------- */
  promc_pusher *progress = NULL;
  if (interval_ms > 0 &&
      promc_pusher_start(&progress, &(promc_pusher_opts){.url = import, .method = PROMC_PUSH_IMPORT,
                                                         .interval_ms = interval_ms,
                                                         .push = {.registry = reg, .timeout_ms = timeout_ms,
                                                                  .gzip = gzip, .headers = headers,
                                                                  .nheaders = nheaders}}) != 0) {
    fprintf(stderr, "batch_job: --import: %s\n", promc_errmsg());
    return 2;
  }
  int failed = 0;
  promc_timer t = promc_timer_start(PROMC_METRIC(duration));
  for (long i = 0; i < items && !failed; i++) {
    if (promc_count_failures(item_errors, process_item(i, fail_at), NULL, NULL) < 0) {
      failed = 1;
      break;
    }
    promc_counter_inc(processed);
  }
  double secs = 0;
  promc_timer_stop(&t, &secs);
  promc_gauge_set(fail_duration, secs);
  if (!failed) promc_gauge_set_to_current_time(last_success);
  else promc_gauge_set_to_current_time(last_failure);
  printf("batch_job: %s after %ld items in %.3f s\n", failed ? "failed" : "succeeded",
         (long)promc_counter_get(processed), secs);

  /* --- report ------------------------------------------------------------- */
  int rc = 0;
  if (gateway) {
    promc_push_opts o = {.registry = failed ? fail_reg : reg, .timeout_ms = timeout_ms,
                         .grouping_names = gnames, .grouping_values = gvalues, .ngrouping = ngroup,
                         .format = format, .gzip = gzip, .headers = headers, .nheaders = nheaders};
    int pr = failed ? promc_pushadd(gateway, job, &o) : promc_push(gateway, job, &o);
    if (pr != 0) {
      fprintf(stderr, "batch_job: %s failed: %s (%s, HTTP status %ld)\n", failed ? "pushadd" : "push",
              promc_errmsg(), promc_errname(pr), promc_push_last_status());
      rc = 3;
    } else {
      printf("batch_job: %s to %s done (HTTP %ld)\n", failed ? "pushadd" : "push", gateway,
             promc_push_last_status());
    }
  }
  if (import) {
    /* every sample is kept with its time: the final figures, failed or not */
    promc_push_stats st = {0};
    if (progress) promc_pusher_stats(progress, &st);
    int ir = progress ? promc_pusher_stop(progress)
                      : promc_push_import(import, &(promc_push_opts){.registry = reg, .timeout_ms = timeout_ms,
                                                                     .gzip = gzip, .headers = headers,
                                                                     .nheaders = nheaders});
    if (ir != 0) {
      fprintf(stderr, "batch_job: import failed: %s (%s, HTTP status %ld)\n", promc_errmsg(), promc_errname(ir),
              promc_push_last_status());
      rc = 3;
    } else {
      printf("batch_job: import to %s done (HTTP %ld; %llu progress pushes, %llu failed)\n", import,
             promc_push_last_status(), st.pushes, st.failures);
    }
  }
  if (textfile && !failed) {
    int wr = promc_write_textfile(reg, textfile);
    if (wr != 0) {
      fprintf(stderr, "batch_job: textfile: %s (%s)\n", promc_errmsg(), promc_errname(wr));
      rc = 3;
    } else {
      printf("batch_job: wrote %s\n", textfile);
    }
  }
  promc_registry_free(reg);
  promc_registry_free(fail_reg);
  for (size_t i = 0; i < ngroup; i++) free(gbuf[i]);
  promc_shutdown();
  if (rc) return rc;
  return failed ? 1 : 0;
}
