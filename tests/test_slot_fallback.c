/* SPDX-License-Identifier: Apache-2.0 */
/* test_slot_fallback.c — a family whose children start in tagged slots and
 * then get a chunk above the address limit switches to untagged tables
 * (arena_alloc in src/core/children.c), and no child is lost on the way.
 *
 * Linked against promc_addr32 (CMakeLists.txt): tags sit above bit 32, so
 * "above the limit" is anything at or over 4 GiB, which is where malloc's
 * blocks are on x86-64 and aarch64 (a PIE's brk heap at 0x55..., mmap at
 * 0x7f..., the sanitizers' heaps above 4 GiB too). A limit of 47 or 46
 * bits would not split the brk heap from mmap'd memory: 0x55... and
 * 0x7f... both have bit 46 as their top bit. Memory below the limit
 * comes from a mapping of this test's own below 4 GiB: while a thread sets
 * `low`, the chunks promc allocates from that thread are carved from it.
 *
 * Each test checks through the core's own header that the family's table
 * really was tagged before and untagged after, then that every child, old
 * and new, is found again (the same pointer), removed, revived and rendered
 * exactly; info children, which own their text, are all released with the
 * family. The switch refused for lack of memory keeps the tagged table.
 * With --stress (label stress): a scraper and a reader thread run while the
 * family switches, the scraper checking that each scrape is a prefix of
 * creation order, the reader that each lookup returns the child created. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "core/internal.h"

#define LIMIT ((uintptr_t)1 << 32)
_Static_assert(PROMC_SLOT_TAGGED == 1 && PROMC_SLOT_PTRMASK == LIMIT - 1, "built as promc_addr32 is");

/* ------------------------------------------------- the test's allocator */
static char *arena;                  /* below LIMIT */
static size_t arena_cap;
static _Atomic size_t arena_used;
static _Thread_local int low;        /* this thread's chunks come from arena */
static _Atomic size_t fail_size;     /* refuse the next block of exactly this size */
static _Atomic int fail_hits;

struct hdr { /* before each arena block: its size (realloc copies it) */
  size_t n;
  size_t pad;
};

static int in_arena(const void *p) { return arena && (const char *)p >= arena && (const char *)p < arena + arena_cap; }

static void *arena_take(size_t n) {
  size_t sz = (sizeof(struct hdr) + n + 15) & ~(size_t)15;
  size_t at = atomic_fetch_add(&arena_used, sz);
  if (at + sz > arena_cap) return NULL;
  struct hdr *h = (struct hdr *)(void *)(arena + at);
  h->n = n;
  return h + 1;
}

static void *t_malloc(size_t n) {
  size_t f = n;
  if (atomic_compare_exchange_strong(&fail_size, &f, 0)) {
    atomic_fetch_add(&fail_hits, 1);
    return NULL;
  }
  /* only chunks of children: the tables stay malloc's, whose frees the
   * sanitizers watch */
  return low && n >= sizeof(struct promc_chunk) + 65536 ? arena_take(n) : malloc(n);
}
static void *t_realloc(void *p, size_t n) {
  if (!p) return t_malloc(n);
  if (!in_arena(p)) return realloc(p, n);
  void *q = t_malloc(n);
  size_t old = ((struct hdr *)p - 1)->n;
  if (q) memcpy(q, p, old < n ? old : n);
  return q;
}
static void t_free(void *p) {
  if (!in_arena(p)) free(p); /* arena blocks are never reused: the mapping goes at exit */
}

/* A mapping ending at or below LIMIT, or the test fails saying why. */
static void arena_map(size_t cap) {
  void *p = mmap((void *)(uintptr_t)0x40000000, cap, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
#ifdef MAP_32BIT
  if (p != MAP_FAILED && (uintptr_t)p + cap > LIMIT) {
    munmap(p, cap);
    p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_32BIT, -1, 0);
  }
#endif
  if (p == MAP_FAILED || (uintptr_t)p + cap > LIMIT) {
    fprintf(stderr, "FAIL: no mapping of %zu bytes below 4 GiB (got %p): the test cannot run\n", cap, p);
    exit(1);
  }
  arena = p;
  arena_cap = cap;
}

