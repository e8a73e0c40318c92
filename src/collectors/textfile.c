/* textfile.c — promc_write_textfile: the registry in text format, written
 * for node_exporter's textfile collector so that a reader sees the old file
 * or the whole new one, never a part (temporary file, fsync, rename, fsync
 * of the directory), and so that a failure leaves the old file alone. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collectors.h"
#include "core/internal.h"

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

int promc_write_textfile(promc_registry *r, const char *path) {
  if (!path || !*path) return promc__err(PROMC_EINVAL, "textfile: path is NULL or empty");
  size_t plen = strlen(path);
  if (path[plen - 1] == '/') return promc__err(PROMC_EINVAL, "textfile: \"%s\" names a directory", path);
  if (plen + 16 >= PATH_MAX) return promc__err(PROMC_EINVAL, "textfile: path too long");
  if (!r) r = promc_default_registry();
  if (!r) return promc__err(PROMC_ENOMEM, "textfile: no default registry");

  /* "<dir>/.<base>.XXXXXX": same directory (rename stays on one file
   * system), hidden and not ending in .prom (node_exporter ignores it). */
  char dir[PATH_MAX], tmp[PATH_MAX];
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
  snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", (int)(base - path), path, base);

  int fd = mkstemp(tmp);
  if (fd < 0) return io_fail("creating a temporary file like", tmp, errno);
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  int rc;
  if (fchmod(fd, 0644) != 0) {
    rc = io_fail("fchmod of", tmp, errno);
    goto fail;
  }
  struct fd_sink sink = {.fd = fd, .err = 0};
  rc = promc_registry_render(r, PROMC_FORMAT_TEXT, NULL, fd_write, &sink);
  if (sink.err) {
    rc = io_fail("write to", tmp, sink.err);
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
    rc = io_fail("fsync of", tmp, errno);
    goto fail;
  }
  if (close(fd) != 0 && errno != EINTR) {
    fd = -1;
    rc = io_fail("close of", tmp, errno);
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path) != 0) {
    rc = io_fail("rename onto", path, errno);
    goto fail;
  }
  /* make the rename itself durable */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_fail("opening the directory (file already replaced)", dir, errno);
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
  unlink(tmp);
  return rc;
}
