/* SPDX-License-Identifier: Apache-2.0 */
/* server.c — the built-in exposition server: a libmicrohttpd daemon with an
 * internal pool of poll threads, optionally TLS, answering every request
 * through a promc_http_handler (handler.c), plus the guard that keeps hostile
 * clients from taking it.
 *
 * Why poll and not epoll: libmicrohttpd 0.9.75 registers connections
 * edge-triggered and takes a short recv() as "drained".  A client that sends
 * a few bytes and closes at once delivers data and FIN in one edge; the
 * recv() returns the bytes, the end of stream is never read, and the slot
 * stays taken (CLOSE_WAIT) until the idle timeout — a few thousand such
 * connections keep the port down.  poll() is level-triggered: the next
 * round sees the socket readable again, reads the EOF and frees the slot.
 * For the few hundred connections this server holds, poll's O(n) rounds
 * cost nothing measurable.
 *
 * Why a thread pool rather than a thread per connection: an idle or slow
 * client then costs a socket and a few KiB, never a thread.
 *
 * The guard (libmicrohttpd's connection, URI-log and completion hooks) knows
 * every connection, when it began waiting for its current request, and how
 * far that request has come.  A housekeeping thread closes (shutdown(2),
 * which libmicrohttpd then sees as a dead socket) each connection whose
 * request (header, and a body if one is sent) is not complete
 * header_timeout after it began — a TLS handshake included — however
 * slowly it trickles; and when all slots are
 * taken, the connection that has waited longest without completing a
 * request is closed to make room, so a new scraper is always let in — once
 * the server has been full for EVICT_GRACE_SECONDS (see make_room).
 *
 * With basic auth, bcrypt runs on the verifier pool of auth.c: the request
 * is suspended (MHD_suspend_connection) while its password is checked, and
 * a request that finds the pool's queue full is answered 429 at once.  A
 * password already verified is recognised on the connection thread without
 * touching the pool. */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "http/http_internal.h"

#define DEFAULT_MAX_CONNECTIONS 512
#define DEFAULT_TIMEOUT_SECONDS 30
#define DEFAULT_THREADS 2
#define DEFAULT_HEADER_TIMEOUT_SECONDS 5
#define DEFAULT_MAX_RENDER_THREADS 4
#define EVICT_GRACE_SECONDS 2.0
#define HOUSEKEEPING_MS 100
#define VERIFIER_THREADS 1
#define VERIFIER_QUEUE 4
#define MAX_PEM_BYTES (1u << 20)

enum phase {
  PH_WAIT, /* waiting for a request line (a new or a kept-alive connection) */
  PH_HEAD, /* request line in, request (header, any body) not complete */
  PH_BUSY  /* request complete: being answered */
};
enum { AUTH_NONE, AUTH_PENDING, AUTH_DONE };

/* What the guard knows of one connection.  mc and fd are set once; the
 * list links, since, phase, served and closing are guarded by the server's
 * lock (written only by the connection's own thread, read by the
 * housekeeping thread); the rest belong to the connection's thread, except
 * while the request is suspended, when job, user and pass belong to the
 * verifier (the suspend/resume pair and `auth` order the hand-over). */
struct pending;
struct conn {
  struct conn *prev, *next; /* the server's list, oldest `since` first */
  struct MHD_Connection *mc;
  int fd;
  double since;  /* when it began waiting for its current request */
  enum phase phase;
  unsigned served; /* requests completed */
  int closing;     /* shut down by the guard */
  int header_in;   /* the access handler has had its first call */
  struct promc_http_verify_job job;
  _Atomic int auth;
  char *user, *pass; /* MHD_free them */
  struct pending *pend; /* a scrape rendering on a worker (written under the lock) */
};

