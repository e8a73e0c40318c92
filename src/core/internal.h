/* SPDX-License-Identifier: Apache-2.0 */
/* internal.h — the core's private data model, shared by src/core and
 * src/expose. Nothing here is exported. */
#ifndef PROMC_INTERNAL_H
#define PROMC_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "promc/promc.h"

#define PROMC_LIKELY(x) __builtin_expect(!!(x), 1)
#define PROMC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PROMC_HIDDEN __attribute__((visibility("hidden")))

/* ---- allocation (alloc.c): every allocation goes through these ---------- */
PROMC_HIDDEN void *promc__malloc(size_t n);
PROMC_HIDDEN void *promc__calloc(size_t n, size_t size);
PROMC_HIDDEN void *promc__realloc(void *p, size_t n);
PROMC_HIDDEN void promc__free(void *p);
PROMC_HIDDEN char *promc__strdup(const char *s);
PROMC_HIDDEN void promc__alloc_lock(void); /* no custom allocator after first use */

/* ---- errors (error.c) ---------------------------------------------------- */
/* Records code and a printf-style message for promc_errmsg(); returns code. */
PROMC_HIDDEN int promc__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forgets the thread's last message (before a callback whose failure we report). */
PROMC_HIDDEN void promc__err_clear(void);

/* errmsg.c: "<strerror text> (<ENAME>)" for errno e, written into buf and
 * returned; thread-safe (strerror_r), never NULL. */
PROMC_HIDDEN const char *promc__errno_str(int e, char *buf, size_t n);

/* ---- series flags -------------------------------------------------------- */
enum {
  S_LABELLED_ROOT = 1, /* the family handle of a labelled family: no values */
  S_MP_GAUGE = 2       /* gauge in the shared mapping: writes mark cells[1] */
};

/* Counter stripes: a contended counter child moves its integer increments to
 * per-thread stripes, one cache line each, taken from a preallocated pool. */
#define PROMC_NSTRIPES 8
struct promc_stripe {
  _Alignas(64) _Atomic uint64_t v;
};

/* Cell layout per type (cells[] are 64-bit atomics):
 *   counter   [0] integer part  [1] double part (bits)  [2] stripe block ptr
 *   gauge     [0] value bits
 *   histogram [0] sum bits      [1 .. nbounds+1] per-bucket (non-cumulative) counts
 *   summary   [0] count         [1] sum bits
 *   info      [0] pointer to its info labels, a struct promc_pairs (replaced under the family vlock)
 *   stateset  [0] current state index
 */
struct promc_series {
  struct promc_family *fam;
  union {                                /* the size of promc/inline.h's hnext, which it skips */
    void *pad;
    uint8_t plain; /* 1: no label value has a byte the text formats escape */
  } text;                                /* not in flags: an inline gauge set takes any flag to the slow path */
  uint32_t hash;
  uint16_t flags;
  _Atomic uint16_t removed;              /* 1 = not exposed; revived on lookup */
  uint32_t labels_len;                   /* bytes of the packed key */
  _Atomic uint32_t signed_obs;           /* histogram, summary: a negative or NaN observation */
  _Atomic double created;                /* wall-clock seconds; a reset rewrites it under a scrape */
  _Atomic uint64_t *cells;               /* storage seam: inline by default */
  char *labels;                          /* the packed raw values (labels.c), at f->key_off */
  _Atomic uint64_t inline_cells[];
};

/* The child table: open addressing, linear probing, 8-byte slots. A slot
 * holds the child's pointer with, in its top 16 bits, a tag: the hash's top
 * 16 bits (the low bits pick the slot), so a probe touches only a child it
 * will almost surely return; the key length is checked at the child.
 * Tagging needs user addresses below 2^48: true on x86-64 and aarch64 with
 * 4-level tables, and with 5-level ones unless mmap is given a high hint
 * (glibc malloc never gives one). A child at a higher address still works:
 * inserting it switches the family to untagged tables (ptrmask all ones,
 * every slot compared at its child), which stay untagged. Other targets
 * always use untagged tables. A slot is written once, under the family
 * lock, with release; readers load it with acquire. */
