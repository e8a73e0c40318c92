/* SPDX-License-Identifier: Apache-2.0 */
#include "fixture.h"

int fx_start(const fx_opts *o) {
#ifdef FX_GROWN
  return o->port + o->threads + o->backlog;
#else
  return o->port + o->threads;
#endif
}

#ifndef FX_REMOVED
#ifdef FX_CHANGED
int fx_scale(long v) { return (int)(v * 2); }
#else
int fx_scale(int v) { return v * 2; }
#endif
#endif

#ifdef FX_ADDED
int fx_stop(void) { return 0; }
#endif
