/* SPDX-License-Identifier: Apache-2.0 */
/* middleware.c — request instrumentation for libmicrohttpd applications: the
 * access handler and notify-completed function that wrap the application's,
 * the pool of per-request records, and the cache of label children.
 *
 * Request records: libmicrohttpd gives each request one pointer of state
 * (con_cls).  The middleware takes it for a record of its own (start time,
 * sizes, status, and the application's con_cls slot, which the application
 * gets instead).  Records come from a Treiber stack of indices into chunks
 * that are never freed before the middleware is; the head carries a
 * generation count in its upper 32 bits so that a pop racing a pop-and-push
 * of the same record (ABA) fails its compare-and-swap.  Chunks are added
 * under a mutex only when the stack is empty, so a warm server takes no lock
 * and allocates nothing per request.
 *
 * Label children: one row per method label value, allocated on first sight
 * of the method, holding the four children per status code 100-599; a row
 * slot is filled once with the pointer promc_metric_labelsv returns (which
 * is the same pointer for the same values, so two threads filling one slot
 * at once store the same value). */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_internal.h"

#define CHUNK 64u
#define MAX_CHUNKS 1024u /* 65,536 requests at once */
#define MAX_EXTRA 16u
#define NSTD 10u
#define CODE_MIN 100u
#define CODE_MAX 599u
#define NCODES (CODE_MAX - CODE_MIN + 1u)
#define MAX_METHODS (NSTD + MAX_EXTRA + 1u) /* + "unknown" */

static const char *const std_upper[NSTD] = {"GET",     "PUT",     "HEAD",   "POST",  "DELETE",
                                            "CONNECT", "OPTIONS", "NOTIFY", "TRACE", "PATCH"};
static const char *const std_lower[NSTD] = {"get",     "put",     "head",   "post",  "delete",
                                            "connect", "options", "notify", "trace", "patch"};

static const double def_duration[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
static const double def_size[] = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};

struct req {
  void *app_cls; /* the application's con_cls slot */
  struct MHD_Connection *conn;
  int64_t start_ns;
  uint64_t req_bytes;
  uint64_t resp_bytes;
  unsigned status;
  int resp_known;
  unsigned method; /* index into promc_http_mw.methods */
  uint32_t idx;
  _Atomic uint32_t next; /* free stack: index + 1 of the next record, 0 = end */
};

struct kids {
  _Atomic(promc_metric *) requests, duration, req_size, resp_size;
};

struct row {
  struct kids code[NCODES];
};

struct promc_http_mw {
  MHD_AccessHandlerCallback handler;
  void *handler_cls;
  MHD_RequestCompletedCallback completed;
  void *completed_cls;
  unsigned labels;
  promc_counter *requests;
  promc_histogram *duration, *req_size, *resp_size;
  promc_gauge *in_flight;

  const char *methods[MAX_METHODS]; /* label values: standard, extra, "unknown" */
  char *extra[MAX_EXTRA];
  unsigned nmethods;
  _Atomic(struct row *) rows[MAX_METHODS];

  _Atomic uint64_t free_head; /* generation << 32 | (index + 1) */
  _Atomic(struct req *) chunks[MAX_CHUNKS];
  unsigned nchunks; /* under grow_lock */
  pthread_mutex_t grow_lock;
};

/* The record whose handler call is running on this thread, so that
 * promc_http_mw_queue_response can find it from the connection alone. */
static _Thread_local struct req *current;

static struct req *slot(struct promc_http_mw *mw, uint32_t i) {
  struct req *c = atomic_load_explicit(&mw->chunks[i / CHUNK], memory_order_acquire);
  return &c[i % CHUNK];
}

/* Pushes records first..last (already linked through .next) in one CAS. */
static void push_chain(struct promc_http_mw *mw, struct req *first, struct req *last) {
  uint64_t h = atomic_load_explicit(&mw->free_head, memory_order_relaxed);
  uint64_t nh;
  do {
    atomic_store_explicit(&last->next, (uint32_t)h, memory_order_relaxed);
    nh = (((h >> 32) + 1u) << 32) | (uint64_t)(first->idx + 1u);
  } while (!atomic_compare_exchange_weak_explicit(&mw->free_head, &h, nh, memory_order_release,
                                                  memory_order_relaxed));
}