/* Only children.c may read PROMC_SLOT_*: the test builds (CMakeLists.txt)
 * recompile children.c alone with -DPROMC_SLOT_TAGGED=0 (the untagged
 * tables of other targets) or a lower PROMC_SLOT_ADDR_BITS (so that a test
 * can place a chunk above the limit and take the switch to untagged). */
#ifndef PROMC_SLOT_ADDR_BITS
#define PROMC_SLOT_ADDR_BITS 48
#endif
_Static_assert(PROMC_SLOT_ADDR_BITS >= 32 && PROMC_SLOT_ADDR_BITS <= 48, "a tag of 16 to 32 bits");
#if !defined(PROMC_SLOT_TAGGED) && (defined(__x86_64__) || defined(__aarch64__)) && UINTPTR_MAX == UINT64_MAX
#define PROMC_SLOT_TAGGED 1
#define PROMC_SLOT_PTRMASK (((uintptr_t)1 << PROMC_SLOT_ADDR_BITS) - 1)
#else
#undef PROMC_SLOT_TAGGED
#define PROMC_SLOT_TAGGED 0
#define PROMC_SLOT_PTRMASK (~(uintptr_t)0)
#endif
struct promc_slot {
  _Atomic uintptr_t v; /* child | tag << PROMC_SLOT_ADDR_BITS; 0 = free */
};
struct promc_htab {
  size_t mask;
  uintptr_t ptrmask; /* PROMC_SLOT_PTRMASK, or all ones: untagged */
  struct promc_htab *retired_next;
  struct promc_slot b[];
};
_Static_assert(sizeof(struct promc_slot) == sizeof(uintptr_t), "a slot is one word");
/* The child in slot i of t, or NULL. */
static inline struct promc_series *promc__slot_child(const struct promc_htab *t, size_t i) {
  uintptr_t v = atomic_load_explicit(&((struct promc_slot *)(uintptr_t)&t->b[i])->v, memory_order_acquire);
  return (struct promc_series *)(v & t->ptrmask);
}

/* Children are carved from per-family chunks: they are only freed with
 * their family, so a bump allocator saves malloc's per-object overhead.
 * `used` is the creator's bump pointer (family lock); `ready` is how far
 * children are complete, stored with release once a new child is whole,
 * so a scrape reads the chunks without the lock (see promc__child_first). */
struct promc_chunk {
  struct promc_chunk *next; /* written before the chunk is published as the tail */
  size_t used, cap;
  _Atomic size_t ready;
  _Alignas(16) char data[];
};

struct promc_fnreg { /* callback-valued child */
  struct promc_series *s;
  promc_value_fn fn;
  void *user;
  struct promc_fnreg *next;
};

struct promc_family {
  promc_type type;
  char *name; /* base name: counter without _total, info without _info */
  size_t name_len;
  char *help;
  char *unit;
  size_t nlabels;
  char **label_names;
  size_t *label_name_len;
  char *const_labels; /* const labels as packed raw pairs (labels.c) */
  size_t const_labels_len;
  size_t nconst;
  char **const_names, **const_values;
  size_t nbounds;     /* histogram bounds without +Inf */
  double *bounds;
  size_t nstates;
  char **states;
  size_t ncells;      /* cells per child */
  size_t key_off;     /* where a child's packed key starts, from the child */
  char *text_name;    /* counter_name_as_given: the name as given, else NULL */
  char *exposed[6];   /* names this family exposes (collision check / filter) */
  size_t nexposed;

  pthread_mutex_t lock;  /* child creation, removal and revival; never held by a scrape */
  pthread_mutex_t vlock; /* what a scrape reads through pointers that are freed:
                            fns and info label text; held for one family's scrape */
  _Atomic(struct promc_htab *) tab;
  struct promc_htab *retired;
  struct promc_chunk *chunks; /* children, in creation order; set before the first tail */
  _Atomic(struct promc_chunk *) chunks_tail; /* release: every chunk before it is final */
  size_t nchildren;     /* in the table (removed ones included) */
  struct promc_fnreg *fns; /* vlock */
  size_t nexemplars;    /* exemplar slots per child (0 = off); see exemplar.c */

