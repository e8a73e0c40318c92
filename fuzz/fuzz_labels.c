/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_labels.c — label values from arbitrary bytes: lookups must return the
 * same child for the same values and different children for different
 * values, refuse values that are not UTF-8, and the text exposition must
 * carry each accepted value escaped exactly. */
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"

#define CHECK FZ_CHECK

/* Splits data at 0xff bytes into up to 6 NUL-free values (3 pairs). */
static size_t split(const uint8_t *d, size_t n, char out[6][64]) {
  size_t k = 0, len = 0;
  memset(out, 0, 6 * 64);
  for (size_t i = 0; i < n && k < 6; i++) {
    if (d[i] == 0xff) {
      k++, len = 0;
      continue;
    }
    if (d[i] && len < 63) out[k][len++] = (char)d[i];
  }
  return k < 6 ? k + 1 : 6;
}

static void escape(const char *v, char *o) {
  for (; *v; v++) {
    if (*v == '\\' || *v == '"') *o++ = '\\', *o++ = *v;
    else if (*v == '\n') *o++ = '\\', *o++ = 'n';
    else *o++ = *v;
  }
  *o = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char v[6][64];
  size_t nv = split(data, size, v);
  (void)nv;
  promc_registry *r;
  CHECK(promc_registry_new(&r) == 0);
  promc_counter *c;
  CHECK(promc_counter_new(&c, &(promc_opts){.name = "f", .help = "h", .registry = r, PROMC_LABEL_NAMES("a", "b")}) == 0);
  promc_counter *h[3];
  int ok[3];
  for (size_t i = 0; i < 3; i++) {
    ok[i] = fz_utf8_valid(v[2 * i], strlen(v[2 * i]), NULL) && fz_utf8_valid(v[2 * i + 1], strlen(v[2 * i + 1]), NULL);
    h[i] = promc_counter_labels(c, v[2 * i], v[2 * i + 1]);
    if (!ok[i]) { /* text that is not UTF-8 would poison the whole scrape */
      CHECK(h[i] == NULL && promc_errmsg()[0]);
      continue;
    }
    CHECK(h[i] != NULL);
    CHECK(promc_counter_labels(c, v[2 * i], v[2 * i + 1]) == h[i]);
    promc_counter_add_int(h[i], i + 1);
  }
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 3; j++) {
      if (!ok[i] || !ok[j]) continue;
      int same = !strcmp(v[2 * i], v[2 * j]) && !strcmp(v[2 * i + 1], v[2 * j + 1]);
      CHECK(same == (h[i] == h[j]));
    }
  promc_buf b = {0};
  CHECK(promc_registry_render_buf(r, PROMC_FORMAT_TEXT, NULL, &b) == 0);
  for (size_t i = 0; i < 3; i++) {
    if (!ok[i]) continue;
    char ea[200], eb[200], line[512];
    escape(v[2 * i], ea);
    escape(v[2 * i + 1], eb);
    snprintf(line, sizeof line, "f_total{a=\"%s\",b=\"%s\"} ", ea, eb);
    CHECK(strstr(b.data, line) != NULL);
  }
  if (ok[0]) {
    CHECK(promc_metric_remove(c, v[0], v[1]) == 0);
    CHECK(promc_counter_labels(c, v[0], v[1]) == h[0]);
  }
  promc_buf_free(&b);
  promc_registry_free(r);
  return 0;
}
