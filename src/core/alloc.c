/* SPDX-License-Identifier: Apache-2.0 */
/* alloc.c — the one allocation hook every promc allocation goes through. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static promc_allocator g_alloc = {malloc, realloc, free};
static atomic_bool g_alloc_used;

int promc_set_allocator(const promc_allocator *a) {
  if (!a || !a->malloc_fn || !a->realloc_fn || !a->free_fn)
    return promc__err(PROMC_EINVAL, "allocator functions must not be NULL");
  if (atomic_load(&g_alloc_used))
    return promc__err(PROMC_ESTATE, "allocator must be set before the first promc allocation");
  g_alloc = *a;
  return 0;
}

void promc__alloc_lock(void) { atomic_store(&g_alloc_used, true); }

void *promc__malloc(size_t n) {
  promc__alloc_lock();
  return g_alloc.malloc_fn(n ? n : 1);
}

void *promc__calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = promc__malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *promc__realloc(void *p, size_t n) {
  promc__alloc_lock();
  return g_alloc.realloc_fn(p, n ? n : 1);
}

void promc__free(void *p) {
  if (p) g_alloc.free_fn(p);
}

char *promc__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = promc__malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
