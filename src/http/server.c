/* server.c — the built-in exposition server: a libmicrohttpd daemon with an
 * internal pool of epoll threads, optionally TLS, answering every request
 * through a promc_http_handler (handler.c).
 *
 * Why epoll + a thread pool rather than a thread per connection: an idle or
 * slow client then costs a socket and a few KiB, never a thread, and cannot
 * hold up the scrape of another connection; the connection limit and the
 * idle timeout bound what a misbehaving client can take. */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "http/http_internal.h"

#define DEFAULT_MAX_CONNECTIONS 512
#define DEFAULT_TIMEOUT_SECONDS 30
#define DEFAULT_THREADS 2
#define MAX_PEM_BYTES (1u << 20)

struct promc_http_server {
  struct MHD_Daemon *d;
  promc_http_handler *h;
  uint16_t port;
  char *cert, *key, *ca; /* PEM text; libmicrohttpd reads them at start */
};

/* libmicrohttpd's log goes to promc_errmsg of the logging thread, so that
 * promc_http_start can explain a failure; nothing is printed. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[480];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
  promc_http__err(0, "libmicrohttpd: %s", msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)version;
  (void)upload_data;
  /* Answer once the request is complete: libmicrohttpd closes a connection
   * whose response was queued on the first call, and keep-alive matters to
   * a scraper that comes back every few seconds. A body (there should be
   * none) is discarded. */
  static int seen;
  if (!*con_cls) {
    *con_cls = &seen;
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  return promc_http_handle(cls, c, url, method) ? MHD_YES : MHD_NO;
}

/* Reads a whole PEM file (bounded) into a NUL-terminated string. */
static int read_pem(const char *path, char **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return promc_http__err(PROMC_EIO, "cannot open %s: %s", path, strerror(errno));
  char *s = malloc(MAX_PEM_BYTES + 1);
  if (!s) {
    fclose(f);
    return promc_http__err(PROMC_ENOMEM, "out of memory");
  }
  size_t n = fread(s, 1, MAX_PEM_BYTES + 1, f);
  int err = ferror(f);
  fclose(f);
  if (err || n == 0 || n > MAX_PEM_BYTES) {
    free(s);
    return promc_http__err(PROMC_EIO, "cannot read %s: %s", path,
                           err ? "read error" : n ? "larger than 1 MiB" : "empty file");
  }
  s[n] = '\0';
  *out = s;
  return 0;
}

static void server_free(struct promc_http_server *s) {
  if (s->d) MHD_stop_daemon(s->d);
  promc_http_handler_free(s->h);
  free(s->cert);
  free(s->key);
  free(s->ca);
  free(s);
}

int promc_http_start(promc_http_server **out, const promc_http_opts *opts) {
  if (!out) return promc_http__err(PROMC_EINVAL, "promc_http_start: out is NULL");
  *out = NULL;
  promc_http_opts o = {0};
  if (opts) o = *opts;
  const char *addr = o.addr ? o.addr : "0.0.0.0";
  int tls = o.tls_cert_file || o.tls_key_file;
  if (tls && (!o.tls_cert_file || !o.tls_key_file))
    return promc_http__err(PROMC_EINVAL, "TLS needs both tls_cert_file and tls_key_file");
  if (o.tls_client_ca_file && !tls)
    return promc_http__err(PROMC_EINVAL, "tls_client_ca_file needs TLS (cert and key)");
  if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
    return promc_http__err(PROMC_EUNSUPP, "this libmicrohttpd was built without TLS");

  /* Resolve the address once. */
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  char portstr[8];
  snprintf(portstr, sizeof portstr, "%u", (unsigned)o.port);
  int gai = getaddrinfo(addr, portstr, &hints, &ai);
  if (gai != 0 || !ai)
    return promc_http__err(PROMC_EINVAL, "cannot resolve listen address \"%s\": %s", addr,
                           gai_strerror(gai));
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
  int v6 = ai->ai_family == AF_INET6;
  freeaddrinfo(ai);

  struct promc_http_server *s = calloc(1, sizeof *s);
  if (!s) return promc_http__err(PROMC_ENOMEM, "out of memory");
  int rc = promc_http_handler_new(&s->h, &(promc_http_handler_opts){
                                              .registry = o.registry,
                                              .users = o.users,
                                              .nusers = o.nusers,
                                              .disable_gzip = o.disable_gzip,
                                              .gzip_level = o.gzip_level,
                                              .verify_client_cert = o.tls_client_ca_file != NULL,
                                              .formats = o.formats,
                                          });
  if (rc) {
    free(s);
    return rc;
  }
  if (tls && ((rc = read_pem(o.tls_cert_file, &s->cert)) || (rc = read_pem(o.tls_key_file, &s->key)) ||
              (o.tls_client_ca_file && (rc = read_pem(o.tls_client_ca_file, &s->ca))))) {
    server_free(s);
    return rc;
  }

  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (v6) flags |= MHD_USE_IPv6;
  if (tls) flags |= MHD_USE_TLS;
  unsigned threads = o.threads ? o.threads : DEFAULT_THREADS;
  struct MHD_OptionItem ov[16];
  size_t k = 0;
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                    (intptr_t)(o.max_connections ? o.max_connections
                                                                 : DEFAULT_MAX_CONNECTIONS),
                                    NULL};
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                    (intptr_t)(o.timeout_seconds ? o.timeout_seconds
                                                                 : DEFAULT_TIMEOUT_SECONDS),
                                    NULL};
  if (threads > 1) ov[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
  if (tls) {
    ov[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert};
    ov[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->key};
    /* TLS 1.2 and 1.3 only, as Prometheus' exporter-toolkit defaults to. */
    ov[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                      (void *)(uintptr_t)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    if (s->ca) ov[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca};
  }
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

  promc_http__err(0, "%s", "");
  s->d = MHD_start_daemon(flags, o.port, NULL, NULL, on_request, s->h, MHD_OPTION_ARRAY, ov,
                          MHD_OPTION_END);
  if (!s->d) {
    char why[512];
    snprintf(why, sizeof why, "%s", promc_errmsg());
    server_free(s);
    return promc_http__err(PROMC_ENET, "cannot start the HTTP server on %s port %u%s%s", addr,
                           (unsigned)o.port, why[0] ? ": " : "", why);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = di ? di->port : o.port;
  *out = s;
  return 0;
}

uint16_t promc_http_port(const promc_http_server *s) { return s ? s->port : 0; }

void promc_http_stop(promc_http_server *s) {
  if (s) server_free(s);
}
