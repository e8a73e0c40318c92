/* SPDX-License-Identifier: Apache-2.0 */
/* auth.c — HTTP basic auth against bcrypt hashes, verified by libxcrypt's
 * crypt_r and compared in constant time.  Successful passwords are
 * remembered as a salted SHA-256 so that a scraper sending the same
 * credentials every scrape pays bcrypt once (exporter-toolkit caches the same
 * way); failures are never cached, and an unknown user costs one bcrypt too
 * so user names do not leak through timing.  The built-in server runs the
 * bcrypt checks on a small verifier pool (end of this file). */
#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "http/http_internal.h"

static int ct_equal(const void *a, size_t an, const void *b, size_t bn) {
  const unsigned char *x = a, *y = b;
  size_t n = an > bn ? an : bn;
  unsigned char d = (unsigned char)(an != bn);
  for (size_t i = 0; i < n; i++) d |= (unsigned char)((i < an ? x[i] : 0) ^ (i < bn ? y[i] : 0));
  return d == 0;
}

static int is_bcrypt(const char *h) {
  return h && (strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2y$", 4) == 0 ||
               strncmp(h, "$2a$", 4) == 0);
}

/* crypt_r(password, hash) == hash, constant-time on the comparison. */
static int bcrypt_verify(const char *password, const char *hash) {
  struct crypt_data *cd = calloc(1, sizeof *cd);
  if (!cd) return 0;
  const char *out = crypt_r(password, hash, cd);
  int ok = out && out[0] != '*' && ct_equal(out, strlen(out), hash, strlen(hash));
  free(cd);
  return ok;
}

static int digest(const struct promc_http_auth *a, const char *password, unsigned char out[32]) {
  size_t pn = strlen(password);
  unsigned char *m = malloc(sizeof a->salt + pn);
  if (!m) return -1;
  memcpy(m, a->salt, sizeof a->salt);
  memcpy(m + sizeof a->salt, password, pn);
  int rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, m, sizeof a->salt + pn, out);
  free(m);
  return rc == 0 ? 0 : -1;
}

int promc_http__auth_init(struct promc_http_auth *a, const promc_http_user *u, size_t n) {
  memset(a, 0, sizeof *a);
  if (n == 0) return 0;
  if (!u) return promc_http__err(PROMC_EINVAL, "users is NULL with nusers = %zu", n);
  for (size_t i = 0; i < n; i++) {
    if (!u[i].name || !u[i].name[0] || strchr(u[i].name, ':'))
      return promc_http__err(PROMC_EINVAL, "basic-auth user %zu: name empty or containing ':'", i);
    if (!is_bcrypt(u[i].bcrypt_hash))
      return promc_http__err(PROMC_EINVAL, "basic-auth user \"%s\": not a bcrypt hash ($2b$/$2y$/$2a$)",
                             u[i].name);
    /* crypt_r rejects a malformed setting with "*0"/"*1" (or NULL). */
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd) return promc_http__err(PROMC_ENOMEM, "out of memory");
    const char *out = crypt_r("", u[i].bcrypt_hash, cd);
    int bad = !out || out[0] == '*' || strlen(out) != strlen(u[i].bcrypt_hash);
    free(cd);
    if (bad)
      return promc_http__err(PROMC_EINVAL, "basic-auth user \"%s\": malformed bcrypt hash",
                             u[i].name);
  }
  a->users = calloc(n, sizeof *a->users);
  if (!a->users) return promc_http__err(PROMC_ENOMEM, "out of memory");
  a->nusers = n;
  for (size_t i = 0; i < n; i++) {
    a->users[i].name = strdup(u[i].name);
    a->users[i].hash = strdup(u[i].bcrypt_hash);
    if (!a->users[i].name || !a->users[i].hash) {
      promc_http__auth_free(a);
      return promc_http__err(PROMC_ENOMEM, "out of memory");
    }
  }
  if (gnutls_rnd(GNUTLS_RND_NONCE, a->salt, sizeof a->salt) != 0 &&
      getrandom(a->salt, sizeof a->salt, 0) != (ssize_t)sizeof a->salt) {
    promc_http__auth_free(a);
    return promc_http__err(PROMC_EIO, "no random bytes for the password cache salt");
  }
  pthread_mutex_init(&a->lock, NULL);
  return 0;
}

void promc_http__auth_free(struct promc_http_auth *a) {
  if (!a->users) return;
  for (size_t i = 0; i < a->nusers; i++) {
    free(a->users[i].name);
    free(a->users[i].hash);
  }
  free(a->users);
  pthread_mutex_destroy(&a->lock);
  memset(a, 0, sizeof *a);
}

/* The configured user of that name, or NULL. */
static struct promc_http_auth_user *find_user(struct promc_http_auth *a, const char *user) {
  struct promc_http_auth_user *found = NULL;
  for (size_t i = 0; i < a->nusers; i++)
    if (strcmp(a->users[i].name, user) == 0) found = &a->users[i];
  return found;
}

