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
 * The server answers GET and HEAD on "/metrics" and "/" with the registry
 * (the default one unless .registry is set); every other path is 404 and
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

#include "promc/promc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libmicrohttpd's connection; include <microhttpd.h> to have the full type. */
struct MHD_Connection;

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

/* Options of promc_http_start. Zero means "default" everywhere.
 *   addr             address to listen on: an IPv4 or IPv6 literal or a host
 *                    name resolved once; NULL = "0.0.0.0" (all IPv4
 *                    interfaces, as start_http_server).  "::" listens on
 *                    IPv6 and IPv4 both (dual stack); any other IPv6
 *                    address on IPv6 only.
 *   port             TCP port; 0 = any free port (see promc_http_port).
 *   registry         what to serve; NULL = promc_default_registry().
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
} promc_http_opts;

/* Starts an exposition server in background threads and stores it in *out
 * (NULL on failure).  opts may be NULL (all defaults: 0.0.0.0, a free port).
 * Files are read and hashes checked here, once.
 * Errors: PROMC_EINVAL (out NULL, gzip_level out of 0-9, unknown formats
 * bits, only one of
 * cert/key, a client CA without TLS, a user with a NULL/empty name or a
 * hash crypt_r rejects, an address that does not resolve), PROMC_EIO (a TLS file cannot be read),
 * PROMC_EUNSUPP (TLS asked of a libmicrohttpd built without it),
 * PROMC_ENET (the daemon could not start: port in use, bad certificate,
 * ... — promc_errmsg says which), PROMC_ENOMEM.
 * Ownership: strings in opts are copied (the registry is borrowed and must
 * outlive the server).  Free with promc_http_stop.
 * Thread-safe: yes; each call makes an independent server. */
PROMC_API int promc_http_start(promc_http_server **out, const promc_http_opts *opts);

/* The port the server listens on (the one chosen when opts.port was 0), or
 * 0 for NULL. Thread-safe. */
PROMC_API uint16_t promc_http_port(const promc_http_server *s);

/* Stops listening, closes every connection, joins every thread and frees s.
 * Scrapes in flight are cut off; a basic-auth password check in progress
 * is waited for (one bcrypt, ~50 ms at cost 10).  NULL is ignored.
 * Thread-safe against everything but a second stop of the same server;
 * must not be called from a collector running inside a scrape of this
 * server (it would wait for itself). */
PROMC_API void promc_http_stop(promc_http_server *s);

/* ------------------------------------------------- embedding in your daemon */
/* Options of a handler; zero = default, as in promc_http_opts.
 *   verify_client_cert  1 = every request must come over TLS with a client
 *                    certificate that verifies against the daemon's trust
 *                    store (MHD_OPTION_HTTPS_MEM_TRUST), else 403.
 *   formats          as in promc_http_opts. */
typedef struct promc_http_handler_opts {
  promc_registry *registry;
  const promc_http_user *users;
  size_t nusers;
  int disable_gzip;
  int gzip_level;
  int verify_client_cert;
  unsigned formats;
} promc_http_handler_opts;

/* Creates a handler: the scrape logic of the server (auth, negotiation,
 * gzip, name[] filter, pooled buffers) without a daemon.  opts may be NULL.
 * Errors: PROMC_EINVAL (out NULL, bad user or hash, gzip_level out of
 * 0-9, unknown formats bits), PROMC_ENOMEM.
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
 * and "/" are scrapes and anything else gets 404.  Queues exactly one
 * response (200, 401, 403, 404, 405 or 500) and returns MHD_YES (1), or
 * MHD_NO (0) when libmicrohttpd refused it (the connection then closes).
 * Thread-safe: yes, from any number of daemon threads at once.  Responses in
 * flight keep the handler's memory alive until libmicrohttpd is done with
 * them, so freeing the handler while the daemon still runs is safe for them
 * (but not for new requests). */
PROMC_API int promc_http_handle(promc_http_handler *h, struct MHD_Connection *connection,
                                const char *url, const char *method);

/* Frees the handler (at once, or when the last response still being sent
 * completes). NULL is ignored. Not safe with concurrent promc_http_handle
 * calls on h. */
PROMC_API void promc_http_handler_free(promc_http_handler *h);

#ifdef __cplusplus
}
#endif
#endif /* PROMC_HTTP_H */
