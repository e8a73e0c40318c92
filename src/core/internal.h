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
  void *spare;                           /* unused: keeps the layout promc/inline.h mirrors */
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

/* The child table: open addressing, linear probing. A slot holds the child
 * and, beside it, its hash and key length, so that a lookup touches only
 * the child it will return. A slot is written once, under the family lock:
 * hash and len, then s with release; readers load s with acquire. */
struct promc_slot {
  _Atomic(struct promc_series *) s;
  uint32_t hash; /* the hash's high half (the low bits pick the slot) */
  uint32_t len;  /* the key's length */
};
struct promc_htab {
  size_t mask;
  struct promc_htab *retired_next;
  struct promc_slot b[];
};

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
  char **bound_text;  /* rendered "le" values, +Inf included (nbounds + 1) */
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
 * the part that holds r's lock and runs its callbacks, and every function
 * that takes a registry's lock asks promc__rendering first, so that a
 * collector or value callback touching the registry it is called for gets
 * PROMC_ESTATE instead of deadlocking on the lock its own render holds. */
struct promc_render_mark {
  const struct promc_registry *r;
  struct promc_render_mark *up;
};
PROMC_HIDDEN void promc__render_enter(struct promc_render_mark *m, const struct promc_registry *r);
PROMC_HIDDEN void promc__render_leave(struct promc_render_mark *m);
PROMC_HIDDEN bool promc__rendering(const struct promc_registry *r);

/* series.c: read a child's current values (relaxed, consistent per child) */
PROMC_HIDDEN double promc__counter_value(const struct promc_series *s);
PROMC_HIDDEN double promc__gauge_value(const struct promc_series *s);
PROMC_HIDDEN void promc__series_reset(struct promc_series *s);
/* The counter and histogram hot paths, for the exemplar variants. */
PROMC_HIDDEN void promc__counter_add_u64(struct promc_series *s, uint64_t n);
PROMC_HIDDEN void promc__counter_add_frac(struct promc_series *s, double v);
PROMC_HIDDEN size_t promc__histogram_observe_idx(struct promc_series *s, double v); /* returns the bucket */
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

/* Multi-process mode, provided by src/multiprocess. Strong references when it
 * is built (so a static link pulls it in and PROMC_MULTIPROC_DIR works
 * without a promc_multiprocess_* call), weak otherwise: the core never calls
 * them unless that code set f->mp or S_MP_GAUGE, and checks the pointers.
 *   family_init   at family creation: may turn f->mp on and bind the root.
 *   family_free   forget f's children before they are freed.
 *   reserve       before creating a child (f->lock held): find or create its
 *                 shared cells, offset in *off; nonzero = error (PROMC_EFULL).
 *   attach        point the new child's cells there; cannot fail.
 *   gauge_written a gauge write: marks the process's value as present (and
 *                 timestamps it for the mostrecent modes).
 *   scrape_begin  fold dead processes, map series other processes created.
 *   emit          render one child aggregated over processes; false = not
 *                 handled here (render it as a local child). */
struct promc_render_ctx;
struct promc_fview;
struct promc_sview;
#ifdef PROMC_HAVE_MULTIPROCESS
#define PROMC_MP_HOOK
#define PROMC_MP_PRESENT(fn) 1
#else
#define PROMC_MP_HOOK __attribute__((weak))
#define PROMC_MP_PRESENT(fn) ((fn) != NULL)
#endif
PROMC_HIDDEN int promc__mp_family_init(struct promc_family *f, const promc_opts *o) PROMC_MP_HOOK;
PROMC_HIDDEN void promc__mp_family_free(struct promc_family *f) PROMC_MP_HOOK;
PROMC_HIDDEN int promc__mp_reserve(struct promc_family *f, size_t n, const char *const *values,
                                   const size_t *lens, uint64_t *off) PROMC_MP_HOOK;
PROMC_HIDDEN void promc__mp_attach(struct promc_series *s, uint64_t off) PROMC_MP_HOOK;
PROMC_HIDDEN void promc__mp_gauge_written(struct promc_series *s) PROMC_MP_HOOK;
PROMC_HIDDEN void promc__mp_scrape_begin(void) PROMC_MP_HOOK;
PROMC_HIDDEN bool promc__mp_emit(struct promc_render_ctx *rc, const struct promc_fview *fv,
                                 const struct promc_family *f, const struct promc_series *s,
                                 struct promc_sview *sv, uint64_t *cum) PROMC_MP_HOOK;

/* Default collectors (src/collectors, always part of the core). A strong
 * reference, so a static link pulls them in too. */
PROMC_HIDDEN int promc__register_default_collectors(promc_registry *r);

/* ---- exposition (src/expose) --------------------------------------------- */
/* Output of a render. Writers fill the window buf[len..cap). Into a
 * promc_buf (the sink is promc_buf_write) the window is the buffer's own
 * free space, grown as needed, so bytes are written once; into any other
 * sink it is the 16 KiB `own` array, handed to fn when full. */