/* Scrapes rendered on worker threads (render_timeout_ms, coalesce_scrapes).
 * A group is one render on one worker; its members are the scrapes it
 * answers, each suspended until its state leaves RUNNING — to DONE when the
 * worker has rendered, to TIMED_OUT at its own deadline (the housekeeping
 * thread), to STOPPED at stop — and whoever moves it resumes that
 * connection, exactly once.  Members are linked into their group under the
 * server's lock, and a member leaves that list (under the lock) before its
 * record is freed, so the worker resumes only live connections.  The group
 * is reference-counted (worker + members): its buffer and response outlive
 * the render and every scrape still to answer from it.  At most max_renders
 * workers run at once, timed-out renders included: a scrape that finds no
 * group to join and no worker free is answered 503 at once, so a collector
 * that hangs costs a bounded number of threads and buffers. */
enum { PEND_RUNNING, PEND_DONE, PEND_TIMED_OUT, PEND_STOPPED };
struct group;
struct pending {
  struct pending *next; /* the group's members */
  struct group *g;
  struct promc_http_scrape q; /* this scrape's place in flight; the render's is the group's */
  struct MHD_Connection *mc;
  double deadline; /* 0 = none */
  _Atomic int state;
};
struct group {
  struct group *next; /* the server's groups still rendering */
  struct promc_http_server *s;
  struct promc_http_scrape q;
  promc_format key_f; /* the negotiated format scrapes join on (q.f may fall back) */
  struct MHD_Response *resp; /* NULL: q.err says why */
  struct pending *members;
  _Atomic int refs;
};

struct promc_http_server {
  struct MHD_Daemon *d;
  promc_http_handler *h;
  uint16_t port;
  char *cert, *key, *ca; /* PEM text; libmicrohttpd reads them at start */
  /* the guard */
  pthread_mutex_t lock;
  pthread_cond_t cv;
  struct conn *head, *tail;
  unsigned live; /* connections not being closed by the guard */
  unsigned limit;
  double header_timeout;
  double grace;      /* how long the server may be full before it makes room */
  double full_since; /* when it last became full; 0 = not full */
  int stopping;
  int keeper_running;
  pthread_t keeper;
  struct promc_http_verifier *verifier;
  double render_timeout; /* seconds; 0 = renders on the connection thread */
  unsigned render_timeout_ms;
  unsigned renders;       /* worker threads running (under lock) */
  unsigned max_renders;   /* at most this many: a stuck collector holds each it is in */
  pthread_cond_t renders_cv;
  int coalesce;
  struct group *rendering; /* groups a scrape may still join (under lock) */
  char *unix_path; /* the socket file we made, removed at stop if still ours */
  dev_t unix_dev;
  ino_t unix_ino;
};

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the guard (lock held in all of these) ---- */
static void list_unlink(struct promc_http_server *s, struct conn *c) {
  if (c->prev) c->prev->next = c->next;
  else s->head = c->next;
  if (c->next) c->next->prev = c->prev;
  else s->tail = c->prev;
  c->prev = c->next = NULL;
}

static void list_append(struct promc_http_server *s, struct conn *c) {
  c->prev = s->tail;
  c->next = NULL;
  if (s->tail) s->tail->next = c;
  else s->head = c;
  s->tail = c;
}

/* Restarts c's wait (a new request begins): to the end of the list. */
static void restamp(struct promc_http_server *s, struct conn *c, double now) {
  c->since = now;
  list_unlink(s, c);
  list_append(s, c);
}

/* libmicrohttpd sees a socket shut down in both directions as closed by the
 * peer and closes it itself, on its own thread; the fd stays valid until
 * its CLOSED notification, which takes the lock we hold. */
static void kill_conn(struct promc_http_server *s, struct conn *c) {
  (void)shutdown(c->fd, SHUT_RDWR);
  c->closing = 1;
  s->live--;
}

/* Makes room when every slot is taken: closes the connection that has
 * waited longest without completing a request (never one being answered,
 * nor `self`, the one just accepted).  Only once the server has been full
 * for `grace`: a burst of clients that fills it for a moment (scrapers
 * reconnecting together) is let be; a server held full longer than that is
 * under siege, and from then on every new connection displaces the oldest
 * waiting one.  1 if one was closed. */
