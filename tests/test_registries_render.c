/* SPDX-License-Identifier: Apache-2.0 */
/* test_registries_render.c — several registries rendered as one
 * exposition: every format equals the registries' own renders joined
 * (OpenMetrics with one "# EOF" at the end), a name exposed by two of them
 * is shown once and reported as PROMC_EDUP, name[] applies to all, and
 * misuse is PROMC_EINVAL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "promc/promc.h"
#include "batch_util.h"

static int collect_dup(promc_collect *ctx, void *user) {
  (void)user;
  /* "a_count" exposes the same name as counter "a_count" of the first registry;
   * its error is ignored on purpose: the render reports it all the same. */
  promc_collect_family(ctx, "a_count", "A clash from a collector.", PROMC_TYPE_GAUGE, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 9);
  promc_collect_family(ctx, "c_collected", "Fine.", PROMC_TYPE_GAUGE, NULL);
  return promc_collect_sample(ctx, 0, NULL, NULL, 4);
}


static void joined_in_every_format(void **state) {
  (void)state;
  promc_registry *a = bu_reg_with("a", 1, "a_gauge"), *b = bu_reg_with("b", 2, NULL);
  promc_registry *regs[] = {a, b};
  for (int f = PROMC_FORMAT_TEXT; f <= PROMC_FORMAT_PROTOBUF; f++) {
    promc_buf one = {0}, two = {0}, both = {0};
    assert_int_equal(promc_registry_render_buf(a, (promc_format)f, NULL, &one), 0);
    assert_int_equal(promc_registry_render_buf(b, (promc_format)f, NULL, &two), 0);
    assert_int_equal(promc_registries_render_buf(regs, 2, (promc_format)f, NULL, &both), 0);
    size_t cut = 0;
    if (f == PROMC_FORMAT_OPENMETRICS) { /* the first one's "# EOF" goes */
      assert_true(one.len > 6 && memcmp(one.data + one.len - 6, "# EOF\n", 6) == 0);
      cut = 6;
      assert_int_equal(bu_count_of(both.data, "# EOF"), 1);
      assert_true(memcmp(both.data + both.len - 6, "# EOF\n", 6) == 0);
    }
    assert_int_equal(both.len, one.len - cut + two.len);
    assert_memory_equal(both.data, one.data, one.len - cut);
    assert_memory_equal(both.data + one.len - cut, two.data, two.len);
    promc_buf_free(&one);
    promc_buf_free(&two);
    promc_buf_free(&both);
  }
  /* name[] applies to all of them */
  promc_buf t = {0};
  const char *names[] = {"b_total", "a_gauge"};
  assert_int_equal(promc_registries_render_buf(regs, 2, PROMC_FORMAT_TEXT,
                                               &(promc_render_opts){.names = names, .nnames = 2}, &t),
                   0);
  assert_string_equal(t.data, "# HELP a_gauge A gauge.\n# TYPE a_gauge gauge\na_gauge 2.5\n"
                              "# HELP b_total A counter.\n# TYPE b_total counter\nb_total 2\n");
  promc_buf_free(&t);
  promc_registry_free(a);
  promc_registry_free(b);
}

static void duplicate_left_out_and_reported(void **state) {
  (void)state;
  /* counter a exposes a_total; b's gauge a_total exposes it too */
  promc_registry *a = bu_reg_with("a", 1, NULL), *b = bu_reg_with("b", 2, "a_total");
  promc_registry *regs[] = {a, b};
  promc_buf t = {0};
  assert_int_equal(promc_registries_render_buf(regs, 2, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EDUP);
  const char *msg = promc_errmsg();
  assert_non_null(strstr(msg, "\"a_total\""));
  assert_non_null(strstr(msg, "registry 1"));
  assert_non_null(strstr(msg, "registry 0"));
  assert_string_equal(t.data, "# HELP a_total A counter.\n# TYPE a_total counter\na_total 1\n"
                              "# HELP b_total A counter.\n# TYPE b_total counter\nb_total 2\n");
  promc_buf_free(&t);
  /* OpenMetrics still ends in "# EOF" */
  assert_int_equal(promc_registries_render_buf(regs, 2, PROMC_FORMAT_OPENMETRICS, NULL, &t), PROMC_EDUP);
  assert_int_equal(bu_count_of(t.data, "# EOF"), 1);
  assert_true(memcmp(t.data + t.len - 6, "# EOF\n", 6) == 0);
  assert_int_equal(bu_count_of(t.data, "# TYPE a counter"), 1);
  promc_buf_free(&t);
  /* each alone is fine */
  assert_int_equal(promc_registry_render_buf(b, PROMC_FORMAT_TEXT, NULL, &t), 0);
  promc_buf_free(&t);
  promc_registry_free(b);

  /* a collector's family clashing with an earlier registry's */
  promc_registry *c;
  assert_int_equal(promc_registry_new(&c), 0);
  promc_counter *cc;
  assert_int_equal(promc_counter_new(&cc, &(promc_opts){.name = "a_count", .help = "First.", .registry = a}), 0);
  assert_int_equal(promc_registry_add_collector(c, &(promc_collector){.name = "dup", .collect = collect_dup}), 0);
  promc_registry *regs2[] = {a, c};
  assert_int_equal(promc_registries_render_buf(regs2, 2, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EDUP);
  assert_non_null(strstr(promc_errmsg(), "collector \"dup\""));
  assert_non_null(strstr(promc_errmsg(), "a_count"));
  assert_int_equal(bu_count_of(t.data, "a_count"), 3); /* HELP, TYPE, sample of the counter only */
  assert_non_null(strstr(t.data, "c_collected 4\n"));
  assert_null(strstr(t.data, " 9\n"));
  promc_buf_free(&t);
  /* the other order: the registry's family is the later one */
  promc_registry *regs3[] = {c, a};
  assert_int_equal(promc_registries_render_buf(regs3, 2, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EDUP);
  assert_non_null(strstr(promc_errmsg(), "(registered) of registry 1"));
  assert_non_null(strstr(t.data, "a_count 9\n"));
  assert_null(strstr(t.data, "a_count_total"));
  assert_non_null(strstr(t.data, "a_total 1\n"));
  promc_buf_free(&t);
  promc_registry_free(c);
  promc_registry_free(a);
}

static void misuse_is_einval(void **state) {
  (void)state;
  promc_registry *a = bu_reg_with("a", 1, NULL);
  promc_registry *regs[] = {a, NULL}, *twice[] = {a, a};
  promc_buf t = {0};
  assert_int_equal(promc_registries_render_buf(NULL, 1, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EINVAL);
  assert_int_equal(promc_registries_render_buf(regs, 0, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EINVAL);
  assert_int_equal(promc_registries_render_buf(regs, 2, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EINVAL);
  assert_non_null(strstr(promc_errmsg(), "registry 1 is NULL"));
  assert_int_equal(promc_registries_render_buf(twice, 2, PROMC_FORMAT_TEXT, NULL, &t), PROMC_EINVAL);
  assert_int_equal(promc_registries_render_buf(regs, 1, (promc_format)9, NULL, &t), PROMC_EINVAL);
  assert_int_equal(promc_registries_render_buf(regs, 1, PROMC_FORMAT_TEXT, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(promc_registries_render(regs, 1, PROMC_FORMAT_TEXT, NULL, NULL, NULL), PROMC_EINVAL);
  assert_int_equal(t.len, 0);
  promc_registry_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(joined_in_every_format),
      cmocka_unit_test(duplicate_left_out_and_reported),
      cmocka_unit_test(misuse_is_einval),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
