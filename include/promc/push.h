/* SPDX-License-Identifier: Apache-2.0 */
/*
 * push.h — libpromc-push: send a registry to a Prometheus Pushgateway, to
 * vmagent or VictoriaMetrics, or to a Graphite server; once or periodically.
 *
 * Overview
 * --------
 * A batch job that ends before Prometheus could scrape it pushes its metrics
 * to a Pushgateway, which keeps them per *group*: the job name plus an
 * optional grouping key (label names and values).  Three operations, as the
 * Pushgateway and client_python define them:
 *
 *   promc_push         HTTP PUT:    replaces every metric of the group
 *   promc_pushadd      HTTP POST:   replaces only the metric families pushed
 *   promc_push_delete  HTTP DELETE: removes the whole group
 *
 * and one for receivers that take a scrape's body on a fixed URL (vmagent's
 * and VictoriaMetrics' /api/v1/import/prometheus):
 *
 *   promc_push_import  HTTP POST to the URL as given
 *
 * A promc_pusher repeats one of these on a background thread at an interval
 * and pushes a last time when stopped (VictoriaMetrics/metrics' InitPush);
 * promc_graphite_push and promc_graphite_start do the same for a Graphite
 * (Carbon) server in its plaintext protocol, client_python's GraphiteBridge.
 *
 *     int rc = promc_push("http://pushgateway:9091", "nightly_backup",
 *                         &(promc_push_opts){ .timeout_ms = 5000,
 *                           PROMC_PUSH_GROUPING(names, values) });
 *     if (rc != 0) fprintf(stderr, "push: %s\n", promc_errmsg());
 *
 * URL.  The request goes to <url>/metrics/job/<job>{/<label>/<value>}.  A job
 * or label value that contains '/' or is empty is sent in the Pushgateway's
 * base64 form (job@base64/<urlsafe base64>, label@base64/<...>, an empty
 * value as label@base64/=); other values are percent-encoded.
 *
 * Errors.  As the core: 0 or a negative PROMC_E* code, with a sentence in
 * promc_errmsg() on the calling thread.  An HTTP status outside 2xx gives
 * PROMC_EHTTP; promc_push_last_status() returns the status and promc_errmsg()
 * carries the gateway's message (the start of its answer body).
 *
 * Thread-safety.  Every function may be called from several threads at
 * once; each call uses its own libcurl handle (or socket, for Graphite).
 * libcurl is initialised once, on first use, under pthread_once.  A pusher
 * renders its registry on its own thread, which the core allows alongside
 * any hot-path update.  The library never prints.
 *
 * Memory.  Each push renders the registry into a buffer of its own (and a
 * second one for gzip) and frees them before returning; nothing returned
 * needs freeing except through promc_pusher_stop / promc_graphite_stop.
 */
#ifndef PROMC_PUSH_H
#define PROMC_PUSH_H

#include "promc/promc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options; zero means default everywhere.
 *   registry         what to push (promc_push/pushadd); NULL = default
 *                    registry. Rendered in the Prometheus text format.
 *   grouping_names,
 *   grouping_values,
 *   ngrouping        grouping key: label names (valid label names, not
 *                    "job", no duplicates) and values (any UTF-8, "" too).
 *   timeout_ms       limit for the whole request, connection included;
 *                    0 = 10000 (10 s).
 *   username,
 *   password         HTTP basic authentication when username is not NULL.
 *   ca_file          PEM file of CAs to verify an https gateway; NULL = the
 *                    system's.
 *   cert_file,
 *   key_file         PEM client certificate and key for TLS client auth.
 *   insecure         1 = do not verify the gateway's certificate or name.
 *   format           body format: PROMC_FORMAT_TEXT (0, text 0.0.4) or
 *                    PROMC_FORMAT_PROTOBUF (delimited MetricFamily messages,
 *                    Content-Type application/vnd.google.protobuf;
 *                    proto=io.prometheus.client.MetricFamily;
 *                    encoding=delimited); OpenMetrics: PROMC_EINVAL (the
 *                    Pushgateway does not parse it).
 *   gzip             1 = gzip the body and send Content-Encoding: gzip.
 *   headers,
 *   nheaders         extra request headers, each "Name: value" on one line,
 *                    e.g. "Authorization: Bearer <token>"; sent after the
 *                    library's own and replacing curl's of the same name
 *                    (Authorization, User-Agent...). Content-Type,
 *                    Content-Encoding and Content-Length belong to format
 *                    and gzip: PROMC_EINVAL. Strings are read during the
 *                    call only.
 */