/* ---------------------------------------------------------- the family */
static struct promc_family *fam(const promc_counter *c) { return promc__series(c)->fam; }
static struct promc_htab *tab(const promc_counter *c) { return atomic_load(&fam(c)->tab); }
static int tagged(const promc_counter *c) { return tab(c)->ptrmask == LIMIT - 1; }
static int untagged(const promc_counter *c) { return tab(c)->ptrmask == ~(uintptr_t)0; }
static size_t nchunks(const promc_counter *c) {
  size_t n = 0;
  for (const struct promc_chunk *k = fam(c)->chunks; k; k = k->next) n++;
  return n;
}

#define N 4000   /* children in the main test: half below the limit */
#define BIG 70000 /* a label value longer than a chunk: a chunk of its own */
static char *bigval;

/* The value of label v of child i: short, or (every 1000th) over 128 bytes,
 * so that both ways of packing a key are looked up across the switch. */
static const char *vval(int i, char *buf, size_t n) {
  if (i % 1000 == 7) {
    snprintf(buf, n, "%0200d", i);
  } else {
    snprintf(buf, n, "v%d", i % 13);
  }
  return buf;
}

static promc_counter *child(promc_counter *c, int i) {
  char k[16], v[256];
  snprintf(k, sizeof k, "%d", i);
  return promc_counter_labels(c, k, vval(i, v, sizeof v));
}
static int child_remove(promc_counter *c, int i) {
  char k[16], v[256];
  snprintf(k, sizeof k, "%d", i);
  return promc_counter_removev(c, 2, (const char *const[]){k, vval(i, v, sizeof v)});
}

static promc_counter *new_family(promc_registry **reg, const char *name) {
  promc_counter *c;
  assert_int_equal(promc_registry_new(reg), 0);
  assert_int_equal(
      promc_counter_new(&c, &(promc_opts){.name = name, .help = "h", .registry = *reg, PROMC_LABEL_NAMES("k", "v")}),
      0);
  return c;
}

/* The registry's whole text, or the test fails. */
static char *render(promc_registry *reg) {
  promc_buf b = {0};
  assert_int_equal(promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b), 0);
  char *s = strdup(b.data);
  promc_buf_free(&b);
  return s;
}

/* What the text must be: children 0..n-1 in creation order, child i with
 * value val[i], or absent when val[i] < 0. */
static char *expected(const char *name, int n, const long *val) {
  size_t cap = 64 + (size_t)n * 300, len = 0;
  char *s = malloc(cap);
  len += (size_t)snprintf(s, cap, "# HELP %s_total h\n# TYPE %s_total counter\n", name, name);
  for (int i = 0; i < n; i++) {
    char v[256];
    if (val[i] < 0) continue;
    len += (size_t)snprintf(s + len, cap - len, "%s_total{k=\"%d\",v=\"%s\"} %ld\n", name, i, vval(i, v, sizeof v),
                            val[i]);
  }
  return s;
}

static void assert_render(promc_registry *reg, const char *name, int n, const long *val) {
  char *got = render(reg), *want = expected(name, n, val);
  int same = strcmp(got, want) == 0;
  if (!same) {
    size_t i = 0;
    while (got[i] && got[i] == want[i]) i++;
    fprintf(stderr, "render differs at byte %zu:\n  got  ...%.80s\n  want ...%.80s\n", i, got + (i > 20 ? i - 20 : 0),
            want + (i > 20 ? i - 20 : 0));
  }
  free(got);
  free(want);
  assert_true(same);
}