static int make_room(struct promc_http_server *s, double now, const struct conn *self) {
  /* Full until clearly not: the room made here leaves it one short. */
  unsigned ease = s->limit / 8 ? s->limit / 8 : 1;
  if (s->live + 1 + ease <= s->limit) s->full_since = 0;
  if (s->live < s->limit) return 0;
  if (s->full_since == 0) s->full_since = now;
  if (now - s->full_since < s->grace) return 0;
  for (struct conn *c = s->head; c; c = c->next) {
    if (c != self && !c->closing && c->phase != PH_BUSY) {
      kill_conn(s, c);
      return 1;
    }
  }
  return 0;
}

/* Resumes every rendering scrape whose deadline has passed (all of them
 * when `all`, as `to`); returns the nearest deadline still ahead, or 0. */
static double expire_renders(struct promc_http_server *s, double now, int all, int to) {
  double next = 0;
  for (struct conn *c = s->head; c; c = c->next) {
    struct pending *p = c->pend;
    if (!p || atomic_load(&p->state) != PEND_RUNNING) continue;
    if (all || (p->deadline && now >= p->deadline)) {
      int expect = PEND_RUNNING;
      if (atomic_compare_exchange_strong(&p->state, &expect, to)) MHD_resume_connection(c->mc);
    } else if (p->deadline && (next == 0 || p->deadline < next)) {
      next = p->deadline;
    }
  }
  return next;
}

static void *keeper_main(void *arg) {
  struct promc_http_server *s = arg;
  pthread_mutex_lock(&s->lock);
  while (!s->stopping) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long wait_ns = HOUSEKEEPING_MS * 1000000L;
    if (s->render_timeout) {
      double now0 = mono_now(), next = expire_renders(s, now0, 0, PEND_TIMED_OUT);
      if (next && (next - now0) * 1e9 < (double)wait_ns) wait_ns = (long)((next - now0) * 1e9) + 1;
    }
    ts.tv_nsec += wait_ns;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&s->cv, &s->lock, &ts);
    if (s->stopping) break;
    double now = mono_now();
    if (s->render_timeout) expire_renders(s, now, 0, PEND_TIMED_OUT);
    for (struct conn *c = s->head; c; c = c->next) {
      if (now - c->since < s->header_timeout) break; /* the rest are younger */
      int header_pending = c->phase == PH_HEAD || (c->phase == PH_WAIT && c->served == 0);
      if (!c->closing && header_pending) kill_conn(s, c);
    }
    while (make_room(s, now, NULL)) {
    }
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  struct promc_http_server *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct conn *c = ci ? calloc(1, sizeof *c) : NULL;
    *socket_context = c;
    if (!c) return; /* out of memory: this one goes unguarded */
    c->mc = mc;
    c->fd = ci->connect_fd;
    c->phase = PH_WAIT;
    atomic_init(&c->auth, AUTH_NONE);
    pthread_mutex_lock(&s->lock);
    c->since = mono_now();
    list_append(s, c);
    s->live++;
    /* Keep a slot free for whoever comes next. */
    make_room(s, c->since, c);
    pthread_mutex_unlock(&s->lock);
    return;
  }
  struct conn *c = *socket_context;
  if (!c) return;
  pthread_mutex_lock(&s->lock);
  list_unlink(s, c);
  if (!c->closing) s->live--;
  make_room(s, mono_now(), NULL); /* notices it is no longer full (or makes room) */
  pthread_mutex_unlock(&s->lock);
  if (c->user) MHD_free(c->user);
  if (c->pass) MHD_free(c->pass);
  free(c);
  *socket_context = NULL;
}

static struct conn *conn_of(struct MHD_Connection *mc) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* Called when a request line has been read; what it returns becomes the
 * request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc) {
  (void)uri;
  struct promc_http_server *s = cls;
  struct conn *c = conn_of(mc);
  if (!c) return NULL;
  pthread_mutex_lock(&s->lock);
  /* A first request's deadline runs from the accept (the TLS handshake is
   * part of it); a kept-alive connection's from its request line. */
  if (c->served) restamp(s, c, mono_now());
  c->phase = PH_HEAD;
  pthread_mutex_unlock(&s->lock);
  return c;
}

