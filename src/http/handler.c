/* SPDX-License-Identifier: Apache-2.0 */
/* handler.c — answers one scrape inside any libmicrohttpd daemon (ours in
 * server.c, or the user's): TLS client check, basic auth, routing, format
 * negotiation, name[] filter, gzip, and the pool of render buffers that
 * scrapes reuse.
 *
 * Buffer life cycle: a scrape takes a buffer from the pool, renders into it,
 * compresses into its second half if asked, and hands it to libmicrohttpd as
 * the response body; libmicrohttpd's free callback (run when the response
 * has been sent, or the connection died) puts it back.  The handler is
 * reference-counted by the buffers out in responses, so it outlives them. */
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/http_internal.h"

#define POOL_KEEP 8                   /* idle buffers kept for reuse */
#define POOL_KEEP_MAX_BYTES (64u << 20) /* a buffer grown past this is not kept */
#define MAX_FILTER_NAMES PROMC_HTTP_MAX_FILTER_NAMES

/* Errors go to the core's per-thread message (promc_errmsg), so one
 * function explains a failure whichever promc library it came from. */
int promc_http__err(int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  promc_set_errmsg(code, "%s", msg);
  return code;
}

struct scrape_buf {
  struct promc_http_handler *h;
  struct scrape_buf *next;
  promc_buf text;      /* rendered exposition */
  unsigned char *gz;   /* gzip of text */
  size_t gz_cap;
  z_stream z;
  int z_ready;
};

struct promc_http_handler {
  promc_registry *registry; /* NULL = default registry, looked up per scrape */
  promc_registry **registries; /* a copy of the array; the registries are borrowed */
  size_t nregistries;          /* 0 = serve registry */
  int gzip;
  int gzip_level;
  int verify_client_cert;
  unsigned formats; /* PROMC_FORMAT_BIT of the formats it may answer in */
  struct promc_http_auth auth;
  _Atomic unsigned formats_unsupported; /* PROMC_FORMAT_BIT of formats render refused */
  char **paths; /* the scrape paths; NULL = "/metrics" and "/" */
  size_t npaths;
  char *health_path;
  unsigned max_inflight; /* 0 = no limit */
  _Atomic unsigned inflight;
  struct self_metrics *sm; /* NULL when off */
  int sm_requests, sm_errors; /* which of its families this handler counts into */
  int continue_on_error;

  pthread_mutex_t lock; /* pool */
  struct scrape_buf *idle;
  size_t nidle;
  _Atomic size_t refs; /* 1 for the owner + 1 per buffer in a response */
};

static void handler_destroy(struct promc_http_handler *h) {
  for (struct scrape_buf *b = h->idle, *n; b; b = n) {
    n = b->next;
    promc_buf_free(&b->text);
    free(b->gz);
    if (b->z_ready) deflateEnd(&b->z);
    free(b);
  }
  promc_http__auth_free(&h->auth);
  for (size_t i = 0; i < h->npaths; i++) free(h->paths[i]);
  free(h->paths);
  free(h->health_path);
  free(h->registries);
  pthread_mutex_destroy(&h->lock);
  free(h);
}

/* Self-metrics are shared by every handler counting into one registry, as
 * promhttp's InstrumentMetricHandler reuses the collectors already
 * registered: two servers of one registry count into the same families.
 * The scrape families and the errors family are each made when the first
 * handler wanting them joins; a handler counts only into those it asked
 * for (h->sm_requests, h->sm_errors). */
struct self_metrics {
  struct self_metrics *next;
  promc_registry *reg;
  size_t refs;
  promc_counter *requests;
  promc_counter *code[3]; /* 200, 500, 503 */
  promc_gauge *inflight;
  promc_counter *errors;
  promc_counter *cause[2]; /* gathering, encoding */
};
static pthread_mutex_t sm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct self_metrics *sm_list;

static void sm_destroy(struct self_metrics *m) {
  promc_metric_destroy(PROMC_METRIC(m->requests));
  promc_metric_destroy(PROMC_METRIC(m->inflight));
  promc_metric_destroy(PROMC_METRIC(m->errors));
  free(m);
}

