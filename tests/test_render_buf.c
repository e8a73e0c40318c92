/* SPDX-License-Identifier: Apache-2.0 */
/* test_render_buf.c — promc_registry_render_buf writes into the promc_buf in
 * place: the bytes are those a streaming render gives, appended after what
 * the buffer held, NUL-ended, in every format; and when the buffer cannot
 * grow the render says PROMC_EIO and keeps a NUL-ended prefix of the
 * output. A custom allocator refuses large blocks on demand (it must be
 * installed before the library's first allocation, hence its own program). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promc/promc.h"
#include "stress_check.h"


static size_t refuse_above; /* 0: allocate anything */
static void *t_malloc(size_t n) { return refuse_above && n > refuse_above ? NULL : malloc(n); }
static void *t_realloc(void *p, size_t n) { return refuse_above && n > refuse_above ? NULL : realloc(p, n); }

/* A sink into a fixed array: no library allocation involved. */
static char stream[8 << 20];
static size_t stream_len;
static int to_stream(void *user, const char *d, size_t n) {
  (void)user;
  if (stream_len + n > sizeof stream) return -1;
  memcpy(stream + stream_len, d, n);
  stream_len += n;
  return 0;
}

int main(void) {
  CHECK(promc_set_allocator(&(promc_allocator){t_malloc, t_realloc, free}) == 0, "set_allocator");
  promc_registry *reg;
  promc_registry_new(&reg);
  promc_counter *c;
  promc_gauge *g;
  promc_histogram *h;
  promc_counter_new(&c, &(promc_opts){.name = "c", .help = "counts", PROMC_LABEL_NAMES("path"), .registry = reg});
  promc_gauge_new(&g, &(promc_opts){.name = "g", .help = "gauges", PROMC_LABEL_NAMES("k"), .registry = reg});
  promc_histogram_new(&h, &(promc_opts){.name = "h", .help = "h", PROMC_LABEL_NAMES("k"), .registry = reg});
  char v[64];
  for (int i = 0; i < 20000; i++) {
    snprintf(v, sizeof v, "/a/\"quoted\"/%d", i);
    promc_counter_add(promc_counter_labels(c, v), i % 3 ? (double)i : 0.0);
    promc_gauge_set(promc_gauge_labels(g, v), i % 5 ? (double)i / 8 : -0.0);
    if (i < 500) promc_histogram_observe(promc_histogram_labels(h, v), (double)i / 100);
  }
  for (int f = 0; f < 3; f++) {
    stream_len = 0;
    CHECK(promc_registry_render(reg, (promc_format)f, NULL, to_stream, NULL) == 0, "stream render %d", f);
    promc_buf b = {0};
    CHECK(promc_buf_write(&b, "before\n", 7) == 0, "buf_write");
    int rc = promc_registry_render_buf(reg, (promc_format)f, NULL, &b);
    CHECK(rc == 0, "render_buf %d: %d", f, rc);
    /* OpenMetrics' _created lines carry each child's own creation time,
     * the same in both renders */
    CHECK(b.len == 7 + stream_len && memcmp(b.data, "before\n", 7) == 0 &&
              memcmp(b.data + 7, stream, stream_len) == 0 && b.data[b.len] == 0,
          "format %d: render_buf (%zu bytes) differs from the streamed render (%zu)", f, b.len - 7, stream_len);
    CHECK(b.len < b.cap, "format %d: no room for the NUL", f);
    /* again into the same, now large enough, buffer */
    b.len = 0;
    rc = promc_registry_render_buf(reg, (promc_format)f, NULL, &b);
    CHECK(rc == 0 && b.len == stream_len && memcmp(b.data, stream, stream_len) == 0 && b.data[b.len] == 0,
          "format %d: second render into the reused buffer differs", f);
    promc_buf_free(&b);
  }
  /* a buffer that cannot grow past 256 KiB */
  stream_len = 0;
  promc_registry_render(reg, PROMC_FORMAT_TEXT, NULL, to_stream, NULL);
  promc_buf b = {0};
  refuse_above = 256 << 10;
  int rc = promc_registry_render_buf(reg, PROMC_FORMAT_TEXT, NULL, &b);
  refuse_above = 0;
  CHECK(rc == PROMC_EIO, "render_buf into a buffer that cannot grow: %d, want PROMC_EIO", rc);
  CHECK(b.data && b.len > 0 && b.len < stream_len && b.len < b.cap && b.data[b.len] == 0,
        "the part already appended is kept, NUL-ended (len %zu, cap %zu)", b.len, b.cap);
  CHECK(b.data && memcmp(b.data, stream, b.len) == 0, "the part kept is a prefix of the output");
  promc_buf_free(&b);
  promc_registry_free(reg);

  /* A histogram child's label block, escaped once for its lines into a
   * scratch buffer that cannot grow: each line then escapes it itself,
   * and a streamed render is the same and succeeds. */
  promc_registry_new(&reg);
  promc_histogram_new(&h, &(promc_opts){.name = "hb", .help = "h", PROMC_LABEL_NAMES("k"), .registry = reg});
  static char big[40001];
  memset(big, 'v', 40000);
  big[3] = '"';
  promc_histogram_observe(promc_histogram_labels(h, big), 1);
  promc_histogram_observe(promc_histogram_labels(h, "small"), 1);
  static char want[sizeof stream];
  for (int f = 0; f < 2; f++) {
    stream_len = 0;
    CHECK(promc_registry_render(reg, (promc_format)f, NULL, to_stream, NULL) == 0, "big label render %d", f);
    size_t want_len = stream_len;
    memcpy(want, stream, want_len);
    stream_len = 0;
    refuse_above = 32 << 10;
    rc = promc_registry_render(reg, (promc_format)f, NULL, to_stream, NULL);
    refuse_above = 0;
    CHECK(rc == 0, "format %d: render with no memory for the label scratch: %d, want 0", f, rc);
    CHECK(stream_len == want_len && memcmp(stream, want, want_len) == 0,
          "format %d: output without the label scratch differs (%zu bytes, want %zu)", f, stream_len, want_len);
  }
  promc_registry_free(reg);
  if (failures) fprintf(stderr, "%ld failures\n", failures);
  else printf("ok\n");
  return failures ? 1 : 0;
}
