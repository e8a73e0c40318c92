/* SPDX-License-Identifier: Apache-2.0 */
/* errmsg.c — errno text ("No space left on device (ENOSPC)") for messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

static const char *errno_name(int e) {
  switch (e) {
#define N(x) \
  case x:    \
    return #x;
    N(EPERM) N(ENOENT) N(ESRCH) N(EINTR) N(EIO) N(EBADF) N(ENOMEM) N(EACCES) N(EBUSY) N(EEXIST)
    N(EXDEV) N(ENOTDIR) N(EISDIR) N(EINVAL) N(ENFILE) N(EMFILE) N(EFBIG) N(ENOSPC) N(EROFS)
    N(EMLINK) N(ENAMETOOLONG) N(ELOOP) N(EDQUOT) N(ETXTBSY) N(EOVERFLOW)
#undef N
    default:
      return "E?";
  }
}

const char *promc__errno_str(int e, char *buf, size_t n) {
  char tmp[128];
  const char *text;
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  text = strerror_r(e, tmp, sizeof tmp); /* GNU variant: returns the text */
#else
  if (strerror_r(e, tmp, sizeof tmp) != 0) snprintf(tmp, sizeof tmp, "error %d", e);
  text = tmp;
#endif
  snprintf(buf, n, "%s (%s)", text, errno_name(e));
  return buf;
}
