/* SPDX-License-Identifier: Apache-2.0 */
/* procstat.c — the one parser of /proc/<pid>/stat, shared by the process
 * collector (CPU time, memory, start time) and the multi-process store (is
 * a slot's process alive, and the same process that claimed it). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/internal.h"

static unsigned long long parse_ull(const char **p) {
  const char *s = *p;
  unsigned long long v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (unsigned long long)(*s++ - '0');
  *p = s;
  return v;
}

int promc__procstat_parse(const char *buf, struct promc_procstat *out) {
  /* comm (field 2) may hold spaces and parentheses: start after the last ')' */
  const char *p = strrchr(buf, ')');
  if (!p) return -1;
  p++;
  unsigned long long v[25] = {0};
  char state = 0;
  for (int field = 3; field <= 24; field++) {
    while (*p == ' ') p++;
    if (!*p) return -1;
    if (field == 3) { /* state: one letter */
      state = *p;
      while (*p && *p != ' ') p++;
      continue;
    }
    int neg = (*p == '-');
    if (neg) p++;
    const char *start = p;
    v[field] = parse_ull(&p);
    if (p == start) return -1;
    if (neg) v[field] = 0; /* only priority, nice and the like are signed; unused */
    if (*p && *p != ' ' && *p != '\n') return -1;
  }
  out->state = state;
  out->utime = v[14];
  out->stime = v[15];
  out->threads = v[20];
  out->starttime = v[22];
  out->vsize = v[23];
  out->rss = v[24];
  return 0;
}

int promc__procstat_read(const char *path, struct promc_procstat *out) {
  char buf[2048];
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  ssize_t n;
  do n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return -ESRCH; /* the process went away between open and read */
  buf[n] = '\0';
  return promc__procstat_parse(buf, out) == 0 ? 0 : -EBADMSG;
}
