/* SPDX-License-Identifier: Apache-2.0 */
/* platform.c — the "platform" collector (promc_build_info, the C
 * counterpart of client_python's python_info) and the "malloc" collector
 * (glibc mallinfo2, the counterpart of its garbage-collector metrics). */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
#include <malloc.h>
#define PROMC_HAVE_MALLINFO2 1
#endif
#endif

#include "core/internal.h"

#define STR2_(x) #x
#define STR_(x) STR2_(x)
#if defined(__clang__)
#define PROMC_COMPILER \
  "clang " STR_(__clang_major__) "." STR_(__clang_minor__) "." STR_(__clang_patchlevel__)
#elif defined(__GNUC__)
#define PROMC_COMPILER "gcc " STR_(__GNUC__) "." STR_(__GNUC_MINOR__) "." STR_(__GNUC_PATCHLEVEL__)
#else
#define PROMC_COMPILER "unknown"
#endif

enum { NINFO = 7 };
static const char *const k_info_names[NINFO] = {"version", "compiler", "libc", "libc_version",
                                                "os",      "os_release", "arch"};

struct platform_info {
  char v[NINFO][72];
};

static int platform_collect(promc_collect *ctx, void *user) {
  const struct platform_info *pi = user;
  const char *values[NINFO];
  for (int i = 0; i < NINFO; i++) values[i] = pi->v[i];
  int rc = promc_collect_family(ctx, "promc_build",
                                "Build and platform information about the promc library; value 1.",
                                PROMC_TYPE_INFO, NULL);
  if (rc == 0) rc = promc_collect_sample(ctx, NINFO, k_info_names, values, 1.0);
  return rc;
}

static void platform_free(void *user) { promc__free(user); }

int promc_platform_collector_register(promc_registry *r) {
  if (!r) r = promc_default_registry();
  if (!r) return promc__err(PROMC_ENOMEM, "platform collector: no default registry");
  struct platform_info *pi = promc__calloc(1, sizeof *pi);
  if (!pi) return promc__err(PROMC_ENOMEM, "platform collector: out of memory");
  const char *libc = "unknown", *libc_version = "unknown";
#if defined(__GLIBC__)
  libc = "glibc";
  libc_version = gnu_get_libc_version();
#elif defined(__linux__)
  libc = "musl"; /* musl defines no macro; on Linux without glibc it is the usual one */
#endif
  struct utsname u;
  const char *os = "unknown", *rel = "unknown", *arch = "unknown";
  if (uname(&u) == 0) {
    os = u.sysname;
    rel = u.release;
    arch = u.machine;
  }
  const char *vals[NINFO] = {PROMC_VERSION_STRING, PROMC_COMPILER, libc, libc_version, os, rel, arch};
  for (int i = 0; i < NINFO; i++) snprintf(pi->v[i], sizeof pi->v[i], "%s", vals[i]);
  promc_collector c = {.name = "platform", .collect = platform_collect, .free_user = platform_free, .user = pi};
  int rc = promc_registry_add_collector(r, &c);
  if (rc != 0) promc__free(pi);
  return rc;
}

#ifdef PROMC_HAVE_MALLINFO2
static int malloc_collect(promc_collect *ctx, void *user) {
  (void)user;
  struct mallinfo2 mi = mallinfo2();
  static const struct {
    const char *name, *help, *unit;
  } k[] = {
      {"glibc_malloc_arena_bytes", "Bytes of non-mmapped memory glibc malloc took from the system (mallinfo2 arena).", "bytes"},
      {"glibc_malloc_in_use_bytes", "Bytes in chunks handed out by glibc malloc, mmapped chunks excluded (mallinfo2 uordblks).", "bytes"},
      {"glibc_malloc_free_bytes", "Bytes in free chunks kept by glibc malloc (mallinfo2 fordblks).", "bytes"},
      {"glibc_malloc_mmapped_bytes", "Bytes in chunks glibc malloc allocated with mmap (mallinfo2 hblkhd).", "bytes"},
      {"glibc_malloc_mmapped_chunks", "Chunks glibc malloc allocated with mmap (mallinfo2 hblks).", NULL},
  };
  const double v[] = {(double)mi.arena, (double)mi.uordblks, (double)mi.fordblks, (double)mi.hblkhd,
                      (double)mi.hblks};
  int rc = 0;
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    int e = promc_collect_family(ctx, k[i].name, k[i].help, PROMC_TYPE_GAUGE, k[i].unit);
    if (e == 0) e = promc_collect_sample(ctx, 0, NULL, NULL, v[i]);
    if (e < 0 && rc == 0) rc = e;
  }
  return rc;
}
#endif

int promc_malloc_collector_register(promc_registry *r) {
#ifdef PROMC_HAVE_MALLINFO2
  if (!r) r = promc_default_registry();
  if (!r) return promc__err(PROMC_ENOMEM, "malloc collector: no default registry");
  promc_collector c = {.name = "malloc", .collect = malloc_collect, .free_user = NULL, .user = NULL};
  return promc_registry_add_collector(r, &c);
#else
  (void)r;
  return promc__err(PROMC_EUNSUPP, "malloc collector: built without glibc >= 2.33 (mallinfo2)");
#endif
}
