/* SPDX-License-Identifier: Apache-2.0 */
/* test_om_static.c — linked against the static libpromc.a, as an embedded
 * application would be: the OpenMetrics and protobuf writers, reached
 * through render.c's writer table, must be linked in. Also: a collector's
 * unit that its family name does not end in is left out of the
 * OpenMetrics output. */
#include <stdio.h>
#include <string.h>

#include "promc/promc.h"

static int collect(promc_collect *ctx, void *user) {
  (void)user;
  int rc = promc_collect_family(ctx, "queue_depth", "Depth.", PROMC_TYPE_GAUGE, "seconds");
  rc |= promc_collect_sample(ctx, 0, NULL, NULL, 3);
  rc |= promc_collect_family(ctx, "wait_seconds", "Wait.", PROMC_TYPE_GAUGE, "seconds");
  rc |= promc_collect_sample(ctx, 0, NULL, NULL, 4);
  return rc ? -1 : 0;
}

#define CHECK(c)                                              \
  do {                                                        \
    if (!(c)) {                                               \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #c); \
      return 1;                                               \
    }                                                         \
  } while (0)

int main(void) {
  promc_registry *r;
  promc_counter *c;
  CHECK(promc_registry_new(&r) == 0);
  CHECK(promc_counter_new(&c, &(promc_opts){.name = "x", .help = "h", .registry = r}) == 0);
  CHECK(promc_registry_add_collector(r, &(promc_collector){.name = "q", .collect = collect}) == 0);
  promc_buf b = {0};
  CHECK(promc_registry_render_buf(r, PROMC_FORMAT_OPENMETRICS, NULL, &b) == 0);
  CHECK(b.len > 6 && strcmp(b.data + b.len - 6, "# EOF\n") == 0);
  CHECK(strstr(b.data, "# UNIT queue_depth") == NULL);
  CHECK(strstr(b.data, "# UNIT wait_seconds seconds\n") != NULL);
  b.len = 0;
  CHECK(promc_registry_render_buf(r, PROMC_FORMAT_PROTOBUF, NULL, &b) == 0);
  /* first message: a one-byte length, then MetricFamily.name "x_total" */
  CHECK(b.len > 10 && (unsigned char)b.data[0] < 128 && (size_t)(unsigned char)b.data[0] + 1 < b.len);
  CHECK(b.data[1] == 0x0a && b.data[2] == 7 && memcmp(b.data + 3, "x_total", 7) == 0);
  promc_buf_free(&b);
  promc_registry_free(r);
  puts("static link: OpenMetrics and protobuf writers present");
  return 0;
}