static int grow(struct promc_http_mw *mw) {
  int rc = 0;
  pthread_mutex_lock(&mw->grow_lock);
  if ((uint32_t)atomic_load_explicit(&mw->free_head, memory_order_acquire) != 0) goto out;
  if (mw->nchunks == MAX_CHUNKS) {
    rc = promc_http__err(PROMC_EFULL, "request middleware: %u requests in flight already",
                         MAX_CHUNKS * CHUNK);
    goto out;
  }
  struct req *c = calloc(CHUNK, sizeof *c);
  if (!c) {
    rc = promc_http__err(PROMC_ENOMEM, "request middleware: out of memory for request records");
    goto out;
  }
  uint32_t base = mw->nchunks * CHUNK;
  for (uint32_t k = 0; k < CHUNK; k++) {
    c[k].idx = base + k;
    atomic_init(&c[k].next, k + 1 < CHUNK ? base + k + 2u : 0u);
  }
  atomic_store_explicit(&mw->chunks[mw->nchunks], c, memory_order_release);
  mw->nchunks++;
  push_chain(mw, &c[0], &c[CHUNK - 1]);
out:
  pthread_mutex_unlock(&mw->grow_lock);
  return rc;
}

static struct req *req_get(struct promc_http_mw *mw) {
  uint64_t h = atomic_load_explicit(&mw->free_head, memory_order_acquire);
  for (;;) {
    uint32_t i = (uint32_t)h;
    if (i == 0) {
      if (grow(mw) != 0) return NULL;
      h = atomic_load_explicit(&mw->free_head, memory_order_acquire);
      continue;
    }
    struct req *r = slot(mw, i - 1u);
    uint32_t nx = atomic_load_explicit(&r->next, memory_order_relaxed);
    uint64_t nh = (((h >> 32) + 1u) << 32) | nx;
    if (atomic_compare_exchange_weak_explicit(&mw->free_head, &h, nh, memory_order_acquire,
                                              memory_order_acquire))
      return r;
  }
}

static unsigned method_index(const struct promc_http_mw *mw, const char *m) {
  if (m) {
    for (unsigned i = 0; i < NSTD; i++)
      if (strcmp(m, std_upper[i]) == 0 || strcmp(m, std_lower[i]) == 0) return i;
    for (unsigned i = NSTD; i + 1 < mw->nmethods; i++)
      if (strcasecmp(m, mw->methods[i]) == 0) return i;
  }
  return mw->nmethods - 1u; /* "unknown" */
}

/* The labels of r as promc_metric_labelsv wants them; code is the buffer
 * the status text goes in. */
static size_t label_values(const struct promc_http_mw *mw, const struct req *r, char code[12],
                           const char *out[2]) {
  size_t n = 0;
  snprintf(code, 12, "%u", r->status);
  if (mw->labels & PROMC_HTTP_MW_METHOD) out[n++] = mw->methods[r->method];
  if (mw->labels & PROMC_HTTP_MW_CODE) out[n++] = code;
  return n;
}

/* The cache slot's child, looked up (and stored) on the first request of
 * its method and code. */
static promc_metric *cached(const struct promc_http_mw *mw, const struct req *r,
                            _Atomic(promc_metric *) *slotp, void *family) {
  promc_metric *c = slotp ? atomic_load_explicit(slotp, memory_order_acquire) : NULL;
  if (!c && family) {
    char code[12];
    const char *v[2];
    size_t n = label_values(mw, r, code, v);
    c = promc_metric_labelsv(PROMC_METRIC(family), n, v);
    if (c && slotp) atomic_store_explicit(slotp, c, memory_order_release);
  }
  return c;
}

static struct row *row_of(struct promc_http_mw *mw, unsigned method) {
  struct row *row = atomic_load_explicit(&mw->rows[method], memory_order_acquire);
  if (row) return row;
  struct row *fresh = calloc(1, sizeof *fresh);
  if (!fresh) return NULL; /* then every lookup goes to the family */
  struct row *expect = NULL;
  if (atomic_compare_exchange_strong_explicit(&mw->rows[method], &expect, fresh,
                                              memory_order_acq_rel, memory_order_acquire))
    return fresh;
  free(fresh);
  return expect;
}

static void record(struct promc_http_mw *mw, const struct req *r) {
  double secs = (double)(promc_monotonic_ns() - r->start_ns) / 1e9;
  struct kids *k = NULL;
  if (r->status >= CODE_MIN && r->status <= CODE_MAX) {
    struct row *row = row_of(mw, r->method);
    if (row) k = &row->code[r->status - CODE_MIN];
  }
  promc_metric *cr = cached(mw, r, k ? &k->requests : NULL, mw->requests);
  promc_metric *cd = cached(mw, r, k ? &k->duration : NULL, mw->duration);
  promc_metric *cq = cached(mw, r, k ? &k->req_size : NULL, mw->req_size);
  promc_metric *cs = r->resp_known ? cached(mw, r, k ? &k->resp_size : NULL, mw->resp_size) : NULL;
  if (cr) promc_counter_inc((promc_counter *)(void *)cr);
  if (cd) promc_histogram_observe((promc_histogram *)(void *)cd, secs);
  if (cq) promc_histogram_observe((promc_histogram *)(void *)cq, (double)r->req_bytes);
  if (cs) promc_histogram_observe((promc_histogram *)(void *)cs, (double)r->resp_bytes);
}

