/* SPDX-License-Identifier: Apache-2.0 */
/* http_attack.h — hostile HTTP clients for the attack tests
 * (test_http_attack.c) and the attack benchmark (bench/http_attack.c):
 * half-closed requests, slowloris (plain and TLS), stalled TLS handshakes,
 * wrong-password floods, and a "fresh scrape" probe that measures how long a
 * new connection takes to get its 200.
 *
 * Every attacker is one thread driving many non-blocking sockets through
 * poll(), so 600 connections cost the test one thread, not 600.  Each runs
 * until *stop becomes non-zero (or its own time limit), closes everything
 * and returns.  TLS is GnuTLS with certificate checks off: the attacker does
 * not care who it attacks.  Loopback only.  Header-only (static functions). */
#ifndef PROMC_HTTP_ATTACK_H
#define PROMC_HTTP_ATTACK_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline double atk_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The attacks and the server share one process in the tests: lift the soft
 * descriptor limit to the hard one. */
static inline void atk_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* A non-blocking connect to 127.0.0.1:port; -1 on failure. */
static inline int atk_connect(unsigned port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1; /* no Nagle wait between a TLS handshake and the request */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

static gnutls_certificate_credentials_t atk_cred;
static pthread_once_t atk_cred_once = PTHREAD_ONCE_INIT;
static void atk_cred_init(void) {
  gnutls_global_init();
  gnutls_certificate_allocate_credentials(&atk_cred);
}

/* One client connection, plain or TLS, non-blocking. */
struct atk_conn {
  int fd;
  gnutls_session_t tls; /* NULL for plain */
  int tcp;              /* TCP connected */
  int up;               /* TCP connected and (for TLS) handshake done */
  short rev;            /* revents of the last poll */
  double t0;            /* when it was opened */
  double next;          /* attack-specific: when to act next */
  size_t sent;          /* attack-specific: bytes of the request sent */
  char in[2048];
  size_t inlen;
};

static inline void atk_close(struct atk_conn *c) {
  if (c->tls) gnutls_deinit(c->tls);
  if (c->fd >= 0) close(c->fd);
  c->tls = NULL;
  c->fd = -1;
  c->up = 0;
}

static inline int atk_open(struct atk_conn *c, unsigned port, int tls) {
  memset(c, 0, sizeof *c);
  c->fd = atk_connect(port);
  c->t0 = atk_now();
  if (c->fd < 0) return -1;
  if (tls) {
    pthread_once(&atk_cred_once, atk_cred_init);
    if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) != 0) {
      c->tls = NULL;
      atk_close(c);
      return -1;
    }
    gnutls_set_default_priority(c->tls);
    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, atk_cred);
    gnutls_transport_set_int(c->tls, c->fd);
  }
  return 0;
}

/* Advances the connect/handshake: 1 = up, 0 = not yet, -1 = failed. */
static inline int atk_progress(struct atk_conn *c) {
  if (c->up) return 1;
  if (c->fd < 0) return -1;
  if (!c->tcp) {
    int err = 0;
    socklen_t len = sizeof err;
    struct pollfd p = {c->fd, POLLOUT, 0};
    if (poll(&p, 1, 0) <= 0) return 0;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) return -1;
    c->tcp = 1;
  }
  if (!c->tls) return c->up = 1;
  int rc = gnutls_handshake(c->tls);
  if (rc == 0) return c->up = 1;
  if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) return 0;
  return -1;
}

static inline ssize_t atk_send(struct atk_conn *c, const char *d, size_t n) {
  if (c->tls) {
    ssize_t k = gnutls_record_send(c->tls, d, n);
    if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) return 0;
    return k < 0 ? -1 : k;
  }
  ssize_t k = send(c->fd, d, n, MSG_NOSIGNAL);
  if (k < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
  return k;
}

/* Reads what is there into c->in (wrapping when full: the attackers only
 * look at the status line and the end of the header).  >0 read, 0 nothing
 * yet, -1 closed or failed. */
