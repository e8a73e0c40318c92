/* SPDX-License-Identifier: Apache-2.0 */
/* error.c — result codes, their names, and the per-thread last message. */
#include <stdio.h>

#include "core/internal.h"

/* The tables are indexed by -code, so PROMC_ERROR_MAP must list the codes
 * densely from 0 down in order: each constant's position in the list is
 * checked against its value when this file compiles. */
#define ERR_POS(name, value, text) ERR_POS_##name,
enum { PROMC_ERROR_MAP(ERR_POS) ERR_COUNT };
#define ERR_DENSE(name, value, text) _Static_assert(ERR_POS_##name == -(value), #name " is not at position -value");
PROMC_ERROR_MAP(ERR_DENSE)

#define ERR_NAME(name, value, text) #name,
#define ERR_TEXT(name, value, text) text,
static const char *const k_names[ERR_COUNT] = {PROMC_ERROR_MAP(ERR_NAME)};
static const char *const k_texts[ERR_COUNT] = {PROMC_ERROR_MAP(ERR_TEXT)};

const char *promc_strerror(int code) {
  if (code > 0 || code <= -ERR_COUNT) return "unknown error";
  return k_texts[-code];
}

const char *promc_errname(int code) {
  if (code > 0 || code <= -ERR_COUNT) return "PROMC_E?";
  return k_names[-code];
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
