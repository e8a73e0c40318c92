/* SPDX-License-Identifier: Apache-2.0 */
/* test_process.c — the default collectors (process, platform, malloc) and
 * their opt-out, checked against independent reads of /proc (stdio here,
 * on purpose a different code path from the collector's). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "asan_detect.h"

#include <dirent.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "batch_util.h"

static long g_page;
static char *volatile g_keep; /* volatile stores keep test allocations from being elided */
static double g_ticks;

/* ------------------------------------------------ independent /proc reads */
struct indep {
  double utime, stime, starttime, vsize, rss_pages, threads;
};

static int read_stat(pid_t pid, struct indep *o) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  /* fields 3.. after ") " */
  char *save = NULL;
  int field = 3;
  for (char *t = strtok_r(p + 2, " ", &save); t; t = strtok_r(NULL, " ", &save), field++) {
    double v = strtod(t, NULL);
    if (field == 14) o->utime = v;
    if (field == 15) o->stime = v;
    if (field == 20) o->threads = v;
    if (field == 22) o->starttime = v;
    if (field == 23) o->vsize = v;
    if (field == 24) o->rss_pages = v;
  }
  return field > 24 ? 0 : -1;
}

/* "Key:   <n> kB" or "Key:   <n>" from /proc/<pid>/status */
static double status_field(pid_t pid, const char *key) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return NAN;
  double v = NAN;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtod(line + kl + 1, NULL);
      if (strstr(line, "kB")) v *= 1024;
      break;
    }
  fclose(f);
  return v;
}

static double limits_soft(pid_t pid, const char *row) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return NAN;
  double v = NAN;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, row, strlen(row)) == 0) {
      const char *p = line + strlen(row);
      while (*p == ' ') p++;
      v = strncmp(p, "unlimited", 9) == 0 ? INFINITY : strtod(p, NULL);
      break;
    }
  fclose(f);
  return v;
}

/* Entries of /proc/<pid>/fd with opendir: for this process the count
 * includes opendir's own descriptor, as the collector's does. */
static long count_fd_dir(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  long n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

static double btime(void) {
  FILE *f = fopen("/proc/stat", "r");
  char line[8192];
  double v = NAN;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "btime ", 6) == 0) v = strtod(line + 6, NULL);
  if (f) fclose(f);
  return v;
}

/* Spins until this process used `seconds` of CPU time (wall time is not
 * enough under a CPU quota). */
static volatile double g_burn;
static void burn_cpu(double seconds) {
  struct timespec ts;
  do {
    for (int i = 0; i < 100000; i++) g_burn += 1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  } while ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 < seconds);
}

static promc_registry *proc_registry(int pid) {
  promc_registry *r = NULL;
  assert_int_equal(promc_registry_new(&r), 0);
  int rc = promc_process_collector_register(r, &(promc_process_opts){.pid = pid});
  if (rc != 0) BU_FAIL("register pid %d: %s: %s", pid, promc_errname(rc), promc_errmsg());
  return r;
}

#define ASSERT_NEAR(got, want, tol, what)                                                          \
  do {                                                                                             \
    double g_ = (got), w_ = (want), t_ = (tol);                                                    \
    if (!(fabs(g_ - w_) <= t_)) BU_FAIL("%s: collector %.17g, /proc %.17g (tolerance %g)", what, g_, w_, t_); \
  } while (0)
#define ASSERT_BETWEEN(got, lo, hi, what)                                                   \
  do {                                                                                      \
    double g_ = (got), l_ = (lo), h_ = (hi);                                                \
    if (!(g_ >= l_ && g_ <= h_)) BU_FAIL("%s: collector %.17g not in [%.17g, %.17g]", what, g_, l_, h_); \
  } while (0)

/* ------------------------------------------------------------- self */
static pthread_barrier_t g_bar;
static void *parked(void *arg) {
  (void)arg;
  pthread_barrier_wait(&g_bar); /* started */
  pthread_barrier_wait(&g_bar); /* released */
  return NULL;
}