static inline ssize_t atk_recv(struct atk_conn *c) {
  if (c->inlen >= sizeof c->in - 1) c->inlen = 0;
  ssize_t k;
  if (c->tls) {
    k = gnutls_record_recv(c->tls, c->in + c->inlen, sizeof c->in - 1 - c->inlen);
    if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) return 0;
  } else {
    k = recv(c->fd, c->in + c->inlen, sizeof c->in - 1 - c->inlen, 0);
    if (k < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  }
  if (k <= 0) return -1;
  c->inlen += (size_t)k;
  c->in[c->inlen] = '\0';
  return k;
}

/* Is a complete response (header + Content-Length body) in c->in?  Returns
 * its status, 0 when incomplete. */
static inline int atk_response_done(struct atk_conn *c) {
  char *eoh = strstr(c->in, "\r\n\r\n");
  if (!eoh || strncmp(c->in, "HTTP/1.", 7) != 0) return 0;
  const char *cl = strcasestr(c->in, "\r\nContent-Length:");
  size_t want = cl && cl < eoh ? (size_t)strtoull(cl + 17, NULL, 10) : 0;
  if (c->inlen < (size_t)(eoh + 4 - c->in) + want) return 0;
  return atoi(c->in + 9);
}

/* ------------------------------------------------------------ the probe */
/* One scrape on a fresh connection: connect, (handshake), GET /metrics with
 * the given extra header lines, read the whole response.  Returns the
 * status (0 when none arrived within timeout_s) and stores the time taken. */
static inline int atk_probe(unsigned port, int tls, const char *extra, double timeout_s, double *took) {
  struct atk_conn c;
  double t0 = atk_now(), deadline = t0 + timeout_s;
  int status = 0;
  *took = timeout_s;
  if (atk_open(&c, port, tls) != 0) return 0;
  char req[1024];
  int n = snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
                   extra ? extra : "");
  size_t sent = 0;
  while (atk_now() < deadline) {
    int up = atk_progress(&c);
    if (up < 0) break;
    short ev = POLLIN;
    if (up && sent < (size_t)n) {
      ssize_t k = atk_send(&c, req + sent, (size_t)n - sent);
      if (k < 0) break;
      sent += (size_t)k;
    }
    if (up && sent == (size_t)n) {
      ssize_t k;
      while ((k = atk_recv(&c)) > 0) {
        if ((status = atk_response_done(&c)) != 0) goto done;
      }
      if (k < 0) {
        status = strncmp(c.in, "HTTP/1.", 7) == 0 ? atoi(c.in + 9) : 0;
        goto done;
      }
    }
    if (!up || sent < (size_t)n) ev |= POLLOUT;
    if (c.tls && gnutls_record_get_direction(c.tls) == 1) ev |= POLLOUT;
    struct pollfd p = {c.fd, ev, 0};
    int ms = (int)((deadline - atk_now()) * 1000) + 1;
    poll(&p, 1, ms < 50 ? ms : 50);
  }
done:
  *took = atk_now() - t0;
  atk_close(&c);
  if (*took > timeout_s) status = 0;
  return status;
}

/* Runs `count` probes, `gap_s` apart; returns how many got 200 within
 * limit_s, and stores every latency (timeouts as limit_s) in lat[] when
 * given. */
static inline int atk_probes(unsigned port, int tls, const char *extra, int count, double gap_s,
                             double limit_s, double *lat) {
  int ok = 0;
  for (int i = 0; i < count; i++) {
    double t;
    int st = atk_probe(port, tls, extra, limit_s, &t);
    if (st == 200 && t < limit_s) ok++;
    if (lat) lat[i] = st == 200 ? t : limit_s;
    if (gap_s > 0 && i + 1 < count) usleep((useconds_t)(gap_s * 1e6));
  }
  return ok;
}

