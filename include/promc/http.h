/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h — libpromc-http: serve a promc registry to Prometheus over HTTP.
 *
 * Overview
 * --------
 * One call starts an exposition server in background threads, like
 * client_python's start_http_server(8000):
 *
 *     promc_http_server *srv;
 *     if (promc_http_start(&srv, &(promc_http_opts){ .port = 8000 }) != 0)
 *       fprintf(stderr, "metrics: %s\n", promc_errmsg());
 *     ...
 *     promc_http_stop(srv);           // joins every thread, frees everything
 *
 * The server answers GET and HEAD on "/metrics" and "/" (or .paths) with the
 * registry (the default one unless .registry is set), and on .health_path
 * with "ok"; every other path is 404 and
 * every other method 405 with "Allow: GET, HEAD".  A scrape honours
 *   - Accept            the format, through promc_negotiate_format: text
 *                       0.0.4, OpenMetrics 1.0.0 or protobuf, whichever the
 *                       client prefers (all three are in the core); text
 *                       when it names none of them.  Should a core lack a
 *                       format (its render gives PROMC_EUNSUPP), the server
 *                       negotiates again among the others;
 *   - Accept-Encoding   gzip (zlib), unless refused with q=0;
 *   - ?name[]=a&name[]=b  only the named metrics (as promc_query_names
 *                       reads them; more than 64 names or 4 KiB of them is
 *                       a 400).
 * A collector failing makes the scrape a 500 carrying promc_errmsg's text,
 * as client_golang's default HandlerOpts do.
 *
 * Scrape options as promhttp's: self-metrics (on when serving the default
 * registry), a limit on scrapes in flight and a render timeout (both 503).
 *
 * Production options: TLS (certificate and key, and a client CA for mutual
 * TLS), HTTP basic auth against bcrypt hashes (the basic_auth_users idea of
 * Prometheus' exporter-toolkit), a connection limit, an idle timeout and a
 * deadline for each request header.
 * The server runs libmicrohttpd with an internal pool of poll threads:
 * connections are multiplexed, so idle or slow clients hold a socket each but
 * never a thread.  Hostile clients are bounded: a header must be complete
 * within header_timeout_seconds; when every slot is taken, the connection
 * that has waited longest without completing a request is closed so that a
 * new scraper gets in; password checks run on their own thread, bounded, so
 * wrong passwords cannot stall a scraper whose password is known good (see
 * docs/http.md, "How it behaves under attack").  Rendering goes into pooled
 * buffers reused from scrape to scrape.
 *
 * Programs that already run a libmicrohttpd daemon can answer scrapes inside
 * it with a promc_http_handler (see promc_http_handle).  Any other server
 * renders with promc_registry_render_buf and the helpers promc_negotiate_
 * format, promc_accepts_gzip and promc_query_names of promc.h.
 *
 * Errors are the PROMC_E* codes of promc.h; promc_errmsg() gives a sentence
 * about the last failure on the calling thread, as for the core
 * ("cannot start the HTTP server on 0.0.0.0 port 8000: libmicrohttpd: Failed
 * to bind to port 8000: Address already in use").  Nothing here prints,
 * aborts or exits; libmicrohttpd's own log messages are captured into
 * promc_errmsg(), never written anywhere.
 *
 * Memory: this library allocates with malloc/free (libmicrohttpd, zlib and
 * GnuTLS do too); the rendered text goes through promc's allocator.
 */
#ifndef PROMC_HTTP_H
#define PROMC_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* enum MHD_Result, promc_http_handle's return type, so that an access
 * handler returns it without a cast (libmicrohttpd 0.9.71 or later; Debian
 * 12 has 0.9.75).  libpromc-dev depends on libmicrohttpd-dev for it. */
#include <microhttpd.h>

#include "promc/promc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct promc_http_server promc_http_server;
typedef struct promc_http_handler promc_http_handler;

/* One basic-auth user: a name and a bcrypt hash of the password ("$2b$",
 * "$2y$" or "$2a$", any cost).  Make a hash with
 * `htpasswd -nBC 10 "" | tr -d ':\n'` (Debian `apache2-utils`; it asks for
 * the password), `mkpasswd -m bcrypt -R 10` (Debian `whois`), or in C with
 * libxcrypt's `crypt_gensalt_rn("$2b$", 10, NULL, 0, ...)` and `crypt_r`.
 * Each hash is checked at start.  Both strings are copied. */
typedef struct promc_http_user {
  const char *name;
  const char *bcrypt_hash;
} promc_http_user;

/* What a scrape does when a collector fails, or (registries) a family is
 * left out as a duplicate (client_golang's HandlerOpts.ErrorHandling). */
typedef enum promc_http_error_handling {
  /* 500 with the error's text (the default, as promhttp's). */
  PROMC_HTTP_HTTP_ERROR_ON_ERROR = 0,
  /* 200 with what the other collectors gave, the error counted in
   * promhttp_metric_handler_errors_total{cause="gathering"}; still 500 when
   * nothing at all was rendered, or the render failed otherwise (cause
   * "encoding"). */
  PROMC_HTTP_CONTINUE_ON_ERROR = 1
} promc_http_error_handling;

/* Options of promc_http_start. Zero means "default" everywhere.
 *   addr             address to listen on: an IPv4 or IPv6 literal or a host
 *                    name resolved once; NULL = "0.0.0.0" (all IPv4
 *                    interfaces, as start_http_server).  "::" listens on
 *                    IPv6 and IPv4 both (dual stack); any other IPv6
 *                    address on IPv6 only.
 *   port             TCP port; 0 = any free port (see promc_http_port).
 *   registry         what to serve; NULL = promc_default_registry() (or
 *                    registries, below).
 *   tls_cert_file    PEM certificate (chain) file; with tls_key_file turns
 *   tls_key_file     on HTTPS. Both or neither.
 *   tls_client_ca_file  PEM CA bundle; when set (TLS only), every request
 *                    must come with a client certificate that verifies
 *                    against it, or it gets 403 (mutual TLS).
 *   users, nusers    basic-auth users; when nusers > 0 every request needs
 *                    one of them, else 401 with
 *                    `WWW-Authenticate: Basic realm="promc"`.  A good
 *                    password is remembered (as a salted SHA-256, in memory)
 *                    so later scrapes skip the deliberately slow bcrypt;
 *                    comparisons are constant-time, and unknown users cost a
 *                    bcrypt too.  The bcrypt checks run on one background
 *                    thread with at most 4 waiting; a
 *                    request with a password not yet known to be good that
 *                    finds that queue full is answered 429 with
 *                    Retry-After: 1.  A known-good password never waits
 *                    for that thread.
 *   max_connections  connections held at once. 0 = 512.  Once all have
 *                    been taken for 2 s (or header_timeout_seconds if
 *                    shorter), each new client makes the server close the
 *                    connection that has waited longest without completing
 *                    a request (never one being answered); until then new
 *                    clients wait in the kernel's backlog.
 *   timeout_seconds  a connection idle this long is closed. 0 = 30.
 *   header_timeout_seconds  a request's header, and its body if it sends
 *                    one (and, for the first request of a connection, the
 *                    TLS handshake before it), must be complete this long
 *                    after it began (the accept, or on a kept-alive
 *                    connection its request line), however steadily it
 *                    trickles; else the connection is closed.  0 = 5.
 *   threads          connection threads (libmicrohttpd poll loops). 0 = 2.
 *   disable_gzip     1 = never compress.
 *   gzip_level       zlib level 1-9 for gzip bodies; 0 = 1, the fastest: on
 *                    1,000 series it compresses 70 KB to 4.9 KB in 0.17 ms,
 *                    where level 6 gives 4.1 KB in 0.8 ms (see
 *                    docs/benchmarks.md).  Out of range is PROMC_EINVAL.
 *   formats          the formats the server may answer in, a mask of
 *                    PROMC_FORMAT_BIT(f); 0 = all three.  Text 0.0.4 is
 *                    always allowed (it is the answer when nothing else
 *                    is).  PROMC_FORMAT_BIT(PROMC_FORMAT_TEXT) alone serves
 *                    every scrape as text, as prometheus-client-c did: with
 *                    counter_name_as_given counters, Prometheus then keeps
 *                    storing them under their old names although it asks
 *                    for OpenMetrics first (docs/migrating.md).  Unknown
 *                    bits are PROMC_EINVAL.
 *   paths, npaths    the paths that answer scrapes, each beginning with '/'
 *                    (matched exactly, query string aside); npaths 0 =
 *                    "/metrics" and "/".  Copied.  A path not beginning with
 *                    '/', or npaths > 0 with paths NULL, is PROMC_EINVAL.
 *   health_path      a path answering GET and HEAD with 200 "ok"
 *                    (text/plain), for liveness probes; NULL = none.  Basic
 *                    auth and mutual TLS apply to it as to the rest.  The
 *                    same as a metrics path is PROMC_EINVAL.
 *   self_metrics     promhttp's self-metrics: the counter
 *                    promhttp_metric_handler_requests_total{code} (codes
 *                    200, 500 and 503 there from the start, others from
 *                    their first answer) and the gauge
 *                    promhttp_metric_handler_requests_in_flight.  A scrape
 *                    sees itself in flight and is counted once answered
 *                    (401, 403, 404 and 405 are not scrapes).  0 = as
 *                    promhttp.Handler() and HandlerFor(): on when serving
 *                    the default registry (registry NULL), off for a registry
 *                    of your own, whose output then stays what you put in
 *                    it; 1 = on; -1 = off.  Servers and handlers counting
 *                    into one registry share the families (as promhttp
 *                    reuses already registered ones); they leave the
 *                    registry with the last of them.  A family of either
 *                    name already there, not made by this library, makes
 *                    start fail with PROMC_EDUP.
 *   self_metrics_registry  where the self-metrics go; NULL = the served
 *                    registry.  Borrowed: must outlive the server.
 *   max_scrapes_in_flight  scrapes answered at once; one more is answered
 *                    503 "Limit of concurrent requests reached (N), try
 *                    again later." at once (promhttp's
 *                    MaxRequestsInFlight).  0 = no limit.
 *   render_timeout_ms  a scrape whose render (collectors included) has not
 *                    finished this long after it began is answered 503
 *                    "Exceeded configured timeout of N ms." (promhttp's
 *                    Timeout).  The render then runs on a thread of its
 *                    own while the connection waits, suspended; one that
 *                    finishes late renders into its own buffer, which is
 *                    then dropped; its thread counts against
 *                    max_render_threads until it ends.  promc_http_stop
 *                    answers every scrape still rendering 503 and waits
 *                    for those renders to end (they use the registry).
 *                    0 = no timeout: the render runs on the connection
 *                    thread.
 *   error_handling   PROMC_HTTP_HTTP_ERROR_ON_ERROR (0) or
 *                    PROMC_HTTP_CONTINUE_ON_ERROR, above.  With CONTINUE, the
 *                    counter promhttp_metric_handler_errors_total{cause}
 *                    (causes "gathering" and "encoding" there from the
 *                    start) goes into self_metrics_registry or the served
 *                    registry, whatever self_metrics says, shared as the
 *                    self-metrics are: as promhttp, which counts errors when
 *                    HandlerOpts.Registry is set.  Another value is
 *                    PROMC_EINVAL.
 *   unix_path        listen on a Unix domain socket at this path instead of
 *                    TCP (addr and port must then be unset; promc_http_port
 *                    gives 0).  A socket file left there by a dead server
 *                    (connecting to it is refused) is replaced; anything
 *                    else there, or a server listening on it, is
 *                    PROMC_ENET.  The file is made with the process umask
 *                    (restrict access by the directory's permissions) and
 *                    removed at stop if it is still ours.  Longer than 107
 *                    bytes, empty, or with addr or port set: PROMC_EINVAL.
 *                    Scrape it with `curl --unix-socket PATH
 *                    http://localhost/metrics`.
 *   coalesce_scrapes 1 = scrapes that arrive while a render with the same
 *                    negotiated format, gzip choice and name[] list (same
 *                    names, same order) is running wait for it and are
 *                    answered by it: one render and one response body for
 *                    all of them (20 at once make 1 or 2 renders).  Each is
 *                    still counted, limited and timed out on its own.
 *                    Renders then run on a thread of their own, as with
 *                    render_timeout_ms, so waiting scrapes hold no
 *                    connection thread.  0 = every scrape renders.
 *   registries, nregistries  serve these nregistries registries as one
 *                    exposition, in order, instead of registry (which must
 *                    then be NULL): text and protobuf concatenated,
 *                    OpenMetrics with one "# EOF" at the end, name[]
 *                    applying to all (promc_registries_render).  A family
 *                    whose exposed names an earlier registry already
 *                    showed is left out and the scrape fails with
 *                    PROMC_EDUP (its message names the family and both
 *                    registries' positions), handled as error_handling
 *                    says: 500 by default, or the rest served and counted.
 *                    The array is copied; the registries are borrowed and
 *                    must outlive the server.  self_metrics is then off
 *                    unless asked; asked, it counts into
 *                    self_metrics_registry or registries[0].  registry
 *                    set too, nregistries 0 with registries set or the
 *                    reverse, a NULL entry or one registry given twice:
 *                    PROMC_EINVAL.  0/NULL = serve registry.
 *   max_render_threads  with render_timeout_ms or coalesce_scrapes: render
 *                    threads running at once, from the start of a render
 *                    to its end, renders whose scrape was already
 *                    answered 503 included (a collector cannot be
 *                    interrupted).  With all of them taken, a scrape that
 *                    cannot join a running render is answered 503
 *                    "Limit of concurrent renders reached (N still
 *                    running), try again later." at once (counted as a 503
 *                    in the self-metrics), so a collector that hangs holds
 *                    at most this many threads however often it is
 *                    scraped; a render that ends frees its thread.  0 = 4.
 *                    Set without render_timeout_ms and coalesce_scrapes:
 *                    PROMC_EINVAL.
 */
typedef struct promc_http_opts {
  const char *addr;
  uint16_t port;
  promc_registry *registry;
  const char *tls_cert_file;
  const char *tls_key_file;
  const char *tls_client_ca_file;
  const promc_http_user *users;
  size_t nusers;
  unsigned max_connections;
  unsigned timeout_seconds;
  unsigned threads;
  int disable_gzip;
  int gzip_level;
  unsigned formats;
  unsigned header_timeout_seconds;
  const char *const *paths;
  size_t npaths;
  const char *health_path;
  int self_metrics;
  promc_registry *self_metrics_registry;
  unsigned max_scrapes_in_flight;
  unsigned render_timeout_ms;
  promc_http_error_handling error_handling;
  const char *unix_path;
  int coalesce_scrapes;
  promc_registry *const *registries;
  size_t nregistries;
  unsigned max_render_threads;
} promc_http_opts;

/* Starts an exposition server in background threads and stores it in *out
 * (NULL on failure).  opts may be NULL (all defaults: 0.0.0.0, a free port).
 * Files are read and hashes checked here, once.
 * Errors: PROMC_EINVAL (out NULL, gzip_level out of 0-9, unknown formats
 * bits, a bad metrics or health path, a bad unix_path, misused
 * registries/nregistries (see there), max_render_threads without
 * render_timeout_ms or coalesce_scrapes, only one of
 * cert/key, a client CA without TLS, a user with a NULL/empty name or a
 * hash crypt_r rejects, an address that does not resolve), PROMC_EIO (a TLS file cannot be read),
 * PROMC_EUNSUPP (TLS asked of a libmicrohttpd built without it),
 * PROMC_ENET (the daemon could not start: port in use, bad certificate,
 * ... — promc_errmsg says which), PROMC_EDUP (self-metrics names taken in
 * their registry), PROMC_ESTATE (started from a collector rendering that
 * registry), PROMC_ENOMEM.
 * Ownership: strings and the registries array in opts are copied (the
 * registries are borrowed and must outlive the server).  Free with
 * promc_http_stop.
 * Thread-safe: yes; each call makes an independent server. */
PROMC_API int promc_http_start(promc_http_server **out, const promc_http_opts *opts);

/* The port the server listens on (the one chosen when opts.port was 0), or
 * 0 for NULL. Thread-safe. */
PROMC_API uint16_t promc_http_port(const promc_http_server *s);

/* Stops listening, closes every connection, joins every thread and frees s.
 * Scrapes in flight are cut off; a basic-auth password check in progress
 * is waited for (one bcrypt, ~50 ms at cost 10), and so is every render
 * still running on a render thread (render_timeout_ms, coalesce_scrapes;
 * its scrape is answered 503 first): at most max_render_threads of them,
 * but a render that never ends (a collector blocked for good) keeps stop
 * from returning, since returning would let the caller free the registry
 * under it.  NULL is ignored.
 * Thread-safe against everything but a second stop of the same server;
 * must not be called from a collector running inside a scrape of this
 * server (it would wait for itself). */
PROMC_API void promc_http_stop(promc_http_server *s);

/* ------------------------------------------------- embedding in your daemon */
/* Options of a handler; zero = default, as in promc_http_opts.
 *   verify_client_cert  1 = every request must come over TLS with a client
 *                    certificate that verifies against the daemon's trust
 *                    store (MHD_OPTION_HTTPS_MEM_TRUST), else 403.
 *   formats          as in promc_http_opts.
 *   paths, npaths, health_path, max_scrapes_in_flight, error_handling  as in
 *                    promc_http_opts; they apply when promc_http_handle is
 *                    given a url (a NULL url is always a scrape).
 *   self_metrics     1 = count scrapes as promc_http_opts.self_metrics does;
 *                    0 (or negative) = off: a handler is promhttp's
 *                    HandlerFor, without them unless asked.
 *   self_metrics_registry  as in promc_http_opts.
 *   registries, nregistries  as in promc_http_opts (several registries
 *                    served as one; registry must then be NULL). */
typedef struct promc_http_handler_opts {
  promc_registry *registry;
  const promc_http_user *users;
  size_t nusers;
  int disable_gzip;
  int gzip_level;
  int verify_client_cert;
  unsigned formats;
  const char *const *paths;
  size_t npaths;
  const char *health_path;
  int self_metrics;
  promc_registry *self_metrics_registry;
  unsigned max_scrapes_in_flight;
  promc_http_error_handling error_handling;
  promc_registry *const *registries;
  size_t nregistries;
} promc_http_handler_opts;

/* Creates a handler: the scrape logic of the server (auth, negotiation,
 * gzip, name[] filter, pooled buffers) without a daemon.  opts may be NULL.
 * Errors: PROMC_EINVAL (out NULL, bad user or hash, gzip_level out of
 * 0-9, unknown formats bits, a bad metrics or health path, misused
 * registries/nregistries), PROMC_EDUP and PROMC_ESTATE (self-metrics, as
 * promc_http_start), PROMC_ENOMEM.  The registries array is copied, the
 * registries borrowed (they must outlive the handler).
 * Free with promc_http_handler_free. Thread-safe. */
PROMC_API int promc_http_handler_new(promc_http_handler **out, const promc_http_handler_opts *opts);

/* Answers one request inside your libmicrohttpd access handler, with the
 * url and method libmicrohttpd gave you; return its result.  Call it once
 * the request is complete, not on the handler's first invocation (where
 * libmicrohttpd would close the connection after the response, losing
 * keep-alive):
 *
 *     if (!*con_cls) { *con_cls = &marker; return MHD_YES; }  // headers in
 *     if (*upload_data_size) { *upload_data_size = 0; return MHD_YES; }
 *     if (strcmp(url, "/metrics") == 0)
 *       return promc_http_handle(h, conn, NULL, method);
 *
 * url NULL means "you already routed": no path check.  Otherwise "/metrics"
 * and "/" (or opts.paths) are scrapes, opts.health_path answers "ok", and
 * anything else gets 404.  Queues exactly one response (200, 400, 401, 403,
 * 404, 405, 500, or 503 over max_scrapes_in_flight) and returns MHD_YES, or
 * MHD_NO when libmicrohttpd refused it (the connection then closes) or h or
 * connection is NULL: an access handler returns it as it is.
 * Thread-safe: yes, from any number of daemon threads at once.  Responses in
 * flight keep the handler's memory alive until libmicrohttpd is done with
 * them, so freeing the handler while the daemon still runs is safe for them
 * (but not for new requests). */
PROMC_API enum MHD_Result promc_http_handle(promc_http_handler *h, struct MHD_Connection *connection,
                                            const char *url, const char *method);

/* Frees the handler (at once, or when the last response still being sent
 * completes). NULL is ignored. Not safe with concurrent promc_http_handle
 * calls on h. */
PROMC_API void promc_http_handler_free(promc_http_handler *h);

/* ------------------------------------------- request middleware (MHD apps) */
/* Instruments an application's own libmicrohttpd requests, as client_golang's
 * promhttp.InstrumentHandlerCounter / Duration / InFlight / RequestSize /
 * ResponseSize chain does for a Go handler.
 *
 *     promc_http_mw *mw;
 *     promc_http_mw_new(&mw, &(promc_http_mw_opts){ .handler = app, .handler_cls = st });
 *     d = MHD_start_daemon(flags, port, NULL, NULL, promc_http_mw_access, mw,
 *                          MHD_OPTION_NOTIFY_COMPLETED, promc_http_mw_completed, mw,
 *                          MHD_OPTION_END);
 *     ...
 *     MHD_stop_daemon(d);
 *     promc_http_mw_free(mw);
 *
 * The application's access handler is called exactly as libmicrohttpd would
 * call it (first call with *con_cls NULL, upload calls, final call), with its
 * own con_cls slot, so existing multi-call code keeps working unchanged; its
 * own notify-completed function, if it has one, goes in .completed and gets
 * that same slot.  The middleware records, per request:
 *   http_requests_total{method,code}             counter
 *   http_request_duration_seconds{method,code}   histogram, from the first
 *                      call (request header received) to the notify-
 *                      completed call (response sent); DefBuckets of
 *                      client_golang: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10
 *   http_requests_in_flight                      gauge: requests between
 *                      their first call and their completion
 *   http_request_size_bytes{method,code}         histogram: the request
 *                      line and header exactly as received (libmicrohttpd's
 *                      MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE, CRLFs
 *                      included) plus the body bytes the handler consumed
 *   http_response_size_bytes{method,code}        histogram: the body size
 *                      given to promc_http_mw_queue_response
 * method is promhttp's: "get", "put", "head", "post", "delete", "connect",
 * "options", "notify", "trace", "patch" for those methods in upper or lower
 * case, .extra_methods lowercased, and "unknown" for anything else; code is
 * the status as a decimal number ("404").  The status is what the handler
 * queued, seen right after each handler call; a request that ends before a
 * response was queued (client gone, timeout) is only taken out of
 * in_flight.  Responses queued with plain MHD_queue_response (a
 * promc_http_handle scrape, say) are counted and timed, but their size is
 * unknown to libmicrohttpd's API and not observed; queue them with
 * promc_http_mw_queue_response to have it.
 *
 * Per request: no allocation once warm (request records come from a lock-free
 * pool that grows in steps of 64 up to 65,536 requests at once), no lock,
 * and the label children are looked up once per method and code and cached.
 */
typedef struct promc_http_mw promc_http_mw;

/* Bits of promc_http_mw_opts.labels and .disable. */
#define PROMC_HTTP_MW_METHOD 1u /* labels: the method label */
#define PROMC_HTTP_MW_CODE 2u   /* labels: the code label */
#define PROMC_HTTP_MW_REQUESTS 1u       /* disable: requests_total */
#define PROMC_HTTP_MW_DURATION 2u       /* disable: duration histogram */
#define PROMC_HTTP_MW_IN_FLIGHT 4u      /* disable: in-flight gauge */
#define PROMC_HTTP_MW_REQUEST_SIZE 8u   /* disable: request size histogram */
#define PROMC_HTTP_MW_RESPONSE_SIZE 16u /* disable: response size histogram */

/* Options of promc_http_mw_new; zero = default, except .handler.
 *   handler, handler_cls   the application's access handler and its cls
 *                    (required).
 *   completed, completed_cls  the application's notify-completed function,
 *                    called first, with the application's con_cls slot;
 *                    NULL = none.
 *   registry         where the families go; NULL = the default registry.
 *   requests_name, duration_name, in_flight_name, request_size_name,
 *   response_size_name  the family names; NULL = the defaults above.
 *   labels           PROMC_HTTP_MW_METHOD | PROMC_HTTP_MW_CODE, the labels
 *                    of the four labelled families (the in-flight gauge has
 *                    none); 0 = both.  Unknown bits: PROMC_EINVAL.
 *   disable          PROMC_HTTP_MW_* metrics to leave out; all five:
 *                    PROMC_EINVAL.
 *   duration_buckets, nduration_buckets  classic buckets in seconds;
 *                    0 = client_golang's DefBuckets.
 *   size_buckets, nsize_buckets  buckets of both size histograms in bytes;
 *                    0 = 64 256 1024 4096 16384 65536 262144 1048576.
 *   extra_methods, nextra_methods  methods (compared ignoring case) that
 *                    get their own lowercased label value instead of
 *                    "unknown", as promhttp's WithExtraMethods; at most 16.
 *   const_label_names, const_label_values, nconst_labels  constant labels
 *                    on all five families (e.g. service="api"). */
typedef struct promc_http_mw_opts {
  MHD_AccessHandlerCallback handler;
  void *handler_cls;
  MHD_RequestCompletedCallback completed;
  void *completed_cls;
  promc_registry *registry;
  const char *requests_name;
  const char *duration_name;
  const char *in_flight_name;
  const char *request_size_name;
  const char *response_size_name;
  unsigned labels;
  unsigned disable;
  const double *duration_buckets;
  size_t nduration_buckets;
  const double *size_buckets;
  size_t nsize_buckets;
  const char *const *extra_methods;
  size_t nextra_methods;
  const char *const *const_label_names;
  const char *const *const_label_values;
  size_t nconst_labels;
} promc_http_mw_opts;

/* Creates the middleware and registers its families.
 * Errors: PROMC_EINVAL (out, opts or handler NULL, unknown labels bits,
 * everything disabled, more than 16 extra methods or an empty/NULL one),
 * PROMC_ENOMEM, and whatever promc_counter_new / promc_histogram_new /
 * promc_gauge_new give for the names, buckets and constant labels
 * (PROMC_ENAME, PROMC_ELABEL, PROMC_EBUCKETS, PROMC_EDUP...); on error
 * nothing stays registered.
 * Ownership: strings and arrays in opts are copied; the registry and the
 * handler's cls are borrowed.  The families belong to the middleware.
 * Thread-safe: yes. */
PROMC_API int promc_http_mw_new(promc_http_mw **out, const promc_http_mw_opts *opts);

/* The access handler to give MHD_start_daemon, with the middleware as its
 * cls.  Calls opts.handler and returns its result, or MHD_NO (the
 * connection closes) when no request record can be had (memory exhausted,
 * or 65,536 requests already in flight).
 * Thread-safe: yes, from any number of daemon threads. */
PROMC_API enum MHD_Result promc_http_mw_access(void *mw, struct MHD_Connection *connection,
                                               const char *url, const char *method,
                                               const char *version, const char *upload_data,
                                               size_t *upload_data_size, void **con_cls);

/* The function to give MHD_OPTION_NOTIFY_COMPLETED, with the middleware as
 * its cls: ends the request's records.  Requests are counted only with it.
 * Thread-safe: yes. */
PROMC_API void promc_http_mw_completed(void *mw, struct MHD_Connection *connection,
                                       void **con_cls, enum MHD_RequestTerminationCode toe);

/* MHD_queue_response(connection, status, response), and when called from
 * inside an instrumented handler on that connection, the response body size
 * body_size for http_response_size_bytes (MHD_SIZE_UNKNOWN: not observed).
 * Returns MHD_queue_response's result.  Thread-safe: yes. */
PROMC_API enum MHD_Result promc_http_mw_queue_response(struct MHD_Connection *connection,
                                                       unsigned int status,
                                                       struct MHD_Response *response,
                                                       uint64_t body_size);

/* Unregisters and frees the families and the request pool.  Call it after
 * MHD_stop_daemon (which completes every request still open).  NULL is
 * ignored. */
PROMC_API void promc_http_mw_free(promc_http_mw *mw);

#ifdef __cplusplus
}
#endif
#endif /* PROMC_HTTP_H */
