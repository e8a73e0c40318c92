/* SPDX-License-Identifier: Apache-2.0 */
/* defaults.c — registers the default collectors on the default registry
 * (the core calls it through promc__default_collectors_hook when it creates it),
 * unless promc_default_collectors_disable() ran or the environment variable
 * PROMC_DISABLE_DEFAULT_COLLECTORS is set to something other than "" or "0". */
#include <stdatomic.h>
#include <stdlib.h>

#include "core/internal.h"

/* 1 = disabled by promc_default_collectors_disable(); 2 = the default
 * registry was created (too late to disable). */
static _Atomic int g_state;

int promc_default_collectors_disable(void) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&g_state, &expected, 1) || expected == 1) return 0;
  return promc__err(PROMC_ESTATE,
                    "default collectors: the default registry already exists; remove them with "
                    "promc_registry_remove_collector (\"process\", \"platform\", \"malloc\")");
}

int promc_default_collectors_register(promc_registry *r) {
  if (!r) r = promc_default_registry();
  if (!r) return promc__err(PROMC_ENOMEM, "default collectors: no default registry");
  int rc = promc_process_collector_register(r, NULL);
  if (rc != 0 && rc != PROMC_EUNSUPP) return rc;
  rc = promc_platform_collector_register(r);
  if (rc != 0) return rc;
  rc = promc_malloc_collector_register(r);
  if (rc != 0 && rc != PROMC_EUNSUPP) return rc;
  return 0;
}

/* Called by the core with its default-registry lock held: must not call
 * promc_default_registry(). */
static int register_defaults(promc_registry *r) {
  int expected = 0;
  /* the first creation decides; a later re-creation (after promc_shutdown)
   * keeps the same choice */
  if (!atomic_compare_exchange_strong(&g_state, &expected, 2) && expected == 1) return 0;
  const char *env = getenv("PROMC_DISABLE_DEFAULT_COLLECTORS");
  if (env && *env && !(env[0] == '0' && env[1] == '\0')) return 0;
  if (!r) return PROMC_EINVAL;
  return promc_default_collectors_register(r);
}

int (*const promc__default_collectors_hook)(promc_registry *r) = register_defaults;