static void process_self_matches_proc(void **state) {
  (void)state;
  promc_registry *r = proc_registry(0);
  pid_t me = getpid();
  /* burn some CPU so the counter is not trivially 0 */
  burn_cpu(0.15);
  /* a known allocation, touched, kept until the end */
  size_t big = 48u << 20;
  char *mem = malloc(big);
  assert_non_null(mem);
  memset(mem, 1, big);
  g_keep = mem;
  /* three extra threads */
  pthread_t th[3];
  pthread_barrier_init(&g_bar, NULL, 4);
  for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&th[i], NULL, parked, NULL), 0);
  pthread_barrier_wait(&g_bar);

  struct indep a, b;
  assert_int_equal(read_stat(me, &a), 0);
  double rss_a = status_field(me, "VmRSS");
  long fds = count_fd_dir(me);
  int rc;
  char *text = bu_render(r, &rc);
  long fds2 = count_fd_dir(me);
  double rss_b = status_field(me, "VmRSS");
  assert_int_equal(read_stat(me, &b), 0);
  assert_int_equal(rc, 0);
  assert_non_null(text);

  double tick = 1.0 / g_ticks;
  double cpu = bu_sample(text, "process_cpu_seconds_total");
  ASSERT_BETWEEN(cpu, (a.utime + a.stime) / g_ticks - tick, (b.utime + b.stime) / g_ticks + tick, "cpu seconds");
  assert_true(cpu > 0.05);
  double rss = bu_sample(text, "process_resident_memory_bytes");
  ASSERT_BETWEEN(rss, fmin(rss_a, rss_b) - (double)g_page, fmax(rss_a, rss_b) + (double)g_page, "resident bytes (VmRSS)");
  assert_true(rss >= (double)big);
  double vsz = bu_sample(text, "process_virtual_memory_bytes");
  ASSERT_BETWEEN(vsz, fmin(a.vsize, b.vsize) - (double)g_page, fmax(a.vsize, b.vsize) + (double)g_page, "virtual bytes");
  ASSERT_NEAR(vsz, status_field(me, "VmSize"), (double)g_page, "virtual bytes vs VmSize");
  assert_true(vsz >= (double)big);
  double start = bu_sample(text, "process_start_time_seconds");
  ASSERT_NEAR(start, btime() + a.starttime / g_ticks, tick, "start time");
  assert_int_equal(fds, fds2);
  ASSERT_NEAR(bu_sample(text, "process_open_fds"), (double)fds, 0, "open fds");
  ASSERT_NEAR(bu_sample(text, "process_max_fds"), limits_soft(me, "Max open files"), 0, "max fds");
  double vmax = bu_sample(text, "process_virtual_memory_max_bytes");
  double want_vmax = limits_soft(me, "Max address space");
  assert_true(vmax == want_vmax);
  ASSERT_NEAR(bu_sample(text, "process_threads"), status_field(me, "Threads"), 0, "threads");
  assert_true(bu_sample(text, "process_threads") >= 4);

  pthread_barrier_wait(&g_bar);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  pthread_barrier_destroy(&g_bar);
  free(mem);
  free(text);
  promc_registry_free(r);
}

/* The resident figure follows a known allocation: +32 MiB touched shows
 * up as at least +32 MiB. */
static void process_rss_follows_allocation(void **state) {
  (void)state;
  promc_registry *r = proc_registry(0);
  char *t0 = bu_render(r, NULL);
  double before = bu_sample(t0, "process_resident_memory_bytes");
  size_t big = 32u << 20;
  char *mem = malloc(big);
  assert_non_null(mem);
  memset(mem, 7, big);
  g_keep = mem;
  char *t1 = bu_render(r, NULL);
  double after = bu_sample(t1, "process_resident_memory_bytes");
  if (!(after - before >= (double)big - (double)g_page))
    BU_FAIL("rss grew by %.0f bytes after touching %zu", after - before, big);
  free(mem);
  free(t0);
  free(t1);
  promc_registry_free(r);
}

/* ------------------------------------------------------------ child pid */
static pid_t g_child = -1;
/* teardown: a failed assertion must not leave the parked child running */
static int kill_child(void **state) {
  (void)state;
  if (g_child > 0) {
    kill(g_child, SIGKILL);
    waitpid(g_child, NULL, 0);
  }
  g_child = -1;
  return 0;
}