/* The families are destroyed by the owner's free, not by the last
 * response: by then the registry may be gone. */
static void self_metrics_free(struct promc_http_handler *h) {
  struct self_metrics *m = h->sm;
  if (!m) return;
  h->sm = NULL;
  pthread_mutex_lock(&sm_lock);
  int last = --m->refs == 0;
  if (last)
    for (struct self_metrics **pp = &sm_list; *pp; pp = &(*pp)->next)
      if (*pp == m) {
        *pp = m->next;
        break;
      }
  pthread_mutex_unlock(&sm_lock);
  if (last) sm_destroy(m);
}

/* Children made at once, as promhttp does, so that they read 0 before the
 * first event rather than being absent. */
static int make_children(promc_counter *family, promc_counter **out, const char *const *values, int n) {
  for (int i = 0; i < n; i++)
    if (!(out[i] = promc_counter_labelsv(family, 1, &values[i]))) return PROMC_ENOMEM;
  return 0;
}

/* promhttp's names and help texts, so that dashboards made for Go services
 * read these too.  Under sm_lock. */
static int sm_add(struct self_metrics *m, int requests, int errors) {
  int rc = 0;
  if (requests && !m->requests) {
    static const char *const codes[3] = {"200", "500", "503"};
    /* the gauge first: the order of promhttp's output, sorted by name */
    rc = promc_gauge_new(&m->inflight, &(promc_opts){.name = "promhttp_metric_handler_requests_in_flight",
                                                     .help = "Current number of scrapes being served.",
                                                     .registry = m->reg});
    if (!rc)
      rc = promc_counter_new(&m->requests, &(promc_opts){.name = "promhttp_metric_handler_requests_total",
                                                        .help = "Total number of scrapes by HTTP status code.",
                                                        PROMC_LABEL_NAMES("code"), .registry = m->reg});
    if (!rc) rc = make_children(m->requests, m->code, codes, 3);
    if (rc) {
      promc_metric_destroy(PROMC_METRIC(m->inflight));
      promc_metric_destroy(PROMC_METRIC(m->requests));
      m->inflight = NULL;
      m->requests = NULL;
      return rc;
    }
  }
  if (errors && !m->errors) {
    static const char *const causes[2] = {"gathering", "encoding"};
    rc = promc_counter_new(
        &m->errors, &(promc_opts){.name = "promhttp_metric_handler_errors_total",
                                  .help = "Total number of internal errors encountered by the promhttp metric handler.",
                                  PROMC_LABEL_NAMES("cause"), .registry = m->reg});
    if (!rc) rc = make_children(m->errors, m->cause, causes, 2);
    if (rc) {
      promc_metric_destroy(PROMC_METRIC(m->errors));
      m->errors = NULL;
    }
  }
  return rc;
}

static int self_metrics_init(struct promc_http_handler *h, promc_registry *reg, int requests, int errors) {
  if (!reg) reg = h->nregistries ? h->registries[0] : h->registry ? h->registry : promc_default_registry();
  if (!reg) return promc_http__err(PROMC_ENOMEM, "out of memory");
  pthread_mutex_lock(&sm_lock);
  struct self_metrics *m = sm_list;
  while (m && m->reg != reg) m = m->next;
  int fresh = !m;
  if (fresh && (m = calloc(1, sizeof *m))) m->reg = reg;
  int rc = m ? sm_add(m, requests, errors) : PROMC_ENOMEM;
  if (rc) {
    char why[400];
    snprintf(why, sizeof why, "%s", rc == PROMC_ENOMEM ? "out of memory" : promc_errmsg());
    if (fresh && m) sm_destroy(m);
    pthread_mutex_unlock(&sm_lock);
    return promc_http__err(rc, "cannot register the self-metrics (promhttp_metric_handler_*): %s", why);
  }
  if (fresh) {
    m->next = sm_list;
    sm_list = m;
  }
  m->refs++;
  h->sm = m;
  h->sm_requests = requests;
  h->sm_errors = errors;
  pthread_mutex_unlock(&sm_lock);
  return 0;
}

