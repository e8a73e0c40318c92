/* SPDX-License-Identifier: Apache-2.0 */
/* test_kind.c — the kind tables (src/core/kind.h) as the rest of the code
 * relies on them: one per type with the right suffixes and reserved label,
 * read over cells that are not the child's own (a storage backend's sum),
 * and merge adding counters, histograms and summaries cell by cell. Linked
 * against libpromc.a for the hidden promc__kind(). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/kind.h"
#include "expose/expose.h"

static size_t nsuffixes(const struct promc_kind *k) {
  size_t n = 0;
  while (k->suffixes[n]) n++;
  return n;
}

static void kind_table_has_every_type(void **state) {
  (void)state;
  assert_null(promc__kind((promc_type)0));
  assert_null(promc__kind((promc_type)9));
  assert_null(promc__kind((promc_type)-1));
  for (int t = PROMC_TYPE_COUNTER; t <= PROMC_TYPE_GAUGE_HISTOGRAM; t++) {
    const struct promc_kind *k = promc__kind((promc_type)t);
    assert_non_null(k);
    assert_int_equal(k->type, t);
    assert_non_null(k->name);
    assert_string_equal(k->suffixes[0], "");
    bool creatable = t != PROMC_TYPE_UNTYPED && t != PROMC_TYPE_GAUGE_HISTOGRAM;
    assert_int_equal(k->ncells != NULL, creatable);
    assert_int_equal(k->reset != NULL, creatable);
    assert_int_equal(k->read != NULL, creatable);
    bool adds = t == PROMC_TYPE_COUNTER || t == PROMC_TYPE_HISTOGRAM || t == PROMC_TYPE_SUMMARY;
    assert_int_equal(k->merge != NULL, adds);
    assert_int_equal(k->has_created, adds); /* the three kinds with a start time */
    bool created_sfx = false;
    for (size_t i = 0; k->suffixes[i]; i++) created_sfx |= strcmp(k->suffixes[i], "_created") == 0;
    assert_int_equal(created_sfx, k->has_created);
  }
  assert_int_equal(nsuffixes(promc__kind(PROMC_TYPE_COUNTER)), 3);
  assert_int_equal(nsuffixes(promc__kind(PROMC_TYPE_HISTOGRAM)), 5);
  assert_int_equal(nsuffixes(promc__kind(PROMC_TYPE_GAUGE_HISTOGRAM)), 4);
  assert_int_equal(nsuffixes(promc__kind(PROMC_TYPE_SUMMARY)), 4);
  assert_int_equal(nsuffixes(promc__kind(PROMC_TYPE_INFO)), 2);
  assert_int_equal(nsuffixes(promc__kind(PROMC_TYPE_GAUGE)), 1);
  assert_string_equal(promc__kind(PROMC_TYPE_HISTOGRAM)->reserved_label, "le");
  assert_string_equal(promc__kind(PROMC_TYPE_GAUGE_HISTOGRAM)->reserved_label, "le");
  assert_string_equal(promc__kind(PROMC_TYPE_SUMMARY)->reserved_label, "quantile");
  assert_null(promc__kind(PROMC_TYPE_COUNTER)->reserved_label);
  assert_null(promc__kind(PROMC_TYPE_GAUGE)->reserved_label);
}

/* name[] and the creation-time collision check both come from the table. */
static void kind_suffixes_drive_name_filter_and_collisions(void **state) {
  (void)state;
  const char *bucket[] = {"lat_bucket"}, *gcount[] = {"lat_gcount"}, *total[] = {"lat_total"};
  promc_render_opts ob = {.names = bucket, .nnames = 1}, og = {.names = gcount, .nnames = 1},
                    ot = {.names = total, .nnames = 1};
  assert_true(promc__name_selected(&ob, "lat", 3, PROMC_TYPE_HISTOGRAM));
  assert_true(promc__name_selected(&ob, "lat", 3, PROMC_TYPE_GAUGE_HISTOGRAM));
  assert_false(promc__name_selected(&ob, "lat", 3, PROMC_TYPE_GAUGE));
  assert_true(promc__name_selected(&og, "lat", 3, PROMC_TYPE_GAUGE_HISTOGRAM));
  assert_false(promc__name_selected(&og, "lat", 3, PROMC_TYPE_HISTOGRAM));
  assert_true(promc__name_selected(&ot, "lat", 3, PROMC_TYPE_COUNTER));
  assert_false(promc__name_selected(&ot, "lat", 3, PROMC_TYPE_SUMMARY));

  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_histogram *h;
  promc_gauge *g;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "lat", .help = "h", .registry = r}), 0);
  /* "lat_count" is one of the histogram's sample names */
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "lat_count", .help = "g", .registry = r}), PROMC_EDUP);
  const char *le[] = {"le"};
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "other", .help = "h", .registry = r,
                                                          .label_names = le, .nlabel_names = 1}),
                   PROMC_ELABEL);
  assert_non_null(strstr(promc_errmsg(), "\"le\" is reserved for histogram \"other\""));
  promc_registry_free(r);
}

static _Atomic uint64_t sum_cells[64];

static void zero_sum(void) {
  for (size_t i = 0; i < 64; i++) atomic_store(&sum_cells[i], 0);
}

