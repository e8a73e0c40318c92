/* SPDX-License-Identifier: Apache-2.0 */
/* exemplar.c — recording exemplars on counter children and histogram
 * buckets, and reading them back consistently at scrape time.
 *
 * Each slot (internal.h) is a sequence lock over fixed-size fields, after
 * Boehm, "Can seqlocks get along with programming language memory models?"
 * (MSPC 2012). Every field is an atomic word, so there is no data race in
 * the C11 sense (and nothing for ThreadSanitizer to report):
 *
 *   writer: seq even -> odd by compare-and-swap (a writer that finds it odd,
 *           or loses the race, drops its exemplar: the slot is being filled
 *           with an equally recent one); release fence; relaxed stores of
 *           meta, value, ts and the text words; seq = odd + 1 with release.
 *   reader: s1 = seq (acquire), must be even; relaxed loads of the fields;
 *           acquire fence; s2 = seq (relaxed); the copy is good iff s1 == s2.
 *
 * If the reader loaded any word stored after a writer's release fence, its
 * acquire fence synchronises with that fence, so its s2 load sees the odd
 * sequence (or later) and the copy is retried. If s1 saw a finished write,
 * everything that writer stored is visible. Hence a scrape never shows parts
 * of two exemplars. The hot path allocates nothing, takes no lock and makes
 * no system call: it validates and packs the labels on the stack first, so
 * the slot stays odd only for a copy of at most 68 words. */
#include <math.h>
#include <sched.h>

#include "core/internal.h"

/* Validates the exemplar and packs it into words as raw pairs (labels.c).
 * Returns the byte length, or a negative PROMC_E* code. */
static long pack(size_t n, const char *const *names, const char *const *values, uint64_t *words) {
  if (n && (!names || !values)) return PROMC_EINVAL;
  char *out = (char *)words;
  size_t len = 0, chars = 0;
  for (size_t i = 0; i < n; i++) {
    const char *nm = names[i], *v = values[i];
    if (!nm || !v) return PROMC_EINVAL;
    /* "__" names are reserved, for exemplars as for every other label */
    if (!promc__valid_label_name(nm) || (nm[0] == '_' && nm[1] == '_')) return PROMC_ELABEL;
    for (size_t j = 0; j < i; j++)
      if (strcmp(nm, names[j]) == 0) return PROMC_ELABEL;
    size_t nl = strlen(nm);
    chars += nl; /* label names are ASCII */
    if (chars > PROMC_EXEMPLAR_MAX_CHARS) return PROMC_EVALUE;
    /* the value: count code points and check UTF-8 (a NUL is no
     * continuation byte, so a cut sequence stops there) */
    const unsigned char *p = (const unsigned char *)v;
    while (*p) {
      size_t k = promc__utf8_char(p, 4);
      if (!k) return PROMC_EVALUE;
      if (++chars > PROMC_EXEMPLAR_MAX_CHARS) return PROMC_EVALUE;
      p += k;
    }
    /* 128 characters, names of 1 byte and values of at most 4 per
     * character, and each item's length prefix (2 bytes only for 128 bytes
     * or more): never more than 512 bytes, so this always fits */
    size_t vl = (size_t)(p - (const unsigned char *)v);
    len = (size_t)(promc__pack_item(promc__pack_item(out + len, nm, nl), v, vl) - out);
  }
  memset(out + len, 0, (8 - len % 8) % 8); /* the last word is stored whole */
  return (long)len;
}

static void slot_store(struct promc_exemplar_slot *x, const uint64_t *words, size_t len, double value,
                       double ts) {
  uint64_t s = atomic_load_explicit(&x->seq, memory_order_relaxed);
  if ((s & 1) ||
      !atomic_compare_exchange_strong_explicit(&x->seq, &s, s + 1, memory_order_relaxed, memory_order_relaxed))
    return; /* another writer is filling this slot: drop ours (documented) */
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&x->meta, (1ull << 32) | len, memory_order_relaxed);
  atomic_store_explicit(&x->value, promc__double_bits(value), memory_order_relaxed);
  atomic_store_explicit(&x->ts, promc__double_bits(ts), memory_order_relaxed);
  for (size_t i = 0; i < (len + 7) / 8; i++) atomic_store_explicit(&x->text[i], words[i], memory_order_relaxed);
  atomic_store_explicit(&x->seq, s + 2, memory_order_release);
}

/* A timestamp in seconds: finite, not negative, and before the year 10000:
 * protobuf carries it as a google.protobuf.Timestamp, whose valid range
 * ends at 9999-12-31T23:59:59.999999999Z (253402300799 s and a fraction;
 * the largest double below 253402300800 has a fraction of .99997). */
static inline bool ts_ok(double ts) { return ts >= 0 && ts < 253402300800.0; }

