/* SPDX-License-Identifier: Apache-2.0 */
/* periodic.c — the push thread: a fixed schedule start + k * interval on
 * CLOCK_MONOTONIC (so a wall-clock step neither bunches nor stalls pushes),
 * slots missed by a slow push skipped as client_python's _RegularPush does,
 * and a stop that wakes the wait at once. */
#include "periodic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *promc__push_strdup(const char *s, bool *ok) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (!d) {
    *ok = false;
    return NULL;
  }
  memcpy(d, s, n);
  return d;
}

static void add_ms(struct timespec *t, long ms) {
  t->tv_sec += ms / 1000;
  t->tv_nsec += (ms % 1000) * 1000000L;
  if (t->tv_nsec >= 1000000000L) {
    t->tv_sec++;
    t->tv_nsec -= 1000000000L;
  }
}

static bool before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Counts the attempt and reports it; called on the thread that pushed, so
 * promc_errmsg() is that push's message. */
static int record(struct promc_periodic *p, int rc, long status) {
  const char *msg = rc ? promc_errmsg() : "";
  pthread_mutex_lock(&p->mu);
  p->stats.pushes++;
  p->stats.last_rc = rc;
  p->stats.last_status = status;
  if (rc) {
    p->stats.failures++;
    snprintf(p->stats.last_error, sizeof p->stats.last_error, "%s", msg);
  }
  pthread_mutex_unlock(&p->mu);
  if (p->on_result) p->on_result(p->user, rc, status, msg);
  return rc;
}

static int push_once(struct promc_periodic *p) {
  long status = 0;
  int rc = p->push(p->ctx, &status);
  return record(p, rc, status);
}

static void *run(void *arg) {
  struct promc_periodic *p = arg;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  add_ms(&next, p->interval_ms);
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (!before(&now, &next)) break;
      pthread_cond_timedwait(&p->cv, &p->mu, &next);
    }
    bool stop = p->stop;
    pthread_mutex_unlock(&p->mu);
    if (stop) return NULL;
    push_once(p);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    do add_ms(&next, p->interval_ms);
    while (!before(&now, &next));
  }
}

int promc__periodic_start(struct promc_periodic *p) {
  pthread_condattr_t ca;
  p->stop = false;
  memset(&p->stats, 0, sizeof p->stats);
  if (pthread_condattr_init(&ca) != 0) return promc_set_errmsg(PROMC_ESTATE, "push: cannot create a condition");
  int ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&p->cv, &ca) == 0;
  pthread_condattr_destroy(&ca);
  if (!ok) return promc_set_errmsg(PROMC_ESTATE, "push: cannot create a monotonic condition variable");
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    pthread_cond_destroy(&p->cv);
    return promc_set_errmsg(PROMC_ESTATE, "push: cannot create a mutex");
  }
  int e = pthread_create(&p->th, NULL, run, p);
  if (e != 0) {
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    return promc_set_errmsg(PROMC_ESTATE, "push: cannot start the push thread: %s", strerror(e));
  }
  return 0;
}

int promc__periodic_stop(struct promc_periodic *p, bool final) {
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->th, NULL);
  int rc = final ? push_once(p) : 0;
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  return rc;
}

void promc__periodic_stats(struct promc_periodic *p, promc_push_stats *out) {
  pthread_mutex_lock(&p->mu);
  *out = p->stats;
  pthread_mutex_unlock(&p->mu);
}
