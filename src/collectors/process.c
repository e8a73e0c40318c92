/* SPDX-License-Identifier: Apache-2.0 */
/* process.c — the process collector: client_python's process metrics read
 * from Linux procfs at scrape time with open/read/getdents64/close into stack
 * buffers (no stdio, no allocation on the scrape path). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "core/internal.h"

#ifdef __linux__

struct proc_coll {
  char dir[256];    /* "<proc_root>/<pid>" or "<proc_root>/self" */
  char prefix[96];  /* "" or "ns_" followed by "process_" */
  double btime;     /* boot time, seconds since the epoch */
  double ticks;     /* clock ticks per second */
  double pagesize;
};

/* Reads a whole small file into buf (NUL-terminated). Returns the length or
 * -errno. A file larger than the buffer is truncated (callers only need the
 * start of stat and limits). */
static long read_small(const char *path, char *buf, size_t cap) {
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  size_t len = 0;
  while (len + 1 < cap) {
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return -e;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  close(fd);
  return (long)len;
}

/* Parses an unsigned decimal at *p, advancing *p; 0 if none. */
static unsigned long long parse_ull(const char **p) {
  const char *s = *p;
  unsigned long long v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (unsigned long long)(*s++ - '0');
  *p = s;
  return v;
}

/* Finds the line "btime N" in /proc/stat, scanning it in chunks with a
 * small state machine: the line follows the per-CPU and interrupt lines,
 * which can be far longer than a stack buffer on big machines. */
static int read_btime(const char *proc_root, double *out) {
  char path[300];
  if ((size_t)snprintf(path, sizeof path, "%s/stat", proc_root) >= sizeof path) return -ENAMETOOLONG;
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  static const char key[] = "btime ";
  size_t matched = 0;   /* bytes of key matched at the start of a line */
  int at_line_start = 1, in_number = 0, ndigits = 0;
  unsigned long long v = 0;
  int rc = -ENOENT;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      break;
    }
    if (n == 0) {
      if (in_number && ndigits > 0) rc = 0;
      break;
    }
    for (ssize_t i = 0; i < n; i++) {
      char ch = buf[i];
      if (in_number) {
        if (ch >= '0' && ch <= '9') {
          v = v * 10 + (unsigned long long)(ch - '0');
          ndigits++;
          continue;
        }
        rc = ndigits > 0 ? 0 : -EINVAL;
        goto done;
      }
      if (at_line_start || matched > 0) {
        if (ch == key[matched]) {
          if (++matched == sizeof key - 1) in_number = 1;
          at_line_start = 0;
          continue;
        }
        matched = 0;
      }
      at_line_start = (ch == '\n');
    }
  }
done:
  close(fd);
  if (rc == 0) *out = (double)v;
  return rc;
}

/* The soft limit of one /proc/<pid>/limits row ("Max open files"), +Inf
 * for "unlimited". Returns 0, or -1 if the row is missing. */
static int limits_soft(const char *buf, const char *row, double *out) {
  size_t rl = strlen(row);
  for (const char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    if (strncmp(line, row, rl) != 0 || line[rl] != ' ') continue;
    const char *p = line + rl;
    while (*p == ' ') p++;
    if (strncmp(p, "unlimited", 9) == 0) {
      *out = INFINITY;
      return 0;
    }
    const char *start = p;
    unsigned long long v = parse_ull(&p);
    if (p == start) return -1;
    *out = (double)v;
    return 0;
  }
  return -1;
}

/* Counts the entries of a /proc/<pid>/fd directory with getdents64. The
 * descriptor used to read it is counted too when the process is this one,
 * as client_python and client_golang count it. */
static long count_fds(const char *path) {
  int fd;
  do fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  long n = 0;
  _Alignas(8) char buf[4096];
  for (;;) {
    long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return -e;
    }
    if (got == 0) break;
    for (long off = 0; off < got;) {
      /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name[] */
      unsigned short reclen;
      memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char *name = buf + off + 19;
      if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))) n++;
      if (reclen == 0) break;
      off += reclen;
    }
  }
  close(fd);
  return n;
}

static int gauge1(promc_collect *ctx, const struct proc_coll *pc, const char *suffix,
                  const char *help, promc_type type, const char *unit, double v) {
  char name[160];
  snprintf(name, sizeof name, "%s%s", pc->prefix, suffix);
  int rc = promc_collect_family(ctx, name, help, type, unit);
  if (rc == 0) rc = promc_collect_sample(ctx, 0, NULL, NULL, v);
  return rc;
}