static void process_child_pid_matches_proc(void **state) {
  (void)state;
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct rlimit rl = {.rlim_cur = 777, .rlim_max = 4096};
    setrlimit(RLIMIT_NOFILE, &rl);
    size_t big = 24u << 20;
    char *mem = malloc(big);
    if (mem) memset(mem, 3, big);
    g_keep = mem; /* a volatile store: the allocation cannot be elided */
    for (int i = 0; i < 5; i++) open("/dev/null", O_RDONLY);
    burn_cpu(0.12);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    for (;;) pause(); /* parked until the parent kills it */
  }
  g_child = child;
  close(ready[1]);
  char c;
  struct pollfd p = {.fd = ready[0], .events = POLLIN};
  assert_int_equal(poll(&p, 1, 10000), 1);
  assert_int_equal(read(ready[0], &c, 1), 1);
  close(ready[0]);

  promc_registry *r = proc_registry(child);
  int rc;
  char *text = bu_render(r, &rc);
  assert_int_equal(rc, 0);
  struct indep a;
  assert_int_equal(read_stat(child, &a), 0);
  double tick = 1.0 / g_ticks;
  ASSERT_NEAR(bu_sample(text, "process_cpu_seconds_total"), (a.utime + a.stime) / g_ticks, tick, "child cpu");
  assert_true(bu_sample(text, "process_cpu_seconds_total") > 0.05);
  ASSERT_NEAR(bu_sample(text, "process_resident_memory_bytes"), status_field(child, "VmRSS"), (double)g_page,
              "child resident bytes (VmRSS)");
  assert_true(bu_sample(text, "process_resident_memory_bytes") >= (double)(24u << 20));
  ASSERT_NEAR(bu_sample(text, "process_virtual_memory_bytes"), status_field(child, "VmSize"), (double)g_page,
              "child virtual bytes (VmSize)");
  ASSERT_NEAR(bu_sample(text, "process_start_time_seconds"), btime() + a.starttime / g_ticks, tick, "child start");
  long fds = count_fd_dir(child);
  assert_true(fds >= 5 + 3);
  ASSERT_NEAR(bu_sample(text, "process_open_fds"), (double)fds, 0, "child open fds");
  ASSERT_NEAR(bu_sample(text, "process_max_fds"), 777, 0, "child max fds (its own RLIMIT_NOFILE)");
  ASSERT_NEAR(bu_sample(text, "process_threads"), status_field(child, "Threads"), 0, "child threads");
  free(text);

  /* the child exits: registering fails, scraping the existing collector
   * reports the failure and the rest of the registry still renders */
  kill_child(NULL);
  text = bu_render(r, &rc);
  assert_int_equal(rc, PROMC_ECALLBACK);
  assert_null(strstr(text, "process_cpu_seconds_total "));
  free(text);
  promc_registry_free(r);
  promc_registry *r2 = NULL;
  assert_int_equal(promc_registry_new(&r2), 0);
  assert_int_equal(promc_process_collector_register(r2, &(promc_process_opts){.pid = child}), PROMC_EIO);
  assert_non_null(strstr(promc_errmsg(), "stat"));
  promc_registry_free(r2);
}

static void process_options_and_errors(void **state) {
  (void)state;
  promc_registry *r = NULL;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.pid = -1}), PROMC_EINVAL);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.prefix = "9bad"}), PROMC_EINVAL);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.proc_root = "/nonexistent"}),
                   PROMC_EIO);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.prefix = "app", .name = "p1"}), 0);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.prefix = "app", .name = "p1"}),
                   PROMC_EDUP);
  char *text = bu_render(r, NULL);
  assert_false(isnan(bu_sample(text, "app_process_cpu_seconds_total")));
  assert_false(isnan(bu_sample(text, "app_process_open_fds")));
  assert_true(isnan(bu_sample(text, "process_cpu_seconds_total")));
  free(text);
  assert_int_equal(promc_registry_remove_collector(r, "p1"), 0);
  text = bu_render(r, NULL);
  assert_string_equal(text, "");
  free(text);
  promc_registry_free(r);
}

/* A proc_root of files written here: the stat parser (shared with the
 * multi-process store's liveness check) reads a command name holding spaces
 * and parentheses, and refuses a stat file cut short. */