typedef struct promc_push_opts {
  promc_registry *registry;
  const char *const *grouping_names;
  const char *const *grouping_values;
  size_t ngrouping;
  long timeout_ms;
  const char *username;
  const char *password;
  const char *ca_file;
  const char *cert_file;
  const char *key_file;
  int insecure;
  promc_format format;
  int gzip;
  const char *const *headers;
  size_t nheaders;
} promc_push_opts;

/* Designated-initialiser helper: two arrays of equal length. */
#define PROMC_PUSH_GROUPING(names, values)                                   \
  .grouping_names = (names), .grouping_values = (values),                   \
  .ngrouping = sizeof(names) / sizeof((names)[0])

/* PUT the registry to the group <job, grouping key>: the gateway replaces
 * every metric of that group with the pushed ones. opts may be NULL.
 * url is the gateway's base URL ("http://host:9091", a path prefix allowed,
 * a trailing '/' ignored).
 * Errors: PROMC_EINVAL (url or job NULL or empty, invalid or duplicate
 * grouping label name, "job" as a grouping label, negative timeout_ms,
 * format not text or protobuf, gzip not 0 or 1, a malformed or reserved
 * extra header), PROMC_ENOMEM,
 * PROMC_ECALLBACK (a collector of the registry failed: nothing was sent),
 * PROMC_ENET (the gateway could not be reached: connection refused, no such
 * host, TLS failure...; or the connection closed before the answer's headers
 * or its announced body were complete: the push may or may not have been
 * applied), PROMC_ETIMEOUT (no complete answer within
 * timeout_ms), PROMC_EHTTP (the gateway answered outside 2xx; see
 * promc_push_last_status and promc_errmsg).
 * Thread-safe. Blocks for at most about timeout_ms. */
PROMC_API int promc_push(const char *url, const char *job, const promc_push_opts *opts);

/* POST: like promc_push, but the gateway replaces only the metric families
 * (by name) that are pushed and keeps the group's others. Errors as
 * promc_push. */
PROMC_API int promc_pushadd(const char *url, const char *job, const promc_push_opts *opts);

/* DELETE the group <job, grouping key> and all its metrics (opts->registry
 * is not used). Deleting a group that does not exist succeeds (the gateway
 * answers 202). Errors as promc_push except PROMC_ECALLBACK. */
PROMC_API int promc_push_delete(const char *url, const char *job, const promc_push_opts *opts);

/* POST the registry to url as given, without the Pushgateway's
 * /metrics/job/... path: for vmagent and VictoriaMetrics
 * (http://host:8429/api/v1/import/prometheus; extra labels as their
 * ?extra_label=name=value query arguments). They take the text format
 * (format 0), gzipped or not. Errors as promc_push, and PROMC_EINVAL when url
 * is not http:// or https:// or a grouping key is given. Thread-safe. */
PROMC_API int promc_push_import(const char *url, const promc_push_opts *opts);

/* The HTTP status of the last push/pushadd/delete/import on the calling thread:
 * e.g. 200 or 202 on success, the gateway's status after PROMC_EHTTP, 0 if
 * no answer was received (PROMC_ENET, PROMC_ETIMEOUT) or no call was made. */
PROMC_API long promc_push_last_status(void);

