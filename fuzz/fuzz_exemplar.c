/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_exemplar.c — exemplar label sets from the input on counters
 * (inc_exemplar, add_exemplar) and histograms (observe_exemplar), with
 * values and timestamps from the edge-value table; then all three formats
 * rendered and read back strictly. An exemplar the call accepted must be
 * the one shown on its child's line in OpenMetrics, labels escaped exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#define NLAB 5

struct expect { /* the last exemplar accepted for one child */
  int set;
  char text[2048];
};

static void escape(const char *v, promc_buf *o) {
  for (; *v; v++) {
    if (*v == '\\') promc_buf_write(o, "\\\\", 2);
    else if (*v == '"') promc_buf_write(o, "\\\"", 2);
    else if (*v == '\n') promc_buf_write(o, "\\n", 2);
    else promc_buf_write(o, v, 1);
  }
}

static void remember(struct expect *e, size_t n, const char *const *names, const char *const *values, double v) {
  promc_buf o = {0};
  promc_buf_write(&o, " # {", 4);
  for (size_t i = 0; i < n; i++) {
    if (i) promc_buf_write(&o, ",", 1);
    promc_buf_write(&o, names[i], strlen(names[i]));
    promc_buf_write(&o, "=\"", 2);
    escape(values[i], &o);
    promc_buf_write(&o, "\"", 1);
  }
  char num[32];
  size_t nl = promc_format_double(v, num);
  promc_buf_write(&o, "} ", 2);
  promc_buf_write(&o, num, nl);
  FZ_CHECK(o.len < sizeof e->text);
  memcpy(e->text, o.data, o.len);
  e->text[o.len] = 0;
  e->set = 1;
  promc_buf_free(&o);
}

/* The exemplar must sit on the line that starts with prefix, followed by
 * the end of the line or a timestamp. */
static void find_on_line(const char *om, const char *prefix, const struct expect *e) {
  if (!e->set) return;
  for (const char *l = om; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
    if (strncmp(l, prefix, strlen(prefix))) continue;
    const char *x = strstr(l, e->text), *nl = strchr(l, '\n');
    if (x && x < nl && (x[strlen(e->text)] == '\n' || x[strlen(e->text)] == ' ')) return;
  }
  fz_fail("exemplar \"%s\" not on a line starting \"%s\"", e->text, prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  fz_reader in = {data, size};
  promc_registry *r;
  FZ_CHECK(promc_registry_new(&r) == 0);
  promc_counter *c;
  promc_histogram *h;
  double b[4];
  size_t nb = fz_below(&in, 5);
  for (size_t i = 0; i < nb; i++) b[i] = fz_double(&in);
  FZ_CHECK(promc_counter_new(&c, &(promc_opts){.name = "c", .help = "h", .registry = r, .exemplars = 1,
                                                PROMC_LABEL_NAMES("k")}) == 0);
  int hrc = promc_histogram_new(&h, &(promc_opts){.name = "h", .help = "h", .registry = r, .exemplars = 1,
                                                  .buckets = nb ? b : NULL, .nbuckets = nb, PROMC_LABEL_NAMES("k")});
  fz_check_error(hrc);
  promc_counter *cc[2] = {promc_counter_labels(c, "a"), promc_counter_labels(c, "b")};
  promc_histogram *hc[2] = {NULL, NULL};
  if (!hrc) hc[0] = promc_histogram_labels(h, "a"), hc[1] = promc_histogram_labels(h, "b");
  struct expect ec[2] = {{0}}, eh[2] = {{0}};
  for (size_t ops = 0; in.n && ops < 32; ops++) {
    uint8_t op = fz_u8(&in);
    size_t k = op >> 7;
    char n[NLAB][48], v[NLAB][96];
    const char *np[NLAB], *vp[NLAB];
    size_t nl = fz_below(&in, NLAB + 1);
    uint8_t nulls = fz_u8(&in);
    for (size_t i = 0; i < nl; i++) {
      fz_str(&in, FZ_LABEL, n[i], sizeof n[i]);
      fz_str(&in, FZ_TEXT, v[i], sizeof v[i]);
      np[i] = n[i];
      vp[i] = ((nulls >> i) & 1) && (nulls & 0x80) ? NULL : v[i];
    }
    double x = fz_double(&in), ts = (op & 8) ? fz_double(&in) : 0;
    int rc;
    if (op % 3 == 0) {
      rc = promc_counter_inc_exemplar(cc[k], nl, np, vp);
      if (!rc) remember(&ec[k], nl, np, vp, 1);
    } else if (op % 3 == 1) {
      rc = promc_counter_add_exemplar(cc[k], x, nl, np, vp, ts);
      if (!rc) remember(&ec[k], nl, np, vp, x);
    } else {
      if (!hc[k]) continue;
      rc = promc_histogram_observe_exemplar(hc[k], x, nl, np, vp, ts);
      if (!rc) remember(&eh[k], nl, np, vp, x);
    }
    FZ_CHECK(rc <= 0 && rc > -32);
  }
  fz_render_and_check(r, NULL, 0);
  promc_buf om = {0};
  FZ_CHECK(fz_render(r, PROMC_FORMAT_OPENMETRICS, NULL, &om) == 0);
  find_on_line(om.data, "c_total{k=\"a\"} ", &ec[0]);
  find_on_line(om.data, "c_total{k=\"b\"} ", &ec[1]);
  find_on_line(om.data, "h_bucket{k=\"a\",", &eh[0]);
  find_on_line(om.data, "h_bucket{k=\"b\",", &eh[1]);
  promc_buf_free(&om);
  promc_registry_free(r);
  return 0;
}
