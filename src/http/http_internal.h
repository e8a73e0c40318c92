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
/* 1 when user/password match a configured user, else 0. */
PROMC_HTTP_HIDDEN int promc_http__auth_check(struct promc_http_auth *a, const char *user,
                                             const char *password);

#endif
