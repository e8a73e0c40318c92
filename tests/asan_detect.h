/* SPDX-License-Identifier: Apache-2.0 */
/* asan_detect.h — TEST_ASAN is defined when the test is built with
 * AddressSanitizer (gcc's or clang's spelling of the check). */
#ifndef PROMC_TEST_ASAN_DETECT_H
#define PROMC_TEST_ASAN_DETECT_H
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#endif