  /* NULL when unregistered. Set by compare-and-swap under the new
   * registry's lock, cleared under the old one's: a family is in at most one
   * registry even when two threads register it into different ones. */
  _Atomic(struct promc_registry *) registry;
  struct promc_family *reg_next;
  int mp;                          /* values live in the multi-process mapping */
  int mp_gauge_mode;               /* promc_mp_gauge_mode, gauges only */
  struct promc_series root;        /* the family handle; last member */
};

struct promc_collector_node {
  promc_collector c;
  char *name;
  struct promc_collector_node *next;
};

struct promc_registry {
  pthread_mutex_t lock;
  struct promc_family *first, *last;
  struct promc_collector_node *collectors;
  int created_text;
};

static inline struct promc_series *promc__series(const void *h) {
  return (struct promc_series *)(uintptr_t)h;
}

/* ---- exemplars (exemplar.c) ---------------------------------------------
 * A family created with .exemplars = 1 gives each child (and an unlabelled
 * root) nexemplars slots, allocated with it right after its inline cells:
 * one for a counter, one per bucket (+Inf included) for a histogram. A slot
 * is a seqlock over fixed-size fields, all accessed atomically. */
#define PROMC_EXEMPLAR_TEXT 512 /* raw pairs (labels.c) of <= 128 chars */
struct promc_exemplar_slot {
  _Atomic uint64_t seq;   /* even = stable, odd = a writer is copying; 0 = never set */
  _Atomic uint64_t meta;  /* bit 32: present; low 32 bits: text length */
  _Atomic uint64_t value; /* double bits */
  _Atomic uint64_t ts;    /* double bits, seconds; 0 = no timestamp */
  _Atomic uint64_t text[PROMC_EXEMPLAR_TEXT / 8];
};
/* A consistent copy of a slot, taken by a scrape. */
struct promc_exemplar_view {
  int present;
  size_t len; /* bytes of text: packed raw pairs (labels.c) */
  double value, ts;
  char text[PROMC_EXEMPLAR_TEXT];
};
static inline struct promc_exemplar_slot *promc__exemplar_slots(const struct promc_series *s) {
  return (struct promc_exemplar_slot *)(uintptr_t)(s->inline_cells + s->fam->ncells);
}
/* Reads slot i of s into v (v->present = 0 if none or if writers kept it busy). */
PROMC_HIDDEN void promc__exemplar_read(const struct promc_series *s, size_t i, struct promc_exemplar_view *v);
/* Empties every slot of s (reset / revive; family lock held). */
PROMC_HIDDEN void promc__exemplars_clear(struct promc_series *s);

/* names.c */
/* "counter", "gauge", ... for messages. */
PROMC_HIDDEN const char *promc__type_name(promc_type t);
/* Checks a label name (what: "label", "const label", ...) for a family of
 * type t named fam_name: 0 or PROMC_ELABEL, recorded. */
PROMC_HIDDEN int promc__check_label_name(const char *fam_name, promc_type t, const char *ln, const char *what);
/* Checks the options of a family of type t; its base name (without _total /
 * _info) into base (cap bytes). 0 or the error, recorded. */
PROMC_HIDDEN int promc__validate_opts(promc_type t, const promc_opts *o, char *base, size_t cap);

/* children.c */
PROMC_HIDDEN struct promc_htab *promc__htab_new(size_t nbuckets); /* a power of two */
/* Children in creation order, removed ones included (check s->removed with
 * acquire):
 *   struct promc_child_it it;
 *   for (s = promc__child_first(f, &it); s; s = promc__child_next(f, &it))
 * No lock needed: promc__child_first takes a snapshot of the children
 * complete at that moment (a prefix of creation order) and the walk visits
 * exactly those; children created meanwhile wait for the next walk. Copying
 * `it` right after promc__child_first gives a second walk over the same
 * snapshot. An unlabelled family's only child is f->root. */
struct promc_child_it {
  const struct promc_chunk *c;    /* current chunk; NULL when done */
  const char *p;                  /* current child */
  const struct promc_chunk *last; /* the snapshot: tail chunk, and its ready bytes */
  size_t last_ready;
};
PROMC_HIDDEN struct promc_series *promc__child_first(const struct promc_family *f, struct promc_child_it *it);
PROMC_HIDDEN struct promc_series *promc__child_next(const struct promc_family *f, struct promc_child_it *it);
/* family.c */
PROMC_HIDDEN void promc__family_free(struct promc_family *f);
/* names.c */
PROMC_HIDDEN bool promc__valid_metric_name(const char *s);
PROMC_HIDDEN bool promc__valid_label_name(const char *s);
/* labels.c */
PROMC_HIDDEN size_t promc__escape_label_value(char *out, const char *v, size_t n);
PROMC_HIDDEN size_t promc__escaped_len(const char *v, size_t n);
/* True when no item of the packed list (len bytes at p) has a byte the text
 * formats escape: a backslash, a double quote or a newline. */
