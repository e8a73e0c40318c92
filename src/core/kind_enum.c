/* SPDX-License-Identifier: Apache-2.0 */
/* kind_enum.c — the enum (an OpenMetrics stateset with exactly one state
 * set): setting the state, its reads, the validation of its name and states,
 * and its kind table.
 *
 * Cells: [0] index of the current state into the family's states.
 *
 * Memory ordering: a set is one relaxed store of a single word, a scrape
 * one relaxed load of it: it shows a state the child was in at some instant
 * during the scrape. Nothing is published. */
#include "core/kind.h"

/* ------------------------------------------------------------- hot path */
int promc_enum_set(promc_enum *e, size_t state) {
  struct promc_series *s = promc__series(e);
  PROMC_CHECK_HANDLE(s);
  if (PROMC_UNLIKELY(state >= s->fam->nstates)) return PROMC_EVALUE;
  atomic_store_explicit(&s->cells[0], state, memory_order_relaxed);
  return 0;
}

int promc_enum_state(promc_enum *e, const char *state) {
  struct promc_series *s = promc__series(e);
  PROMC_CHECK_HANDLE(s);
  if (!state) return promc__err(PROMC_EINVAL, "enum_state: NULL state");
  for (size_t i = 0; i < s->fam->nstates; i++)
    if (strcmp(s->fam->states[i], state) == 0) return promc_enum_set(e, i);
  return promc__err(PROMC_ENOTFOUND, "enum \"%s\" has no state \"%s\"", s->fam->name, state);
}

long promc_enum_get(const promc_enum *e) {
  const struct promc_series *s = promc__series(e);
  if (!s || (s->flags & S_LABELLED_ROOT)) return -1;
  return (long)atomic_load_explicit(&s->cells[0], memory_order_relaxed);
}

/* ----------------------------------------------------------------- kind */
/* The name is also the label name of the states (so no ':' and no leading
 * "__"); at least one state, each UTF-8, none twice. */
static int enum_validate(const promc_opts *o) {
  if (!promc__valid_label_name(o->name) || (o->name[0] == '_' && o->name[1] == '_'))
    return promc__err(PROMC_ENAME, "enum name \"%s\" is also its state label name: no ':' and no leading \"__\"",
                      o->name);
  if (!o->states || o->nstates == 0) return promc__err(PROMC_EINVAL, "enum \"%s\" needs at least one state", o->name);
  for (size_t i = 0; i < o->nstates; i++) {
    if (!o->states[i]) return promc__err(PROMC_EINVAL, "enum \"%s\": state %zu is NULL", o->name, i);
    if (!promc__utf8_valid(o->states[i], strlen(o->states[i])))
      return promc__err(PROMC_EVALUE, "a state of \"%s\" is not valid UTF-8", o->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(o->states[i], o->states[j]) == 0)
        return promc__err(PROMC_EVALUE, "enum \"%s\": state \"%s\" given twice", o->name, o->states[i]);
  }
  return 0;
}

static size_t enum_ncells(const struct promc_family *f) {
  (void)f;
  return 1;
}

static void enum_reset(struct promc_series *s) { atomic_store(&s->cells[0], 0); }

static bool enum_read(const struct promc_family *f, const struct promc_series *s, const _Atomic uint64_t *cells,
                      struct promc_sview *v, uint64_t *cum) {
  (void)f, (void)s, (void)cum;
  v->state = (size_t)atomic_load_explicit(&cells[0], memory_order_relaxed);
  return true;
}

const struct promc_kind promc__kind_enum = {
    .type = PROMC_TYPE_STATESET,
    .name = "enum",
    .suffixes = (const char *const[]){"", NULL},
    .ncells = enum_ncells,
    .reset = enum_reset,
    .read = enum_read,
    .validate = enum_validate,
};
