/* SPDX-License-Identifier: Apache-2.0 */
/* textfile.c — promc_write_textfile: the registry in text format, written
 * for node_exporter's textfile collector so that a reader sees the old file
 * or the whole new one, never a part (temporary file, fsync, rename, fsync
 * of the directory, all relative to one descriptor of the directory), and
 * so that a failure leaves the old file alone and no temporary file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "expose/expose.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

struct fd_sink {
  int fd;
  int err; /* first errno of a failed write, 0 if none */
};

/* A promc_write_fn writing everything to a descriptor: loops over short
 * writes and EINTR; stops the render on the first real error. */
static int fd_write(void *user, const char *data, size_t len) {
  struct fd_sink *s = user;
  while (len > 0) {
    ssize_t n = write(s->fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      s->err = errno;
      return -1;
    }
    if (n == 0) { /* not expected from a regular file; avoid spinning */
      s->err = EIO;
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static int io_fail(const char *step, const char *file, int e) {
  char eb[160];
  return promc__err(e == ENOMEM ? PROMC_ENOMEM : PROMC_EIO, "textfile: %s \"%s\" failed: %s", step,
                    file, promc__errno_str(e, eb, sizeof eb));
}

/* Creates ".<base>.XXXXXX" in the directory dfd, exclusively (so never
 * through a symlink planted under that name), mode 0644 whatever the umask.
 * mkstemp() only takes a path; this is its *at() twin. */
static int tmp_create(int dfd, const char *base, char *name, size_t cap) {
  static _Atomic unsigned seq;
  static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
               (uint64_t)(uintptr_t)name;
  for (int attempt = 0; attempt < 100; attempt++) {
    x ^= (uint64_t)atomic_fetch_add(&seq, 1) * 0x9E3779B97F4A7C15u;
    x ^= x >> 33; /* splitmix-style mixing: six well-spread characters */
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    char sfx[7];
    for (int i = 0; i < 6; i++) sfx[i] = alnum[(x >> (i * 6)) % (sizeof alnum - 1)];
    sfx[6] = '\0';
    snprintf(name, cap, ".%s.%s", base, sfx);
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

int promc_write_textfile(promc_registry *r, const char *path) {
  if (!path || !*path) return promc__err(PROMC_EINVAL, "textfile: path is NULL or empty");
  size_t plen = strlen(path);
  if (path[plen - 1] == '/') return promc__err(PROMC_EINVAL, "textfile: \"%s\" names a directory", path);
  if (plen + 16 >= PATH_MAX) return promc__err(PROMC_EINVAL, "textfile: path too long");
  if (!r) r = promc_default_registry();
  if (!r) return promc__err(PROMC_ENOMEM, "textfile: no default registry");

  /* The directory is resolved once, here: the temporary file is created,
   * renamed and (on failure) removed relative to this descriptor, so a
   * directory renamed or swapped for a symlink meanwhile cannot make the
   * rename or the clean-up look in another place and leave the temporary
   * file behind. The temporary name "<dir>/.<base>.XXXXXX" stays in the
   * same directory (rename stays on one file system), hidden and not ending
   * in .prom (node_exporter ignores it). */
  char dir[PATH_MAX], tmp[PATH_MAX], shown[PATH_MAX]; /* tmp: name in dir; shown: as a path, for messages */
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (slash == path) {
    strcpy(dir, "/");
  } else if (slash) {
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
  } else {
    strcpy(dir, ".");
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_fail("opening the directory", dir, errno);

  int fd = tmp_create(dfd, base, tmp, sizeof tmp), rc;
  if (fd < 0) {
    int e = errno;
    if (snprintf(shown, sizeof shown, "%.*s.%s.XXXXXX", (int)(base - path), path, base) < 0) shown[0] = '\0';
    rc = io_fail("creating a temporary file like", shown, e);
    close(dfd);
    return rc;
  }
  /* fits: the path's length was checked above */
  if (snprintf(shown, sizeof shown, "%.*s%s", (int)(base - path), path, tmp) < 0) shown[0] = '\0';
  if (fchmod(fd, 0644) != 0) {
    rc = io_fail("fchmod of", shown, errno);
    goto fail;
  }
  struct fd_sink sink = {.fd = fd, .err = 0};
  rc = promc_registry_render(r, PROMC_FORMAT_TEXT, NULL, fd_write, &sink);
  if (sink.err) {
    rc = io_fail("write to", shown, sink.err);
    goto fail;
  }
  if (rc != 0) {
    /* a collector failed: keep the message the render left, say why */
    char msg[400];
    snprintf(msg, sizeof msg, "%s", promc_errmsg());
    rc = promc__err(rc, "textfile: \"%s\" not written: %s", path, msg);
    goto fail;
  }
  while (fsync(fd) != 0) {
    if (errno == EINTR) continue;
    rc = io_fail("fsync of", shown, errno);
    goto fail;
  }
  if (close(fd) != 0 && errno != EINTR) {
    fd = -1;
    rc = io_fail("close of", shown, errno);
    goto fail;
  }
  fd = -1;
  if (renameat(dfd, tmp, dfd, base) != 0) {
    rc = io_fail("rename onto", path, errno);
    goto fail;
  }
  /* make the rename itself durable */
  int e = 0;
  while (fsync(dfd) != 0) {
    if (errno == EINTR) continue;
    /* some file systems cannot fsync a directory: nothing more to do there */
    if (errno != EINVAL && errno != EROFS) e = errno;
    break;
  }
  close(dfd);
  if (e) return io_fail("fsync of the directory (file already replaced)", dir, e);
  return 0;

fail:
  if (fd >= 0) close(fd);
  unlinkat(dfd, tmp, 0);
  close(dfd);
  return rc;
}