struct promc_out {
  promc_write_fn fn;
  void *user;
  int err;        /* sticky: PROMC_EIO once the sink refused (or a promc_buf could not grow) */
  promc_buf *direct; /* the promc_buf written in place, or NULL */
  char *buf;
  size_t len, cap;
  char own[16384];
};
/* Sets o up to write to fn(user, ...). */
PROMC_HIDDEN void promc__out_init(struct promc_out *o, promc_write_fn fn, void *user);
PROMC_HIDDEN void promc__out_write(struct promc_out *o, const char *p, size_t n);
/* Hands what is buffered to the sink (a promc_buf: its len and NUL are
 * brought up to date). */
PROMC_HIDDEN void promc__out_flush(struct promc_out *o);
/* Makes room for n <= sizeof own bytes in the window (after an error the
 * window is `own`, and what is written there is dropped). */
PROMC_HIDDEN void promc__out_room(struct promc_out *o, size_t n);
static inline void promc__out_str(struct promc_out *o, const char *s) { promc__out_write(o, s, strlen(s)); }
static inline void promc__out_ch(struct promc_out *o, char c) {
  if (PROMC_UNLIKELY(o->len == o->cap)) promc__out_room(o, 1);
  o->buf[o->len++] = c;
}
PROMC_HIDDEN void promc__out_double(struct promc_out *o, double v);
PROMC_HIDDEN void promc__out_u64(struct promc_out *o, uint64_t v);

/* A family as a format writer sees it: from a registered family or from a
 * collector. Names and help are raw (writers escape). */
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
};

/* One child's values, read once per scrape. */
struct promc_sview {
  const char *labels; /* packed raw values, named by the fview's label_names */
  size_t labels_len;
  double created;     /* 0 = none */
  double value;       /* counter, gauge, untyped */
  /* histogram / summary */
  size_t nbounds;
  const double *bounds;
  const char *const *bound_text; /* nbounds + 1, last "+Inf" */
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

/* A format writer. */
struct promc_writer_ops {
  void (*family_begin)(struct promc_out *o, const struct promc_fview *f, void *st);
  void (*series)(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                 void *st);
  void (*family_end)(struct promc_out *o, const struct promc_fview *f, void *st); /* may be NULL */
  void (*finish)(struct promc_out *o, void *st);                                  /* may be NULL */
  /* Text format only: a second pass over the children for _created samples
   * (render.c runs it when the registry asks for _created). NULL elsewhere. */
  void (*created_begin)(struct promc_out *o, const struct promc_fview *f, void *st);
  void (*created_series)(struct promc_out *o, const struct promc_fview *f, const struct promc_sview *s,
                         void *st);
  /* Per-render writer state: render.c allocates state_size zeroed bytes
   * (passed as st) and calls cleanup(st) (may be NULL) before freeing them. */
  size_t state_size;
  void (*cleanup)(void *st);
};

struct promc_render_ctx {
  struct promc_out *out;
  const struct promc_writer_ops *ops;
  void *st;
  const promc_render_opts *opts;
  int created; /* text format: render _created */
  /* Several registries rendered as one (promc_registries_render): the
   * families shown so far, by registry position, and the first error. */
  bool multi;
  size_t reg_index;
  struct promc_multi_name *shown;
  int first_rc;
  char first_msg[512];
};

PROMC_HIDDEN const struct promc_writer_ops *promc__text_writer(void);
/* Formats other than text register a writer here (openmetrics, protobuf). */
PROMC_HIDDEN const struct promc_writer_ops *promc__openmetrics_writer(void) __attribute__((weak));
PROMC_HIDDEN const struct promc_writer_ops *promc__protobuf_writer(void) __attribute__((weak));

/* Exposed-name filter for name[] (render.c). */
PROMC_HIDDEN bool promc__name_selected(const promc_render_opts *o, const char *base, size_t base_len,
                                       promc_type type);
/* The suffixes a family of type t exposes sample names with ("" first). */
PROMC_HIDDEN const char *const *promc__type_suffixes(promc_type t);
/* collect.c: run the registry's collectors into the writer. */
PROMC_HIDDEN int promc__run_collectors(struct promc_registry *r, struct promc_render_ctx *rc);
/* collect.c: when rc->multi, refuses (PROMC_EDUP, recorded in rc) a family
 * whose exposed names clash with one an earlier registry showed, and
 * otherwise remembers it. what names it in the message ("family", a
 * collector's name). */
PROMC_HIDDEN int promc__multi_note(struct promc_render_ctx *rc, const char *what, const char *name, size_t len,
                                   promc_type type);
PROMC_HIDDEN void promc__multi_free(struct promc_render_ctx *rc);

#endif
