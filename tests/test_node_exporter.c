/* SPDX-License-Identifier: Apache-2.0 */
/* test_node_exporter.c — promc_write_textfile against a real node_exporter
 * (/usr/bin/prometheus-node-exporter, textfile collector only, on a free
 * 127.0.0.1 port) whose textfile directory is a 64 KiB tmpfs mounted here:
 * the written metrics appear in its /metrics; a write that fails because the
 * file system is full (ENOSPC) or read-only (EROFS) leaves the previous file
 * served unchanged with node_textfile_scrape_error 0. Needs root to mount
 * (root ignores permission bits, so only a real file-system limit makes the
 * write fail); fails loudly without. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mount.h>

#include "batch_util.h"

static char g_dir[256], g_mnt[300];
static int g_mounted, g_port;
static pid_t g_ne = -1;

static int setup(void **state) {
  (void)state;
  const char *bin = "/usr/bin/prometheus-node-exporter";
  if (access(bin, X_OK) != 0) {
    fprintf(stderr, "test_node_exporter: %s is missing (Debian package prometheus-node-exporter; "
                    "scripts/deps.sh test installs it)\n", bin);
    return -1;
  }
  snprintf(g_dir, sizeof g_dir, "/tmp/promc-nodeexp-XXXXXX");
  if (!mkdtemp(g_dir)) return -1;
  snprintf(g_mnt, sizeof g_mnt, "%s/textfile", g_dir);
  if (mkdir(g_mnt, 0755) != 0) return -1;
  if (mount("promc-test", g_mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") != 0) {
    fprintf(stderr, "test_node_exporter: cannot mount a 64 KiB tmpfs on %s: %s (needs root / CAP_SYS_ADMIN)\n",
            g_mnt, strerror(errno));
    return -1;
  }
  g_mounted = 1;
  char tdir[400];
  snprintf(tdir, sizeof tdir, "--collector.textfile.directory=%s", g_mnt);
  for (int attempt = 0; attempt < 5; attempt++) {
    g_port = bu_free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", g_port);
    char *argv[] = {(char *)bin, (char *)"--collector.disable-defaults", (char *)"--collector.textfile", tdir,
                    listen, NULL};
    g_ne = bu_spawn(argv);
    if (g_ne > 0 && bu_wait_http(g_ne, g_port, "/metrics", 15000) == 0) return 0;
    bu_stop(g_ne);
    g_ne = -1;
  }
  fprintf(stderr, "test_node_exporter: node_exporter did not start\n");
  return -1;
}

static int teardown(void **state) {
  (void)state;
  bu_stop(g_ne);
  g_ne = -1;
  if (g_mounted) {
    char p[400];
    umount2(g_mnt, MNT_DETACH);
    g_mounted = 0;
    snprintf(p, sizeof p, "%s", g_mnt);
    rmdir(p);
  }
  rmdir(g_dir);
  return 0;
}

static char *scrape(void) {
  char *body = NULL;
  int st = bu_http(g_port, "GET", "/metrics", &body, 10000);
  if (st != 200) fail_msg("GET /metrics: %d", st);
  return body;
}

static promc_registry *job_registry(double value, int n_items) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "batch_value", .help = "A value.", .registry = r}), 0);
  promc_gauge_set(g, value);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "batch_items", .help = "Items processed.",
                                                       PROMC_LABEL_NAMES("item"), .registry = r}),
                   0);
  for (int i = 0; i < n_items; i++) {
    char v[32];
    snprintf(v, sizeof v, "item-%05d", i);
    promc_counter_add_int(promc_counter_labels(c, v), 5);
  }
  return r;
}

static void expect_served(const char *text, double value, const char *when) {
  if (bu_sample(text, "batch_value") != value)
    fail_msg("%s: batch_value is %g, want %g; node_exporter served:\n%.2000s", when, bu_sample(text, "batch_value"),
             value, text);
  if (bu_sample(text, "batch_items_total{item=\"item-00000\"}") != 5) fail_msg("%s: batch_items_total missing", when);
  if (bu_sample(text, "node_textfile_scrape_error") != 0)
    fail_msg("%s: node_textfile_scrape_error is %g", when, bu_sample(text, "node_textfile_scrape_error"));
}

static void node_exporter_serves_textfile_and_survives_failed_writes(void **state) {
  (void)state;
  char path[400];
  snprintf(path, sizeof path, "%s/promc_batch.prom", g_mnt);

  promc_registry *r1 = job_registry(1, 3);
  if (promc_write_textfile(r1, path) != 0) fail_msg("write: %s", promc_errmsg());
  char *m = scrape();
  expect_served(m, 1, "after the first write");
  free(m);
  char *file1 = bu_read_file(path);

  /* full: 2000 series (~90 KB) do not fit in 64 KiB */
  promc_registry *big = job_registry(99, 2000);
  assert_int_equal(promc_write_textfile(big, path), PROMC_EIO);
  if (!strstr(promc_errmsg(), "ENOSPC")) fail_msg("errmsg: %s", promc_errmsg());
  print_message("full tmpfs: %s\n", promc_errmsg());
  m = scrape();
  expect_served(m, 1, "after a write failing with ENOSPC");
  free(m);

  /* read-only */
  promc_registry *r2 = job_registry(2, 3);
  assert_int_equal(mount(NULL, g_mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
  assert_int_equal(promc_write_textfile(r2, path), PROMC_EIO);
  if (!strstr(promc_errmsg(), "EROFS")) fail_msg("errmsg: %s", promc_errmsg());
  print_message("read-only tmpfs: %s\n", promc_errmsg());
  m = scrape();
  expect_served(m, 1, "after a write failing with EROFS");
  free(m);
  assert_int_equal(mount(NULL, g_mnt, NULL, MS_REMOUNT, NULL), 0);

  char *now = bu_read_file(path);
  assert_string_equal(now, file1);
  free(now);
  free(file1);

  /* the file system is writable again: the new values are served */
  if (promc_write_textfile(r2, path) != 0) fail_msg("write: %s", promc_errmsg());
  m = scrape();
  expect_served(m, 2, "after the second successful write");
  free(m);
  promc_registry_free(r1);
  promc_registry_free(r2);
  promc_registry_free(big);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(node_exporter_serves_textfile_and_survives_failed_writes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
