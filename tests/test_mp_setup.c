/* SPDX-License-Identifier: Apache-2.0 */
/* test_mp_setup.c — turning multi-process mode on, each in a fresh process
 * (the mode is chosen once per program): `env` enables it through
 * PROMC_MULTIPROC_DIR at the first family; `full` enables a 1 MiB mapping and
 * fills it: creation fails with PROMC_EFULL and every series made before
 * keeps its value. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "promc/multiprocess.h"
#include "promc/promc.h"

static char tmpdir[] = "/tmp/promc-mp-setup-XXXXXX";

static double sample(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ') return strtod(p + kl + 1, NULL);
  return NAN;
}

static void env_var_enables_at_first_family(void **state) {
  (void)state;
  assert_int_equal(setenv("PROMC_MULTIPROC_DIR", tmpdir, 1), 0);
  assert_int_equal(promc_multiprocess_enabled(), 0);
  promc_mp_stats st;
  assert_int_equal(promc_multiprocess_stats(&st), PROMC_ESTATE);
  assert_int_equal(promc_multiprocess_mark_dead(1), PROMC_ESTATE);
  promc_registry *r;
  promc_counter *c;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "env_c", .help = "h", .registry = r}), 0);
  assert_int_equal(promc_multiprocess_enabled(), 1);
  assert_int_equal(promc_multiprocess_enable(&(promc_mp_opts){.dir = tmpdir}), PROMC_ESTATE);
  assert_int_equal(promc_multiprocess_stats(&st), 0);
  assert_int_equal(st.max_processes, 64);
  assert_int_equal(st.series, 1);
  /* a forked child's increment shows in the parent's scrape */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    promc_counter_add_int(c, 41);
    _exit(0);
  }
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  promc_counter_inc(c);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  assert_true(sample(b.data, "env_c_total") == 42);
  promc_buf_free(&b);
  promc_registry_free(r);
}

static void full_mapping_is_an_error_not_corruption(void **state) {
  (void)state;
  assert_int_equal(promc_multiprocess_enable(&(promc_mp_opts){.dir = tmpdir, .size = 1 << 20, .max_processes = 4}), 0);
  promc_mp_stats st;
  assert_int_equal(promc_multiprocess_stats(&st), 0);
  assert_true(st.cells_max >= 1024);
  promc_registry *r;
  promc_histogram *h;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_histogram_new(&h, &(promc_opts){.name = "full_h", .help = "h", .registry = r,
                                                          PROMC_LABEL_NAMES("i")}),
                   0);
  int made = 0;
  for (int i = 0; i < 100000; i++) {
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    promc_histogram *c = promc_histogram_labels(h, v);
    if (!c) {
      assert_non_null(strstr(promc_errmsg(), "full"));
      break;
    }
    promc_histogram_observe(c, (double)i);
    made++;
  }
  assert_true(made > 10 && made < 100000);
  /* still full, still an error; existing series unharmed */
  assert_null(promc_histogram_labels(h, "one-more"));
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* another process: same answer, and writes land */
    if (promc_histogram_labels(h, "child-more")) _exit(1);
    promc_histogram_observe(promc_histogram_labels(h, "0"), 1);
    _exit(0);
  }
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  for (int i = 0; i < made; i++) {
    char key[64];
    snprintf(key, sizeof key, "full_h_count{i=\"%d\"}", i);
    double want = i == 0 ? 2 : 1;
    if (sample(b.data, key) != want) fail_msg("%s: want %g got %g", key, want, sample(b.data, key));
    snprintf(key, sizeof key, "full_h_sum{i=\"%d\"}", i);
    want = i == 0 ? 1 : i;
    if (sample(b.data, key) != want) fail_msg("%s: want %g got %g", key, want, sample(b.data, key));
  }
  promc_buf_free(&b);
  promc_registry_free(r);
}

int main(int argc, char **argv) {
  if (!mkdtemp(tmpdir)) return 2;
  const struct CMUnitTest env[] = {cmocka_unit_test(env_var_enables_at_first_family)};
  const struct CMUnitTest full[] = {cmocka_unit_test(full_mapping_is_an_error_not_corruption)};
  int rc = 2;
  if (argc > 1 && strcmp(argv[1], "env") == 0) rc = cmocka_run_group_tests(env, NULL, NULL);
  else if (argc > 1 && strcmp(argv[1], "full") == 0) rc = cmocka_run_group_tests(full, NULL, NULL);
  else fprintf(stderr, "usage: test_mp_setup env|full\n");
  promc_shutdown();
  rmdir(tmpdir);
  return rc;
}