static void put_file(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fputs(text, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
}

static void process_stat_parser_reads_odd_command_names(void **state) {
  (void)state;
  char root[] = "/tmp/promc-procroot-XXXXXX", self[600];
  assert_non_null(mkdtemp(root));
  snprintf(self, sizeof self, "%s/self", root);
  assert_int_equal(mkdir(self, 0700), 0);
  put_file(root, "stat", "cpu  1 2 3 4\nintr 5 6\nbtime 1700000000\nprocesses 9\n");
  /* fields 3..24: state, then 4..13, utime 14 = 250, stime 15 = 150, 16..19
   * (priority and nice may be negative), threads 20 = 7, 21, starttime 22 =
   * 12345, vsize 23 = 8192000, rss 24 = 300 */
  put_file(self, "stat",
           "4242 (a) b) (c d) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 -20 -5 7 0 12345 8192000 300 18446744073709551615\n");
  promc_registry *r = NULL;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.proc_root = root}), 0);
  char *text = bu_render(r, NULL);
  assert_true(bu_sample(text, "process_cpu_seconds_total") == 400.0 / g_ticks);
  assert_true(bu_sample(text, "process_start_time_seconds") == 1700000000.0 + 12345.0 / g_ticks);
  assert_true(bu_sample(text, "process_virtual_memory_bytes") == 8192000.0);
  assert_true(bu_sample(text, "process_resident_memory_bytes") == 300.0 * (double)g_page);
  assert_true(bu_sample(text, "process_threads") == 7.0);
  free(text);
  promc_registry_free(r);

  /* cut short before the rss field: refused at registration */
  put_file(self, "stat", "4242 (a) b) (c d) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 -20 -5 7 0 12345 8192000\n");
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_process_collector_register(r, &(promc_process_opts){.proc_root = root}), PROMC_EIO);
  assert_non_null(strstr(promc_errmsg(), "unexpected format"));
  promc_registry_free(r);

  char path[700];
  snprintf(path, sizeof path, "%s/stat", self);
  unlink(path);
  rmdir(self);
  snprintf(path, sizeof path, "%s/stat", root);
  unlink(path);
  rmdir(root);
}

/* --------------------------------------------------------- platform info */
static void platform_info_names_build(void **state) {
  (void)state;
  promc_registry *r = NULL;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_platform_collector_register(r), 0);
  assert_int_equal(promc_platform_collector_register(r), PROMC_EDUP);
  char *text = bu_render(r, NULL);
  struct utsname u;
  assert_int_equal(uname(&u), 0);
  char want[1024];
  snprintf(want, sizeof want,
           "promc_build_info{version=\"%s\",compiler=\"%s %d.%d.%d\",libc=\"glibc\",libc_version=\"%s\","
           "os=\"%s\",os_release=\"%s\",arch=\"%s\"} 1\n",
#ifdef __clang__
           PROMC_VERSION_STRING, "clang", __clang_major__, __clang_minor__, __clang_patchlevel__,
#else
           PROMC_VERSION_STRING, "gcc", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#endif
           gnu_get_libc_version(), u.sysname, u.release, u.machine);
  /* the test is built by the same compiler as the library in every CI job */
  if (!strstr(text, want)) BU_FAIL("want line %s in:\n%s", want, text);
  assert_non_null(strstr(text, "# TYPE promc_build_info gauge\n"));
  free(text);
  promc_registry_free(r);
}

/* ------------------------------------------------------------------ malloc */
static void malloc_collector_matches_mallinfo2(void **state) {
  (void)state;
  promc_registry *r = NULL;
  assert_int_equal(promc_registry_new(&r), 0);
  assert_int_equal(promc_malloc_collector_register(r), 0);
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  /* render again into the same (now big enough) buffer, between two
   * mallinfo2 calls */
  b.len = 0;
  struct mallinfo2 m0 = mallinfo2();
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  struct mallinfo2 m1 = mallinfo2();
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  const char *text = b.data;
  /* the render itself may allocate a little (help strings): allow 64 KiB */
  double slack = 65536;
  ASSERT_BETWEEN(bu_sample(text, "glibc_malloc_in_use_bytes"), fmin((double)m0.uordblks, (double)m1.uordblks) - slack,
                 fmax((double)m0.uordblks, (double)m1.uordblks) + slack, "in-use bytes");
  ASSERT_BETWEEN(bu_sample(text, "glibc_malloc_arena_bytes"), fmin((double)m0.arena, (double)m1.arena) - slack,
                 fmax((double)m0.arena, (double)m1.arena) + slack, "arena bytes");
  ASSERT_NEAR(bu_sample(text, "glibc_malloc_mmapped_bytes"), (double)m1.hblkhd, slack, "mmapped bytes");
  assert_false(isnan(bu_sample(text, "glibc_malloc_free_bytes")));
  assert_false(isnan(bu_sample(text, "glibc_malloc_mmapped_chunks")));
#ifdef TEST_ASAN
  print_message("ASan build: malloc is ASan's, so glibc's figures do not follow allocations; "
                "only the equality with mallinfo2 above was checked\n");
#else
  /* a 4 MiB block goes to mmap: chunks and bytes grow */
  char *big = malloc(4u << 20);
  assert_non_null(big);
  big[0] = 1;
  b.len = 0;
  assert_int_equal(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b), 0);
  assert_int_equal(promc_buf_write(&b, "", 1), 0);
  assert_true(bu_sample(b.data, "glibc_malloc_mmapped_bytes") >= (double)m1.hblkhd + (4u << 20));
  assert_true(bu_sample(b.data, "glibc_malloc_mmapped_chunks") >= (double)m1.hblks + 1);
  free(big);
