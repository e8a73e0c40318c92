/* SPDX-License-Identifier: Apache-2.0 */
/* test_textfile.c — promc_write_textfile: content, mode, atomic replacement
 * under a concurrent reader, and failures that keep the old file: missing
 * directory, a directory as target, a failing collector; the directory
 * swapped for a symlink during a write (deterministically, from a collector,
 * and racing a thread that keeps swapping it) leaving no temporary file and
 * the old file whole; and (with --fs, a
 * separate ctest entry that needs root) a full tmpfs (ENOSPC) and a
 * read-only remount (EROFS). Root ignores permission bits, so a 0555
 * directory cannot make a write fail here; real file-system limits do. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mount.h>

#include "batch_util.h"

static char g_dir[256];

static int mkdir_tmp(void **state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/promc-textfile-XXXXXX");
  return mkdtemp(g_dir) ? 0 : -1;
}

/* removes every entry of g_dir, then g_dir */
static int rm_tmp(void **state) {
  (void)state;
  DIR *d = opendir(g_dir);
  if (d) {
    for (struct dirent *e; (e = readdir(d));) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char p[512];
      snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
      if (unlink(p) != 0) rmdir(p);
    }
    closedir(d);
  }
  rmdir(g_dir);
  return 0;
}

/* Names in dir other than the ones listed (NULL-terminated), as one string. */
static void extra_files(const char *dir, const char *const *expected, char *out, size_t cap) {
  out[0] = 0;
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    int known = 0;
    for (const char *const *x = expected; *x; x++) known |= !strcmp(*x, e->d_name);
    if (!known) snprintf(out + strlen(out), cap - strlen(out), "%s ", e->d_name);
  }
  closedir(d);
}

static promc_registry *small_registry(double v) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_gauge *g;
  assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "batch_value", .help = "A value.", .registry = r}), 0);
  promc_gauge_set(g, v);
  return r;
}

/* a registry whose text is about n_series * 40 bytes */
static promc_registry *big_registry(int n_series) {
  promc_registry *r;
  assert_int_equal(promc_registry_new(&r), 0);
  promc_counter *c;
  assert_int_equal(promc_counter_new(&c, &(promc_opts){.name = "batch_items", .help = "Items.",
                                                       PROMC_LABEL_NAMES("item"), .registry = r}),
                   0);
  for (int i = 0; i < n_series; i++) {
    char v[32];
    snprintf(v, sizeof v, "item-%06d", i);
    promc_counter_add_int(promc_counter_labels(c, v), (uint64_t)i);
  }
  return r;
}

static void textfile_writes_render_output(void **state) {
  (void)state;
  promc_registry *r = big_registry(50);
  char path[300];
  snprintf(path, sizeof path, "%s/batch.prom", g_dir);
  mode_t old = umask(077); /* the file is 0644 whatever the umask */
  int rc = promc_write_textfile(r, path);
  umask(old);
  assert_int_equal(rc, 0);
  char *want = bu_render(r, NULL);
  char *got = bu_read_file(path);
  assert_non_null(got);
  assert_string_equal(got, want);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0644);
  char extra[512];
  extra_files(g_dir, (const char *const[]){"batch.prom", NULL}, extra, sizeof extra);
  assert_string_equal(extra, "");
  /* a relative path works too */
  char cwd[512];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(g_dir), 0);
  assert_int_equal(promc_write_textfile(r, "rel.prom"), 0);
  assert_int_equal(chdir(cwd), 0);
  snprintf(path, sizeof path, "%s/rel.prom", g_dir);
  free(got);
  got = bu_read_file(path);
  assert_string_equal(got, want);
  free(got);
  free(want);
  promc_registry_free(r);
}

/* --------------------------------------------------------- atomic replace */
struct reader {
  const char *path;
  const char *a, *b;
  _Atomic int stop;
  _Atomic long nreads; /* reads so far, for the writer */
  long reads, torn;
  char torn_sample[200];
};