/* ------------------------------------------------------------- the tests */
static void tagged_children_survive_a_chunk_above_the_limit(void **state) {
  (void)state;
  promc_registry *reg;
  promc_counter *c = new_family(&reg, "fb");
  static promc_counter *ptr[N];
  static long val[N];
  assert_true(tagged(c));

  low = 1; /* the first half: chunks and tables below the limit */
  for (int i = 0; i < N / 2; i++) {
    ptr[i] = child(c, i);
    assert_non_null(ptr[i]);
    assert_true((uintptr_t)ptr[i] < LIMIT);
    promc_counter_add(ptr[i], (double)(val[i] = i + 1));
  }
  low = 0;
  assert_true(tagged(c)); /* tagged all along, over several chunks and table sizes */
  assert_true(nchunks(c) >= 3);
  size_t mask_low = tab(c)->mask;

  /* the second half: malloc'd chunks, above the limit */
  int first_high = -1;
  for (int i = N / 2; i < N; i++) {
    ptr[i] = child(c, i);
    assert_non_null(ptr[i]);
    if ((uintptr_t)ptr[i] >= LIMIT && first_high < 0) first_high = i;
    /* the table is untagged exactly from the first child above the limit */
    assert_int_equal(untagged(c), first_high >= 0);
    assert_int_equal(tagged(c), first_high < 0);
    promc_counter_add(ptr[i], (double)(val[i] = i + 1));
  }
  assert_true(first_high >= N / 2);
  assert_true(untagged(c));
  assert_true(tab(c)->mask > mask_low); /* and it grew after the switch, untagged still */
  assert_int_equal(fam(c)->nchildren, N);

  /* every child found again, none created twice */
  for (int i = 0; i < N; i++) assert_ptr_equal(child(c, i), ptr[i]);
  assert_int_equal(fam(c)->nchildren, N);
  assert_render(reg, "fb", N, val);

  /* removed: old and new children alike, once */
  for (int i = 0; i < N; i += 3) {
    assert_int_equal(child_remove(c, i), 0);
    assert_int_equal(child_remove(c, i), PROMC_ENOTFOUND);
    val[i] = -1;
  }
  assert_int_equal(promc_counter_removev(c, 2, (const char *const[]){"4000", "v0"}), PROMC_ENOTFOUND);
  assert_render(reg, "fb", N, val);

  /* revived: the same child, from zero */
  for (int i = 0; i < N; i += 3) {
    assert_ptr_equal(child(c, i), ptr[i]);
    val[i] = 0;
  }
  for (int i = 1; i < N; i += 3) {
    promc_counter_inc(child(c, i));
    val[i]++;
  }
  assert_int_equal(fam(c)->nchildren, N);
  assert_render(reg, "fb", N, val);
  promc_registry_free(reg);
}

/* A family whose very first chunk is above the limit: its empty table
 * switches before the first child goes in. */
static void first_chunk_above_the_limit(void **state) {
  (void)state;
  promc_registry *reg;
  promc_counter *c = new_family(&reg, "fb_first");
  assert_true(tagged(c));
  long val[100];
  promc_counter *ptr[100];
  for (int i = 0; i < 100; i++) {
    ptr[i] = child(c, i);
    assert_non_null(ptr[i]);
    assert_true((uintptr_t)ptr[i] >= LIMIT);
    assert_true(untagged(c));
    promc_counter_add(ptr[i], (double)(val[i] = 2 * i));
  }
  for (int i = 0; i < 100; i++) assert_ptr_equal(child(c, i), ptr[i]);
  assert_render(reg, "fb_first", 100, val);
  promc_registry_free(reg);
}

/* The switch needs a new table; when it cannot have one the child is
 * refused (PROMC_ENOMEM), the family stays tagged with every child, and the
 * same child is made once memory is back. The child is one whose label
 * value needs a chunk of its own. */
static void switch_refused_for_lack_of_memory(void **state) {
  (void)state;
  promc_registry *reg;
  promc_counter *c = new_family(&reg, "fb_oom");
  long val[50];
  promc_counter *ptr[50];
  low = 1;
  for (int i = 0; i < 50; i++) {
    ptr[i] = child(c, i);
    assert_non_null(ptr[i]);
    promc_counter_add(ptr[i], (double)(val[i] = i));
  }
  low = 0;
  assert_true(tagged(c));
  size_t chunks = nchunks(c);
  struct promc_htab *t = tab(c);
  atomic_store(&fail_size, sizeof(struct promc_htab) + (t->mask + 1) * sizeof(struct promc_slot));
  assert_null(promc_counter_labels(c, "big", bigval));
  assert_int_equal(atomic_load(&fail_hits), 1); /* refused at the new table, nothing else */
  assert_non_null(strstr(promc_errmsg(), "out of memory adding a child to \"fb_oom\""));
  assert_ptr_equal(tab(c), t);
  assert_true(tagged(c));
  assert_int_equal(nchunks(c), chunks);
  assert_int_equal(fam(c)->nchildren, 50);
  for (int i = 0; i < 50; i++) assert_ptr_equal(child(c, i), ptr[i]);
  assert_render(reg, "fb_oom", 50, val);

  promc_counter *big = promc_counter_labels(c, "big", bigval);
  assert_non_null(big);
  assert_true((uintptr_t)big >= LIMIT);
  assert_true(untagged(c));
  assert_int_equal(nchunks(c), chunks + 1);
  promc_counter_add(big, 5);
  for (int i = 0; i < 50; i++) assert_ptr_equal(child(c, i), ptr[i]);
  assert_ptr_equal(promc_counter_labels(c, "big", bigval), big);
  char *got = render(reg), *want = expected("fb_oom", 50, val);
  size_t wl = strlen(want);
  assert_true(strncmp(got, want, wl) == 0);
  assert_true(strncmp(got + wl, "fb_oom_total{k=\"big\",v=\"", 24) == 0);
  assert_int_equal(strspn(got + wl + 24, "x"), BIG);
  assert_string_equal(got + wl + 24 + BIG, "\"} 5\n");
  free(got);
  free(want);
  promc_registry_free(reg);
}