static void auth_reset(struct conn *c) {
  if (c->user) MHD_free(c->user);
  if (c->pass) MHD_free(c->pass);
  c->user = c->pass = NULL;
  atomic_store(&c->auth, AUTH_NONE);
}

static void group_unref(struct group *g) {
  if (atomic_fetch_sub(&g->refs, 1) == 1) {
    if (g->resp) MHD_destroy_response(g->resp);
    promc_http__scrape_release(&g->q);
    free(g);
  }
}

/* Takes c's scrape out of its group (the connection is answering, or
 * gone). */
static struct pending *pending_detach(struct promc_http_server *s, struct conn *c) {
  pthread_mutex_lock(&s->lock);
  struct pending *p = c->pend;
  c->pend = NULL;
  for (struct pending **pp = &p->g->members; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  pthread_mutex_unlock(&s->lock);
  return p;
}

/* The request ended before its resumed scrape was answered. */
static void pending_drop(struct promc_http_server *s, struct conn *c) {
  struct pending *p = pending_detach(s, c);
  struct group *g = p->g;
  promc_http__scrape_fail(NULL, &p->q, 0, NULL);
  free(p);
  group_unref(g);
}

static void *render_main(void *arg) {
  struct group *g = arg;
  struct promc_http_server *s = g->s;
  promc_http__scrape_render(&g->q);
  g->resp = promc_http__scrape_build(&g->q);
  pthread_mutex_lock(&s->lock);
  for (struct group **pp = &s->rendering; *pp; pp = &(*pp)->next)
    if (*pp == g) {
      *pp = g->next;
      break;
    }
  for (struct pending *m = g->members; m; m = m->next) {
    int expect = PEND_RUNNING;
    if (atomic_compare_exchange_strong(&m->state, &expect, PEND_DONE)) MHD_resume_connection(m->mc);
  }
  if (--s->renders == 0) pthread_cond_broadcast(&s->renders_cv);
  pthread_mutex_unlock(&s->lock);
  group_unref(g);
  return NULL;
}

/* Scrapes answered by one render: same negotiated format, same gzip, same
 * name[] list in the same order. */
static int same_scrape(const struct group *g, const struct promc_http_scrape *q) {
  if (g->key_f != q->f || g->q.gzip != q->gzip || g->q.nnames != q->nnames) return 0;
  for (size_t i = 0; i < q->nnames; i++)
    if (strcmp(g->q.names[i], q->names[i]) != 0) return 0;
  return 1;
}

/* A routed scrape rendered on a worker: the connection is suspended until
 * the render (its own, or one it joins) or its deadline resumes it. */
static int scrape_async(struct promc_http_server *s, struct conn *c, struct MHD_Connection *mc) {
  struct pending *p = calloc(1, sizeof *p);
  if (!p) return promc_http__queue_retry_later(mc, MHD_HTTP_SERVICE_UNAVAILABLE);
  int qrc;
  if (!promc_http__scrape_begin(s->h, mc, &p->q, &qrc)) {
    free(p);
    return qrc;
  }
  p->mc = mc;
  atomic_init(&p->state, PEND_RUNNING);
  pthread_mutex_lock(&s->lock);
  struct group *g = NULL;
  int leader = 0;
  if (s->coalesce && !s->stopping)
    for (g = s->rendering; g && !same_scrape(g, &p->q); g = g->next) {
    }
  if (g) {
    promc_http__scrape_release(&p->q); /* the group's render answers it */
    atomic_fetch_add(&g->refs, 1);
  } else if (!s->stopping && s->renders < s->max_renders && (g = calloc(1, sizeof *g))) {
    g->s = s;
    g->q = p->q;
    for (size_t i = 0; i < g->q.nnames; i++) g->q.names[i] = g->q.store + (p->q.names[i] - p->q.store);
    g->key_f = p->q.f;
    p->q.b = NULL;
    p->q.accept = NULL;
    atomic_init(&g->refs, 2); /* the worker and this member */
    leader = 1;
    g->next = s->rendering;
    s->rendering = g;
    s->renders++;
  } else {
    /* A render that never ends (a collector blocked on a dead backend) is
     * not interrupted and keeps its thread: without a bound, every scrape
     * after it would start one more that never ends. */
    char msg[128];
    if (s->stopping)
      snprintf(msg, sizeof msg, "the server is stopping\n");
    else if (s->renders >= s->max_renders)
      snprintf(msg, sizeof msg, "Limit of concurrent renders reached (%u still running), try again later.\n",
               s->renders);
    else
      snprintf(msg, sizeof msg, "out of memory\n");
    pthread_mutex_unlock(&s->lock);
    qrc = promc_http__scrape_fail(mc, &p->q, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    promc_http__scrape_release(&p->q);
    free(p);
    return qrc;
  }
  p->g = g;
  p->next = g->members;
  g->members = p;
  p->deadline = s->render_timeout ? mono_now() + s->render_timeout : 0;
  c->pend = p;
  /* Suspend before the worker can finish, so that its resume can never
   * come first. */
  MHD_suspend_connection(mc);
  if (leader) {
    pthread_attr_t attr;
    pthread_t t;
    int started = pthread_attr_init(&attr) == 0;
    if (started) {
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      started = pthread_create(&t, &attr, render_main, g) == 0;
      pthread_attr_destroy(&attr);
    }
    if (!started) {
      s->rendering = g->next;
      s->renders--;
      atomic_fetch_sub(&g->refs, 1); /* the worker's */
      atomic_store(&p->state, PEND_STOPPED);
      MHD_resume_connection(mc);
    }
  }
  if (p->deadline) pthread_cond_signal(&s->cv); /* the housekeeper learns the new deadline */
  pthread_mutex_unlock(&s->lock);
  return MHD_YES;
}

/* The connection is back from a worker's scrape: answer it. */
static int scrape_resumed(struct promc_http_server *s, struct conn *c, struct MHD_Connection *mc) {
  struct pending *p = pending_detach(s, c);
  struct group *g = p->g;
  int st = atomic_load(&p->state);
  int r;
  if (st == PEND_DONE) {
    r = promc_http__scrape_answer(mc, s->h, g->resp, &g->q);
  } else {
    char msg[96];
    if (st == PEND_TIMED_OUT)
      snprintf(msg, sizeof msg, "Exceeded configured timeout of %u ms.\n", s->render_timeout_ms);
    else
      snprintf(msg, sizeof msg, "the server is stopping or out of threads\n");
    r = promc_http__scrape_fail(mc, &p->q, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
  }
  free(p);
  group_unref(g);
  return r;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)toe;
  struct promc_http_server *s = cls;
  struct conn *c = *con_cls;
  if (!c || c != conn_of(mc)) return;
  if (c->pend) pending_drop(s, c);
  auth_reset(c);
  c->header_in = 0;
  pthread_mutex_lock(&s->lock);
  c->phase = PH_WAIT;
  c->served++;
  restamp(s, c, mono_now());
  pthread_mutex_unlock(&s->lock);
}

/* On a verifier thread: hand the request back to its connection thread. */
static void verify_done(struct promc_http_verify_job *j) {
  struct conn *c = (struct conn *)((char *)j - offsetof(struct conn, job));
  atomic_store(&c->auth, AUTH_DONE);
  MHD_resume_connection(c->mc);
}

/* A complete request on a guarded connection: basic auth through the
 * verifier pool, then the handler. */
static int answer(struct promc_http_server *s, struct conn *c, struct MHD_Connection *mc,
                  const char *url, const char *method, int authorized) {
  int qrc;
  if (!promc_http__route(s->h, mc, url, method, authorized, &qrc)) return qrc;
  return s->render_timeout || s->coalesce ? scrape_async(s, c, mc) : promc_http__scrape_sync(s->h, mc);
}

static int serve(struct promc_http_server *s, struct conn *c, struct MHD_Connection *mc,
                 const char *url, const char *method) {
  if (c->pend) return scrape_resumed(s, c, mc);
  struct promc_http_auth *a = promc_http__handler_auth(s->h);
  if (!a->nusers || !promc_http__cert_ok(s->h, mc)) return answer(s, c, mc, url, method, 1);
  int state = atomic_load(&c->auth);
  if (state == AUTH_PENDING) return MHD_YES; /* resumed early: wait on */
  if (state == AUTH_DONE) {
    int r = c->job.result;
    auth_reset(c);
    if (r == -2) return promc_http__queue_retry_later(mc, MHD_HTTP_TOO_MANY_REQUESTS);
    if (r < 0) return promc_http__queue_retry_later(mc, MHD_HTTP_SERVICE_UNAVAILABLE);
    return answer(s, c, mc, url, method, r == 1);
  }
  char *pass = NULL;
  char *user = MHD_basic_auth_get_username_password(mc, &pass);
  if (!user || !pass || promc_http__auth_cached(a, user, pass)) {
    int ok = user && pass;
    if (user) MHD_free(user);
    if (pass) MHD_free(pass);
    return answer(s, c, mc, url, method, ok);
  }
  c->user = user;
  c->pass = pass;
  c->job = (struct promc_http_verify_job){.user = user, .password = pass, .done = verify_done};
  atomic_store(&c->auth, AUTH_PENDING);
  /* Suspend before queueing, so that the resume can never come first. */
  MHD_suspend_connection(mc);
  if (promc_http__verifier_submit(s->verifier, &c->job) != 0) {
    c->job.result = -2; /* no room: 429 */
    verify_done(&c->job);
  }
  return MHD_YES;
}

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)version;
  (void)upload_data;
  struct promc_http_server *s = cls;
  /* Answer once the request is complete: libmicrohttpd closes a connection
   * whose response was queued on the first call, and keep-alive matters to
   * a scraper that comes back every few seconds. A body (there should be
   * none) is discarded.  *con_cls is the guard's record (set by on_uri), or
   * for a connection the guard could not record, a marker. */
  static int seen;
  struct conn *c = *con_cls == (void *)&seen ? NULL : *con_cls;
  if (!*con_cls) {
    *con_cls = &seen;
    return MHD_YES;
  }
  if (c && !c->header_in) {
    c->header_in = 1;
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (!c) return promc_http_handle(s->h, mc, url, method) ? MHD_YES : MHD_NO;
  if (c->phase != PH_BUSY) {
    /* The whole request is in (a body too, if any): no deadline from now
     * on, and never closed to make room. */
    pthread_mutex_lock(&s->lock);
    c->phase = PH_BUSY;
    pthread_mutex_unlock(&s->lock);
  }
  return serve(s, c, mc, url, method) ? MHD_YES : MHD_NO;
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

/* Binds and listens on a Unix domain socket at path; *out the socket.
 * A socket file nobody listens on any more is replaced. */
static int listen_unix(struct promc_http_server *s, const char *path, int *out) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof sa.sun_path)
    return promc_http__err(PROMC_EINVAL, "unix_path \"%s\" is %s", path,
                           n ? "longer than a Unix socket path may be (107 bytes)" : "empty");
  memcpy(sa.sun_path, path, n + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return promc_http__err(PROMC_ENET, "cannot make a Unix socket: %s", strerror(errno));
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  if (rc != 0 && errno == EADDRINUSE) {
    struct stat st;
    int is_sock = lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
    int probe = is_sock ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    int stale = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) != 0 && errno == ECONNREFUSED;
    if (probe >= 0) close(probe);
    if (!stale) {
      close(fd);
      return promc_http__err(PROMC_ENET, "cannot listen on %s: %s", path,
                             is_sock ? "a server is listening on it" : "the path exists and is no socket");
    }
    unlink(path);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  }
  if (rc != 0 || listen(fd, 128) != 0) {
    int e = errno;
    close(fd);
    return promc_http__err(PROMC_ENET, "cannot listen on %s: %s", path, strerror(e));
  }
  struct stat st;
  if (lstat(path, &st) != 0 || !(s->unix_path = strdup(path))) {
    close(fd);
    unlink(path);
    return promc_http__err(PROMC_ENOMEM, "out of memory");
  }
  s->unix_dev = st.st_dev;
  s->unix_ino = st.st_ino;
  *out = fd;
  return 0;
}

