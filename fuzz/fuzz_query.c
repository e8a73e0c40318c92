/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_query.c — promc_query_names on arbitrary query strings, against a
 * reference decoder written here from the contract in promc.h: keys
 * "name[]" (after %-decoding), values %-decoded with '+' as space, blank
 * values dropped, a value holding a NUL byte returned as "", a leading
 * "path?" skipped, a "#fragment" ignored. Every
 * returned name must be exactly what was encoded, inside buf, and in order;
 * a short max or buf keeps a prefix and says PROMC_EFULL. The names then
 * filter a render, which must keep exactly the families they name.
 * Input: one byte for max, one for the buffer size, then the query. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t decode(const char *p, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
      out[o++] = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
      i += 2;
    } else {
      out[o++] = p[i] == '+' ? ' ' : p[i];
    }
  }
  return o;
}

struct ref {
  char *buf;
  size_t *off, *len, n;
};

static void reference(const char *query, struct ref *r) {
  size_t qn = strlen(query);
  r->buf = malloc(qn + 1);
  r->off = malloc((qn + 1) * sizeof *r->off);
  r->len = malloc((qn + 1) * sizeof *r->len);
  FZ_CHECK(r->buf && r->off && r->len);
  r->n = 0;
  const char *q = strchr(query, '?');
  q = q ? q + 1 : query;
  size_t end = strcspn(q, "#"), used = 0;
  for (size_t i = 0; i < end;) {
    size_t len = strcspn(q + i, "&");
    if (i + len > end) len = end - i;
    const char *pair = q + i, *eq = memchr(pair, '=', len);
    i += len + 1;
    if (!eq) continue;
    char key[64];
    size_t kn = (size_t)(eq - pair);
    if (kn >= sizeof key || decode(pair, kn, key) != 6 || memcmp(key, "name[]", 6)) continue;
    size_t vn = len - kn - 1;
    if (!vn) continue;
    size_t d = decode(eq + 1, vn, r->buf + used);
    if (memchr(r->buf + used, 0, d)) d = 0; /* a NUL names no metric: "" */
    r->off[r->n] = used;
    r->len[r->n++] = d;
    used += d;
  }
}

static void check_filter(const char *const *names, size_t n) {
  static const char *const exposed[][6] = {
      {"c", "c_total", "c_created", NULL}, {"g", NULL}, {"h", "h_bucket", "h_count", "h_sum", "h_created", NULL},
      {"s", "s_count", "s_sum", "s_created", NULL}, {"i", "i_info", NULL}, {"e", NULL}};
  static const char *const type_line[] = {"# TYPE c_total ", "# TYPE g ", "# TYPE h ",
                                          "# TYPE s ", "# TYPE i_info ", "# TYPE e "};
  promc_registry *r;
  FZ_CHECK(promc_registry_new(&r) == 0);
  promc_counter *c;
  promc_gauge *g;
  promc_histogram *h;
  promc_summary *s;
  promc_info *i;
  promc_enum *e;
  FZ_CHECK(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "", .registry = r}) == 0);
  FZ_CHECK(promc_gauge_new(&g, &(promc_opts){.name = "g", .help = "", .registry = r}) == 0);
  FZ_CHECK(promc_histogram_new(&h, &(promc_opts){.name = "h", .help = "", .registry = r}) == 0);
  FZ_CHECK(promc_summary_new(&s, &(promc_opts){.name = "s", .help = "", .registry = r}) == 0);
  FZ_CHECK(promc_info_new(&i, &(promc_opts){.name = "i", .help = "", .registry = r}) == 0);
  FZ_CHECK(promc_enum_new(&e, &(promc_opts){.name = "e", .help = "", .registry = r, PROMC_STATES("a")}) == 0);
  promc_render_opts o = {.names = names, .nnames = n};
  fz_render_and_check(r, &o, 0);
  promc_buf b = {0};
  FZ_CHECK(fz_render(r, PROMC_FORMAT_TEXT, &o, &b) == 0);
  for (size_t f = 0; f < 6; f++) {
    int want = n == 0;
    for (size_t k = 0; k < n; k++)
      for (size_t x = 0; exposed[f][x]; x++)
        if (!strcmp(names[k], exposed[f][x])) want = 1;
    int got = b.len && strstr(b.data, type_line[f]) != NULL;
    if (want != got) fz_fail("family %s %s by the filter", exposed[f][0], got ? "kept" : "dropped");
  }
  promc_buf_free(&b);
  promc_registry_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  fz_reader rd = {data, size};
  size_t max = fz_u8(&rd) % 10;
  unsigned room = fz_u8(&rd);
  char *query = malloc(rd.n + 1);
  FZ_CHECK(query != NULL);
  memcpy(query, rd.p, rd.n);
  query[rd.n] = 0;
  size_t qn = strlen(query);
  struct ref ref;
  reference(query, &ref);

  /* with room for everything: exactly the reference */
  {
    size_t bufsize = qn + 1, n = 99;
    char *buf = malloc(bufsize);
    const char **names = malloc((ref.n + 1) * sizeof *names);
    FZ_CHECK(buf && names);
    int rc = promc_query_names(query, buf, bufsize, names, ref.n + 1, &n);
    FZ_CHECK(rc == 0);
    FZ_CHECK(n == ref.n);
    for (size_t k = 0; k < n; k++) {
      FZ_CHECK(names[k] >= buf && names[k] + ref.len[k] < buf + bufsize);
      FZ_CHECK(k == 0 || names[k] > names[k - 1] + strlen(names[k - 1]));
      if (strlen(names[k]) != ref.len[k] || memcmp(names[k], ref.buf + ref.off[k], ref.len[k]))
        fz_fail("name %zu is \"%s\" (%zu bytes), the query encodes %zu bytes \"%.*s\"%s", k, names[k],
                strlen(names[k]), ref.len[k], (int)ref.len[k], ref.buf + ref.off[k],
                memchr(ref.buf + ref.off[k], 0, ref.len[k]) ? " with a NUL byte (%00) in it" : "");
    }
    check_filter(names, n);
    free(buf);
    free(names);
  }
  /* with little room: a prefix of the reference, PROMC_EFULL when cut */
  {
    size_t bufsize = room % (qn + 2), n = 99;
    char *buf = malloc(bufsize ? bufsize : 1);
    const char **names = malloc((max ? max : 1) * sizeof *names);
    FZ_CHECK(buf && names);
    int rc = promc_query_names(query, bufsize ? buf : NULL, bufsize, max ? names : NULL, max, &n);
    FZ_CHECK(rc == 0 || rc == PROMC_EFULL);
    fz_check_error(rc);
    FZ_CHECK(n <= max && n <= ref.n);
    FZ_CHECK((rc == 0) == (n == ref.n));
    for (size_t k = 0; k < n; k++) {
      FZ_CHECK(names[k] >= buf && names[k] + ref.len[k] < buf + bufsize);
      FZ_CHECK(strlen(names[k]) == ref.len[k] && !memcmp(names[k], ref.buf + ref.off[k], ref.len[k]));
    }
    free(buf);
    free(names);
  }
  size_t n = 1;
  FZ_CHECK(promc_query_names(NULL, NULL, 0, NULL, 0, &n) == 0 && n == 0);
  free(ref.buf);
  free(ref.off);
  free(ref.len);
  free(query);
  return 0;
}