/* Common checks; returns the child or NULL with *rc set. */
static struct promc_series *check(void *h, promc_type t, int *rc) {
  struct promc_series *s = promc__series(h);
  if (PROMC_UNLIKELY(!s)) *rc = PROMC_EINVAL;
  else if (PROMC_UNLIKELY(s->fam->type != t)) *rc = PROMC_ETYPE;
  else if (PROMC_UNLIKELY(s->flags & S_LABELLED_ROOT)) *rc = PROMC_ECARD;
  else if (PROMC_UNLIKELY(!s->fam->nexemplars)) *rc = PROMC_ESTATE;
  else return s;
  return NULL;
}

int promc_counter_add_exemplar(promc_counter *c, double v, size_t n, const char *const *names,
                               const char *const *values, double ts) {
  int rc = 0;
  struct promc_series *s = check(c, PROMC_TYPE_COUNTER, &rc);
  if (!s) return rc;
  if (PROMC_UNLIKELY(!(v >= 0))) return PROMC_EVALUE;
  if (PROMC_UNLIKELY(!ts_ok(ts))) return PROMC_EINVAL;
  uint64_t words[PROMC_EXEMPLAR_TEXT / 8];
  long len = pack(n, names, values, words);
  if (len < 0) return (int)len;
  if (v < 18446744073709551616.0 && v == (double)(uint64_t)v) promc__counter_add_u64(s, (uint64_t)v);
  else promc__counter_add_frac(s, v);
  slot_store(promc__exemplar_slots(s), words, (size_t)len, v, ts);
  return 0;
}

int promc_counter_inc_exemplar(promc_counter *c, size_t n, const char *const *names, const char *const *values) {
  return promc_counter_add_exemplar(c, 1.0, n, names, values, 0);
}

int promc_histogram_observe_exemplar(promc_histogram *h, double v, size_t n, const char *const *names,
                                     const char *const *values, double ts) {
  int rc = 0;
  struct promc_series *s = check(h, PROMC_TYPE_HISTOGRAM, &rc);
  if (!s) return rc;
  if (PROMC_UNLIKELY(!ts_ok(ts))) return PROMC_EINVAL;
  uint64_t words[PROMC_EXEMPLAR_TEXT / 8];
  long len = pack(n, names, values, words);
  if (len < 0) return (int)len;
  size_t i = promc__histogram_observe_idx(s, v);
  slot_store(promc__exemplar_slots(s) + i, words, (size_t)len, v, ts);
  return 0;
}

void promc__exemplar_read(const struct promc_series *s, size_t i, struct promc_exemplar_view *v) {
  struct promc_exemplar_slot *x = promc__exemplar_slots(s) + i;
  v->present = 0;
  for (unsigned tries = 0; tries < 1000; tries++) {
    uint64_t s1 = atomic_load_explicit(&x->seq, memory_order_acquire);
    if (s1 == 0) return; /* never written */
    if (s1 & 1) {
      if (tries >= 100) sched_yield(); /* a writer was preempted mid-copy (scrape path only) */
      continue;
    }
    uint64_t meta = atomic_load_explicit(&x->meta, memory_order_relaxed);
    uint64_t val = atomic_load_explicit(&x->value, memory_order_relaxed);
    uint64_t ts = atomic_load_explicit(&x->ts, memory_order_relaxed);
    size_t len = (size_t)(meta & 0xffffffffu);
    if (len > PROMC_EXEMPLAR_TEXT) len = PROMC_EXEMPLAR_TEXT; /* only in a torn copy, discarded below */
    uint64_t words[PROMC_EXEMPLAR_TEXT / 8];
    for (size_t w = 0; w < (len + 7) / 8; w++) words[w] = atomic_load_explicit(&x->text[w], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&x->seq, memory_order_relaxed) != s1) continue;
    v->present = (int)((meta >> 32) & 1);
    v->len = len;
    v->value = promc__bits_double(val);
    v->ts = promc__bits_double(ts);
    memcpy(v->text, words, len);
    return;
  }
  /* writers kept the slot busy for the whole budget: show none this scrape */
}

void promc__exemplars_clear(struct promc_series *s) {
  struct promc_exemplar_slot *x = promc__exemplar_slots(s);
  for (size_t i = 0; i < s->fam->nexemplars; i++) {
    /* a writer holding the slot finishes within a few instructions */
    for (;;) {
      uint64_t q = atomic_load_explicit(&x[i].seq, memory_order_relaxed);
      if (q == 0) break;
      if ((q & 1) || !atomic_compare_exchange_weak_explicit(&x[i].seq, &q, q + 1, memory_order_relaxed,
                                                            memory_order_relaxed)) {
        sched_yield();
        continue;
      }
      atomic_thread_fence(memory_order_release);
      atomic_store_explicit(&x[i].meta, 0, memory_order_relaxed);
      atomic_store_explicit(&x[i].seq, q + 2, memory_order_release);
      break;
    }
  }
}
