/* error.c — result codes, their names, and the per-thread last message. */
#include <stdio.h>

#include "core/internal.h"

static const struct {
  int code;
  const char *name, *text;
} k_errors[] = {
    {PROMC_OK, "PROMC_OK", "success"},
    {PROMC_EINVAL, "PROMC_EINVAL", "invalid argument"},
    {PROMC_ENAME, "PROMC_ENAME", "invalid metric name"},
    {PROMC_ELABEL, "PROMC_ELABEL", "invalid or reserved label name"},
    {PROMC_EDUP, "PROMC_EDUP", "duplicate or colliding name"},
    {PROMC_ECARD, "PROMC_ECARD", "wrong number of label values"},
    {PROMC_EVALUE, "PROMC_EVALUE", "value not allowed"},
    {PROMC_EBUCKETS, "PROMC_EBUCKETS", "invalid histogram buckets"},
    {PROMC_ENOMEM, "PROMC_ENOMEM", "out of memory"},
    {PROMC_ETYPE, "PROMC_ETYPE", "wrong metric type"},
    {PROMC_ENOTFOUND, "PROMC_ENOTFOUND", "not found"},
    {PROMC_EIO, "PROMC_EIO", "output failed"},
    {PROMC_ESTATE, "PROMC_ESTATE", "wrong state for this call"},
    {PROMC_EUNSUPP, "PROMC_EUNSUPP", "not supported"},
    {PROMC_ECALLBACK, "PROMC_ECALLBACK", "a callback failed"},
    {PROMC_ENET, "PROMC_ENET", "network error"},
    {PROMC_EHTTP, "PROMC_EHTTP", "HTTP error status"},
    {PROMC_EFULL, "PROMC_EFULL", "storage full"},
    {PROMC_ETIMEOUT, "PROMC_ETIMEOUT", "timed out"},
};

const char *promc_strerror(int code) {
  for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
    if (k_errors[i].code == code) return k_errors[i].text;
  return "unknown error";
}

const char *promc_errname(int code) {
  for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
    if (k_errors[i].code == code) return k_errors[i].name;
  return "PROMC_E?";
}

static _Thread_local char t_msg[512];

const char *promc_errmsg(void) { return t_msg; }

void promc__err_clear(void) { t_msg[0] = 0; }

int promc__err(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t_msg, sizeof t_msg, fmt, ap);
  va_end(ap);
  return code;
}

/* The public setter: for user collectors and promc's component libraries,
 * which cannot reach the hidden promc__err. */
int promc_set_errmsg(int code, const char *fmt, ...) {
  if (!fmt) {
    t_msg[0] = 0;
    return code;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t_msg, sizeof t_msg, fmt, ap);
  va_end(ap);
  return code;
}

const char *promc_version(void) { return PROMC_VERSION_STRING; }
