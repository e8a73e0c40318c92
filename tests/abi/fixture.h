/* SPDX-License-Identifier: Apache-2.0 */
/* A two-function library whose variants (-DFX_ADDED, -DFX_GROWN,
 * -DFX_CHANGED, -DFX_REMOVED) exercise the ABI check of scripts/abi.sh. */
#ifndef FX_FIXTURE_H
#define FX_FIXTURE_H
typedef struct fx_opts {
  int port;
  int threads;
#ifdef FX_GROWN
  int backlog; /* a field appended to an options struct */
#endif
} fx_opts;
__attribute__((visibility("default"))) int fx_start(const fx_opts *o);
#ifdef FX_CHANGED
__attribute__((visibility("default"))) int fx_scale(long v);
#else
__attribute__((visibility("default"))) int fx_scale(int v);
#endif
#ifdef FX_ADDED
__attribute__((visibility("default"))) int fx_stop(void);
#endif
#endif