int promc_http__auth_cached(struct promc_http_auth *a, const char *user, const char *password) {
  if (!user || !password) return 0;
  struct promc_http_auth_user *found = find_user(a, user);
  unsigned char d[32];
  if (!found || digest(a, password, d) != 0) return 0;
  pthread_mutex_lock(&a->lock);
  int hit = found->has_ok && ct_equal(found->ok_digest, 32, d, 32);
  pthread_mutex_unlock(&a->lock);
  return hit;
}

int promc_http__auth_check(struct promc_http_auth *a, const char *user, const char *password) {
  if (!user || !password) return 0;
  struct promc_http_auth_user *found = find_user(a, user);
  if (!found) {
    (void)bcrypt_verify(password, a->users[0].hash); /* same cost as a real check */
    return 0;
  }
  unsigned char d[32];
  int have_digest = digest(a, password, d) == 0;
  if (have_digest) {
    pthread_mutex_lock(&a->lock);
    int hit = found->has_ok && ct_equal(found->ok_digest, 32, d, 32);
    pthread_mutex_unlock(&a->lock);
    if (hit) return 1;
  }
  if (!bcrypt_verify(password, found->hash)) return 0;
  if (have_digest) {
    pthread_mutex_lock(&a->lock);
    memcpy(found->ok_digest, d, 32);
    found->has_ok = 1;
    pthread_mutex_unlock(&a->lock);
  }
  return 1;
}

/* ---- the verifier pool ----------------------------------------------------
 * bcrypt costs ~50 ms of CPU by design; run on the connection threads, a
 * few clients sending wrong passwords would take them all and every scrape
 * would queue behind the hashing.  So the server hashes here, on a fixed
 * number of threads (fewer than the cores it leaves to the connection
 * threads), with a bounded queue: what does not fit is refused at once (the
 * caller answers 429), and a password already known to be good never comes
 * here (promc_http__auth_cached).  The threads keep normal priority: a
 * lowered one starves on a busy machine, and a real scraper's first check
 * would then take seconds. */
struct promc_http_verifier {
  struct promc_http_auth *auth;
  pthread_mutex_t lock;
  pthread_cond_t cv;
  struct promc_http_verify_job *head, *tail; /* queued, not yet taken */
  unsigned queued, max_queued;
  int stopping;
  unsigned nthreads;
  pthread_t threads[];
};

static void *verifier_main(void *arg) {
  struct promc_http_verifier *v = arg;
  pthread_mutex_lock(&v->lock);
  for (;;) {
    while (!v->head && !v->stopping) pthread_cond_wait(&v->cv, &v->lock);
    if (v->stopping) break;
    struct promc_http_verify_job *j = v->head;
    v->head = j->next;
    if (!v->head) v->tail = NULL;
    v->queued--;
    pthread_mutex_unlock(&v->lock);
    j->result = promc_http__auth_check(v->auth, j->user, j->password) ? 1 : 0;
    j->done(j); /* j belongs to the caller again */
    pthread_mutex_lock(&v->lock);
  }
  pthread_mutex_unlock(&v->lock);
  return NULL;
}

int promc_http__verifier_new(struct promc_http_verifier **out, struct promc_http_auth *a,
                             unsigned threads, unsigned max_queued) {
  *out = NULL;
  struct promc_http_verifier *v = calloc(1, sizeof *v + threads * sizeof(pthread_t));
  if (!v) return promc_http__err(PROMC_ENOMEM, "out of memory");
  v->auth = a;
  v->max_queued = max_queued;
  pthread_mutex_init(&v->lock, NULL);
  pthread_cond_init(&v->cv, NULL);
  for (; v->nthreads < threads; v->nthreads++) {
    if (pthread_create(&v->threads[v->nthreads], NULL, verifier_main, v) != 0) {
      promc_http__verifier_free(v);
      return promc_http__err(PROMC_ENOMEM, "cannot start a password verifier thread");
    }
  }
  *out = v;
  return 0;
}

int promc_http__verifier_submit(struct promc_http_verifier *v, struct promc_http_verify_job *j) {
  pthread_mutex_lock(&v->lock);
  int ok = !v->stopping && v->queued < v->max_queued;
  if (ok) {
    j->next = NULL;
    if (v->tail) v->tail->next = j;
    else v->head = j;
    v->tail = j;
    v->queued++;
    pthread_cond_signal(&v->cv);
  }
  pthread_mutex_unlock(&v->lock);
  return ok ? 0 : PROMC_EFULL;
}

void promc_http__verifier_free(struct promc_http_verifier *v) {
  if (!v) return;
  pthread_mutex_lock(&v->lock);
  v->stopping = 1;
  pthread_cond_broadcast(&v->cv);
  pthread_mutex_unlock(&v->lock);
  for (unsigned i = 0; i < v->nthreads; i++) pthread_join(v->threads[i], NULL);
  /* Jobs never taken are refused, so that their connections go on. */
  for (struct promc_http_verify_job *j = v->head, *n; j; j = n) {
    n = j->next;
    j->result = -1;
    j->done(j);
  }
  pthread_cond_destroy(&v->cv);
  pthread_mutex_destroy(&v->lock);
  free(v);
}