static void count_error(struct promc_http_handler *h, int encoding) {
  if (h->sm_errors) promc_counter_inc(h->sm->cause[encoding]);
}

static void count_status(struct promc_http_handler *h, unsigned status) {
  struct self_metrics *m = h->sm;
  if (!h->sm_requests) return;
  promc_counter *c = status == 200 ? m->code[0] : status == 500 ? m->code[1] : status == 503 ? m->code[2] : NULL;
  if (!c) {
    char code[16];
    snprintf(code, sizeof code, "%u", status);
    const char *v = code;
    c = promc_counter_labelsv(m->requests, 1, &v);
  }
  if (c) promc_counter_inc(c);
}

static int copy_path(const char *what, const char *p, char **out) {
  if (!p || p[0] != '/')
    return promc_http__err(PROMC_EINVAL, "%s \"%s\" does not begin with '/'", what, p ? p : "(null)");
  if (!(*out = strdup(p))) return promc_http__err(PROMC_ENOMEM, "out of memory");
  return 0;
}

static int paths_init(struct promc_http_handler *h, const promc_http_handler_opts *o) {
  if (o->npaths && !o->paths) return promc_http__err(PROMC_EINVAL, "npaths is %zu but paths is NULL", o->npaths);
  if (o->npaths) {
    if (!(h->paths = calloc(o->npaths, sizeof *h->paths))) return promc_http__err(PROMC_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->npaths; i++) {
      int rc = copy_path("metrics path", o->paths[i], &h->paths[i]);
      if (rc) return rc;
      h->npaths++;
      if (o->health_path && strcmp(o->paths[i], o->health_path) == 0)
        return promc_http__err(PROMC_EINVAL, "\"%s\" is both a metrics path and the health path",
                               o->health_path);
    }
  } else if (o->health_path && (strcmp(o->health_path, "/metrics") == 0 || strcmp(o->health_path, "/") == 0)) {
    return promc_http__err(PROMC_EINVAL, "\"%s\" is both a metrics path and the health path", o->health_path);
  }
  return o->health_path ? copy_path("health_path", o->health_path, &h->health_path) : 0;
}

static int is_scrape_path(const struct promc_http_handler *h, const char *url) {
  if (!h->npaths) return strcmp(url, "/metrics") == 0 || strcmp(url, "/") == 0;
  for (size_t i = 0; i < h->npaths; i++)
    if (strcmp(url, h->paths[i]) == 0) return 1;
  return 0;
}

static void handler_unref(struct promc_http_handler *h) {
  if (atomic_fetch_sub(&h->refs, 1) == 1) handler_destroy(h);
}