PROMC_HIDDEN bool promc__packed_plain(const char *p, size_t len);
/* Packed raw labels (the format is described at the top of labels.c). */
/* Bytes n items take packed; their strlen()s into lens (unless NULL). */
PROMC_HIDDEN size_t promc__pack_size(size_t n, const char *const *items, size_t *lens);
/* Writes the length prefix of an item of len bytes (at most 10 bytes); returns the end. */
PROMC_HIDDEN char *promc__pack_len(char *out, size_t len);
/* Packs one item at out; returns the end. */
PROMC_HIDDEN char *promc__pack_item(char *out, const char *p, size_t len);
/* Packs n items (lengths lens) at out; returns the bytes written. */
PROMC_HIDDEN size_t promc__pack(char *out, size_t n, const char *const *items, const size_t *lens);
/* n name/value pairs packed into a new allocation (length in *len), NULL when out of memory. */
PROMC_HIDDEN char *promc__pack_pairs(size_t n, const char *const *names, const char *const *values, size_t *len);
/* The item at p: its bytes and length; returns the next item. */
PROMC_HIDDEN const char *promc__unpack(const char *p, const char **item, size_t *len);
/* Packing a key, its hash and comparison: inline, in core/labels.h. */
/* Packed pairs as `a="x",b="y"` (escaped, NUL-ended, whole pairs that fit
 * cap), for messages; returns the length. */
PROMC_HIDDEN size_t promc__pairs_print(char *out, size_t cap, const char *p, size_t len);
/* An info child's labels: packed raw pairs (cells[0] points at one). */
struct promc_pairs {
  size_t len;
  char data[];
};
/* names.c: whether n bytes at s are UTF-8 (the exposition formats' only encoding). */
PROMC_HIDDEN bool promc__utf8_valid(const char *s, size_t n);
/* The length (1..4) of the UTF-8 character at p, of which at most avail
 * bytes may be read, or 0 when it is not one: a stray continuation byte,
 * an overlong form, a surrogate (U+D800..DFFF), a code point above
 * U+10FFFF, or a sequence cut short. The one definition of valid text. */
static inline size_t promc__utf8_char(const unsigned char *p, size_t avail) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (!k || k > avail || (k == 2 && c < 0xC2) || c > 0xF4) return 0;
  for (size_t m = 1; m < k; m++)
    if ((p[m] & 0xC0) != 0x80) return 0;
  if (k == 3) {
    unsigned cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  } else if (k == 4) {
    unsigned cp = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
  }
  return k;
}

/* registry.c */
/* Takes f out of its registry: 0, PROMC_ENOTFOUND (not registered; no
 * message recorded) or PROMC_ESTATE (its registry is being rendered by this
 * thread, i.e. called from a collector or value callback; message recorded). */
PROMC_HIDDEN int promc__registry_unlink(struct promc_family *f);
/* A render of r in progress on this thread: render.c pushes a mark around
 * the part that holds r's lock and runs its callbacks, and records in it
 * the family whose value lock (vlock) the render holds (promc__render_hold,
 * NULL between families and while collectors run). Every function that
 * takes a registry's lock, or creates or frees a family, asks
 * promc__render_refuse first, and set_function / info_set take the vlock
 * through promc__vlock_take, so that a collector or value callback gets
 * PROMC_ESTATE instead of a deadlock (docs/design.md, "Locks"). */
struct promc_render_mark {
  const struct promc_registry *r;
  const struct promc_family *held; /* its vlock is held by this render */
  struct promc_render_mark *up;
};
PROMC_HIDDEN void promc__render_enter(struct promc_render_mark *m, const struct promc_registry *r);
PROMC_HIDDEN void promc__render_leave(struct promc_render_mark *m);
PROMC_HIDDEN void promc__render_hold(const struct promc_family *f);
PROMC_HIDDEN bool promc__rendering(const struct promc_registry *r);
/* 0 when this thread renders nothing; else PROMC_ESTATE with a message
 * naming `what` (r, when given, says whether it is the registry being
 * rendered). */