/* The status libmicrohttpd holds for a queued response, 0 if none. */
static unsigned queued_status(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
  return ci ? ci->http_status : 0u;
}

enum MHD_Result promc_http_mw_access(void *cls, struct MHD_Connection *connection, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **con_cls) {
  struct promc_http_mw *mw = cls;
  struct req *r = *con_cls;
  if (!r) {
    r = req_get(mw);
    if (!r) return MHD_NO;
    r->app_cls = NULL;
    r->conn = connection;
    r->start_ns = promc_monotonic_ns();
    r->resp_bytes = 0;
    r->resp_known = 0;
    r->status = 0;
    r->method = method_index(mw, method);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    r->req_bytes = ci ? (uint64_t)ci->header_size : 0u;
    *con_cls = r;
    if (mw->in_flight) promc_gauge_inc(mw->in_flight);
  }
  size_t before = upload_data_size ? *upload_data_size : 0;
  struct req *outer = current;
  current = r;
  enum MHD_Result res = mw->handler(mw->handler_cls, connection, url, method, version, upload_data,
                                    upload_data_size, &r->app_cls);
  current = outer;
  if (upload_data_size && before > *upload_data_size) r->req_bytes += before - *upload_data_size;
  if (r->status == 0) r->status = queued_status(connection);
  return res;
}

void promc_http_mw_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                             enum MHD_RequestTerminationCode toe) {
  struct promc_http_mw *mw = cls;
  struct req *r = con_cls ? *con_cls : NULL;
  if (!mw || !r) return;
  if (mw->completed) mw->completed(mw->completed_cls, connection, &r->app_cls, toe);
  if (r->status == 0) r->status = queued_status(connection);
  if (r->status != 0) record(mw, r);
  if (mw->in_flight) promc_gauge_dec(mw->in_flight);
  *con_cls = NULL;
  r->conn = NULL;
  push_chain(mw, r, r);
}

enum MHD_Result promc_http_mw_queue_response(struct MHD_Connection *connection, unsigned int status,
                                             struct MHD_Response *response, uint64_t body_size) {
  enum MHD_Result res = MHD_queue_response(connection, status, response);
  struct req *r = current;
  if (res == MHD_YES && r && r->conn == connection) {
    r->status = status;
    r->resp_bytes = body_size;
    r->resp_known = body_size != MHD_SIZE_UNKNOWN;
  }
  return res;
}

static void destroy_families(struct promc_http_mw *mw) {
  promc_metric_destroy(PROMC_METRIC(mw->requests));
  promc_metric_destroy(PROMC_METRIC(mw->duration));
  promc_metric_destroy(PROMC_METRIC(mw->in_flight));
  promc_metric_destroy(PROMC_METRIC(mw->req_size));
  promc_metric_destroy(PROMC_METRIC(mw->resp_size));
}

void promc_http_mw_free(promc_http_mw *mw) {
  if (!mw) return;
  destroy_families(mw);
  for (unsigned i = 0; i < MAX_METHODS; i++) free(atomic_load(&mw->rows[i]));
  for (unsigned i = 0; i < mw->nchunks; i++) free(atomic_load(&mw->chunks[i]));
  for (unsigned i = 0; i < MAX_EXTRA; i++) free(mw->extra[i]);
  pthread_mutex_destroy(&mw->grow_lock);
  free(mw);
}