static int process_collect(promc_collect *ctx, void *user) {
  const struct proc_coll *pc = user;
  char path[300];
  char buf[4096];
  char eb[160];

  snprintf(path, sizeof path, "%s/stat", pc->dir);
  long len = read_small(path, buf, sizeof buf);
  if (len < 0)
    return promc__err(PROMC_EIO, "process collector: cannot read %s: %s", path,
                      promc__errno_str((int)-len, eb, sizeof eb));
  struct promc_procstat sf;
  if (promc__procstat_parse(buf, &sf) != 0)
    return promc__err(PROMC_EIO, "process collector: cannot parse %s", path);

  int rc = 0, r;
#define EMIT(suffix, help, type, unit, v)                        \
  do {                                                           \
    r = gauge1(ctx, pc, suffix, help, type, unit, v);            \
    if (r < 0 && rc == 0) rc = r;                                \
  } while (0)
  EMIT("virtual_memory_bytes", "Virtual memory size in bytes.", PROMC_TYPE_GAUGE, "bytes",
       (double)sf.vsize);
  /* VmRSS from status is exact; stat's rss field is the kernel's
   * approximate per-CPU counter read (off by a few hundred KiB on big
   * machines). stat's figure is the fallback. */
  double rss = (double)sf.rss * pc->pagesize;
  snprintf(path, sizeof path, "%s/status", pc->dir);
  if (read_small(path, buf, sizeof buf) >= 0) {
    const char *p = strstr(buf, "\nVmRSS:");
    if (p) {
      p += 8;
      while (*p == ' ' || *p == '\t') p++;
      const char *start = p;
      unsigned long long kb = parse_ull(&p);
      if (p != start) rss = (double)kb * 1024.0;
    }
  }
  EMIT("resident_memory_bytes", "Resident memory size in bytes.", PROMC_TYPE_GAUGE, "bytes", rss);
  EMIT("start_time_seconds", "Start time of the process since unix epoch in seconds.",
       PROMC_TYPE_GAUGE, "seconds", pc->btime + (double)sf.starttime / pc->ticks);
  EMIT("cpu_seconds_total", "Total user and system CPU time spent in seconds.", PROMC_TYPE_COUNTER,
       "seconds", (double)(sf.utime + sf.stime) / pc->ticks);
  EMIT("threads", "Number of OS threads in the process.", PROMC_TYPE_GAUGE, NULL, (double)sf.threads);

  snprintf(path, sizeof path, "%s/fd", pc->dir);
  long nfd = count_fds(path);
  if (nfd >= 0) EMIT("open_fds", "Number of open file descriptors.", PROMC_TYPE_GAUGE, NULL, (double)nfd);

  snprintf(path, sizeof path, "%s/limits", pc->dir);
  if (read_small(path, buf, sizeof buf) >= 0) {
    double v;
    if (limits_soft(buf, "Max open files", &v) == 0)
      EMIT("max_fds", "Maximum number of open file descriptors.", PROMC_TYPE_GAUGE, NULL, v);
    if (limits_soft(buf, "Max address space", &v) == 0)
      EMIT("virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
           PROMC_TYPE_GAUGE, "bytes", v);
  }
#undef EMIT
  return rc;
}

static void process_free(void *user) { promc__free(user); }

static bool valid_prefix(const char *s) {
  /* must make a valid metric name once "_process_x" is appended */
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':')) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == ':'))
      return false;
  return true;
}

int promc_process_collector_register(promc_registry *r, const promc_process_opts *opts) {
  static const promc_process_opts zero;
  if (!opts) opts = &zero;
  if (opts->pid < 0) return promc__err(PROMC_EINVAL, "process collector: pid %d is negative", opts->pid);
  const char *root = opts->proc_root && *opts->proc_root ? opts->proc_root : "/proc";
  const char *pfx = opts->prefix ? opts->prefix : "";
  if (*pfx && !valid_prefix(pfx))
    return promc__err(PROMC_EINVAL, "process collector: prefix \"%s\" is not a valid metric name", pfx);
  if (!r) r = promc_default_registry();
  if (!r) return promc__err(PROMC_ENOMEM, "process collector: no default registry");

  struct proc_coll *pc = promc__calloc(1, sizeof *pc);
  if (!pc) return promc__err(PROMC_ENOMEM, "process collector: out of memory");
  int n = opts->pid ? snprintf(pc->dir, sizeof pc->dir, "%s/%d", root, opts->pid)
                    : snprintf(pc->dir, sizeof pc->dir, "%s/self", root);
  int m = snprintf(pc->prefix, sizeof pc->prefix, "%s%sprocess_", pfx, *pfx ? "_" : "");
  if (n < 0 || (size_t)n >= sizeof pc->dir || m < 0 || (size_t)m >= sizeof pc->prefix) {
    promc__free(pc);
    return promc__err(PROMC_EINVAL, "process collector: proc_root or prefix too long");
  }
  long t = sysconf(_SC_CLK_TCK), ps = sysconf(_SC_PAGESIZE);
  pc->ticks = t > 0 ? (double)t : 100.0;
  pc->pagesize = ps > 0 ? (double)ps : 4096.0;
  char eb[160];
  int e = read_btime(root, &pc->btime);
  if (e < 0) {
    promc__free(pc);
    return promc__err(PROMC_EIO, "process collector: cannot read btime from %s/stat: %s", root,
                      promc__errno_str(-e, eb, sizeof eb));
  }
  char path[300];
  char buf[4096];
  struct promc_procstat sf;
  snprintf(path, sizeof path, "%s/stat", pc->dir);
  long len = read_small(path, buf, sizeof buf);
  if (len < 0 || promc__procstat_parse(buf, &sf) != 0) {
    promc__free(pc);
    return promc__err(PROMC_EIO, "process collector: cannot read %s: %s", path,
                      len < 0 ? promc__errno_str((int)-len, eb, sizeof eb) : "unexpected format");
  }
  promc_collector c = {.name = opts->name ? opts->name : "process",
                       .collect = process_collect,
                       .free_user = process_free,
                       .user = pc};
  int rc = promc_registry_add_collector(r, &c);
  if (rc != 0) promc__free(pc);
  return rc;
}

#else /* !__linux__ */

int promc_process_collector_register(promc_registry *r, const promc_process_opts *opts) {
  (void)r;
  (void)opts;
  return promc__err(PROMC_EUNSUPP, "process collector: needs Linux /proc");
}

#endif
