/* SPDX-License-Identifier: Apache-2.0 */
/* off.c — the multi-process API in a build configured with
 * -DPROMC_BUILD_MULTIPROCESS=OFF: the functions exist (so programs link
 * against either build) and report PROMC_EUNSUPP; the core has no
 * storage backend. */
#include "core/store.h"
#include "promc/multiprocess.h"

/* No storage backend: every child keeps its cells inline. */
const struct promc_store_ops *const promc__store_backend = NULL;

int promc_multiprocess_enable(const promc_mp_opts *o) {
  (void)o;
  return promc__err(PROMC_EUNSUPP, "multiprocess mode is not built into this library");
}

int promc_multiprocess_enabled(void) { return 0; }

int promc_multiprocess_mark_dead(pid_t pid) {
  (void)pid;
  return promc__err(PROMC_EUNSUPP, "multiprocess mode is not built into this library");
}

int promc_multiprocess_reap(void) {
  return promc__err(PROMC_EUNSUPP, "multiprocess mode is not built into this library");
}

int promc_multiprocess_stats(promc_mp_stats *out) {
  (void)out;
  return promc__err(PROMC_EUNSUPP, "multiprocess mode is not built into this library");
}