int promc_http_mw_new(promc_http_mw **out, const promc_http_mw_opts *o) {
  if (out) *out = NULL;
  if (!out || !o || !o->handler)
    return promc_http__err(PROMC_EINVAL, "promc_http_mw_new: %s is NULL",
                           !out ? "out" : !o ? "opts" : "opts.handler");
  unsigned labels = o->labels ? o->labels : (PROMC_HTTP_MW_METHOD | PROMC_HTTP_MW_CODE);
  if (labels & ~(PROMC_HTTP_MW_METHOD | PROMC_HTTP_MW_CODE))
    return promc_http__err(PROMC_EINVAL, "promc_http_mw_new: unknown bits 0x%x in labels", labels);
  const unsigned all = PROMC_HTTP_MW_REQUESTS | PROMC_HTTP_MW_DURATION | PROMC_HTTP_MW_IN_FLIGHT |
                       PROMC_HTTP_MW_REQUEST_SIZE | PROMC_HTTP_MW_RESPONSE_SIZE;
  if (o->disable & ~all)
    return promc_http__err(PROMC_EINVAL, "promc_http_mw_new: unknown bits 0x%x in disable",
                           o->disable);
  if ((o->disable & all) == all)
    return promc_http__err(PROMC_EINVAL, "promc_http_mw_new: every metric disabled");
  if (o->nextra_methods > MAX_EXTRA)
    return promc_http__err(PROMC_EINVAL, "promc_http_mw_new: %zu extra methods (at most %u)",
                           o->nextra_methods, MAX_EXTRA);
  for (size_t i = 0; i < o->nextra_methods; i++)
    if (!o->extra_methods || !o->extra_methods[i] || !o->extra_methods[i][0])
      return promc_http__err(PROMC_EINVAL, "promc_http_mw_new: extra method %zu is NULL or empty", i);

  struct promc_http_mw *mw = calloc(1, sizeof *mw);
  if (!mw) return promc_http__err(PROMC_ENOMEM, "promc_http_mw_new: out of memory");
  pthread_mutex_init(&mw->grow_lock, NULL);
  mw->handler = o->handler;
  mw->handler_cls = o->handler_cls;
  mw->completed = o->completed;
  mw->completed_cls = o->completed_cls;
  mw->labels = labels;
  int rc = 0;
  for (unsigned i = 0; i < NSTD; i++) mw->methods[i] = std_lower[i];
  mw->nmethods = NSTD;
  for (size_t i = 0; i < o->nextra_methods; i++) {
    size_t len = strlen(o->extra_methods[i]);
    char *e = malloc(len + 1);
    if (!e) {
      rc = promc_http__err(PROMC_ENOMEM, "promc_http_mw_new: out of memory");
      goto fail;
    }
    for (size_t k = 0; k <= len; k++) {
      char ch = o->extra_methods[i][k];
      e[k] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    mw->extra[i] = e;
    mw->methods[mw->nmethods++] = e;
  }
  mw->methods[mw->nmethods++] = "unknown";

  const char *names[2];
  size_t nl = 0;
  if (labels & PROMC_HTTP_MW_METHOD) names[nl++] = "method";
  if (labels & PROMC_HTTP_MW_CODE) names[nl++] = "code";
  promc_opts base = {.registry = o->registry,
                     .label_names = names,
                     .nlabel_names = nl,
                     .const_label_names = o->const_label_names,
                     .const_label_values = o->const_label_values,
                     .nconst_labels = o->nconst_labels};
  promc_opts po;
  if (!(o->disable & PROMC_HTTP_MW_REQUESTS)) {
    po = base;
    po.name = o->requests_name ? o->requests_name : "http_requests_total";
    po.help = "Requests answered, by method and status code.";
    if ((rc = promc_counter_new(&mw->requests, &po)) != 0) goto fail;
  }
  if (!(o->disable & PROMC_HTTP_MW_DURATION)) {
    po = base;
    po.name = o->duration_name ? o->duration_name : "http_request_duration_seconds";
    po.help = "Time from a request's header to its response sent, in seconds.";
    po.buckets = o->nduration_buckets ? o->duration_buckets : def_duration;
    po.nbuckets = o->nduration_buckets ? o->nduration_buckets
                                       : sizeof def_duration / sizeof def_duration[0];
    if ((rc = promc_histogram_new(&mw->duration, &po)) != 0) goto fail;
  }
  if (!(o->disable & PROMC_HTTP_MW_IN_FLIGHT)) {
    po = base;
    po.label_names = NULL;
    po.nlabel_names = 0;
    po.name = o->in_flight_name ? o->in_flight_name : "http_requests_in_flight";
    po.help = "Requests being served.";
    if ((rc = promc_gauge_new(&mw->in_flight, &po)) != 0) goto fail;
  }
  const double *sb = o->nsize_buckets ? o->size_buckets : def_size;
  size_t nsb = o->nsize_buckets ? o->nsize_buckets : sizeof def_size / sizeof def_size[0];
  if (!(o->disable & PROMC_HTTP_MW_REQUEST_SIZE)) {
    po = base;
    po.name = o->request_size_name ? o->request_size_name : "http_request_size_bytes";
    po.help = "Request line, header and body received, in bytes.";
    po.buckets = sb;
    po.nbuckets = nsb;
    if ((rc = promc_histogram_new(&mw->req_size, &po)) != 0) goto fail;
  }
  if (!(o->disable & PROMC_HTTP_MW_RESPONSE_SIZE)) {
    po = base;
    po.name = o->response_size_name ? o->response_size_name : "http_response_size_bytes";
    po.help = "Response body sizes, in bytes.";
    po.buckets = sb;
    po.nbuckets = nsb;
    if ((rc = promc_histogram_new(&mw->resp_size, &po)) != 0) goto fail;
  }
  *out = mw;
  return 0;
fail:
  promc_http_mw_free(mw);
  return rc;
}