static inline int atk_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The p-th percentile (0-100) of n values (sorts v). */
static inline double atk_percentile(double *v, size_t n, double p) {
  if (!n) return 0;
  qsort(v, n, sizeof *v, atk_cmp_double);
  size_t i = (size_t)(p / 100.0 * (double)n + 0.999999);
  if (i < 1) i = 1;
  if (i > n) i = n;
  return v[i - 1];
}

/* ---------------------------------------------------------- the attacks */
struct atk_spec {
  unsigned port;
  int tls;
  /* half-closed: rate per second (0 = as fast as possible) and a cap on
   * the total (0 = none) */
  double rate;
  long total;
  /* slowloris / stall / badpass: connections held at once */
  int conns;
  double period_s;         /* slowloris: one header byte every period_s */
  const char *auth_header; /* badpass: "Authorization: Basic ...\r\n" */
  double max_s;            /* hard time limit of the attack */
  _Atomic int *stop;
  /* results */
  long done;      /* half-closed connections sent / requests answered */
  long reconnects;
  long status_401, status_429, status_other;
  int held_max;   /* most connections connected at once (TCP) */
};

static inline int atk_should_stop(struct atk_spec *a, double t_end) {
  return (a->stop && atomic_load(a->stop)) || atk_now() >= t_end;
}

/* Half-closed requests: connect, send "GET /met", close, at a.rate per
 * second.  Connections still connecting after 1 s are given up. */
static void *atk_halfclose(void *arg) {
  struct atk_spec *a = arg;
  enum { PEND = 512 };
  int pend[PEND];
  double pt[PEND];
  int np = 0;
  double t0 = atk_now(), t_end = t0 + a->max_s;
  static const char part[] = "GET /met";
  while (!atk_should_stop(a, t_end) && (!a->total || a->done < a->total)) {
    double now = atk_now();
    long want = a->rate > 0 ? (long)((now - t0) * a->rate) + 1 : a->done + 64;
    if (a->total && want > a->total) want = a->total;
    while (a->done + np < want && np < PEND) {
      int fd = atk_connect(a->port);
      if (fd < 0) break;
      pend[np] = fd;
      pt[np++] = now;
    }
    struct pollfd p[PEND];
    for (int i = 0; i < np; i++) p[i] = (struct pollfd){pend[i], POLLOUT, 0};
    int wait_ms = a->rate > 0 ? 5 : 0;
    poll(p, (nfds_t)np, np ? wait_ms : 0);
    int k = 0;
    for (int i = 0; i < np; i++) {
      int err = 0;
      socklen_t len = sizeof err;
      if (p[i].revents & (POLLOUT | POLLERR | POLLHUP)) {
        if (getsockopt(pend[i], SOL_SOCKET, SO_ERROR, &err, &len) == 0 && !err &&
            send(pend[i], part, sizeof part - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof part - 1))
          a->done++;
        close(pend[i]);
      } else if (now - pt[i] > 1.0) {
        close(pend[i]);
      } else {
        pend[k] = pend[i];
        pt[k++] = pt[i];
      }
    }
    np = k;
    if (!np && a->rate > 0) usleep(2000);
  }
  for (int i = 0; i < np; i++) close(pend[i]);
  return NULL;
}

/* mode of atk_hold */
enum { ATK_SLOWLORIS, ATK_STALL, ATK_BADPASS };

/* Holds a.conns connections, reopening each one the server closes (at most
 * a.conns reopenings a second):
 *   ATK_SLOWLORIS  one header byte every period_s, never the end of the
 *                  header (after the TLS handshake over TLS);
 *   ATK_STALL      three bytes of a TLS record header, then nothing: a
 *                  handshake that never goes on;
 *   ATK_BADPASS    GET /metrics with a.auth_header as fast as answers
 *                  come, keep-alive. */
