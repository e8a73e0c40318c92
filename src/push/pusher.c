/* SPDX-License-Identifier: Apache-2.0 */
/* pusher.c — promc_pusher: a deep copy of the push options (so the caller's
 * strings may go away after start) and the push function the periodic
 * thread calls. */
#include <stdlib.h>
#include <string.h>

#include "periodic.h"

struct promc_pusher {
  struct promc_periodic per;
  promc_pusher_opts o; /* every pointer below is owned */
  char **names, **values, **headers;
  bool final;
};

static void free_strv(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static char **dup_strv(const char *const *v, size_t n, bool *ok) {
  if (n == 0 || !v) return NULL;
  char **d = calloc(n, sizeof *d);
  if (!d) {
    *ok = false;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) d[i] = promc__push_strdup(v[i], ok);
  return d;
}

static void pusher_free(promc_pusher *p) {
  free((char *)p->o.url);
  free((char *)p->o.job);
  free((char *)p->o.push.username);
  free((char *)p->o.push.password);
  free((char *)p->o.push.ca_file);
  free((char *)p->o.push.cert_file);
  free((char *)p->o.push.key_file);
  free_strv(p->names, p->o.push.ngrouping);
  free_strv(p->values, p->o.push.ngrouping);
  free_strv(p->headers, p->o.push.nheaders);
  free(p);
}

static int push_now(const promc_pusher_opts *o) {
  switch (o->method) {
    case PROMC_PUSH_PUT: return promc_push(o->url, o->job, &o->push);
    case PROMC_PUSH_POST: return promc_pushadd(o->url, o->job, &o->push);
    default: return promc_push_import(o->url, &o->push);
  }
}

static int pusher_push(void *ctx, long *status) {
  promc_pusher *p = ctx;
  int rc = push_now(&p->o);
  *status = promc_push_last_status();
  return rc;
}

/* Everything a push would reject, found before the thread starts: the URL
 * (built and dropped) and the body options. */
static int check(const promc_pusher_opts *o) {
  if (o->method != PROMC_PUSH_PUT && o->method != PROMC_PUSH_POST && o->method != PROMC_PUSH_IMPORT)
    return promc_set_errmsg(PROMC_EINVAL, "pusher: method %d is not PUT, POST or IMPORT", (int)o->method);
  if (o->interval_ms < 0) return promc_set_errmsg(PROMC_EINVAL, "pusher: negative interval_ms %ld", o->interval_ms);
  if (o->method == PROMC_PUSH_IMPORT && o->job)
    return promc_set_errmsg(PROMC_EINVAL, "pusher: an IMPORT has no job (the URL says where)");
  const promc_push_opts *po = &o->push;
  if (po->ngrouping > 0 && (!po->grouping_names || !po->grouping_values))
    return promc_set_errmsg(PROMC_EINVAL, "pusher: %zu grouping labels but no names or values", po->ngrouping);
  if (po->nheaders > 0 && !po->headers)
    return promc_set_errmsg(PROMC_EINVAL, "pusher: %zu extra headers but headers is NULL", po->nheaders);
  if (o->method != PROMC_PUSH_IMPORT) {
    promc_buf u = {0};
    int rc = promc_push_url(&u, o->url, o->job, po->ngrouping, po->grouping_names, po->grouping_values);
    promc_buf_free(&u);
    if (rc) return rc;
  }
  return promc__push_check(o->method == PROMC_PUSH_IMPORT ? o->url : NULL, po);
}

int promc_pusher_start(promc_pusher **out, const promc_pusher_opts *opts) {
  if (!out) return promc_set_errmsg(PROMC_EINVAL, "pusher: out is NULL");
  *out = NULL;
  if (!opts) return promc_set_errmsg(PROMC_EINVAL, "pusher: opts is NULL");
  int rc = check(opts);
  if (rc) return rc;
  promc_pusher *p = calloc(1, sizeof *p);
  if (!p) return promc_set_errmsg(PROMC_ENOMEM, "pusher: out of memory");
  bool ok = true;
  p->o = *opts;
  p->o.url = promc__push_strdup(opts->url, &ok);
  p->o.job = promc__push_strdup(opts->job, &ok);
  p->o.push.username = promc__push_strdup(opts->push.username, &ok);
  p->o.push.password = promc__push_strdup(opts->push.password, &ok);
  p->o.push.ca_file = promc__push_strdup(opts->push.ca_file, &ok);
  p->o.push.cert_file = promc__push_strdup(opts->push.cert_file, &ok);
  p->o.push.key_file = promc__push_strdup(opts->push.key_file, &ok);
  p->names = dup_strv(opts->push.grouping_names, opts->push.ngrouping, &ok);
  p->values = dup_strv(opts->push.grouping_values, opts->push.ngrouping, &ok);
  p->headers = dup_strv(opts->push.headers, opts->push.nheaders, &ok);
  p->o.push.grouping_names = (const char *const *)p->names;
  p->o.push.grouping_values = (const char *const *)p->values;
  p->o.push.headers = (const char *const *)p->headers;
  if (!ok) {
    pusher_free(p);
    return promc_set_errmsg(PROMC_ENOMEM, "pusher: out of memory copying the options");
  }
  p->final = !opts->no_final_push;
  p->per.interval_ms = opts->interval_ms ? opts->interval_ms : 10000;
  p->per.push = pusher_push;
  p->per.ctx = p;
  p->per.on_result = opts->on_result;
  p->per.user = opts->user;
  rc = promc__periodic_start(&p->per);
  if (rc) {
    pusher_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

int promc_pusher_stats(promc_pusher *p, promc_push_stats *out) {
  if (!p || !out) return promc_set_errmsg(PROMC_EINVAL, "pusher: stats of NULL");
  promc__periodic_stats(&p->per, out);
  return 0;
}

int promc_pusher_stop(promc_pusher *p) {
  if (!p) return promc_set_errmsg(PROMC_EINVAL, "pusher: stop of NULL");
  int rc = promc__periodic_stop(&p->per, p->final);
  pusher_free(p);
  return rc;
}