int promc_http_handler_new(promc_http_handler **out, const promc_http_handler_opts *opts) {
  if (!out) return promc_http__err(PROMC_EINVAL, "promc_http_handler_new: out is NULL");
  *out = NULL;
  promc_http_handler_opts o = {0};
  if (opts) o = *opts;
  if (o.gzip_level < 0 || o.gzip_level > 9)
    return promc_http__err(PROMC_EINVAL, "gzip_level %d is not in 0-9", o.gzip_level);
  const unsigned all = PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) | PROMC_FORMAT_BIT(PROMC_FORMAT_OPENMETRICS) |
                       PROMC_FORMAT_BIT(PROMC_FORMAT_PROTOBUF);
  if (o.formats & ~all) return promc_http__err(PROMC_EINVAL, "formats 0x%x names an unknown format", o.formats);
  if (o.error_handling != PROMC_HTTP_HTTP_ERROR_ON_ERROR && o.error_handling != PROMC_HTTP_CONTINUE_ON_ERROR)
    return promc_http__err(PROMC_EINVAL, "error_handling %d is neither PROMC_HTTP_HTTP_ERROR_ON_ERROR nor "
                           "PROMC_HTTP_CONTINUE_ON_ERROR", (int)o.error_handling);
  if (o.nregistries && o.registry)
    return promc_http__err(PROMC_EINVAL, "registry and registries are both set: serve one or the other");
  if (o.nregistries && !o.registries)
    return promc_http__err(PROMC_EINVAL, "nregistries is %zu but registries is NULL", o.nregistries);
  if (!o.nregistries && o.registries)
    return promc_http__err(PROMC_EINVAL, "registries is set but nregistries is 0");
  for (size_t i = 0; i < o.nregistries; i++) {
    if (!o.registries[i]) return promc_http__err(PROMC_EINVAL, "registries[%zu] is NULL", i);
    for (size_t j = 0; j < i; j++)
      if (o.registries[j] == o.registries[i])
        return promc_http__err(PROMC_EINVAL, "registries[%zu] and registries[%zu] are the same registry", j, i);
  }
  struct promc_http_handler *h = calloc(1, sizeof *h);
  if (!h) return promc_http__err(PROMC_ENOMEM, "out of memory");
  if (o.nregistries && !(h->registries = malloc(o.nregistries * sizeof *h->registries))) {
    free(h);
    return promc_http__err(PROMC_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < o.nregistries; i++) h->registries[i] = o.registries[i];
  h->nregistries = o.nregistries;
  int rc = promc_http__auth_init(&h->auth, o.users, o.nusers);
  if (rc) {
    free(h->registries);
    free(h);
    return rc;
  }
  h->registry = o.registry;
  pthread_mutex_init(&h->lock, NULL);
  h->continue_on_error = o.error_handling == PROMC_HTTP_CONTINUE_ON_ERROR;
  int want_requests = o.self_metrics > 0, want_errors = h->continue_on_error;
  if ((rc = paths_init(h, &o)) ||
      ((want_requests || want_errors) &&
       (rc = self_metrics_init(h, o.self_metrics_registry, want_requests, want_errors)))) {
    handler_destroy(h);
    return rc;
  }
  h->max_inflight = o.max_scrapes_in_flight;
  h->gzip = !o.disable_gzip;
  /* Level 1 by default: 4.5x faster than zlib's default 6 on metrics text
   * for a body 20% larger, and Prometheus asks for gzip on every scrape. */
  h->gzip_level = o.gzip_level ? o.gzip_level : Z_BEST_SPEED;
  h->verify_client_cert = o.verify_client_cert;
  h->formats = o.formats ? o.formats : all;
  atomic_init(&h->inflight, 0);
  atomic_init(&h->refs, 1);
  atomic_init(&h->formats_unsupported, 0);
  *out = h;
  return 0;
}

void promc_http_handler_free(promc_http_handler *h) {
  if (!h) return;
  self_metrics_free(h);
  handler_unref(h);
}

static struct scrape_buf *buf_get(struct promc_http_handler *h) {
  pthread_mutex_lock(&h->lock);
  struct scrape_buf *b = h->idle;
  if (b) {
    h->idle = b->next;
    h->nidle--;
  }
  pthread_mutex_unlock(&h->lock);
  if (!b) {
    b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->h = h;
  }
  b->text.len = 0;
  atomic_fetch_add(&h->refs, 1);
  return b;
}

/* libmicrohttpd's free callback for a response body, and the error path. */
static void buf_put(void *cls) {
  struct scrape_buf *b = cls;
  struct promc_http_handler *h = b->h;
  int keep = b->text.cap + b->gz_cap <= POOL_KEEP_MAX_BYTES;
  pthread_mutex_lock(&h->lock);
  if (keep && h->nidle < POOL_KEEP) {
    b->next = h->idle;
    h->idle = b;
    h->nidle++;
    b = NULL;
  }
  pthread_mutex_unlock(&h->lock);
  if (b) {
    promc_buf_free(&b->text);
    free(b->gz);
    if (b->z_ready) deflateEnd(&b->z);
    free(b);
  }
  handler_unref(h);
}