/* Builds the request URL the three functions use into out (appending; see
 * promc_buf in promc.h): <url>/metrics/job/<job>{/<label>/<value>} with the
 * encoding described above. For diagnostics and tests. n is the number of
 * grouping names and values (either array may be NULL when n is 0).
 * Errors: PROMC_EINVAL (as promc_push), PROMC_ENOMEM. Thread-safe. */
PROMC_API int promc_push_url(promc_buf *out, const char *url, const char *job, size_t n,
                             const char *const *names, const char *const *values);

/* ------------------------------------------------------- periodic pushing */
/* A pusher: a background thread that pushes a registry every interval, and a
 * last time when stopped, so that what a job counted after its last tick is
 * not lost.  The first push happens one interval after start; a push that
 * overruns skips the ticks it missed (no burst to catch up). */
typedef struct promc_pusher promc_pusher;

typedef enum promc_push_method {
  PROMC_PUSH_PUT = 0,   /* promc_push: replace the group */
  PROMC_PUSH_POST = 1,  /* promc_pushadd: replace the families pushed */
  PROMC_PUSH_IMPORT = 2 /* promc_push_import: POST to url as given */
} promc_push_method;

/* Called on the thread that pushed, after every push (the final one too):
 * rc 0 or the PROMC_E* code, status as promc_push_last_status, errmsg the
 * promc_errmsg() text ("" on success), valid during the call only.  Must
 * not call promc_pusher_stop on its own pusher. */
typedef void (*promc_push_result_fn)(void *user, int rc, long status, const char *errmsg);

/* Options; zero means default.
 *   url, job, method  as the one-shot functions (job NULL for IMPORT).
 *   interval_ms      between pushes; 0 = 10000 (10 s).
 *   push             every other option (registry, grouping key, timeout,
 *                    TLS, format, gzip, headers); its strings and arrays
 *                    are copied at start, the registry is borrowed and must
 *                    outlive the pusher.
 *   no_final_push    1 = stop without the last push.
 *   on_result, user  optional report of each push (the library never
 *                    prints; see also promc_pusher_stats). */
typedef struct promc_pusher_opts {
  const char *url;
  const char *job;
  promc_push_method method;
  long interval_ms;
  promc_push_opts push;
  int no_final_push;
  promc_push_result_fn on_result;
  void *user;
} promc_pusher_opts;

/* Counts since start, for monitoring and tests. */
typedef struct promc_push_stats {
  unsigned long long pushes;   /* attempts, the final one included */
  unsigned long long failures; /* attempts that returned an error */
  int last_rc;                 /* 0 or the last attempt's PROMC_E* code */
  long last_status;            /* the last attempt's HTTP status, 0 if none */
  char last_error[256];        /* promc_errmsg() of the last failure, "" if none */
} promc_push_stats;

/* Checks every option as the push itself would (without rendering or
 * sending anything), copies them and starts the thread. *out is NULL on
 * error.
 * Errors: PROMC_EINVAL (out or opts NULL, an invalid option: see
 * promc_push; negative interval_ms; method out of range; job given with
 * IMPORT or missing without), PROMC_ENOMEM, PROMC_ESTATE (the thread could
 * not be created). Thread-safe. */
PROMC_API int promc_pusher_start(promc_pusher **out, const promc_pusher_opts *opts);

/* A copy of the counts. Errors: PROMC_EINVAL (NULL). Thread-safe. */
PROMC_API int promc_pusher_stats(promc_pusher *p, promc_push_stats *out);

/* Stops the thread (waiting for a push in progress, at most about
 * push.timeout_ms), makes the final push on the calling thread unless
 * no_final_push, and frees p.  Returns the final push's result (0 when
 * there was none), with promc_errmsg() and promc_push_last_status() set on
 * the calling thread.  p must not be used afterwards, whatever the result.
 * Errors: PROMC_EINVAL (p NULL), those of the push. Call once per pusher,
 * never from its on_result. */
PROMC_API int promc_pusher_stop(promc_pusher *p);