static void *read_loop(void *arg) {
  struct reader *rd = arg;
  while (!atomic_load(&rd->stop)) {
    char *s = bu_read_file(rd->path);
    if (!s) continue;
    rd->reads++;
    atomic_fetch_add(&rd->nreads, 1);
    if (strcmp(s, rd->a) != 0 && strcmp(s, rd->b) != 0) {
      if (!rd->torn++) snprintf(rd->torn_sample, sizeof rd->torn_sample, "%zu bytes", strlen(s));
    }
    free(s);
  }
  return NULL;
}

static void textfile_replacement_is_atomic(void **state) {
  (void)state;
  promc_registry *ra = small_registry(1), *rb = big_registry(4000); /* ~160 KB: many write() calls */
  char path[300];
  snprintf(path, sizeof path, "%s/atomic.prom", g_dir);
  assert_int_equal(promc_write_textfile(ra, path), 0);
  struct reader rd = {.path = path, .a = bu_render(ra, NULL), .b = bu_render(rb, NULL)};
  assert_true(strlen(rd.b) > 100000);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, read_loop, &rd), 0);
  /* at least 60 rewrites and at least 200 reads overlapping them (the
   * reader may start late on a loaded machine); bounded to 20 s */
  int writes = 0;
  double end = bu_now() + 20;
  while ((writes < 60 || atomic_load(&rd.nreads) < 200) && bu_now() < end) {
    assert_int_equal(promc_write_textfile(writes % 2 ? ra : rb, path), 0);
    writes++;
  }
  atomic_store(&rd.stop, 1);
  pthread_join(th, NULL);
  if (rd.torn) fail_msg("reader saw %ld partial files of %ld reads (first: %s)", rd.torn, rd.reads, rd.torn_sample);
  if (rd.reads < 200) fail_msg("only %ld reads overlapped %d rewrites in 20 s", rd.reads, writes);
  print_message("atomic replacement: %ld reads during %d rewrites, none partial\n", rd.reads, writes);
  free((char *)rd.a);
  free((char *)rd.b);
  promc_registry_free(ra);
  promc_registry_free(rb);
}

/* ---------------------------------------------------------------- failures */
static int failing_collect(promc_collect *ctx, void *user) {
  (void)user;
  promc_collect_family(ctx, "half_done", "x", PROMC_TYPE_GAUGE, NULL);
  promc_collect_sample(ctx, 0, NULL, NULL, 1);
  return promc_set_errmsg(PROMC_EIO, "backend unreachable");
}