/* gzip b->text into b->gz; returns the compressed length or 0 on failure. */
static size_t gzip_text(struct scrape_buf *b) {
  if (!b->z_ready) {
    memset(&b->z, 0, sizeof b->z);
    /* 15 + 16: a gzip wrapper */
    if (deflateInit2(&b->z, b->h->gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return 0;
    b->z_ready = 1;
  } else if (deflateReset(&b->z) != Z_OK) {
    return 0;
  }
  size_t bound = deflateBound(&b->z, (uLong)b->text.len);
  if (bound > b->gz_cap) {
    unsigned char *g = realloc(b->gz, bound);
    if (!g) return 0;
    b->gz = g;
    b->gz_cap = bound;
  }
  b->z.next_in = (Bytef *)b->text.data;
  b->z.avail_in = (uInt)b->text.len;
  b->z.next_out = b->gz;
  b->z.avail_out = (uInt)b->gz_cap;
  if (deflate(&b->z, Z_FINISH) != Z_STREAM_END) return 0;
  return b->gz_cap - b->z.avail_out;
}

static int queue_text(struct MHD_Connection *c, unsigned status, const char *body,
                      const char *allow) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
  int rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

int promc_http__queue_retry_later(struct MHD_Connection *c, unsigned status) {
  const char *body = status == MHD_HTTP_TOO_MANY_REQUESTS ? "Too Many Requests\n" : "Service Unavailable\n";
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
  int rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

static int queue_unauthorized(struct MHD_Connection *c) {
  static const char body[] = "Unauthorized\n";
  struct MHD_Response *r =
      MHD_create_response_from_buffer(sizeof body - 1, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  int rc = MHD_queue_basic_auth_fail_response(c, "promc", r);
  MHD_destroy_response(r);
  return rc;
}

/* On a TLS connection, does the client present a certificate that verifies
 * against the daemon's trust list?  (libmicrohttpd only *requests* one when
 * a trust list is set; the verification is ours.) */
static int client_cert_ok(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (!ci || !ci->tls_session) return 0;
  gnutls_session_t s = (gnutls_session_t)ci->tls_session;
  unsigned int n = 0;
  if (!gnutls_certificate_get_peers(s, &n) || n == 0) return 0;
  unsigned int status = 0;
  if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS) return 0;
  return status == 0;
}

struct names_ctx {
  const char **names;
  size_t n;
  char *store;
  size_t used, cap;
  int full;
};

/* libmicrohttpd has already split and %-decoded the query (keys included, so
 * "name%5B%5D" arrives as "name[]"); collect name[] values as
 * promc_query_names does: blank values dropped, and a value that decoded to
 * a NUL byte ("e%00") kept as "", which selects nothing — cut at its NUL it
 * would select a family nobody asked for. */
static enum MHD_Result collect_name(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                    const char *value, size_t value_size) {
  (void)kind;
  struct names_ctx *x = cls;
  if (!key || key_size != 6 || memcmp(key, "name[]", 6) != 0 || !value || !value_size) return MHD_YES;
  if (memchr(value, '\0', value_size)) value = "";
  size_t len = strlen(value) + 1;
  if (x->n == MAX_FILTER_NAMES || x->used + len > x->cap) {
    x->full = 1;
    return MHD_NO;
  }
  memcpy(x->store + x->used, value, len);
  x->names[x->n++] = x->store + x->used;
  x->used += len;
  return MHD_YES;
}

static void inflight_end(struct promc_http_handler *h) {
  atomic_fetch_sub(&h->inflight, 1);
  if (h->sm_requests) promc_gauge_dec(h->sm->inflight);
}

/* Queues a scrape's non-200 answer and counts it. */
static int scrape_answer(struct promc_http_handler *h, struct MHD_Connection *c, unsigned status,
                         const char *msg) {
  int rc = queue_text(c, status, msg, NULL);
  count_status(h, status);
  return rc;
}

int promc_http__scrape_begin(promc_http_handler *h, struct MHD_Connection *c, struct promc_http_scrape *q,
                             int *qrc) {
  memset(q, 0, offsetof(struct promc_http_scrape, names));
  q->h = h;
  q->rc = 0;
  q->err[0] = '\0';
  if (h->sm_requests) promc_gauge_inc(h->sm->inflight);
  unsigned n = atomic_fetch_add(&h->inflight, 1);
  if (h->max_inflight && n >= h->max_inflight) {
    char msg[128];
    snprintf(msg, sizeof msg, "Limit of concurrent requests reached (%u), try again later.\n", h->max_inflight);
    inflight_end(h);
    *qrc = scrape_answer(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    return 0;
  }
  q->reg = h->nregistries ? h->registries[0] : h->registry ? h->registry : promc_default_registry();
  struct names_ctx nx = {q->names, 0, q->store, 0, sizeof q->store, 0};
  MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect_name, &nx);
  q->nnames = nx.n;
  const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
  const char *accept_enc =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
  q->gzip = h->gzip && promc_accepts_gzip(accept_enc);
  unsigned allowed = ~atomic_load_explicit(&h->formats_unsupported, memory_order_relaxed) & h->formats;
  q->f = PROMC_FORMAT_TEXT;
  promc_negotiate_format(accept, allowed | PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT), &q->f);
  const char *oom = "out of memory\n";
  if (nx.full || !q->reg || (accept && !(q->accept = strdup(accept))) || !(q->b = buf_get(h))) {
    free(q->accept);
    q->accept = NULL;
    inflight_end(h);
    *qrc = nx.full ? scrape_answer(h, c, MHD_HTTP_BAD_REQUEST, "too many name[] parameters\n")
                   : scrape_answer(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, oom);
    return 0;
  }
  return 1;
}

void promc_http__scrape_render(struct promc_http_scrape *q) {
  struct promc_http_handler *h = q->h;
  struct scrape_buf *b = q->b;
  promc_render_opts ro = {.names = q->names, .nnames = q->nnames};
  promc_format f = PROMC_FORMAT_TEXT;
  int rc;
  for (;;) {
    unsigned unsupported = atomic_load_explicit(&h->formats_unsupported, memory_order_relaxed);
    unsigned allowed = ~unsupported & h->formats;
    promc_negotiate_format(q->accept, allowed | PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT), &f);
    b->text.len = 0;
    rc = h->nregistries ? promc_registries_render_buf(h->registries, h->nregistries, f, q->nnames ? &ro : NULL,
                                                      &b->text)
                        : promc_registry_render_buf(q->reg, f, q->nnames ? &ro : NULL, &b->text);
    if (rc != PROMC_EUNSUPP || f == PROMC_FORMAT_TEXT) break;
    /* This core lacks the format: remember, and negotiate among the rest. */
    atomic_fetch_or_explicit(&h->formats_unsupported, PROMC_FORMAT_BIT(f), memory_order_relaxed);
  }
  q->f = f;
  q->rc = rc;
  /* promc_errmsg is per thread: keep it for the connection's thread */
  if (rc) snprintf(q->err, sizeof q->err, "%s: %s", promc_errname(rc), promc_errmsg());
}

void promc_http__scrape_release(struct promc_http_scrape *q) {
  if (q->b) buf_put(q->b);
  q->b = NULL;
  free(q->accept);
  q->accept = NULL;
}

int promc_http__scrape_fail(struct MHD_Connection *c, struct promc_http_scrape *q, unsigned status,
                            const char *msg) {
  inflight_end(q->h);
  return status ? scrape_answer(q->h, c, status, msg) : MHD_NO;
}

struct MHD_Response *promc_http__scrape_build(struct promc_http_scrape *q) {
  struct promc_http_handler *h = q->h;
  struct scrape_buf *b = q->b;
  free(q->accept);
  q->accept = NULL;
  /* A collector failed, or a family of one served registry was left out as
   * a duplicate of another's (promhttp's Gatherers): a gathering error. */
  int gathering = q->rc == PROMC_ECALLBACK || (q->rc == PROMC_EDUP && h->nregistries);
  if (q->rc != 0) count_error(h, !gathering);
  /* The rest was rendered: serve that (promhttp's ContinueOnError), unless
   * nothing was. */
  if (gathering && h->continue_on_error && b->text.len) q->rc = 0;
  if (q->rc != 0) return NULL;
  void *body = b->text.data ? (void *)b->text.data : (void *)(uintptr_t)"";
  size_t len = b->text.len;
  int gzip = q->gzip;
  if (gzip) {
    size_t glen = gzip_text(b);
    if (glen) {
      body = b->gz;
      len = glen;
    } else {
      gzip = 0; /* compression failed: the plain body is still right */
    }
  }
  struct MHD_Response *r =
      MHD_create_response_from_buffer_with_free_callback_cls(len, body, buf_put, b);
  if (!r) {
    q->rc = PROMC_ENOMEM;
    snprintf(q->err, sizeof q->err, "%s: out of memory", promc_errname(PROMC_ENOMEM));
    return NULL;
  }
  q->b = NULL; /* the response has it now; it goes back when MHD is done */
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, promc_format_content_type(q->f));
  if (h->gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
  if (gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
  return r;
}

int promc_http__scrape_answer(struct MHD_Connection *c, promc_http_handler *h, struct MHD_Response *r,
                              const struct promc_http_scrape *rq) {
  inflight_end(h);
  if (!r) {
    char msg[640];
    snprintf(msg, sizeof msg, "An error has occurred while serving metrics:\n\n%s\n", rq->err);
    return scrape_answer(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
  }
  int qrc = MHD_queue_response(c, MHD_HTTP_OK, r);
  count_status(h, MHD_HTTP_OK);
  return qrc;
}

int promc_http__scrape_finish(struct MHD_Connection *c, struct promc_http_scrape *q) {
  struct MHD_Response *r = promc_http__scrape_build(q);
  int qrc = promc_http__scrape_answer(c, q->h, r, q);
  if (r) MHD_destroy_response(r);
  promc_http__scrape_release(q);
  return qrc;
}

int promc_http__scrape_sync(promc_http_handler *h, struct MHD_Connection *c) {
  struct promc_http_scrape q;
  int qrc;
  if (!promc_http__scrape_begin(h, c, &q, &qrc)) return qrc;
  promc_http__scrape_render(&q);
  return promc_http__scrape_finish(c, &q);
}

struct promc_http_auth *promc_http__handler_auth(promc_http_handler *h) { return &h->auth; }

int promc_http__cert_ok(promc_http_handler *h, struct MHD_Connection *c) {
  return !h->verify_client_cert || client_cert_ok(c);
}

int promc_http__route(promc_http_handler *h, struct MHD_Connection *c, const char *url, const char *method,
                      int authorized, int *qrc) {
  int get = method && (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0);
  if (h->verify_client_cert && !client_cert_ok(c))
    *qrc = queue_text(c, MHD_HTTP_FORBIDDEN, "a valid client certificate is required\n", NULL);
  else if (!authorized)
    *qrc = queue_unauthorized(c);
  else if (url && h->health_path && strcmp(url, h->health_path) == 0)
    *qrc = get ? queue_text(c, MHD_HTTP_OK, "ok", NULL)
               : queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", "GET, HEAD");
  else if (url && !is_scrape_path(h, url))
    *qrc = queue_text(c, MHD_HTTP_NOT_FOUND, "Not Found\n", NULL);
  else if (!get)
    *qrc = queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed\n", "GET, HEAD");
  else
    return 1;
  return 0;
}

int promc_http__handle_authorized(promc_http_handler *h, struct MHD_Connection *c, const char *url,
                                  const char *method, int authorized) {
  if (!h || !c) return MHD_NO;
  int qrc;
  if (!promc_http__route(h, c, url, method, authorized, &qrc)) return qrc;
  return promc_http__scrape_sync(h, c);
}

enum MHD_Result promc_http_handle(promc_http_handler *h, struct MHD_Connection *c, const char *url,
                                  const char *method) {
  if (!h || !c) return MHD_NO;
  int ok = 1;
  if (h->auth.nusers) {
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    ok = promc_http__auth_check(&h->auth, user, pass);
    if (user) MHD_free(user);
    if (pass) MHD_free(pass);
  }
  return promc_http__handle_authorized(h, c, url, method, ok) ? MHD_YES : MHD_NO;
}
