/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_negotiate.c — promc_negotiate_format and promc_accepts_gzip on
 * arbitrary Accept and Accept-Encoding values. Input: one byte of allowed
 * formats, then the Accept value up to the first NUL, then Accept-Encoding.
 * Besides "no crash, no read past the string" (each value sits in a buffer
 * of exactly its size), the answers must not depend on what cannot matter:
 * letter case, a repeated list, a later "gzip;q=0" or "gzip". */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  FZ_CHECK(d != NULL);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static size_t span(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

static char *concat(const char *a, const char *sep, const char *b) {
  size_t na = strlen(a), ns = strlen(sep), nb = strlen(b);
  char *d = malloc(na + ns + nb + 1);
  FZ_CHECK(d != NULL);
  memcpy(d, a, na);
  memcpy(d + na, sep, ns);
  memcpy(d + na + ns, b, nb + 1);
  return d;
}

static char *recase(const char *s, int upper) {
  char *d = dup_n(s, strlen(s));
  for (char *p = d; *p; p++) {
    if (upper && *p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    if (!upper && *p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  }
  return d;
}

static promc_format negotiate(const char *accept, unsigned allowed) {
  promc_format f = (promc_format)99;
  FZ_CHECK(promc_negotiate_format(accept, allowed, &f) == 0);
  FZ_CHECK(f == PROMC_FORMAT_TEXT || f == PROMC_FORMAT_OPENMETRICS || f == PROMC_FORMAT_PROTOBUF);
  /* a format the caller cannot render is never chosen; text is the fallback */
  FZ_CHECK(allowed == 0 || (allowed & PROMC_FORMAT_BIT(f)) || f == PROMC_FORMAT_TEXT);
  return f;
}

static void check_accept(const char *accept, unsigned allowed) {
  promc_format f = negotiate(accept, allowed);
  FZ_CHECK(negotiate(accept, allowed) == f);
  char *up = recase(accept, 1), *low = recase(accept, 0);
  FZ_CHECK(negotiate(up, allowed) == f);
  FZ_CHECK(negotiate(low, allowed) == f);
  free(up);
  free(low);
  /* only the best q counts and the first among equals wins, so a list
   * repeated after itself chooses the same (quotes could carry over) */
  if (!strchr(accept, '"')) {
    char *twice = concat(accept, ",", accept);
    FZ_CHECK(negotiate(twice, allowed) == f);
    free(twice);
  }
  /* whatever was chosen over others is still chosen when it is the only
   * format allowed */
  if (f != PROMC_FORMAT_TEXT) FZ_CHECK(negotiate(accept, PROMC_FORMAT_BIT(f)) == f);
  /* and when it may not be used, something else is chosen (a mask of 0
   * means every format) */
  unsigned rest = (allowed ? allowed : 7u) & ~PROMC_FORMAT_BIT(f);
  if (f != PROMC_FORMAT_TEXT && rest) FZ_CHECK(negotiate(accept, rest) != f);
}

static void check_gzip(const char *ae) {
  int g = promc_accepts_gzip(ae);
  FZ_CHECK(g == 0 || g == 1);
  char *up = recase(ae, 1);
  FZ_CHECK(promc_accepts_gzip(up) == g);
  free(up);
  if (!strchr(ae, '"')) { /* the last mention of gzip decides */
    char *no = concat(ae, ",", "gzip;q=0"), *yes = concat(ae, ",", "x-gzip");
    FZ_CHECK(promc_accepts_gzip(no) == 0);
    FZ_CHECK(promc_accepts_gzip(yes) == 1);
    free(no);
    free(yes);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  fz_reader r = {data, size};
  unsigned allowed = fz_u8(&r) & 7u;
  const char *rest = (const char *)r.p;
  const char *nul = memchr(rest, 0, r.n);
  size_t na = nul ? (size_t)(nul - rest) : r.n;
  char *accept = dup_n(rest, na);
  char *ae = nul ? dup_n(nul + 1, span(nul + 1, r.n - na - 1)) : dup_n("", 0);
  check_accept(accept, allowed);
  check_gzip(accept); /* either header's grammar on both parsers */
  check_gzip(ae);
  check_accept(ae, allowed);
  free(accept);
  free(ae);
  promc_format f;
  FZ_CHECK(promc_negotiate_format(NULL, allowed, &f) == 0 && f == PROMC_FORMAT_TEXT);
  FZ_CHECK(promc_accepts_gzip(NULL) == 0);
  return 0;
}
