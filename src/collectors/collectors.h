/* SPDX-License-Identifier: Apache-2.0 */
/* collectors.h — helpers shared by the files of src/collectors (private). */
#ifndef PROMC_COLLECTORS_H
#define PROMC_COLLECTORS_H

#include <stddef.h>

#include "promc/promc.h"

/* Writes "<strerror text> (<ENAME>)" for errno e into buf and returns buf;
 * thread-safe (strerror_r), never NULL. */
__attribute__((visibility("hidden"))) const char *promc__errno_str(int e, char *buf, size_t n);

#endif
