/* SPDX-License-Identifier: Apache-2.0 */
/* push.c — libpromc-push: Pushgateway push (PUT), pushadd (POST) and
 * delete (DELETE), and a plain POST to an import URL (vmagent,
 * VictoriaMetrics), over libcurl's easy API, one handle per call; the body
 * in text or protobuf, gzipped on request. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "periodic.h"
#include "promc/push.h"

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc = CURLE_FAILED_INIT;
static _Thread_local long t_last_status;

static void curl_init_once(void) { g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

long promc_push_last_status(void) { return t_last_status; }

/* ------------------------------------------------------------- URL building */

static int buf_add(promc_buf *b, const char *s, size_t n) {
  return promc_buf_write(b, s, n) == 0 ? 0 : PROMC_ENOMEM;
}

static bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

/* Percent-encodes every byte outside RFC 3986's unreserved set. */
static int add_pct(promc_buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char e[3];
    size_t n = 1;
    if (unreserved(*p)) {
      e[0] = (char)*p;
    } else {
      e[0] = '%';
      e[1] = hex[*p >> 4];
      e[2] = hex[*p & 15];
      n = 3;
    }
    if (buf_add(b, e, n) != 0) return PROMC_ENOMEM;
  }
  return 0;
}

/* URL-safe base64 (RFC 4648 §5) with padding; "" encodes as "=", the
 * Pushgateway's spelling of an empty value. */
static int add_b64(promc_buf *b, const char *s) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t n = strlen(s);
  if (n == 0) return buf_add(b, "=", 1);
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    char o[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
                 i + 2 < n ? tab[v & 63] : '='};
    if (buf_add(b, o, 4) != 0) return PROMC_ENOMEM;
  }
  return 0;
}

/* "/<name>/<value>" or "/<name>@base64/<b64>" for values with '/' or empty. */
static int add_pair(promc_buf *b, const char *name, const char *value) {
  bool b64 = value[0] == '\0' || strchr(value, '/') != NULL;
  if (buf_add(b, "/", 1) || buf_add(b, name, strlen(name))) return PROMC_ENOMEM;
  if (b64 && buf_add(b, "@base64", 7)) return PROMC_ENOMEM;
  if (buf_add(b, "/", 1)) return PROMC_ENOMEM;
  return b64 ? add_b64(b, value) : add_pct(b, value);
}