/* Info children own their label text, freed child by child from the table
 * when the family goes (promc__slot_child): the children below the limit
 * and above it are all released (the leak check of the ASan run), and
 * rendered with their own text. */
static void info_children_released_after_the_switch(void **state) {
  (void)state;
  enum { NI = 1200 };
  promc_registry *reg;
  promc_info *in;
  assert_int_equal(promc_registry_new(&reg), 0);
  assert_int_equal(promc_info_new(&in, &(promc_opts){.name = "fbi", .help = "h", .registry = reg,
                                                      PROMC_LABEL_NAMES("k")}),
                   0);
  const struct promc_family *f = promc__series(in)->fam;
  char k[16], ver[16];
  int high = 0;
  for (int i = 0; i < NI; i++) {
    low = i < NI / 2;
    snprintf(k, sizeof k, "%d", i);
    snprintf(ver, sizeof ver, "v%d", 3 * i);
    promc_info *ch = promc_info_labels(in, k);
    assert_non_null(ch);
    if (i < NI / 2) assert_true((uintptr_t)ch < LIMIT);
    if ((uintptr_t)ch >= LIMIT) high++;
    assert_int_equal(promc_info_set(ch, 1, (const char *const[]){"version"}, (const char *const[]){ver}), 0);
  }
  low = 0;
  assert_true(high > 0);
  assert_true(atomic_load(&f->tab)->ptrmask == ~(uintptr_t)0);
  char *got = render(reg);
  int n = 0;
  for (const char *p = got; (p = strstr(p, "fbi_info{")) != NULL; p++) n++;
  assert_int_equal(n, NI);
  for (int i = 0; i < NI; i++) {
    char line[64];
    snprintf(line, sizeof line, "fbi_info{k=\"%d\",version=\"v%d\"} 1\n", i, 3 * i);
    assert_non_null(strstr(got, line));
  }
  free(got);
  promc_registry_free(reg);
}

/* ------------------------------------------------------------ --stress */
#define SROUNDS 8
#define SN 1600 /* children a round: half below the limit */
static promc_counter *s_ptr[SN];
static _Atomic int s_published, s_done, s_fail;
static _Atomic int s_read_began, s_scrape_began; /* the published count of the pass under way */
static promc_registry *s_reg;
static promc_counter *s_c;
static _Atomic long s_scrapes, s_lookups;

/* The two threads work in step with the creator: a pass begins once step
 * more children are published than at the last one, and says so first, so
 * that the creator's next child is made while the pass runs. */
static int next_pass(int last, int step, _Atomic int *started) {
  int n;
  while ((n = atomic_load(&s_published)) < (last < 0 ? 1 : last + step) && !atomic_load(&s_done)) sched_yield();
  atomic_store(started, n);
  return n;
}

/* Each scrape: children k="0".."m-1" in order, m at least what was
 * published before it began. */
static void *scraper(void *arg) {
  (void)arg;
  for (int before = -1; !atomic_load(&s_done);) {
    before = next_pass(before, 16, &s_scrape_began);
    promc_buf b = {0};
    if (promc_registry_render_buf(s_reg, PROMC_FORMAT_TEXT, NULL, &b) != 0) {
      atomic_store(&s_fail, 1);
      break;
    }
    int next = 0;
    for (const char *p = strstr(b.data, "fs_total{"); p; p = strstr(p + 1, "fs_total{")) {
      int k = -1;
      if (sscanf(p, "fs_total{k=\"%d\"", &k) != 1 || k != next) {
        fprintf(stderr, "scrape: child %d where %d was due\n", k, next);
        atomic_store(&s_fail, 1);
      }
      next++;
    }
    if (next < before) {
      fprintf(stderr, "scrape: %d children, %d published before it\n", next, before);
      atomic_store(&s_fail, 1);
    }
    promc_buf_free(&b);
    atomic_fetch_add(&s_scrapes, 1);
  }
  return NULL;
}