PROMC_HIDDEN int promc__render_refuse(const struct promc_registry *r, const char *what);
/* Locks f->vlock for set_function / info_set: 0, or PROMC_ESTATE (message
 * recorded, nothing locked) when this thread's render holds it, or when a
 * wait against the address order of value locks ran out. */
PROMC_HIDDEN int promc__vlock_take(struct promc_family *f, const char *what);

/* series.c: a child back to zero (kind cells, exemplars, start time);
 * family lock held. What a type means is in core/kind.h and kind_*.c. */
PROMC_HIDDEN void promc__series_reset(struct promc_series *s);
/* kind_counter.c, kind_histogram.c: the hot paths, for the exemplar variants. */
PROMC_HIDDEN void promc__counter_add_u64(struct promc_series *s, uint64_t n);
PROMC_HIDDEN void promc__counter_add_frac(struct promc_series *s, double v);
PROMC_HIDDEN size_t promc__histogram_observe_idx(struct promc_series *s, double v); /* returns the bucket */
/* kind_counter.c: the counter stripe pool, topped up off the hot path. */
PROMC_HIDDEN void promc__stripes_refill(void);
/* The stripe pool outlives every family that may point into it: each family
 * holds it from creation to promc__family_free, and promc_shutdown only asks
 * for it to be freed, which happens when the last holder lets go. */
PROMC_HIDDEN void promc__stripes_hold(void);
PROMC_HIDDEN void promc__stripes_release(void);
PROMC_HIDDEN void promc__stripes_shutdown(void);
static inline double promc__bits_double(uint64_t b) {
  double d;
  memcpy(&d, &b, sizeof d);
  return d;
}
static inline uint64_t promc__double_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}

/* registry.c: the core's side of the storage seam (core/store.h). Each
 * calls promc__store_backend when there is one and does nothing otherwise.
 *   family_init   at family creation: the backend may hold f (f->mp) and
 *                 bind its root; the core then lists f for the fork step.
 *   family_free   (f->mp set) unlists f; the backend forgets its children.
 *   scrape_begin  before a render: fold dead processes, map new series. */
PROMC_HIDDEN int promc__store_family_init(struct promc_family *f, const promc_opts *o);
PROMC_HIDDEN void promc__store_family_free(struct promc_family *f);
PROMC_HIDDEN void promc__store_scrape_begin(void);
/* For f->mp families only (the backend is there):
 *   reserve       before creating a child (f->lock held): find or create its
 *                 cells, offset in *off; nonzero = error (PROMC_EFULL).
 *   attach        point the new child's cells there; cannot fail.
 *   gauge_written a write to an S_MP_GAUGE gauge: marks the process's value
 *                 as present (and stamps it for the most-recent modes). */
PROMC_HIDDEN int promc__store_reserve(struct promc_family *f, size_t n, const char *const *values,
                                      const size_t *lens, uint64_t *off);
PROMC_HIDDEN void promc__store_attach(struct promc_series *s, uint64_t off);
PROMC_HIDDEN void promc__store_gauge_written(struct promc_series *s);

/* procstat.c: the fields of /proc/<pid>/stat that promc reads (man 5 proc
 * numbering), from one parser for the process collector and the store. */
struct promc_procstat {
  char state;                      /* 3: R, S, Z, ... */
  unsigned long long utime, stime; /* 14, 15: clock ticks */
  unsigned long long threads;      /* 20 */
  unsigned long long starttime;    /* 22: clock ticks after boot */
  unsigned long long vsize;        /* 23: bytes */
  unsigned long long rss;          /* 24: pages */
};
/* Parses the NUL-ended text of a stat file: 0, or -1 when it is none. */
PROMC_HIDDEN int promc__procstat_parse(const char *buf, struct promc_procstat *out);
/* Reads and parses the stat file at path: 0; -errno when it cannot be
 * opened; -ESRCH when it reads empty (the process went away); -EBADMSG when
 * its text is no stat file. Open, read, close: no allocation, no stdio. */