static bool valid_label_name(const char *s) {
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
  for (const char *p = s + 1; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

int promc_push_url(promc_buf *out, const char *url, const char *job, size_t n,
                   const char *const *names, const char *const *values) {
  if (!out) return promc_set_errmsg(PROMC_EINVAL, "push: output buffer is NULL");
  if (!url || !*url) return promc_set_errmsg(PROMC_EINVAL, "push: gateway URL is NULL or empty");
  if (!job || !*job) return promc_set_errmsg(PROMC_EINVAL, "push: job name is NULL or empty");
  if (n > 0 && (!names || !values))
    return promc_set_errmsg(PROMC_EINVAL, "push: %zu grouping labels but no names or values", n);
  for (size_t i = 0; i < n; i++) {
    if (!names[i] || !values[i])
      return promc_set_errmsg(PROMC_EINVAL, "push: grouping label %zu has a NULL name or value", i);
    if (!valid_label_name(names[i]) || (names[i][0] == '_' && names[i][1] == '_'))
      return promc_set_errmsg(PROMC_EINVAL, "push: grouping label name \"%s\" is invalid or reserved",
                              names[i]);
    if (strcmp(names[i], "job") == 0)
      return promc_set_errmsg(PROMC_EINVAL, "push: \"job\" cannot be a grouping label (it is the job argument)");
    for (size_t j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0)
        return promc_set_errmsg(PROMC_EINVAL, "push: grouping label \"%s\" given twice", names[i]);
  }
  size_t ul = strlen(url);
  while (ul > 0 && url[ul - 1] == '/') ul--;
  if (ul == 0) return promc_set_errmsg(PROMC_EINVAL, "push: gateway URL \"%s\" has no host", url);
  size_t mark = out->len;
  int rc = buf_add(out, url, ul);
  if (!rc) rc = buf_add(out, "/metrics", 8);
  if (!rc) rc = add_pair(out, "job", job);
  for (size_t i = 0; !rc && i < n; i++) rc = add_pair(out, names[i], values[i]);
  if (!rc) rc = buf_add(out, "", 1); /* keep it NUL-terminated for curl */
  if (rc) {
    out->len = mark;
    return promc_set_errmsg(PROMC_ENOMEM, "push: out of memory building the URL");
  }
  out->len--; /* the NUL stays in the buffer, not in the length */
  return 0;
}

/* ------------------------------------------------------------ request body */

/* A header line curl can send as given: "Name: value", the name an RFC 9110
 * token, nothing that could end the line early. */
static bool valid_header(const char *h) {
  const char *colon = strchr(h, ':');
  if (!colon || colon == h) return false;
  for (const char *p = h; p < colon; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          strchr("!#$%&'*+-.^_`|~", *p)))
      return false;
  for (const char *p = colon; *p; p++)
    if (*p == '\r' || *p == '\n') return false;
  return true;
}

/* Headers the body options own: a second copy would make the body ambiguous. */
static bool reserved_header(const char *h) {
  size_t n = (size_t)(strchr(h, ':') - h);
  return (n == 12 && strncasecmp(h, "Content-Type", n) == 0) ||
         (n == 16 && strncasecmp(h, "Content-Encoding", n) == 0) ||
         (n == 14 && strncasecmp(h, "Content-Length", n) == 0);
}

/* The options every request checks before anything is rendered or sent. */
static int check_opts(const promc_push_opts *o) {
  if (o->timeout_ms < 0) return promc_set_errmsg(PROMC_EINVAL, "push: negative timeout_ms %ld", o->timeout_ms);
  if (o->format != PROMC_FORMAT_TEXT && o->format != PROMC_FORMAT_PROTOBUF)
    return promc_set_errmsg(PROMC_EINVAL, "push: format %d cannot be pushed (text or protobuf only)",
                            (int)o->format);
  if (o->gzip != 0 && o->gzip != 1) return promc_set_errmsg(PROMC_EINVAL, "push: gzip must be 0 or 1, not %d", o->gzip);
  if (o->nheaders > 0 && !o->headers)
    return promc_set_errmsg(PROMC_EINVAL, "push: %zu extra headers but headers is NULL", o->nheaders);
  for (size_t i = 0; i < o->nheaders; i++)
    if (!o->headers[i] || !valid_header(o->headers[i]))
      return promc_set_errmsg(PROMC_EINVAL, "push: extra header %zu is not \"Name: value\" on one line", i);
  for (size_t i = 0; i < o->nheaders; i++)
    if (reserved_header(o->headers[i]))
      return promc_set_errmsg(PROMC_EINVAL, "push: extra header %zu sets %.*s, which format and gzip decide", i,
                              (int)(strchr(o->headers[i], ':') - o->headers[i]), o->headers[i]);
  return 0;
}

/* gzip (RFC 1952) of in->data into out, in one deflate call: deflateBound
 * is an upper bound for the whole stream, header and trailer included. */
static int gzip_body(const promc_buf *in, promc_buf *out) {
  z_stream z = {0};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return promc_set_errmsg(PROMC_ENOMEM, "push: cannot initialise zlib");
  size_t bound = deflateBound(&z, (uLong)in->len);
  int rc = 0;
  char *dst = malloc(bound);
  if (!dst) rc = promc_set_errmsg(PROMC_ENOMEM, "push: out of memory compressing %zu bytes", in->len);
  if (!rc) {
    z.next_in = (Bytef *)(in->data ? in->data : "");
    z.avail_in = (uInt)in->len;
    z.next_out = (Bytef *)dst;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
      rc = promc_set_errmsg(PROMC_ENOMEM, "push: zlib could not compress the body");
  }
  if (!rc && promc_buf_write(out, dst, z.total_out) != 0)
    rc = promc_set_errmsg(PROMC_ENOMEM, "push: out of memory compressing %zu bytes", in->len);
  free(dst);
  deflateEnd(&z);
  return rc;
}

/* Renders the registry in o->format into body, gzipped when asked. */
static int render_body(const promc_push_opts *o, promc_buf *body) {
  promc_registry *reg = o->registry ? o->registry : promc_default_registry();
  promc_buf plain = {0};
  int rc = reg ? promc_registry_render_buf(reg, o->format, NULL, o->gzip ? &plain : body) : PROMC_ENOMEM;
  if (rc) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s", promc_errmsg());
    promc_buf_free(&plain);
    return promc_set_errmsg(rc, "push: nothing sent, rendering the registry failed: %s", msg);
  }
  if (o->gzip) rc = gzip_body(&plain, body);
  promc_buf_free(&plain);
  return rc;
}