/* Lookups of published children, lock-free unless they miss: the newest
 * 64 and 16 spread over the rest. */
static void *reader(void *arg) {
  (void)arg;
  for (int n = -1; !atomic_load(&s_done);) {
    n = next_pass(n, 1, &s_read_began);
    for (int j = 0; j < 80 && j < n; j++) {
      int i = j < 64 ? n - 1 - j : (int)((unsigned)(j * 7919) % (unsigned)n);
      if (child(s_c, i) != s_ptr[i]) {
        fprintf(stderr, "lookup of child %d: not the child created\n", i);
        atomic_store(&s_fail, 1);
      }
      atomic_fetch_add(&s_lookups, 1);
    }
  }
  return NULL;
}

static void switch_under_scrape_and_lookups(void **state) {
  (void)state;
  for (int r = 0; r < SROUNDS; r++) {
    s_c = new_family(&s_reg, "fs");
    atomic_store(&s_published, 0);
    atomic_store(&s_read_began, -1);
    atomic_store(&s_scrape_began, -1);
    atomic_store(&s_done, 0);
    pthread_t th[2];
    assert_int_equal(pthread_create(&th[0], NULL, scraper, NULL), 0);
    assert_int_equal(pthread_create(&th[1], NULL, reader, NULL), 0);
    int first_high = -1;
    for (int i = 0; i < SN; i++) {
      low = i < SN / 2;
      promc_counter *ch = child(s_c, i);
      assert_non_null(ch);
      if ((uintptr_t)ch >= LIMIT && first_high < 0) first_high = i;
      promc_counter_inc(ch);
      s_ptr[i] = ch;
      atomic_store(&s_published, i + 1);
      /* the next child waits for a lookup pass (every 16th for a scrape)
       * to begin over this one, so that the switch happens beside both */
      while (atomic_load(&s_read_began) < i + 1 && !atomic_load(&s_fail)) sched_yield();
      while (i % 16 == 0 && atomic_load(&s_scrape_began) < i + 1 && !atomic_load(&s_fail)) sched_yield();
    }
    low = 0;
    atomic_store(&s_done, 1);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    assert_false(atomic_load(&s_fail));
    assert_true(first_high >= SN / 2);
    assert_true(untagged(s_c));
    assert_int_equal(fam(s_c)->nchildren, SN);
    for (int i = 0; i < SN; i++) assert_ptr_equal(child(s_c, i), s_ptr[i]);
    static long val[SN];
    for (int i = 0; i < SN; i++) val[i] = 1;
    assert_render(s_reg, "fs", SN, val);
    promc_registry_free(s_reg);
  }
  printf("stress: %d rounds, %ld scrapes, %ld lookups beside them\n", SROUNDS, atomic_load(&s_scrapes),
         atomic_load(&s_lookups));
}

int main(int argc, char **argv) {
  arena_map((size_t)256 << 20);
  assert_int_equal(promc_set_allocator(&(promc_allocator){t_malloc, t_realloc, t_free}), 0);
  bigval = malloc(BIG + 1);
  memset(bigval, 'x', BIG);
  bigval[BIG] = 0;
  for (size_t n = 64; n <= BIG; n *= 32) { /* where the library's blocks come from when not low */
    void *probe = malloc(n);
    if ((uintptr_t)probe < LIMIT) {
      fprintf(stderr, "FAIL: malloc(%zu) gives memory below 4 GiB (%p): no chunk would be above the limit\n", n,
              probe);
      return 1;
    }
    free(probe);
  }
  int rc;
  if (argc > 1 && strcmp(argv[1], "--stress") == 0) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(switch_under_scrape_and_lookups)};
    rc = cmocka_run_group_tests(tests, NULL, NULL);
  } else {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tagged_children_survive_a_chunk_above_the_limit),
        cmocka_unit_test(first_chunk_above_the_limit),
        cmocka_unit_test(switch_refused_for_lack_of_memory),
        cmocka_unit_test(info_children_released_after_the_switch),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
  }
  free(bigval);
  munmap(arena, arena_cap);
  return rc;
}
