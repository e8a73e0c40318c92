/* SPDX-License-Identifier: Apache-2.0 */
/* periodic.h — the background thread shared by promc_pusher and
 * promc_graphite: call a push function every interval until stopped, keep
 * the counts, report each result.  Internal to libpromc-push. */
#ifndef PROMC_PUSH_PERIODIC_H
#define PROMC_PUSH_PERIODIC_H

#include <pthread.h>
#include <stdbool.h>

#include "promc/push.h"

struct promc_periodic {
  /* set before promc__periodic_start, read-only afterwards */
  long interval_ms;
  int (*push)(void *ctx, long *status); /* 0 or PROMC_E*, promc_errmsg set */
  void *ctx;
  promc_push_result_fn on_result;
  void *user;
  /* under mu */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop;
  promc_push_stats stats;
  pthread_t th;
};

/* Starts the thread. Errors: PROMC_ESTATE (no thread, no clock). */
int promc__periodic_start(struct promc_periodic *p);
/* Wakes and joins the thread (after the push it may be doing), then makes
 * the final push on the calling thread when final is true; returns its
 * result, or 0. Destroys the mutex and condition variable. */
int promc__periodic_stop(struct promc_periodic *p, bool final);
/* A copy of the counts. */
void promc__periodic_stats(struct promc_periodic *p, promc_push_stats *out);

/* The checks every push makes of its options (push.c): the import URL when
 * import_url is not NULL, timeout, format, gzip, extra headers. */
int promc__push_check(const char *import_url, const promc_push_opts *o);

/* A malloc'd copy of s (NULL stays NULL); *ok cleared when out of memory. */
char *promc__push_strdup(const char *s, bool *ok);

#endif
