/*
 * push.h — libpromc-push: send a registry to a Prometheus Pushgateway.
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
 * once; each call uses its own libcurl handle.  libcurl is initialised once,
 * on first use, under pthread_once.  The library never prints.
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
 * grouping label name, "job" as a grouping label), PROMC_ENOMEM,
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

/* The HTTP status of the last push/pushadd/delete on the calling thread:
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

#ifdef __cplusplus
}
#endif
#endif /* PROMC_PUSH_H */
