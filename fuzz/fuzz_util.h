/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_util.h — what every fuzz target shares: a reader that turns the
 * fuzzer's bytes into API arguments, strict parsers for the three exposition
 * formats, and the regression main() that replays a corpus.
 *
 * The parsers are the judges of the targets: each reads promc's output back
 * by the rules of its format (and by the rules promc promises on top, such
 * as HELP and TYPE on every family) and calls fz_fail() on the first
 * violation, which prints what it found and aborts: the way a fuzz target
 * reports a finding. The library itself must never abort. */
#ifndef PROMC_FUZZ_UTIL_H
#define PROMC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "promc/promc.h"

#if defined(__GNUC__) || defined(__clang__)
#define FZ_NORETURN __attribute__((noreturn, format(printf, 1, 2)))
#else
#define FZ_NORETURN
#endif

/* Prints "fuzz check failed: <message>" and aborts. */
FZ_NORETURN void fz_fail(const char *fmt, ...);

#define FZ_CHECK(c)                                                         \
  do {                                                                      \
    if (!(c)) fz_fail("%s:%d: %s", __FILE__, __LINE__, #c);                 \
  } while (0)

/* ---------------------------------------------------------------- input */
/* Reads the fuzzer's bytes front to back; past the end every read gives 0,
 * so any input drives a complete, bounded run. */
typedef struct fz_reader {
  const uint8_t *p;
  size_t n;
} fz_reader;

uint8_t fz_u8(fz_reader *r);
/* n little-endian bytes (n <= 8). */
uint64_t fz_uint(fz_reader *r, unsigned n);
/* fz_u8(r) % n (n > 0). */
size_t fz_below(fz_reader *r, size_t n);
/* A double: one byte picks an edge value (0, -0, +-1, NaN, +-Inf, huge,
 * tiny, subnormal, 2^53 + 1, 9.3e18...) or, above the table, 8 raw bytes. */
double fz_double(fz_reader *r);

/* What a string is meant to look like; the reader still produces bad ones
 * (raw bytes, reserved words), just not only bad ones. */
enum fz_kind {
  FZ_METRIC, /* [a-zA-Z_:][a-zA-Z0-9_:]* */
  FZ_LABEL,  /* [a-zA-Z_][a-zA-Z0-9_]* */
  FZ_TEXT    /* label values, help: anything, UTF-8 or not */
};
/* A NUL-terminated string of up to cap - 1 bytes into out; returns its
 * length. One length/mode byte: raw bytes, bytes mapped onto the kind's
 * character set, a word from a list of troublemakers (reserved names,
 * suffixes, escapes, broken UTF-8), or mapped bytes followed by a word. */
size_t fz_str(fz_reader *r, enum fz_kind kind, char *out, size_t cap);

/* -------------------------------------------------------------- judges */
/* Strict parsers of one whole rendered output. Each calls fz_fail() on the
 * first violation. They return the number of families read. */
size_t fz_check_text(const char *d, size_t n);
size_t fz_check_openmetrics(const char *d, size_t n);
size_t fz_check_protobuf(const uint8_t *d, size_t n);

/* Renders r in all three formats (opts may be NULL) and checks each. The
 * render must return 0 or one of ok_errors (a mask of 1u << -code, e.g.
 * FZ_ERRBIT(PROMC_ECALLBACK)); any other result fails. */
#define FZ_ERRBIT(code) (1u << (unsigned)-(code))
void fz_render_and_check(promc_registry *r, const promc_render_opts *opts, unsigned ok_errors);
/* Renders r in format f into b (reset first) and returns the result. */
int fz_render(promc_registry *r, promc_format f, const promc_render_opts *opts, promc_buf *b);

/* A failing call's code must be a PROMC_E* constant, and promc_errmsg()
 * must say something. */
void fz_check_error(int rc);

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF);
 * on success *runes is the number of code points (may be NULL). */
int fz_utf8_valid(const char *s, size_t n, size_t *runes);

/* The canonical text of a number for le and quantile label values in
 * OpenMetrics: Go's strconv 'g' shortest form, ".0" added to integers. */
size_t fz_go_canonical(double v, char out[40]);

#endif
