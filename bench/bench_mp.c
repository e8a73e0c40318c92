/* SPDX-License-Identifier: Apache-2.0 */
/* bench_mp.c — multi-process mode: scrape time with 4 live workers, before
 * and after many worker deaths.
 *
 *   bench_mp [DEATHS] [SCRAPES] [DIR]      defaults 1000, 1000, /dev/shm
 *
 * The parent creates a set of families like a small web app's (counters with
 * 100 label tuples, 20 histogram tuples with the default buckets, 20 summary
 * tuples, 20 livesum gauge tuples), forks 4 workers that write every series
 * (observing 0.25, so that sums print as short before and after: the cost
 * of printing a double like 2.6999999999999997 would swamp the comparison)
 * and stay alive, and times SCRAPES text renders (median, p90). Then DEATHS
 * more workers each write every series and die — every other one by
 * SIGKILL, the rest by exit — with no mark_dead call: the library finds them
 * (at claim time and at scrapes, one scrape every 50 deaths). Then it times
 * the same renders again, with the same 4 workers alive, and checks that the
 * totals are exact. Exit status 0 when exact and the fastest scrape after is
 * within 10% of the fastest before (2 otherwise). Prints one `promc-mp <name> <value> <unit>` line each. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "promc/multiprocess.h"
#include "promc/promc.h"

#define NCOUNT 100
#define NOTHER 20

static promc_counter *cnt[NCOUNT];
static promc_histogram *hist[NOTHER];
static promc_summary *summ[NOTHER];
static promc_gauge *gauge[NOTHER];

static void write_all(void) {
  for (int i = 0; i < NCOUNT; i++) promc_counter_inc(cnt[i]);
  for (int i = 0; i < NOTHER; i++) {
    promc_histogram_observe(hist[i], 0.25);
    promc_summary_observe(summ[i], 0.25);
    promc_gauge_inc(gauge[i]);
  }
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void time_scrapes(promc_registry *r, int n, double *median, double *p90, double *min, size_t *bytes) {
  double *t = malloc((size_t)n * sizeof *t);
  promc_buf b = {0};
  for (int i = 0; i < n; i++) {
    b.len = 0;
    int64_t t0 = promc_monotonic_ns();
    if (promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b) != 0) {
      fprintf(stderr, "bench_mp: render: %s\n", promc_errmsg());
      exit(1);
    }
    t[i] = (double)(promc_monotonic_ns() - t0) / 1e3;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_d);
  *min = t[0];
  *median = t[n / 2];
  *p90 = t[n * 9 / 10];
  *bytes = b.len;
  promc_buf_free(&b);
  free(t);
}

static double sample(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ') return strtod(p + kl + 1, NULL);
  return -1;
}

int main(int argc, char **argv) {
  int deaths = argc > 1 ? atoi(argv[1]) : 1000;
  int scrapes = argc > 2 ? atoi(argv[2]) : 1000;
  const char *dir = argc > 3 ? argv[3] : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  if (promc_multiprocess_enable(&(promc_mp_opts){.dir = dir}) != 0) {
    fprintf(stderr, "bench_mp: %s\n", promc_errmsg());
    return 1;
  }
  promc_registry *r;
  promc_counter *c;
  promc_histogram *h;
  promc_summary *s;
  promc_gauge *g;
  promc_registry_new(&r);
  int rc = promc_counter_new(&c, &(promc_opts){.name = "req", .help = "Requests.", .registry = r,
                                               PROMC_LABEL_NAMES("path", "code")});
  rc |= promc_histogram_new(&h, &(promc_opts){.name = "latency_seconds", .help = "Latency.", .registry = r,
                                              PROMC_LABEL_NAMES("path")});
  rc |= promc_summary_new(&s, &(promc_opts){.name = "size_bytes", .help = "Sizes.", .registry = r,
                                            PROMC_LABEL_NAMES("path")});
  rc |= promc_gauge_new(&g, &(promc_opts){.name = "inflight", .help = "In flight.", .registry = r,
                                          .mp_gauge_mode = PROMC_MP_GAUGE_LIVESUM, PROMC_LABEL_NAMES("path")});
  if (rc) {
    fprintf(stderr, "bench_mp: %s\n", promc_errmsg());
    return 1;
  }
  char a[32], b[32];
  for (int i = 0; i < NCOUNT; i++) {
    snprintf(a, sizeof a, "/path/%d", i % 20);
    snprintf(b, sizeof b, "%d", 200 + i / 20);
    cnt[i] = promc_counter_labels(c, a, b);
  }
  for (int i = 0; i < NOTHER; i++) {
    snprintf(a, sizeof a, "/path/%d", i);
    hist[i] = promc_histogram_labels(h, a);
    summ[i] = promc_summary_labels(s, a);
    gauge[i] = promc_gauge_labels(g, a);
  }

  /* 4 live workers */
  pid_t live[4];
  int go[2];
  if (pipe(go) != 0) return 1;
  for (int i = 0; i < 4; i++) {
    int done[2];
    if (pipe(done) != 0) return 1;
    live[i] = fork();
    if (live[i] == 0) {
      write_all();
      char x = 1;
      if (write(done[1], &x, 1) != 1) _exit(1);
      while (read(go[0], &x, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    char x;
    if (read(done[0], &x, 1) != 1) return 1;
    close(done[0]);
    close(done[1]);
  }
  double med0, p900, min0, med1, p901, min1;
  size_t bytes0, bytes1;
  time_scrapes(r, scrapes, &med0, &p900, &min0, &bytes0);

  int64_t t0 = promc_monotonic_ns();
  promc_buf tmp = {0};
  for (int i = 0; i < deaths; i++) {
    int done[2];
    if (pipe(done) != 0) return 1;
    pid_t p = fork();
    if (p == 0) {
      write_all();
      char x = 1;
      if (write(done[1], &x, 1) != 1) _exit(1);
      if (i % 2) _exit(0);
      pause(); /* killed below */
      _exit(0);
    }
    char x;
    if (read(done[0], &x, 1) != 1) return 1;
    close(done[0]);
    close(done[1]);
    if (i % 2 == 0) kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    if (i % 50 == 49) { /* a scrape now and then, as Prometheus would */
      tmp.len = 0;
      promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &tmp);
    }
  }
  double death_ms = (double)(promc_monotonic_ns() - t0) / 1e6;
  time_scrapes(r, scrapes, &med1, &p901, &min1, &bytes1);

  /* exactness: 1 (parent) creation writes nothing; 4 + deaths workers wrote */
  tmp.len = 0;
  promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &tmp);
  promc_buf_write(&tmp, "", 1);
  double want = 4 + deaths;
  int exact = sample(tmp.data, "req_total{path=\"/path/0\",code=\"200\"}") == want &&
              sample(tmp.data, "latency_seconds_count{path=\"/path/19\"}") == want &&
              sample(tmp.data, "size_bytes_count{path=\"/path/7\"}") == want &&
              sample(tmp.data, "inflight{path=\"/path/3\"}") == 4; /* livesum: the 4 live workers */
  promc_mp_stats st;
  promc_multiprocess_stats(&st);
  promc_buf_free(&tmp);

  char x = 1;
  for (int i = 0; i < 4; i++)
    if (write(go[1], &x, 1) != 1) return 1;
  for (int i = 0; i < 4; i++) waitpid(live[i], NULL, 0);

  printf("promc-mp series %d count\n", NCOUNT + 3 * NOTHER);
  printf("promc-mp scrape_bytes %zu bytes\n", bytes0);
  printf("promc-mp scrape_before_median %.1f us\n", med0);
  printf("promc-mp scrape_before_p90 %.1f us\n", p900);
  printf("promc-mp scrape_before_min %.1f us\n", min0);
  printf("promc-mp deaths %d count\n", deaths);
  printf("promc-mp fork_write_die_fold %.1f us/death\n", death_ms * 1e3 / deaths);
  printf("promc-mp scrape_after_median %.1f us\n", med1);
  printf("promc-mp scrape_after_p90 %.1f us\n", p901);
  printf("promc-mp scrape_after_min %.1f us\n", min1);
  printf("promc-mp after_over_before_median %.3f ratio\n", med1 / med0);
  printf("promc-mp after_over_before_min %.3f ratio\n", min1 / min0);
  printf("promc-mp folds %llu count\n", (unsigned long long)st.folds);
  printf("promc-mp live_slots_after %u count\n", st.live_processes);
  printf("promc-mp totals_exact %d bool\n", exact);
  promc_registry_free(r);
  promc_shutdown();
  /* the minimum is the figure least disturbed by other load on the machine */
  return exact && min1 <= min0 * 1.10 ? 0 : 2;
}
