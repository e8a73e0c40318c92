/* SPDX-License-Identifier: Apache-2.0 */
/* stress_check.h — the failure counter of the tests that run without
 * cmocka (stress tests, threads checking every scrape): CHECK records a
 * failure with its message and carries on, main returns failures != 0. */
#ifndef PROMC_TEST_STRESS_CHECK_H
#define PROMC_TEST_STRESS_CHECK_H

#include <stdio.h>

static long failures;
#define CHECK(cond, ...)                     \
  do {                                       \
    if (!(cond)) {                           \
      fprintf(stderr, "FAIL: " __VA_ARGS__); \
      fputc('\n', stderr);                   \
      failures++;                            \
    }                                        \
  } while (0)

#endif