/* Content-Type (and Content-Encoding) of the body, then the caller's extra
 * headers (which may replace curl's own, e.g. Authorization or User-Agent).
 * *oom tells an allocation failure from an empty list. */
static struct curl_slist *request_headers(const promc_push_opts *o, bool with_body, bool *oom) {
  struct curl_slist *l = NULL, *t;
  char ct[160];
  *oom = false;
  if (with_body) {
    snprintf(ct, sizeof ct, "Content-Type: %s", promc_format_content_type(o->format));
    const char *mine[] = {ct, o->gzip ? "Content-Encoding: gzip" : NULL,
                          /* no "Expect: 100-continue" round trip before the body */
                          "Expect:"};
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
      if (!mine[i]) continue;
      if (!(t = curl_slist_append(l, mine[i]))) goto oom;
      l = t;
    }
  }
  for (size_t i = 0; i < o->nheaders; i++) {
    if (!(t = curl_slist_append(l, o->headers[i]))) goto oom;
    l = t;
  }
  return l;
oom:
  curl_slist_free_all(l);
  *oom = true;
  return NULL;
}

/* The import URL: the caller's, checked, used as is. */
static int import_url(promc_buf *u, const char *url, const promc_push_opts *o) {
  if (!url || !*url) return promc_set_errmsg(PROMC_EINVAL, "push: import URL is NULL or empty");
  if (o->ngrouping > 0)
    return promc_set_errmsg(PROMC_EINVAL, "push: an import takes no grouping key (put labels in the URL)");
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
    return promc_set_errmsg(PROMC_EINVAL, "push: import URL \"%s\" is not http:// or https://", url);
  if (promc_buf_write(u, url, strlen(url) + 1) != 0)
    return promc_set_errmsg(PROMC_ENOMEM, "push: out of memory building the URL");
  u->len--;
  return 0;
}

int promc__push_check(const char *import, const promc_push_opts *o) {
  if (import) {
    promc_buf u = {0};
    int rc = import_url(&u, import, o);
    promc_buf_free(&u);
    if (rc) return rc;
  }
  return check_opts(o);
}

/* ---------------------------------------------------------------- requests */

struct answer {
  char text[512];
  size_t len;
  bool headers_done; /* the final response's header block ended with its blank line */
};

/* libcurl hands over each header line; a status line starts a response's
 * block (an interim 1xx, then the final one) and a blank line ends it. A
 * server that closes the connection before that blank line is not an
 * answer, even though libcurl may report the transfer as complete. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *user) {
  struct answer *a = user;
  size_t n = size * nmemb;
  if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) a->headers_done = false;
  else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n')) a->headers_done = true;
  return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
  struct answer *a = user;
  size_t n = size * nmemb, room = sizeof a->text - 1 - a->len;
  size_t take = n < room ? n : room;
  memcpy(a->text + a->len, data, take);
  a->len += take;
  return n; /* keep reading (and discarding) the rest */
}

/* The gateway's answer as one printable line. */
static const char *answer_line(struct answer *a) {
  size_t n = a->len;
  while (n > 0 && (a->text[n - 1] == '\n' || a->text[n - 1] == '\r' || a->text[n - 1] == ' ')) n--;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)a->text[i];
    if (c == '\n' || c == '\r' || c == '\t') a->text[i] = ' ';
    else if (c < 0x20 || c == 0x7f) a->text[i] = '?';
  }
  a->text[n] = '\0';
  return n ? a->text : "(empty answer)";
}

