/* SPDX-License-Identifier: Apache-2.0 */
/* A program outside the tree using an installed promc. */
#include <promc/promc.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  promc_counter *c;
  if (promc_counter_new(&c, &(promc_opts){.name = "consumer_runs", .help = "Runs."}) != 0) return 1;
  promc_counter_inc(c);
  promc_buf b = {0};
  if (promc_registry_render_buf(promc_default_registry(), PROMC_FORMAT_TEXT, NULL, &b) != 0) return 1;
  int ok = strstr(b.data, "consumer_runs_total 1\n") != NULL;
  printf("consumer (promc %s): %s\n", promc_version(), ok ? "ok" : "missing sample");
  promc_buf_free(&b);
  promc_shutdown();
  return ok ? 0 : 1;
}