PROMC_HIDDEN int promc__procstat_read(const char *path, struct promc_procstat *out);

/* The one hook from the core to src/collectors: registers the default
 * collectors on a new default registry. Defined by src/collectors/defaults.c
 * (always part of libpromc); a reference to this pointer, not a call by
 * name, so the core names no function of a layer above it and a static link
 * still pulls the collectors in. */
PROMC_HIDDEN extern int (*const promc__default_collectors_hook)(promc_registry *r);

/* ---- what the core hands the exposition pipeline (src/expose) ----------
 * The pipeline's own declarations (output buffer, writers, registry walk,
 * collector context) are in src/expose/expose.h, which nothing in src/core
 * includes. */
struct promc_out;

/* A family as a format writer sees it: from a registered family or from a
 * collector. Names and help are raw (writers escape). */
enum { PROMC_LAB_SEGS = 17, PROMC_LAB_TEXT = 320 };
struct promc_fview {
  const char *name; /* base name (no _total / _info) */
  size_t name_len;
  const char *help;
  const char *unit; /* NULL if none */
  promc_type type;
  const char *const_labels; /* packed raw pairs (labels.c) */
  size_t const_labels_len;
  size_t nlabels; /* the names of a child's packed values */
  const char *const *label_names;
  const size_t *label_name_len;
  const char *state_label; /* stateset: label name (the family name) */
  const char *text_name;   /* counter_name_as_given: the name for text and protobuf, else NULL */
  size_t text_name_len;
  /* The label block's constant text, made once per render by
   * promc__labels_prepare (the text writers' fast path; lab_nseg == 0: not
   * made, or too large for these arrays). Segment i is lab_text[lab_off[i]]
   * up to lab_off[i + 1]: before value 0 `{`, the const labels escaped and
   * `name0="`; before value i `",namei="`; after the last `",` (empty
   * without label names). lab_room is the segments' length plus the slack
   * the writer uses to copy short segments sixteen bytes at a time. */
  unsigned lab_nseg; /* nlabels + 1 */
  unsigned lab_room;
  uint16_t lab_off[PROMC_LAB_SEGS + 1];
  uint16_t lab_len[PROMC_LAB_SEGS]; /* lab_off[i + 1] - lab_off[i] */
  char lab_text[PROMC_LAB_TEXT];
};

/* One child's values, read once per scrape. */
struct promc_sview {
  const char *labels; /* packed raw values, named by the fview's label_names */
  size_t labels_len;
  bool labels_plain;  /* true: known to need no escaping (false: look) */
  double created;     /* 0 = none */
  double value;       /* counter, gauge, untyped */
  /* histogram / summary */
  size_t nbounds;
  const double *bounds;
  const uint64_t *cumulative;    /* nbounds + 1 */
  uint64_t count;
  double sum;
  size_t nq;
  const double *quantiles, *qvalues;
  /* packed raw pairs after the labels: an info child's labels, a
   * collector's labels, `pid` of a multi-process gauge */
  const char *pairs;
  size_t pairs_len;
  /* stateset */
  size_t nstates;
  const char *const *states;
  size_t state;
  /* exemplars: NULL, or one per counter child / per histogram bucket */
  const struct promc_exemplar_view *exemplars;
  /* histogram, summary: a negative or NaN value was observed, so the sum
   * is no counter (OpenMetrics then leaves it out) */
  bool signed_obs;
};

/* Shared by the text writers: a label value escaped (\\, \", newline), and
 * the label block {const,labels,pairs,xname="xval"} from the raw forms,
 * escaped (nothing when empty; xval escaped when xescape, else written as
 * is: numbers). */
PROMC_HIDDEN void promc__out_escaped(struct promc_out *o, const char *v, size_t n);
/* Packed raw pairs as `a="x",b="y"` (escaped). */
PROMC_HIDDEN void promc__out_pairs(struct promc_out *o, const char *p, size_t len);
PROMC_HIDDEN void promc__out_labels(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                                    const char *xname, const char *xval, bool xescape);
/* Fills f's lab_* fields from its const labels and label names (once per
 * family and render; without it the writers take a slower path). */
PROMC_HIDDEN void promc__labels_prepare(struct promc_fview *f);


#endif
