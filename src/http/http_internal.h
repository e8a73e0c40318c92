/* SPDX-License-Identifier: Apache-2.0 */
/* http_internal.h — private glue between the handler (handler.c, auth.c)
 * and the daemon (server.c) of libpromc-http. Nothing here is exported. */
#ifndef PROMC_HTTP_INTERNAL_H
#define PROMC_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "promc/http.h"

#define PROMC_HTTP_HIDDEN __attribute__((visibility("hidden")))

/* Records a message for promc_errmsg() (through promc_set_errmsg); returns
 * code. */
PROMC_HTTP_HIDDEN int promc_http__err(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- basic auth (auth.c) ------------------------------------------------ */
struct promc_http_auth_user {
  char *name;
  char *hash;
  /* salted SHA-256 of the last password that verified, so that a scraper
   * sending the same credentials every few seconds pays bcrypt once */
  unsigned char ok_digest[32];
  int has_ok;
};

struct promc_http_auth {
  struct promc_http_auth_user *users;
  size_t nusers;
  unsigned char salt[16];
  pthread_mutex_t lock; /* guards ok_digest/has_ok */
};

/* Copies and checks users (names non-empty, hashes bcrypt and accepted by
 * crypt_r). Errors: PROMC_EINVAL, PROMC_ENOMEM. */
PROMC_HTTP_HIDDEN int promc_http__auth_init(struct promc_http_auth *a, const promc_http_user *u,
                                            size_t n);
PROMC_HTTP_HIDDEN void promc_http__auth_free(struct promc_http_auth *a);
/* 1 when user/password match a configured user, else 0 (a bcrypt: slow). */
PROMC_HTTP_HIDDEN int promc_http__auth_check(struct promc_http_auth *a, const char *user,
                                             const char *password);
/* 1 when password is the one last verified for user (a SHA-256: fast);
 * 0 means "unknown", not "wrong": promc_http__auth_check decides. */
PROMC_HTTP_HIDDEN int promc_http__auth_cached(struct promc_http_auth *a, const char *user,
                                              const char *password);

/* A password check handed to the verifier pool.  The submitter owns the job
 * and its strings; done(job) is called once, on a verifier thread (or in
 * promc_http__verifier_free), with result 1 (good), 0 (bad) or -1 (the pool
 * stopped first); after done the pool does not touch the job again. */
struct promc_http_verify_job {
  struct promc_http_verify_job *next;
  const char *user, *password;
  int result;
  void (*done)(struct promc_http_verify_job *job);
};
struct promc_http_verifier;
/* threads verifier threads, at most max_queued jobs waiting.
 * Errors: PROMC_ENOMEM. */
PROMC_HTTP_HIDDEN int promc_http__verifier_new(struct promc_http_verifier **out,
                                               struct promc_http_auth *a, unsigned threads,
                                               unsigned max_queued);
/* 0 = queued; PROMC_EFULL = the queue is full (or the pool is stopping):
 * the job is not taken and done is not called. */
PROMC_HTTP_HIDDEN int promc_http__verifier_submit(struct promc_http_verifier *v,
                                                  struct promc_http_verify_job *j);
/* Joins the threads (each finishes the check it is on) and refuses what is
 * still queued. NULL is ignored. */
PROMC_HTTP_HIDDEN void promc_http__verifier_free(struct promc_http_verifier *v);

/* ---- handler internals (handler.c) ------------------------------------- */
struct MHD_Connection;
/* The handler's users (nusers 0 = no basic auth). */
PROMC_HTTP_HIDDEN struct promc_http_auth *promc_http__handler_auth(promc_http_handler *h);
/* Queues status (429 or 503) with "Retry-After: 1". */
PROMC_HTTP_HIDDEN int promc_http__queue_retry_later(struct MHD_Connection *c, unsigned status);
/* 1 when the handler needs no client certificate or c has a good one. */
PROMC_HTTP_HIDDEN int promc_http__cert_ok(promc_http_handler *h, struct MHD_Connection *c);
/* promc_http_handle with the basic-auth check already made by the caller:
 * authorized 1 = go on, 0 = answer 401. */
PROMC_HTTP_HIDDEN int promc_http__handle_authorized(promc_http_handler *h, struct MHD_Connection *c,
                                                    const char *url, const char *method,
                                                    int authorized);
/* The routing part of promc_http__handle_authorized: 1 when the request is a
 * scrape still to be answered (through promc_http__scrape_begin, or
 * promc_http__scrape_sync), else 0 with the response queued and its MHD
 * result in *qrc. */
PROMC_HTTP_HIDDEN int promc_http__route(promc_http_handler *h, struct MHD_Connection *c, const char *url,
                                        const char *method, int authorized, int *qrc);
/* Answers a routed scrape on the calling thread. */
PROMC_HTTP_HIDDEN int promc_http__scrape_sync(promc_http_handler *h, struct MHD_Connection *c);

/* One scrape split in three, so that the render can run on another thread
 * while the connection waits (suspended) for it:
 *   begin   (connection thread) reads the request, negotiates the format
 *           (q->f; the render may fall back from it), takes a buffer and a
 *           place among the scrapes in flight;
 *   render  (any thread) renders into the buffer; touches no connection;
 *   finish  (connection thread) queues the rendered response, or
 *   fail    (connection thread) queues status with msg instead, leaving the
 *           buffer to whoever still renders into it, who then calls
 *   release to give the buffer back.
 * finish and fail end the scrape's place in flight and count its status in
 * the self-metrics; fail with status 0 answers nothing (the connection is
 * gone). */
struct scrape_buf;
#define PROMC_HTTP_MAX_FILTER_NAMES 64
struct promc_http_scrape {
  promc_http_handler *h;
  struct scrape_buf *b;
  promc_registry *reg;
  promc_format f;
  char *accept; /* a copy: the connection may be gone before the render ends */
  int gzip;
  size_t nnames;
  const char *names[PROMC_HTTP_MAX_FILTER_NAMES];
  char store[4096];
  int rc;
  char err[512];
};
/* 1 = q is ready to render; 0 = the request was answered already (400 for
 * too many names, 503 over max_scrapes_in_flight, 500 out of memory), its MHD
 * result in *qrc. */
PROMC_HTTP_HIDDEN int promc_http__scrape_begin(promc_http_handler *h, struct MHD_Connection *c,
                                               struct promc_http_scrape *q, int *qrc);
PROMC_HTTP_HIDDEN void promc_http__scrape_render(struct promc_http_scrape *q);
PROMC_HTTP_HIDDEN int promc_http__scrape_finish(struct MHD_Connection *c, struct promc_http_scrape *q);
/* finish in two halves, so that one render can answer several scrapes:
 * build (any thread, once per render) makes the 200 response, taking the
 * buffer, or NULL (q->rc and q->err say why); answer (each scrape's
 * connection thread) queues r, or a 500 with rq's error when r is NULL, and
 * ends that scrape (of handler h) as finish does.  The caller destroys r
 * once every scrape has queued it. */
struct MHD_Response;
PROMC_HTTP_HIDDEN struct MHD_Response *promc_http__scrape_build(struct promc_http_scrape *q);
PROMC_HTTP_HIDDEN int promc_http__scrape_answer(struct MHD_Connection *c, promc_http_handler *h,
                                                struct MHD_Response *r, const struct promc_http_scrape *rq);
PROMC_HTTP_HIDDEN int promc_http__scrape_fail(struct MHD_Connection *c, struct promc_http_scrape *q,
                                              unsigned status, const char *msg);
PROMC_HTTP_HIDDEN void promc_http__scrape_release(struct promc_http_scrape *q);

#endif