static void kind_merge_adds_counters(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  const char *ln[] = {"w"};
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "jobs", .help = "j", .registry = r,
                                                        .label_names = ln, .nlabel_names = 1}),
                   0);
  promc_counter *a = promc_counter_labels(c, "a"), *b = promc_counter_labels(c, "b");
  assert_int_equal(promc_counter_add_int(a, 5), 0);
  assert_int_equal(promc_counter_add(a, 0.5), 0);
  assert_int_equal(promc_counter_add_int(b, 3), 0);
  assert_int_equal(promc_counter_add(b, 0.25), 0);
  const struct promc_kind *k = promc__kind(PROMC_TYPE_COUNTER);
  struct promc_series *sa = promc__series(a), *sb = promc__series(b);
  zero_sum();
  assert_int_equal(k->ncells(sa->fam), 3);
  k->merge(sa->fam, sum_cells, sa->cells);
  k->merge(sa->fam, sum_cells, sb->cells);
  assert_int_equal(atomic_load(&sum_cells[0]), 8);
  assert_int_equal(atomic_load(&sum_cells[2]), 0); /* no stripe block is made up */
  struct promc_sview v = {0};
  assert_true(k->read(sa->fam, sa, sum_cells, &v, NULL));
  assert_true(v.value == 8.75);
  /* the sources are untouched */
  assert_true(promc_counter_get(a) == 5.5 && promc_counter_get(b) == 3.25);
  k->reset(sa);
  assert_true(promc_counter_get(a) == 0);
  promc_registry_free(r);
}

static void kind_merge_adds_histograms_and_summaries(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  static const double bounds[] = {1, 10};
  const char *ln[] = {"w"};
  promc_histogram *h;
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "lat", .help = "l", .registry = r,
                                                          .label_names = ln, .nlabel_names = 1,
                                                          .buckets = bounds, .nbuckets = 2}),
                   0);
  promc_histogram *a = promc_histogram_labels(h, "a"), *b = promc_histogram_labels(h, "b");
  assert_int_equal(promc_histogram_observe(a, -2), 0); /* a's sum is signed */
  assert_int_equal(promc_histogram_observe(a, 5), 0);
  assert_int_equal(promc_histogram_observe(b, 20), 0);
  assert_int_equal(promc_histogram_observe(b, 0.5), 0);
  const struct promc_kind *k = promc__kind(PROMC_TYPE_HISTOGRAM);
  struct promc_series *sa = promc__series(a), *sb = promc__series(b);
  assert_int_equal(k->ncells(sa->fam), 4);
  zero_sum();
  k->merge(sa->fam, sum_cells, sa->cells);
  k->merge(sa->fam, sum_cells, sb->cells);
  uint64_t cum[3];
  struct promc_sview v = {0};
  assert_true(k->read(sa->fam, sa, sum_cells, &v, cum));
  assert_int_equal(cum[0], 2); /* -2, 0.5 */
  assert_int_equal(cum[1], 3); /* 5 */
  assert_int_equal(cum[2], 4); /* 20 */
  assert_int_equal(v.count, 4);
  assert_true(v.sum == 23.5);
  assert_false(v.signed_obs); /* a sum over processes: the writers judge by the sum */
  assert_true(k->read(sa->fam, sa, sa->cells, &v, cum));
  assert_true(v.signed_obs && v.count == 2 && v.sum == 3);

  promc_summary *sm;
  assert_int_equal(promc_summary_new(&sm, &(promc_opts){.name = "sz", .help = "s", .registry = r,
                                                         .label_names = ln, .nlabel_names = 1}),
                   0);
  promc_summary *x = promc_summary_labels(sm, "x"), *y = promc_summary_labels(sm, "y");
  assert_int_equal(promc_summary_observe(x, 1.5), 0);
  assert_int_equal(promc_summary_observe(y, 2), 0);
  assert_int_equal(promc_summary_observe(y, 4), 0);
  k = promc__kind(PROMC_TYPE_SUMMARY);
  struct promc_series *sx = promc__series(x), *sy = promc__series(y);
  zero_sum();
  k->merge(sx->fam, sum_cells, sx->cells);
  k->merge(sx->fam, sum_cells, sy->cells);
  memset(&v, 0, sizeof v);
  assert_true(k->read(sx->fam, sx, sum_cells, &v, NULL));
  assert_int_equal(v.count, 3);
  assert_true(v.sum == 7.5);
  promc_registry_free(r);
}

/* Gauges, info and enum have no merge; their reads take the given cells. */
static void kind_reads_take_the_given_cells(void **state) {
  (void)state;
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "temp", .help = "t", .registry = r}), 0);
  assert_int_equal(promc_gauge_set(g, 3.5), 0);
  const struct promc_kind *k = promc__kind(PROMC_TYPE_GAUGE);
  struct promc_sview v = {0};
  zero_sum();
  atomic_store(&sum_cells[0], promc__double_bits(-7.25));
  assert_true(k->read(promc__series(g)->fam, promc__series(g), sum_cells, &v, NULL));
  assert_true(v.value == -7.25);
  assert_true(k->read(promc__series(g)->fam, promc__series(g), promc__series(g)->cells, &v, NULL));
  assert_true(v.value == 3.5);

  static const char *const states[] = {"idle", "busy"};
  promc_enum *e;
  assert_int_equal(promc_enum_new(&e, &(promc_opts){.name = "mode", .help = "m", .registry = r, .states = states,
                                                     .nstates = 2}),
                   0);
  k = promc__kind(PROMC_TYPE_STATESET);
  atomic_store(&sum_cells[0], 1);
  assert_true(k->read(promc__series(e)->fam, promc__series(e), sum_cells, &v, NULL));
  assert_int_equal(v.state, 1);
  promc_registry_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kind_table_has_every_type),
      cmocka_unit_test(kind_suffixes_drive_name_filter_and_collisions),
      cmocka_unit_test(kind_merge_adds_counters),
      cmocka_unit_test(kind_merge_adds_histograms_and_summaries),
      cmocka_unit_test(kind_reads_take_the_given_cells),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
