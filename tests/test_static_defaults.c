/* SPDX-License-Identifier: Apache-2.0 */
/* test_static_defaults.c — a program linked with libpromc.a that uses only
 * core functions must still find the default collectors on the default
 * registry. Nothing here may reference a symbol of src/collectors: the
 * point is whether the core alone pulls them out of the archive. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "promc/promc.h"

static void static_link_default_registry_has_default_collectors(void **state) {
  (void)state;
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(promc_default_registry(), PROMC_FORMAT_TEXT, NULL, &b), 0);
  int have = b.len && memmem(b.data, b.len, "\nprocess_cpu_seconds_total ", 27) != NULL;
  promc_buf_free(&b);
  promc_shutdown();
  if (!have)
    fail_msg("linked with libpromc.a, the default registry has no process collector: the core's "
             "reference to promc__default_collectors_hook does not pull src/collectors/defaults.o "
             "out of the archive");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(static_link_default_registry_has_default_collectors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