static int do_request(const char *method, const char *url, const char *job, const promc_push_opts *o,
                      bool with_body, bool as_is) {
  static const promc_push_opts zero;
  t_last_status = 0;
  if (!o) o = &zero;
  promc_buf u = {0}, body = {0};
  int rc = as_is ? import_url(&u, url, o)
                 : promc_push_url(&u, url, job, o->ngrouping, o->grouping_names, o->grouping_values);
  if (rc) return rc;
  rc = check_opts(o);
  if (rc) {
    promc_buf_free(&u);
    return rc;
  }
  if (with_body) {
    rc = render_body(o, &body);
    if (rc) {
      promc_buf_free(&u);
      promc_buf_free(&body);
      return rc;
    }
  }
  pthread_once(&g_curl_once, curl_init_once);
  CURL *h = g_curl_init_rc == CURLE_OK ? curl_easy_init() : NULL;
  if (!h) {
    promc_buf_free(&u);
    promc_buf_free(&body);
    return promc_set_errmsg(PROMC_ENOMEM, "push: cannot initialise libcurl");
  }
  bool oom;
  struct curl_slist *hdr = request_headers(o, with_body, &oom);
  if (oom) {
    curl_easy_cleanup(h);
    promc_buf_free(&u);
    promc_buf_free(&body);
    return promc_set_errmsg(PROMC_ENOMEM, "push: out of memory");
  }
  char errbuf[CURL_ERROR_SIZE] = "";
  struct answer ans = {.len = 0};
  long timeout = o->timeout_ms ? o->timeout_ms : 10000;
  curl_easy_setopt(h, CURLOPT_URL, u.data);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ans);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "promc-push/" PROMC_VERSION_STRING);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  if (with_body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data ? body.data : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
  }
  if (hdr) curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (o->username) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, o->username);
    curl_easy_setopt(h, CURLOPT_PASSWORD, o->password ? o->password : "");
  }
  if (o->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
  if (o->cert_file) curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert_file);
  if (o->key_file) curl_easy_setopt(h, CURLOPT_SSLKEY, o->key_file);
  if (o->insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  CURLcode cc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (cc != CURLE_OK) {
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
    if (cc == CURLE_OPERATION_TIMEDOUT)
      rc = promc_set_errmsg(PROMC_ETIMEOUT, "push: %s %s: no answer within %ld ms (%s)", method, u.data,
                            timeout, why);
    else if (cc == CURLE_OUT_OF_MEMORY)
      rc = promc_set_errmsg(PROMC_ENOMEM, "push: %s %s: %s", method, u.data, why);
    else
      rc = promc_set_errmsg(PROMC_ENET, "push: %s %s failed: %s", method, u.data, why);
    status = 0;
  } else if (!ans.headers_done) {
    rc = promc_set_errmsg(PROMC_ENET, "push: %s %s: the connection closed in the middle of the answer's headers",
                          method, u.data);
    status = 0;
  } else if (status < 200 || status > 299) {
    rc = promc_set_errmsg(PROMC_EHTTP, "push: %s %s: gateway answered %ld: %s", method, u.data, status,
                          answer_line(&ans));
  } else {
    rc = 0;
  }
  t_last_status = status;
  curl_slist_free_all(hdr);
  curl_easy_cleanup(h);
  promc_buf_free(&u);
  promc_buf_free(&body);
  return rc;
}

int promc_push(const char *url, const char *job, const promc_push_opts *opts) {
  return do_request("PUT", url, job, opts, true, false);
}

int promc_pushadd(const char *url, const char *job, const promc_push_opts *opts) {
  return do_request("POST", url, job, opts, true, false);
}

int promc_push_delete(const char *url, const char *job, const promc_push_opts *opts) {
  return do_request("DELETE", url, job, opts, false, false);
}

int promc_push_import(const char *url, const promc_push_opts *opts) {
  return do_request("POST", url, NULL, opts, true, true);
}