static void textfile_failures_keep_old_file(void **state) {
  (void)state;
  promc_registry *r = small_registry(42);
  char path[300];
  snprintf(path, sizeof path, "%s/keep.prom", g_dir);
  assert_int_equal(promc_write_textfile(r, path), 0);
  char *before = bu_read_file(path);
  const char *const only[] = {"keep.prom", NULL};
  char extra[512];

  /* bad arguments */
  assert_int_equal(promc_write_textfile(r, NULL), PROMC_EINVAL);
  assert_int_equal(promc_write_textfile(r, ""), PROMC_EINVAL);
  char dirpath[300];
  snprintf(dirpath, sizeof dirpath, "%s/", g_dir);
  assert_int_equal(promc_write_textfile(r, dirpath), PROMC_EINVAL);

  /* missing directory */
  char missing[300];
  snprintf(missing, sizeof missing, "%s/no/such/dir/x.prom", g_dir);
  assert_int_equal(promc_write_textfile(r, missing), PROMC_EIO);
  if (!strstr(promc_errmsg(), "ENOENT")) fail_msg("errmsg: %s", promc_errmsg());

  /* the target is a directory: rename fails, the temporary file goes */
  char sub[300];
  snprintf(sub, sizeof sub, "%s/sub.prom", g_dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  assert_int_equal(promc_write_textfile(r, sub), PROMC_EIO);
  if (!strstr(promc_errmsg(), "EISDIR")) fail_msg("errmsg: %s", promc_errmsg());
  assert_int_equal(rmdir(sub), 0);

  /* a collector fails: nothing is written, the old file stays */
  promc_gauge *g;
  promc_gauge_new(&g, &(promc_opts){.name = "batch_value", .help = "A value.", .registry = r});
  promc_collector c = {.name = "failing", .collect = failing_collect};
  assert_int_equal(promc_registry_add_collector(r, &c), 0);
  assert_int_equal(promc_write_textfile(r, path), PROMC_ECALLBACK);
  if (!strstr(promc_errmsg(), "not written")) fail_msg("errmsg: %s", promc_errmsg());

  char *after = bu_read_file(path);
  assert_string_equal(after, before);
  extra_files(g_dir, only, extra, sizeof extra);
  if (extra[0]) fail_msg("left behind: %s", extra);
  free(before);
  free(after);
  promc_registry_free(r);
}

/* ------------------------------------------ directory swapped for a symlink */
/* g_dir/d is the directory written to; a swap renames it to d.old and puts a
 * symlink d -> e in its place. */
struct swap {
  char d[300], old[300], e[300], file[320];
  int fail; /* the collector doing the swap also fails the render */
  _Atomic int stop;
  long flips;
};

static void swap_paths(struct swap *w) {
  snprintf(w->d, sizeof w->d, "%s/d", g_dir);
  snprintf(w->old, sizeof w->old, "%s/d.old", g_dir);
  snprintf(w->e, sizeof w->e, "%s/e", g_dir);
  snprintf(w->file, sizeof w->file, "%s/m.prom", w->d);
  assert_int_equal(mkdir(w->d, 0755), 0);
  assert_int_equal(mkdir(w->e, 0755), 0);
}

static void swap_to_symlink(struct swap *w) {
  if (rename(w->d, w->old) != 0 || symlink("e", w->d) != 0) fail_msg("swap: %s", strerror(errno));
}

/* removes the files in each directory, then the directories (and the symlink) */
static void swap_cleanup(struct swap *w) {
  const char *dirs[] = {w->old, w->e, w->d};
  for (int i = 0; i < 3; i++) {
    struct stat st;
    if (lstat(dirs[i], &st) == 0 && S_ISLNK(st.st_mode)) {
      unlink(dirs[i]);
      continue;
    }
    DIR *dd = opendir(dirs[i]);
    if (!dd) continue;
    for (struct dirent *e; (e = readdir(dd));) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", dirs[i], e->d_name);
        unlink(p);
      }
    }
    closedir(dd);
    rmdir(dirs[i]);
  }
}

static void no_temp_files(const char *dir) {
  char extra[512];
  extra_files(dir, (const char *const[]){"m.prom", NULL}, extra, sizeof extra);
  if (extra[0]) fail_msg("left behind in %s: %s", dir, extra);
}

static int swapping_collect(promc_collect *ctx, void *user) {
  (void)ctx;
  struct swap *w = user;
  swap_to_symlink(w);
  return w->fail ? promc_set_errmsg(PROMC_EIO, "failed after the swap") : 0;
}

/* The swap happens while the text is being written (from a collector, so
 * between the creation of the temporary file and the rename): the write
 * completes in the directory it started in, or, when it fails, removes its
 * temporary file there; the old file stays whole either way. */
static void textfile_dir_swapped_during_write(void **state) {
  (void)state;
  for (int fail = 0; fail <= 1; fail++) {
    struct swap w = {.fail = fail};
    swap_paths(&w);
    promc_registry *r = big_registry(200);
    char *old_text = bu_render(r, NULL);
    assert_int_equal(promc_write_textfile(r, w.file), 0);
    promc_gauge *g;
    assert_int_equal(promc_gauge_new(&g, &(promc_opts){.name = "batch_value", .help = "v", .registry = r}), 0);
    promc_gauge_set(g, 2);
    promc_collector swapper = {.name = "swap", .collect = swapping_collect, .user = &w};
    assert_int_equal(promc_registry_add_collector(r, &swapper), 0);
    int rc = promc_write_textfile(r, w.file);
    no_temp_files(w.old);
    no_temp_files(w.e);
    char old_file[400];
    snprintf(old_file, sizeof old_file, "%s/m.prom", w.old);
    char *got = bu_read_file(old_file);
    assert_non_null(got);
    if (fail) {
      assert_int_equal(rc, PROMC_ECALLBACK);
      assert_string_equal(got, old_text); /* the old file, whole */
    } else {
      if (rc != 0) fail_msg("write with the directory swapped meanwhile: %d %s", rc, promc_errmsg());
      assert_non_null(strstr(got, "batch_value 2")); /* the new file, where the write began */
    }
    char extra[512];
    extra_files(w.e, (const char *const[]){NULL}, extra, sizeof extra);
    if (extra[0]) fail_msg("written through the symlink: %s", extra);
    /* the next write goes where the path now leads */
    assert_int_equal(promc_registry_remove_collector(r, "swap"), 0);
    assert_int_equal(promc_write_textfile(r, w.file), 0);
    char new_file[400];
    snprintf(new_file, sizeof new_file, "%s/m.prom", w.e);
    char *through = bu_read_file(new_file);
    assert_non_null(through);
    assert_non_null(strstr(through, "batch_value 2"));
    no_temp_files(w.e);
    free(through);
    free(got);
    free(old_text);
    promc_registry_free(r);
    swap_cleanup(&w);
  }
}