static void *atk_hold_mode(struct atk_spec *a, int mode) {
  int n = a->conns;
  struct atk_conn *c = calloc((size_t)n, sizeof *c);
  struct pollfd *p = calloc((size_t)n, sizeof *p);
  int *idx = calloc((size_t)n, sizeof *idx);
  if (!c || !p || !idx) {
    free(c);
    free(p);
    free(idx);
    return NULL;
  }
  for (int i = 0; i < n; i++) c[i].fd = -1;
  static const char loris[] =
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: loris\r\nX-a: "
      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  char badreq[1024];
  int badlen = snprintf(badreq, sizeof badreq, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                        a->auth_header ? a->auth_header : "");
  double t_end = atk_now() + a->max_s;
  double budget_t = atk_now();
  double budget = n; /* reopenings allowed, refilled at n per second */
  while (!atk_should_stop(a, t_end)) {
    double now = atk_now();
    budget += (now - budget_t) * n;
    budget_t = now;
    if (budget > n) budget = n;
    int held = 0;
    for (int i = 0; i < n; i++) {
      struct atk_conn *x = &c[i];
      if (x->fd < 0) {
        if (budget < 1) continue;
        budget -= 1;
        if (atk_open(x, a->port, a->tls && mode != ATK_STALL) != 0) continue;
        x->next = now;
        x->rev = POLLOUT | POLLIN;
      }
      int pending = x->tls && x->up && gnutls_record_check_pending(x->tls);
      if (!x->up && !x->rev) continue;
      int up = atk_progress(x);
      if (up < 0) {
        atk_close(x);
        a->reconnects++;
        continue;
      }
      held += x->tcp;
      if (!up) continue;
      if (mode == ATK_STALL) {
        if (x->sent == 0 && send(x->fd, "\x16\x03\x01", 3, MSG_NOSIGNAL) == 3) x->sent = 3;
      } else if (mode == ATK_SLOWLORIS) {
        if (now >= x->next) {
          size_t off = x->sent % (sizeof loris - 1);
          if (x->sent >= sizeof loris - 1) off = sizeof loris - 2; /* keep sending 'b' */
          if (atk_send(x, loris + off, 1) == 1) x->sent++;
          x->next = now + a->period_s;
        }
      } else if ((size_t)x->sent < (size_t)badlen) {
        ssize_t k = atk_send(x, badreq + x->sent, (size_t)badlen - x->sent);
        if (k < 0) {
          atk_close(x);
          a->reconnects++;
          continue;
        }
        x->sent += (size_t)k;
      }
      /* read whatever the server says; a close means reopen */
      ssize_t k = 0;
      if (!(x->rev & (POLLIN | POLLHUP | POLLERR)) && !pending) continue;
      while ((k = atk_recv(x)) > 0) {
        if (mode != ATK_BADPASS) {
          x->inlen = 0;
          continue;
        }
        int st = atk_response_done(x);
        if (st) {
          if (st == 401) a->status_401++;
          else if (st == 429) a->status_429++;
          else a->status_other++;
          a->done++;
          x->inlen = 0;
          x->sent = 0; /* next request */
          break;
        }
      }
      if (k < 0) {
        atk_close(x);
        a->reconnects++;
      }
    }
    if (held > a->held_max) a->held_max = held;
    int np = 0;
    for (int i = 0; i < n; i++) {
      c[i].rev = 0;
      if (c[i].fd < 0) continue;
      short ev = POLLIN;
      if (!c[i].up || (c[i].tls && gnutls_record_get_direction(c[i].tls) == 1)) ev |= POLLOUT;
      idx[np] = i;
      p[np++] = (struct pollfd){c[i].fd, ev, 0};
    }
    poll(p, (nfds_t)np, mode == ATK_BADPASS ? 5 : 20);
    for (int j = 0; j < np; j++) c[idx[j]].rev = p[j].revents;
  }
  for (int i = 0; i < n; i++) atk_close(&c[i]);
  free(c);
  free(p);
  free(idx);
  return NULL;
}

static void *atk_slowloris(void *arg) { return atk_hold_mode(arg, ATK_SLOWLORIS); }
static void *atk_stall(void *arg) { return atk_hold_mode(arg, ATK_STALL); }
static void *atk_badpass(void *arg) { return atk_hold_mode(arg, ATK_BADPASS); }

#endif