static void server_free(struct promc_http_server *s) {
  pthread_mutex_lock(&s->lock);
  s->stopping = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->lock);
  if (s->keeper_running) pthread_join(s->keeper, NULL);
  /* Scrapes still rendering are answered 503; their workers are waited
   * for, since they use the registry, which the caller may free next.  At
   * most max_renders of them; a render that never ends keeps stop waiting
   * (it cannot be interrupted, and returning would free the registry under
   * it). */
  pthread_mutex_lock(&s->lock);
  expire_renders(s, 0, 1, PEND_STOPPED);
  while (s->renders) pthread_cond_wait(&s->renders_cv, &s->lock);
  pthread_mutex_unlock(&s->lock);
  /* Before the daemon: resumes every request still waiting for a check. */
  promc_http__verifier_free(s->verifier);
  if (s->d) MHD_stop_daemon(s->d); /* closes the listening socket, ours or its own */
  if (s->unix_path) {
    struct stat st;
    if (lstat(s->unix_path, &st) == 0 && st.st_dev == s->unix_dev && st.st_ino == s->unix_ino)
      unlink(s->unix_path);
    free(s->unix_path);
  }
  pthread_cond_destroy(&s->cv);
  pthread_cond_destroy(&s->renders_cv);
  pthread_mutex_destroy(&s->lock);
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

  if (o.max_render_threads && !o.render_timeout_ms && !o.coalesce_scrapes)
    return promc_http__err(PROMC_EINVAL, "max_render_threads needs render_timeout_ms or coalesce_scrapes: "
                                         "without them scrapes render on the connection threads");

  if (o.unix_path && (o.addr || o.port))
    return promc_http__err(PROMC_EINVAL, "unix_path and addr/port are exclusive: a server listens on one");

  /* Resolve the address once. */
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  char portstr[8];
  snprintf(portstr, sizeof portstr, "%u", (unsigned)o.port);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  int v6 = 0, any_addr = 0;
  if (!o.unix_path) {
    int gai = getaddrinfo(addr, portstr, &hints, &ai);
    if (gai != 0 || !ai)
      return promc_http__err(PROMC_EINVAL, "cannot resolve listen address \"%s\": %s", addr,
                             gai_strerror(gai));
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    v6 = ai->ai_family == AF_INET6;
    /* "::" (any IPv6 address) also takes IPv4, as [::] does elsewhere. */
    any_addr = v6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)(void *)&ss)->sin6_addr);
    freeaddrinfo(ai);
  }

  struct promc_http_server *s = calloc(1, sizeof *s);
  if (!s) return promc_http__err(PROMC_ENOMEM, "out of memory");
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_cond_init(&s->renders_cv, NULL);
  s->render_timeout_ms = o.render_timeout_ms;
  s->render_timeout = o.render_timeout_ms / 1000.0;
  s->coalesce = o.coalesce_scrapes != 0;
  s->max_renders = o.max_render_threads ? o.max_render_threads : DEFAULT_MAX_RENDER_THREADS;
  s->limit = o.max_connections ? o.max_connections : DEFAULT_MAX_CONNECTIONS;
  s->header_timeout = o.header_timeout_seconds ? o.header_timeout_seconds : DEFAULT_HEADER_TIMEOUT_SECONDS;
  s->grace = s->header_timeout < EVICT_GRACE_SECONDS ? s->header_timeout : EVICT_GRACE_SECONDS;
  int rc = promc_http_handler_new(&s->h, &(promc_http_handler_opts){
                                              .registry = o.registry,
                                              .users = o.users,
                                              .nusers = o.nusers,
                                              .disable_gzip = o.disable_gzip,
                                              .gzip_level = o.gzip_level,
                                              .verify_client_cert = o.tls_client_ca_file != NULL,
                                              .formats = o.formats,
                                              .paths = o.paths,
                                              .npaths = o.npaths,
                                              .health_path = o.health_path,
                                              .self_metrics = o.self_metrics ? o.self_metrics
                                                                             : !o.registry && !o.nregistries,
                                              .self_metrics_registry = o.self_metrics_registry,
                                              .max_scrapes_in_flight = o.max_scrapes_in_flight,
                                              .error_handling = o.error_handling,
                                              .registries = o.registries,
                                              .nregistries = o.nregistries,
                                          });
  if (rc) {
    server_free(s);
    return rc;
  }
  if (o.nusers && (rc = promc_http__verifier_new(&s->verifier, promc_http__handler_auth(s->h),
                                                 VERIFIER_THREADS, VERIFIER_QUEUE))) {
    server_free(s);
    return rc;
  }
  if (tls && ((rc = read_pem(o.tls_cert_file, &s->cert)) || (rc = read_pem(o.tls_key_file, &s->key)) ||
              (o.tls_client_ca_file && (rc = read_pem(o.tls_client_ca_file, &s->ca))))) {
    server_free(s);
    return rc;
  }

  unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (v6) flags |= any_addr ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
  if (tls) flags |= MHD_USE_TLS;
  if (o.nusers || o.render_timeout_ms || o.coalesce_scrapes) flags |= MHD_ALLOW_SUSPEND_RESUME;
  unsigned threads = o.threads ? o.threads : DEFAULT_THREADS;
  struct MHD_OptionItem ov[16];
  size_t k = 0;
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
  int ufd = -1;
  struct stat ufd_st;
  if (o.unix_path) {
    if ((rc = listen_unix(s, o.unix_path, &ufd)) || fstat(ufd, &ufd_st) != 0) {
      if (ufd >= 0) close(ufd);
      server_free(s);
      return rc ? rc : promc_http__err(PROMC_ENET, "cannot listen on %s", o.unix_path);
    }
    ov[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, ufd, NULL};
  } else {
    ov[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
  }
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)s->limit, NULL};
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s};
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s};
  ov[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
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
  s->d = MHD_start_daemon(flags, o.port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ov,
                          MHD_OPTION_END);
  if (!s->d) {
    char why[512];
    snprintf(why, sizeof why, "%s", promc_errmsg());
    if (ufd >= 0) {
      /* libmicrohttpd closes a listening socket it was given on most failure
       * paths, not all: close it unless it did (the same socket inode:
       * another thread's new descriptor of that number would differ). */
      struct stat st;
      if (fstat(ufd, &st) == 0 && st.st_dev == ufd_st.st_dev && st.st_ino == ufd_st.st_ino) close(ufd);
    }
    server_free(s);
    if (o.unix_path)
      return promc_http__err(PROMC_ENET, "cannot start the HTTP server on %s%s%s", o.unix_path,
                             why[0] ? ": " : "", why);
    return promc_http__err(PROMC_ENET, "cannot start the HTTP server on %s port %u%s%s", addr,
                           (unsigned)o.port, why[0] ? ": " : "", why);
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = o.unix_path ? 0 : di ? di->port : o.port;
  if (pthread_create(&s->keeper, NULL, keeper_main, s) != 0) {
    server_free(s);
    return promc_http__err(PROMC_ENOMEM, "cannot start the HTTP server's housekeeping thread");
  }
  s->keeper_running = 1;
  *out = s;
  return 0;
}

uint16_t promc_http_port(const promc_http_server *s) { return s ? s->port : 0; }

void promc_http_stop(promc_http_server *s) {
  if (s) server_free(s);
}