/* Swaps g_dir/d (the directory) and g_dir/d.old (a symlink to e) in one
 * atomic exchange, back and forth: d always exists, as a directory or as the
 * symlink. */
static void *flip_loop(void *arg) {
  struct swap *w = arg;
  while (!atomic_load(&w->stop)) {
    if (renameat2(AT_FDCWD, w->d, AT_FDCWD, w->old, RENAME_EXCHANGE) != 0) {
      w->flips = -errno;
      break;
    }
    w->flips++;
    bu_sleep_ms(0);
  }
  return NULL;
}

/* Writes racing a thread that keeps swapping the directory for a symlink
 * and back: every write succeeds, no temporary file is left in either
 * directory, and every m.prom there is complete. */
static void textfile_dir_swap_race_leaves_nothing(void **state) {
  (void)state;
  struct swap w = {0};
  swap_paths(&w);
  promc_registry *r = big_registry(2000); /* ~80 KB: the swap often lands mid-write */
  char *want = bu_render(r, NULL);
  assert_int_equal(symlink("e", w.old), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, flip_loop, &w), 0);
  long ok = 0, failed = 0;
  char first_failure[512] = "";
  double end = bu_now() + 3;
  while (bu_now() < end && (ok + failed) < 2000) {
    int rc = promc_write_textfile(r, w.file);
    if (rc == 0) ok++;
    else if (rc == PROMC_EIO && failed++ == 0) snprintf(first_failure, sizeof first_failure, "%s", promc_errmsg());
    else if (rc != PROMC_EIO) fail_msg("write: %d %s", rc, promc_errmsg());
  }
  atomic_store(&w.stop, 1);
  pthread_join(th, NULL);
  if (w.flips < 0) fail_msg("renameat2(RENAME_EXCHANGE): %s", strerror((int)-w.flips));
  struct stat st;
  if (lstat(w.d, &st) == 0 && S_ISLNK(st.st_mode)) /* stopped swapped: put the directory back */
    assert_int_equal(renameat2(AT_FDCWD, w.d, AT_FDCWD, w.old, RENAME_EXCHANGE), 0);
  print_message("swap race: %ld flips, %ld writes succeeded, %ld failed (first: %s)\n", w.flips, ok,
                failed, first_failure);
  const char *dirs[] = {w.d, w.e};
  for (int i = 0; i < 2; i++) no_temp_files(dirs[i]);
  if (failed) fail_msg("%ld of %ld writes failed; first: %s", failed, ok + failed, first_failure);
  if (w.flips < 10 || ok < 10) fail_msg("too little overlap: %ld flips, %ld writes", w.flips, ok);
  for (int i = 0; i < 2; i++) {
    char p[400];
    snprintf(p, sizeof p, "%s/m.prom", dirs[i]);
    char *got = bu_read_file(p);
    if (got && strcmp(got, want) != 0) fail_msg("%s is not complete (%zu bytes)", p, strlen(got));
    free(got);
  }
  free(want);
  promc_registry_free(r);
  swap_cleanup(&w);
}

/* ---------------------------------------- full and read-only file systems */
static char g_mnt[300];
static int g_mounted;