/* ------------------------------------------------------------ Graphite */
/* Sends every sample of a registry to a Carbon server in the plaintext
 * protocol, one line "<path> <value> <timestamp>\n" per sample, over one TCP
 * connection, as client_python's GraphiteBridge.push does:
 *
 *   path = [prefix "."] sanitise(sample name) { "." sanitise(label name)
 *          "." sanitise(label value) }   labels sorted by name
 *
 * where sanitise replaces every character outside [a-zA-Z0-9_-] (one UTF-8
 * character counts once) with '_', so the dots only separate.  With tags
 * on, labels become Graphite tags: name;label=value;...  The samples are
 * those of a text-format scrape (counter "x" as x_total, histogram buckets
 * as x_bucket.le.0_5 ..., _created only when promc_registry_set_created is
 * on); le and quantile values spelt as client_python's floatToGoString
 * before sanitising (le="2" is le.2_0, 1e6 is le.1e_06), so that both
 * clients name a series alike; values in the shortest form that reads back
 * exactly ("+Inf", "NaN" included: Carbon drops NaN).  The timestamp is
 * whole seconds. */
typedef struct promc_graphite_opts {
  promc_registry *registry; /* NULL = default registry */
  const char *prefix;       /* prepended as given, then "."; NULL/"" = none */
  long timeout_ms;          /* connect, then the whole send; 0 = 30000 */
  int tags;                 /* 1 = labels as ;name=value tags */
  long long timestamp;      /* seconds since the epoch; 0 = now, each push its own */
} promc_graphite_opts;

/* The lines promc_graphite_push would send, appended to out (for tests and
 * diagnostics). opts may be NULL. Errors: PROMC_EINVAL (out NULL, negative
 * timeout_ms or timestamp, tags not 0/1, a prefix with white space),
 * PROMC_ECALLBACK (a collector failed), PROMC_ENOMEM, PROMC_EIO (the text
 * rendering could not be read back: a bug, never expected). out is left as
 * it was on error. Thread-safe. */
PROMC_API int promc_graphite_render(promc_buf *out, const promc_graphite_opts *opts);

/* Renders, connects to host:port (every address getaddrinfo gives, in
 * order) and sends the lines, then closes. opts may be NULL.
 * Errors: as promc_graphite_render (nothing is sent after a failed
 * render), PROMC_EINVAL (host or port NULL or empty), PROMC_ENET (name not
 * resolved, connection refused or reset), PROMC_ETIMEOUT (connecting or
 * sending took longer than timeout_ms). Carbon sends no answer: success
 * means the kernel took every byte. Thread-safe. Blocks at most about
 * twice timeout_ms, plus name resolution (getaddrinfo has no deadline: give
 * an address, or a name the local resolver answers, where that matters). */
PROMC_API int promc_graphite_push(const char *host, const char *port, const promc_graphite_opts *opts);

/* A background Graphite pusher, as promc_pusher: every interval_ms (0 =
 * 60000, GraphiteBridge.start's 60 s), and once more at stop.  host, port
 * and opts are copied; the registry is borrowed.  on_result (may be NULL)
 * reports each push as for promc_pusher (status is always 0).
 * Errors: PROMC_EINVAL (out, host or port NULL or empty, a bad option,
 * negative interval), PROMC_ENOMEM, PROMC_ESTATE (no thread). Thread-safe. */
typedef struct promc_graphite promc_graphite;
PROMC_API int promc_graphite_start(promc_graphite **out, const char *host, const char *port, long interval_ms,
                                   const promc_graphite_opts *opts, promc_push_result_fn on_result, void *user);
/* Counts since start (last_status always 0). Errors: PROMC_EINVAL. */
PROMC_API int promc_graphite_stats(promc_graphite *g, promc_push_stats *out);
/* Stops the thread, pushes a last time on the calling thread, frees g.
 * Returns the final push's result. Errors: PROMC_EINVAL (g NULL), those of
 * promc_graphite_push. */
PROMC_API int promc_graphite_stop(promc_graphite *g);

#ifdef __cplusplus
}
#endif
#endif /* PROMC_PUSH_H */
