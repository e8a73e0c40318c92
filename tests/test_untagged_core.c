/* SPDX-License-Identifier: Apache-2.0 */
/* test_untagged_core.c — promc_untagged (CMakeLists.txt) really builds the
 * untagged child tables that the *_untagged tests are run against: every
 * table of a family compares each probed slot at its child, from the first
 * table on, and lookups through full-length pointers find every child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "core/internal.h"

_Static_assert(PROMC_SLOT_TAGGED == 0 && PROMC_SLOT_PTRMASK == ~(uintptr_t)0, "built as promc_untagged is");

static void tables_are_untagged_from_the_first(void **state) {
  (void)state;
  promc_registry *reg;
  promc_gauge *g;
  assert_int_equal(promc_registry_new(&reg), 0);
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "ut", .help = "h", .registry = reg,
                                                     PROMC_LABEL_NAMES("k")}),
                   0);
  struct promc_family *f = promc__series(g)->fam;
  assert_true(atomic_load(&f->tab)->ptrmask == ~(uintptr_t)0);
  static promc_gauge *ptr[3000];
  char k[16];
  for (int i = 0; i < 3000; i++) {
    snprintf(k, sizeof k, "%d", i);
    assert_non_null(ptr[i] = promc_gauge_labels(g, k));
    promc_gauge_set(ptr[i], i);
  }
  assert_true(atomic_load(&f->tab)->ptrmask == ~(uintptr_t)0); /* and after growing */
  assert_non_null(f->retired);
  for (int i = 0; i < 3000; i++) {
    snprintf(k, sizeof k, "%d", i);
    assert_ptr_equal(promc_gauge_labels(g, k), ptr[i]);
  }
  assert_int_equal(f->nchildren, 3000);
  promc_registry_free(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(tables_are_untagged_from_the_first)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