#endif
  promc_buf_free(&b);
  promc_registry_free(r);
}

/* ---------------------------------------------------- default registry */
static void default_registry_has_default_collectors(void **state) {
  (void)state;
  char *text = bu_render(promc_default_registry(), NULL);
  assert_false(isnan(bu_sample(text, "process_cpu_seconds_total")));
  assert_false(isnan(bu_sample(text, "process_open_fds")));
  assert_non_null(strstr(text, "promc_build_info{version=\"" PROMC_VERSION_STRING "\""));
  assert_false(isnan(bu_sample(text, "glibc_malloc_in_use_bytes")));
  free(text);
  /* too late to disable now */
  assert_int_equal(promc_default_collectors_disable(), PROMC_ESTATE);
  /* they can be removed by name */
  assert_int_equal(promc_registry_remove_collector(promc_default_registry(), "process"), 0);
  text = bu_render(promc_default_registry(), NULL);
  assert_true(isnan(bu_sample(text, "process_cpu_seconds_total")));
  free(text);
  promc_shutdown();
}

/* Runs this binary again with one argument in a fresh process (so the
 * default registry does not exist yet) and returns its exit status. */
static char g_self[4096];
static int run_self(const char *arg, const char *env) {
  pid_t pid = fork();
  if (pid == 0) {
    if (env) putenv((char *)env);
    execl(g_self, g_self, arg, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* child modes: exit 0 if the default registry has no collector output */
static int child_check_empty(int call_disable) {
  if (call_disable && promc_default_collectors_disable() != 0) return 2;
  char *text = bu_render(promc_default_registry(), NULL);
  int ok = text && text[0] == '\0';
  free(text);
  promc_shutdown();
  return ok ? 0 : 1;
}

static void default_collectors_opt_out(void **state) {
  (void)state;
  assert_int_equal(run_self("--child-disable-call", NULL), 0);
  assert_int_equal(run_self("--child-env", "PROMC_DISABLE_DEFAULT_COLLECTORS=1"), 0);
  /* "0" and "" mean not disabled: the child then sees output and exits 1 */
  assert_int_equal(run_self("--child-env", "PROMC_DISABLE_DEFAULT_COLLECTORS=0"), 1);
  assert_int_equal(run_self("--child-env", "PROMC_DISABLE_DEFAULT_COLLECTORS="), 1);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--child-disable-call") == 0) return child_check_empty(1);
  if (argc == 2 && strcmp(argv[1], "--child-env") == 0) return child_check_empty(0);
  ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
  if (n <= 0) return 1;
  g_self[n] = 0;
  g_page = sysconf(_SC_PAGESIZE);
  g_ticks = (double)sysconf(_SC_CLK_TCK);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(process_self_matches_proc),
      cmocka_unit_test(process_rss_follows_allocation),
      cmocka_unit_test_teardown(process_child_pid_matches_proc, kill_child),
      cmocka_unit_test(process_options_and_errors),
      cmocka_unit_test(process_stat_parser_reads_odd_command_names),
      cmocka_unit_test(platform_info_names_build),
      cmocka_unit_test(malloc_collector_matches_mallinfo2),
      cmocka_unit_test(default_registry_has_default_collectors),
      cmocka_unit_test(default_collectors_opt_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