static int mount_small_tmpfs(void **state) {
  if (mkdir_tmp(state) != 0) return -1;
  snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_dir);
  if (mkdir(g_mnt, 0755) != 0) return -1;
  if (mount("promc-test", g_mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") != 0) {
    fprintf(stderr,
            "test_textfile --fs: cannot mount a 64 KiB tmpfs on %s: %s. This test needs root "
            "(CAP_SYS_ADMIN) to create a really full and a really read-only file system; root "
            "ignores permission bits, so nothing weaker makes a write fail.\n",
            g_mnt, strerror(errno));
    return -1; /* cmocka reports the setup failure: the test fails */
  }
  g_mounted = 1;
  return 0;
}

static int unmount_tmpfs(void **state) {
  if (g_mounted) umount2(g_mnt, MNT_DETACH);
  g_mounted = 0;
  rmdir(g_mnt);
  return rm_tmp(state);
}

static void textfile_full_fs_keeps_old_file(void **state) {
  (void)state;
  promc_registry *small = small_registry(7), *big = big_registry(2000); /* ~80 KB > 64 KiB */
  char path[400];
  snprintf(path, sizeof path, "%s/node.prom", g_mnt);
  assert_int_equal(promc_write_textfile(small, path), 0);
  char *before = bu_read_file(path);
  assert_non_null(before);

  /* the big registry does not fit in the 64 KiB file system */
  int rc = promc_write_textfile(big, path);
  assert_int_equal(rc, PROMC_EIO);
  if (!strstr(promc_errmsg(), "ENOSPC")) fail_msg("errmsg: %s", promc_errmsg());
  char *after = bu_read_file(path);
  assert_string_equal(after, before);
  free(after);
  char extra[512];
  extra_files(g_mnt, (const char *const[]){"node.prom", NULL}, extra, sizeof extra);
  if (extra[0]) fail_msg("left behind: %s", extra);

  /* fill it up completely: even a small file cannot be written */
  char filler[400];
  snprintf(filler, sizeof filler, "%s/filler", g_mnt);
  int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  char block[4096];
  memset(block, 'x', sizeof block);
  while (write(fd, block, sizeof block) > 0) {
  }
  close(fd);
  assert_int_equal(promc_write_textfile(small, path), PROMC_EIO);
  if (!strstr(promc_errmsg(), "ENOSPC")) fail_msg("errmsg: %s", promc_errmsg());
  after = bu_read_file(path);
  assert_string_equal(after, before);
  free(after);
  extra_files(g_mnt, (const char *const[]){"node.prom", "filler", NULL}, extra, sizeof extra);
  if (extra[0]) fail_msg("left behind: %s", extra);
  unlink(filler);

  /* read-only: the temporary file cannot even be created */
  assert_int_equal(mount(NULL, g_mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
  assert_int_equal(promc_write_textfile(small, path), PROMC_EIO);
  if (!strstr(promc_errmsg(), "EROFS")) fail_msg("errmsg: %s", promc_errmsg());
  after = bu_read_file(path);
  assert_string_equal(after, before);
  free(after);
  assert_int_equal(mount(NULL, g_mnt, NULL, MS_REMOUNT, NULL), 0);
  /* and after the file system recovers, writing works again */
  assert_int_equal(promc_write_textfile(big, path), PROMC_EIO); /* still too big */
  assert_int_equal(promc_write_textfile(small, path), 0);
  free(before);
  promc_registry_free(small);
  promc_registry_free(big);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--fs") == 0) {
    const struct CMUnitTest fs[] = {
        cmocka_unit_test_setup_teardown(textfile_full_fs_keeps_old_file, mount_small_tmpfs, unmount_tmpfs),
    };
    return cmocka_run_group_tests_name("textfile_fs", fs, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(textfile_writes_render_output, mkdir_tmp, rm_tmp),
      cmocka_unit_test_setup_teardown(textfile_replacement_is_atomic, mkdir_tmp, rm_tmp),
      cmocka_unit_test_setup_teardown(textfile_failures_keep_old_file, mkdir_tmp, rm_tmp),
      cmocka_unit_test_setup_teardown(textfile_dir_swapped_during_write, mkdir_tmp, rm_tmp),
      cmocka_unit_test_setup_teardown(textfile_dir_swap_race_leaves_nothing, mkdir_tmp, rm_tmp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
