/* SPDX-License-Identifier: Apache-2.0 */
/* A labelled family whose child table cannot grow (the allocator refuses
 * large blocks): it keeps taking children until one free slot is left, then
 * refuses new ones with PROMC_ENOMEM, and every lookup still ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "promc/promc.h"

static int refuse_large; /* blocks above 128 KiB fail while set */
static void *t_malloc(size_t n) { return refuse_large && n > (128u << 10) ? NULL : malloc(n); }
static void *t_realloc(void *p, size_t n) { return refuse_large && n > (128u << 10) ? NULL : realloc(p, n); }

static void full_table_refuses_new_children_and_lookups_end(void **state) {
  (void)state;
  promc_registry *reg;
  assert_int_equal(promc_registry_new(&reg), 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "oom_t", .help = "h", .registry = reg,
                                                       PROMC_LABEL_NAMES("k")}),
                   0);
  refuse_large = 1; /* 8,192 slots (64 KiB; 16,384 need 128 KiB and a header) is the largest table from here */
  char v[16];
  int made = 0;
  for (int i = 0; i < 20000; i++) {
    snprintf(v, sizeof v, "%d", i);
    if (!promc_counter_labels(c, v)) break;
    made++;
  }
  assert_int_equal(made, 8191); /* every slot but one */
  assert_non_null(strstr(promc_errmsg(), "out of memory growing the child table of \"oom_t\""));
  snprintf(v, sizeof v, "%d", 20001);
  assert_null(promc_counter_labels(c, v)); /* a miss in a full table ends */
  for (int i = 0; i < made; i += 97) {
    snprintf(v, sizeof v, "%d", i);
    promc_counter *ch = promc_counter_labels(c, v);
    assert_non_null(ch);
    promc_counter_inc(ch);
  }
  assert_int_equal(promc_metric_removev(PROMC_METRIC(c), 1, (const char *const[]){"20001"}), PROMC_ENOTFOUND);
  refuse_large = 0;
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_non_null(strstr(b.data, "oom_t_total{k=\"8190\"} 0\n"));
  assert_non_null(strstr(b.data, "oom_t_total{k=\"97\"} 1\n"));
  promc_buf_free(&b);
  /* with memory back the table grows again */
  snprintf(v, sizeof v, "%d", 20001);
  assert_non_null(promc_counter_labels(c, v));
  promc_registry_free(reg);
}

int main(void) {
  assert_int_equal(promc_set_allocator(&(promc_allocator){t_malloc, t_realloc, free}), 0);
  const struct CMUnitTest tests[] = {cmocka_unit_test(full_table_refuses_new_children_and_lookups_end)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
