/* SPDX-License-Identifier: Apache-2.0 */
/*
 * promc.h — Prometheus instrumentation for C11: the core library.
 *
 * Overview
 * --------
 * A *registry* holds *metric families* (a counter, a gauge, a histogram, a
 * summary, an info or an enum), each with a name, help text, optional unit,
 * label names declared up front and constant labels.  A family with label
 * names has one *child* per distinct tuple of label values; a family without
 * label names is its own single child.
 *
 *     promc_counter *reqs;
 *     promc_counter_new(&reqs, &(promc_opts){ .name = "http_requests",
 *                       .help = "Requests served.",
 *                       PROMC_LABEL_NAMES("method", "code") });
 *     promc_counter *get200 = promc_counter_labels(reqs, "GET", "200");
 *     for (;;) promc_counter_inc(get200);          // hot loop: one atomic add
 *
 * Handles.  Every metric handle type (promc_counter, promc_gauge, ...) points
 * either at a family or at one of its children; both kinds of pointer are
 * accepted by the hot-path functions.  A child handle is stable: looking up
 * the same label values returns the same pointer for the family's lifetime,
 * so look it up once and keep it.  A handle stays safe to use after its child
 * was removed (writes then go nowhere visible) until the family is destroyed.
 *
 * Errors.  Functions that can fail return an int: 0 on success or a negative
 * PROMC_E* code.  promc_strerror() names a code; promc_errmsg() gives a
 * sentence about the last failure on the calling thread.  Nothing here
 * prints, aborts or exits.  Hot-path functions (inc, add, set, observe) never
 * allocate, lock or make a system call; they return an error code that may be
 * ignored, and on error leave the value unchanged.
 *
 * Ownership.  Every string and array passed in is copied; the caller keeps
 * ownership of what it passed.  Returned strings are borrowed unless the
 * function says otherwise.
 *
 * Thread-safety.  Everything is thread-safe unless its comment says
 * otherwise, except that destroying an object while another thread uses it is
 * the caller's bug.
 */
#ifndef PROMC_PROMC_H
#define PROMC_PROMC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define PROMC_API __declspec(dllexport)
#elif defined(__GNUC__)
#define PROMC_API __attribute__((visibility("default")))
#else
#define PROMC_API
#endif

/* ---------------------------------------------------------------- version */
#define PROMC_VERSION_MAJOR 0
#define PROMC_VERSION_MINOR 1
#define PROMC_VERSION_PATCH 0
#define PROMC_VERSION_STRING "0.1.0"
#define PROMC_VERSION_NUMBER \
  (PROMC_VERSION_MAJOR * 10000 + PROMC_VERSION_MINOR * 100 + PROMC_VERSION_PATCH)
/* The version of the library linked at run time, e.g. "0.1.0". */
PROMC_API const char *promc_version(void);

/* ----------------------------------------------------------------- errors */
/* Every result code, once: X(constant, value, promc_strerror text). The
 * enum below, promc_strerror and promc_errname are all made from this list;
 * a program may expand it too (as libuv's UV_ERRNO_MAP). Values never change
 * and are never reused. */
#define PROMC_ERROR_MAP(X)                                                                  \
  X(PROMC_OK, 0, "success")                                                                 \
  X(PROMC_EINVAL, -1, "invalid argument")            /* NULL or out of range */             \
  X(PROMC_ENAME, -2, "invalid metric name")                                                 \
  X(PROMC_ELABEL, -3, "invalid or reserved label name")                                     \
  X(PROMC_EDUP, -4, "duplicate or colliding name")   /* already registered, or collides */  \
  X(PROMC_ECARD, -5, "wrong number of label values")                                        \
  X(PROMC_EVALUE, -6, "value not allowed")           /* negative/NaN counter add, not UTF-8 */ \
  X(PROMC_EBUCKETS, -7, "invalid histogram buckets") /* not strictly increasing, or NaN */  \
  X(PROMC_ENOMEM, -8, "out of memory")                                                      \
  X(PROMC_ETYPE, -9, "wrong metric type")            /* handle of another metric type */    \
  X(PROMC_ENOTFOUND, -10, "not found")               /* no such child, family or collector */ \
  X(PROMC_EIO, -11, "output failed")                 /* a write to a sink or file failed */ \
  X(PROMC_ESTATE, -12, "wrong state for this call")                                         \
  X(PROMC_EUNSUPP, -13, "not supported")             /* on this platform or build */        \
  X(PROMC_ECALLBACK, -14, "a callback failed")       /* a user callback returned an error */ \
  X(PROMC_ENET, -15, "network error")                /* a network operation failed */       \
  X(PROMC_EHTTP, -16, "HTTP error status")           /* a peer answered with one */         \
  X(PROMC_EFULL, -17, "storage full")                /* a fixed-size store is full */       \
  X(PROMC_ETIMEOUT, -18, "timed out")                /* an operation did not finish in time */

#define PROMC__ERROR_ENUM(name, value, text) name = value,
enum { PROMC_ERROR_MAP(PROMC__ERROR_ENUM) };
#undef PROMC__ERROR_ENUM

/* A fixed English string for a PROMC_E* code ("invalid metric name").
 * Never NULL; unknown codes give "unknown error". */
PROMC_API const char *promc_strerror(int code);
/* The constant's name for a code ("PROMC_ENAME"). Never NULL. */
PROMC_API const char *promc_errname(int code);
/* A sentence about the most recent failure of a promc call on this thread,
 * naming the object involved (e.g. "label name \"le\" is reserved for
 * histogram \"latency_seconds\""). Valid until the next failing call on this
 * thread. Never NULL; "" when nothing failed yet. Hot-path functions do not
 * set it. */
PROMC_API const char *promc_errmsg(void);

/* ------------------------------------------------------------- allocation */
/* Replace the allocator used for every allocation of the library. Call once
 * before any other promc function; returns PROMC_ESTATE afterwards, or
 * PROMC_EINVAL if a function is NULL. realloc_fn must behave like realloc. */
typedef struct promc_allocator {
  void *(*malloc_fn)(size_t size);
  void *(*realloc_fn)(void *p, size_t size);
  void (*free_fn)(void *p);
} promc_allocator;
PROMC_API int promc_set_allocator(const promc_allocator *a);

/* ------------------------------------------------------------------ types */
typedef struct promc_registry promc_registry;
typedef struct promc_counter promc_counter;
typedef struct promc_gauge promc_gauge;
typedef struct promc_histogram promc_histogram;
typedef struct promc_summary promc_summary;
typedef struct promc_info promc_info;
typedef struct promc_enum promc_enum;
/* Any of the handle types above, for functions that accept every type. */
typedef struct promc_metric promc_metric;
#define PROMC_METRIC(h) ((promc_metric *)(void *)(h))

typedef enum promc_type {
  PROMC_TYPE_COUNTER = 1,
  PROMC_TYPE_GAUGE = 2,
  PROMC_TYPE_HISTOGRAM = 3,
  PROMC_TYPE_SUMMARY = 4,
  PROMC_TYPE_INFO = 5,
  PROMC_TYPE_STATESET = 6, /* promc_enum */
  PROMC_TYPE_UNTYPED = 7,  /* only from collectors */
  PROMC_TYPE_GAUGE_HISTOGRAM = 8 /* only from collectors */
} promc_type;

/* How a gauge's per-process values combine in multi-process mode, as
 * client_python's multiprocess_mode. "live" modes forget a process's value
 * when it dies; the others keep its last value (folded into an archive).
 *   ALL        one series per process, with a "pid" label; dead processes'
 *              last values are kept (each dead process adds a series).
 *   LIVEALL    one series per live process, with a "pid" label.
 *   MIN / MAX  the smallest / largest value of any process, dead ones
 *              included; LIVEMIN / LIVEMAX over live processes only.
 *   SUM        the sum over every process that ever set it, dead ones
 *              included; LIVESUM over live processes only.
 *   MOSTRECENT the value of the most recent set/add in any process (each
 *              write also stores a timestamp); LIVEMOSTRECENT among live
 *              processes only. */
typedef enum promc_mp_gauge_mode {
  PROMC_MP_GAUGE_ALL = 0,
  PROMC_MP_GAUGE_LIVEALL = 1,
  PROMC_MP_GAUGE_MIN = 2,
  PROMC_MP_GAUGE_MAX = 3,
  PROMC_MP_GAUGE_SUM = 4,
  PROMC_MP_GAUGE_LIVESUM = 5,
  PROMC_MP_GAUGE_MOSTRECENT = 6,
  PROMC_MP_GAUGE_LIVEMIN = 7,
  PROMC_MP_GAUGE_LIVEMAX = 8,
  PROMC_MP_GAUGE_LIVEMOSTRECENT = 9
} promc_mp_gauge_mode;

/* Options for creating any metric family. Zero means "default" everywhere.
 *   name, help        required; help may be "" but not NULL.
 *   unit              optional (e.g. "seconds"); the name must end in
 *                     "_<unit>" (OpenMetrics rule).
 *   label_names       declared label names (see PROMC_LABEL_NAMES).
 *   const_label_*     labels with one fixed value on every child.
 *   buckets           histogram upper bounds, strictly increasing; +Inf is
 *                     always the last bucket, so it need not be given (a
 *                     final +Inf is accepted and not counted twice; -Inf or
 *                     NaN is PROMC_EBUCKETS). NULL = PROMC_DEFAULT_BUCKETS.
 *   states            enum states (required for promc_enum_new).
 *   registry          where to register; NULL = the default registry.
 *   no_register       1 = create without registering (see promc_register).
 *   mp_gauge_mode     gauges in multi-process mode (promc/multiprocess.h):
 *                     how the values of the processes combine; ignored
 *                     otherwise and by other types. Default PROMC_MP_GAUGE_ALL.
 *   exemplars         1 = keep the latest exemplar per child (counter) or
 *                     per bucket (histogram); see "exemplars" below. Other
 *                     types: PROMC_EINVAL.
 *   counter_name_as_given
 *                     1 = a migration aid for ports from clients that did
 *                     not append "_total" (prometheus-client-c, old
 *                     prometheus-cpp): the text format 0.0.4 and protobuf
 *                     expose the counter under its name exactly as given
 *                     (.name = "requests" gives "requests", not
 *                     "requests_total"), so existing dashboards keep
 *                     working.  OpenMetrics, whose counters must end in
 *                     "_total", still exposes "requests_total".  The
 *                     family still owns the names "requests",
 *                     "requests_total" and "requests_created" for
 *                     collision checks and name[] filters.  promtool check
 *                     metrics warns about such names (docs/migrating.md).
 *                     Other types: PROMC_EINVAL.
 */
typedef struct promc_opts {
  const char *name;
  const char *help;
  const char *unit;
  const char *const *label_names;
  size_t nlabel_names;
  const char *const *const_label_names;
  const char *const *const_label_values;
  size_t nconst_labels;
  const double *buckets;
  size_t nbuckets;
  const char *const *states;
  size_t nstates;
  promc_registry *registry;
  int no_register;
  promc_mp_gauge_mode mp_gauge_mode;
  int exemplars;
  int counter_name_as_given;
} promc_opts;

/* Designated-initialiser helpers: PROMC_LABEL_NAMES("method", "code") fills
 * .label_names and .nlabel_names; PROMC_CONST_LABELS(names, values) with two
 * arrays of equal length; PROMC_STATES("a", "b") fills .states/.nstates. */
#define PROMC_STRS_(...) ((const char *const[]){__VA_ARGS__})
#define PROMC_NSTRS_(...) (sizeof(PROMC_STRS_(__VA_ARGS__)) / sizeof(const char *))
#define PROMC_LABEL_NAMES(...) \
  .label_names = PROMC_STRS_(__VA_ARGS__), .nlabel_names = PROMC_NSTRS_(__VA_ARGS__)
#define PROMC_STATES(...) .states = PROMC_STRS_(__VA_ARGS__), .nstates = PROMC_NSTRS_(__VA_ARGS__)
#define PROMC_CONST_LABELS(names, values)                                            \
  .const_label_names = (names), .const_label_values = (values),                      \
  .nconst_labels = sizeof(names) / sizeof((names)[0])
#define PROMC_BUCKETS(...)                                  \
  .buckets = ((const double[]){__VA_ARGS__}),               \
  .nbuckets = sizeof((const double[]){__VA_ARGS__}) / sizeof(double)

/* client_python's defaults: .005 .01 .025 .05 .075 .1 .25 .5 .75 1 2.5 5
 * 7.5 10 (and +Inf, always the last bucket). */
PROMC_API extern const double PROMC_DEFAULT_BUCKETS[14];
#define PROMC_DEFAULT_NBUCKETS 14

/* ------------------------------------------------------------- registries */
/* The process-wide default registry, created on first use. Never NULL
 * (creation failing for lack of memory returns NULL from promc_default_
 * registry only then). */
PROMC_API promc_registry *promc_default_registry(void);
/* A new empty registry. Errors: PROMC_EINVAL (out NULL), PROMC_ENOMEM.
 * Free with promc_registry_free. */
PROMC_API int promc_registry_new(promc_registry **out);
/* Destroys every family still registered in r and every collector, then r.
 * Handles into it become invalid. NULL is ignored. Not safe while another
 * thread uses r or its metrics. Freeing the default registry is allowed
 * (promc_shutdown does it); the next promc_default_registry makes a new one.
 * Called from a collector or value callback (of any registry's render) it
 * does nothing and records PROMC_ESTATE for promc_errmsg. */
PROMC_API void promc_registry_free(promc_registry *r);
/* Frees the default registry and the library's global state; for programs
 * that want a leak checker to see zero bytes at exit. Other registries, and
 * families in no registry, stay valid and usable: the state they share (the
 * pool of counter stripes) is freed when the last of them is destroyed
 * (promc_registry_free, promc_metric_destroy), or at once if none is left.
 * The library may be used again afterwards. */
PROMC_API void promc_shutdown(void);

/* Registers a family created with .no_register = 1 (or one unregistered).
 * A family is in at most one registry: of concurrent registrations of one
 * family (into the same or different registries) exactly one succeeds.
 * Errors: PROMC_EINVAL, PROMC_ESTATE (already registered somewhere, or
 * called from a collector or value callback during a render),
 * PROMC_EDUP (its names collide with a registered family). */
PROMC_API int promc_register(promc_registry *r, promc_metric *m);
/* Removes the family from its registry; its values are kept and it can be
 * registered again. Of concurrent unregisters of one family exactly one
 * returns 0; the others find it unregistered, as a later call would.
 * Errors: PROMC_EINVAL, PROMC_ENOTFOUND (not registered), PROMC_ESTATE
 * (called from a collector or value callback during a render; the family
 * stays registered). */
PROMC_API int promc_unregister(promc_metric *m);
/* Unregisters (if registered) and frees a family with all children. Handles
 * into it become invalid. NULL is ignored; a child handle is ignored with
 * PROMC_ETYPE. PROMC_ESTATE, nothing freed: called from a collector or value
 * callback during a render. */
PROMC_API int promc_metric_destroy(promc_metric *m);

/* Render `_created` samples in the Prometheus text format (they are always
 * present in OpenMetrics). Default off, as client_python's
 * PROMETHEUS_DISABLE_CREATED_SERIES does. */
PROMC_API void promc_registry_set_created(promc_registry *r, int on);

/* -------------------------------------------------------------- collectors */
/* A collector produces families at scrape time through a promc_collect
 * context: it calls promc_collect_family once per family, then
 * promc_collect_sample (or _histogram) for each of its samples.  The
 * context validates names and escapes values; the collector only supplies
 * raw data. Returning a negative value from collect aborts nothing already
 * written: the families it emitted so far stay in the output, the scrape
 * goes on, and promc_registry_render returns PROMC_ECALLBACK at the end.
 *
 * Re-entry.  A render holds its registry's lock while it runs collectors,
 * value callbacks (promc_metric_set_function) and the write function, and
 * a value callback also runs under its family's value lock. From there a
 * call either works or returns PROMC_ESTATE with a message ("do it outside
 * the scrape"), never deadlocks, and the scrape goes on with everything
 * recorded before kept:
 *   - refused, in any registry (not only the one being rendered): creating
 *     a metric (even with .no_register) or destroying one, register,
 *     unregister, rendering (promc_registries_render makes several
 *     registries one exposition instead), adding or removing a collector,
 *     set_created, registry_free. Two renders reaching into each other's
 *     registry would otherwise wait on each other for good;
 *   - refused: set_function or info_set on the family being rendered (from
 *     its own value callback, for any of its children, or from the write
 *     function while it is written);
 *   - works: set_function and info_set on other families (when another
 *     thread is rendering that family while this render holds a value
 *     lock that comes later in the library's lock order, the call waits at
 *     most 1 s for it, then returns PROMC_ESTATE), the hot path, label
 *     lookups, creating and removing children. */
typedef struct promc_collect promc_collect;
typedef struct promc_collector {
  const char *name; /* for errors and promc_registry_remove_collector */
  int (*collect)(promc_collect *ctx, void *user);
  void (*free_user)(void *user); /* called when the collector is removed */
  void *user;
} promc_collector;

/* Errors: PROMC_EINVAL, PROMC_EDUP (a collector with that name), PROMC_ENOMEM,
 * PROMC_ESTATE (see "Re-entry" above). */
PROMC_API int promc_registry_add_collector(promc_registry *r, const promc_collector *c);
/* Errors: PROMC_EINVAL, PROMC_ENOTFOUND, PROMC_ESTATE (see "Re-entry" above). */
PROMC_API int promc_registry_remove_collector(promc_registry *r, const char *name);

/* Starts a family; ends the previous one. type: counter, gauge, untyped,
 * info, histogram, summary, gauge histogram. A counter's name may be given
 * with or without "_total". Errors: PROMC_EINVAL, PROMC_ENAME, PROMC_ETYPE,
 * PROMC_EVALUE (help not UTF-8), PROMC_EDUP (the family, or a sample name it
 * exposes, is taken by a registered family or by a family the collectors
 * already emitted in this scrape). After an error no family is open, and
 * samples get PROMC_ESTATE until the next promc_collect_family. */
PROMC_API int promc_collect_family(promc_collect *ctx, const char *name, const char *help,
                                   promc_type type, const char *unit);
/* One sample of the current family (counter, gauge, untyped, info): the
 * label names and values (n of each) and the value. Errors: PROMC_ESTATE (no
 * family), PROMC_ELABEL (invalid or reserved name, a name given twice, "le"
 * on a histogram, "quantile" on a summary), PROMC_EVALUE (a label value not
 * UTF-8, a counter value negative or NaN), PROMC_EDUP (this family was given
 * the same label set before in this scrape, in any order: one child, one
 * series; the first stays), PROMC_EINVAL, PROMC_ENOMEM. A refused call
 * writes nothing; the family and the rest of the scrape stay valid.
 * Allocates: the label sets of the current family, once per scrape. */
PROMC_API int promc_collect_sample(promc_collect *ctx, size_t n, const char *const *names,
                                   const char *const *values, double value);
/* One histogram child: upper bounds (at least one, finite and strictly
 * increasing, +Inf implied), cumulative counts per bound plus one for +Inf
 * (nbounds + 1 values), sum. Errors as promc_collect_sample, and
 * PROMC_EINVAL (bounds or cumulative NULL, more than 256 bounds),
 * PROMC_EBUCKETS (no bounds, or bounds not finite and increasing),
 * PROMC_EVALUE (counts not cumulative). OpenMetrics leaves out a sum that is
 * negative or NaN (docs/formats.md). */
PROMC_API int promc_collect_histogram(promc_collect *ctx, size_t n, const char *const *names,
                                      const char *const *values, size_t nbounds,
                                      const double *bounds, const uint64_t *cumulative,
                                      double sum);
/* One summary child: count and sum (quantiles optional: nq pairs, each
 * quantile in [0, 1] and given once, values not negative; NaN = no events).
 * Errors as promc_collect_sample, and PROMC_EINVAL, PROMC_EVALUE. */
PROMC_API int promc_collect_summary(promc_collect *ctx, size_t n, const char *const *names,
                                    const char *const *values, uint64_t count, double sum,
                                    size_t nq, const double *quantiles, const double *qvalues);

/* ---------------------------------------------------------- label children */
/* Returns the child of family m for the given label values (n must equal the
 * number of declared label names), creating it on first use. The same values
 * always give the same pointer. Values are any UTF-8 text (escaped on
 * output); a NULL value is the empty string "" (as prometheus-client-c, and
 * as Prometheus reads an empty value).  Returns NULL on error with
 * promc_errmsg set: PROMC_EINVAL (NULL argument or a child handle given),
 * PROMC_ECARD (wrong count), PROMC_EVALUE (a value is not UTF-8: an invalid
 * byte, overlong form, surrogate, code point above U+10FFFF or cut
 * sequence; such a child is never created, so nothing is recorded),
 * PROMC_ENOMEM.
 * Thread-safe; lock-free when the child exists; the first sight of a tuple
 * takes the family's lock and allocates. */
PROMC_API promc_metric *promc_metric_labelsv(promc_metric *m, size_t n, const char *const *values);
/* Removes one child: it disappears from scrapes; handles to it stay valid
 * and writes through them go nowhere visible. Looking the same values up
 * again brings the child back, starting from zero. Memory is bounded by the
 * number of distinct tuples ever created. NULL values are "", as in lookups.
 * Errors: PROMC_EINVAL, PROMC_ECARD, PROMC_ENOTFOUND. */
PROMC_API int promc_metric_removev(promc_metric *m, size_t n, const char *const *values);
/* Removes every child (as promc_metric_removev). Errors: PROMC_EINVAL. */
PROMC_API int promc_metric_clear(promc_metric *m);
/* The same lookup, typed: the child of family c (a family handle of that
 * type) for n values, as promc_metric_labelsv, without a cast. Also
 * PROMC_ETYPE when the handle is a family of another type (it was cast).
 * The child belongs to the family (never freed by the caller); thread-safe
 * and lock-free when the child exists, as promc_metric_labelsv. The
 * promc_*_labels macros below call these. */
PROMC_API promc_counter *promc_counter_labelsv(promc_counter *c, size_t n, const char *const *values);
PROMC_API promc_gauge *promc_gauge_labelsv(promc_gauge *g, size_t n, const char *const *values);
PROMC_API promc_histogram *promc_histogram_labelsv(promc_histogram *h, size_t n, const char *const *values);
PROMC_API promc_summary *promc_summary_labelsv(promc_summary *s, size_t n, const char *const *values);
PROMC_API promc_info *promc_info_labelsv(promc_info *i, size_t n, const char *const *values);
PROMC_API promc_enum *promc_enum_labelsv(promc_enum *e, size_t n, const char *const *values);
/* promc_metric_removev, typed: errors as promc_metric_removev, and
 * PROMC_ETYPE for a family of another type. Thread-safe. */
PROMC_API int promc_counter_removev(promc_counter *c, size_t n, const char *const *values);
PROMC_API int promc_gauge_removev(promc_gauge *g, size_t n, const char *const *values);
PROMC_API int promc_histogram_removev(promc_histogram *h, size_t n, const char *const *values);
PROMC_API int promc_summary_removev(promc_summary *s, size_t n, const char *const *values);
PROMC_API int promc_info_removev(promc_info *i, size_t n, const char *const *values);
PROMC_API int promc_enum_removev(promc_enum *e, size_t n, const char *const *values);
/* The family's type, or 0 for NULL. */
PROMC_API promc_type promc_metric_type(const promc_metric *m);
/* The family's name as exposed without suffix (a counter "x_total" gives "x"). */
PROMC_API const char *promc_metric_name(const promc_metric *m);

#define PROMC_LABELS_N_(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
/* promc_counter_labels(c, "GET", "200") and friends: the values are counted
 * by the compiler, so a wrong count is an error, never undefined behaviour. */
#define promc_counter_labels(c, ...) promc_counter_labelsv((c), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))
#define promc_gauge_labels(g, ...) promc_gauge_labelsv((g), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))
#define promc_histogram_labels(h, ...) promc_histogram_labelsv((h), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))
#define promc_summary_labels(s, ...) promc_summary_labelsv((s), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))
#define promc_info_labels(i, ...) promc_info_labelsv((i), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))
#define promc_enum_labels(e, ...) promc_enum_labelsv((e), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))
#define promc_metric_remove(m, ...) \
  promc_metric_removev(PROMC_METRIC(m), PROMC_LABELS_N_(__VA_ARGS__), PROMC_STRS_(__VA_ARGS__))

/* ---------------------------------------------------------------- counter */
/* Creation functions (all types).  Validate every option: PROMC_EINVAL
 * (NULL out/opts/name/help, states missing), PROMC_ENAME (invalid name, or
 * name not ending in the unit, or an enum name that is no valid label name:
 * it names the state label, so no ':' and no leading "__"), PROMC_ELABEL
 * (invalid, duplicate or reserved label name: "__*" always, "le" on
 * histograms, "quantile" on summaries, the family's own name on enums),
 * PROMC_EVALUE (help, a const label value or an enum state is not UTF-8),
 * PROMC_EBUCKETS, PROMC_EDUP (an exposed name collides with a family already
 * in the registry), PROMC_ENOMEM, PROMC_ESTATE (called from a collector or
 * value callback during a render; see "Re-entry" above the collectors).
 * A counter named "x" or "x_total" exposes "x_total". */
PROMC_API int promc_counter_new(promc_counter **out, const promc_opts *opts);
/* Hot path: add 1. Errors: PROMC_EINVAL (NULL), PROMC_ECARD (a labelled
 * family handle was given instead of a child). Lock-free, wait-free when
 * uncontended; under contention from several threads the child moves to
 * per-CPU stripes (taken from a preallocated pool) that a scrape sums. */
PROMC_API int promc_counter_inc(promc_counter *c);
/* Hot path: add an integer, exactly. */
PROMC_API int promc_counter_add_int(promc_counter *c, uint64_t v);
/* Hot path: add v >= 0 (integral v takes the integer path, exactly).
 * Errors as inc, plus PROMC_EVALUE for negative or NaN v (value kept). */
PROMC_API int promc_counter_add(promc_counter *c, double v);
/* The current value (0 for NULL or a labelled family handle). */
PROMC_API double promc_counter_get(const promc_counter *c);
/* Resets to 0 and sets the created timestamp to now. */
PROMC_API int promc_counter_reset(promc_counter *c);

/* ------------------------------------------------------------------ gauge */
PROMC_API int promc_gauge_new(promc_gauge **out, const promc_opts *opts);
/* Hot path. Errors: PROMC_EINVAL (NULL), PROMC_ECARD (labelled family).
 * set is one relaxed store; add/inc/dec a compare-and-swap loop. Any double
 * is allowed, NaN and infinities included (as client_python). */
PROMC_API int promc_gauge_set(promc_gauge *g, double v);
PROMC_API int promc_gauge_inc(promc_gauge *g);
PROMC_API int promc_gauge_dec(promc_gauge *g);
PROMC_API int promc_gauge_add(promc_gauge *g, double v);
PROMC_API int promc_gauge_sub(promc_gauge *g, double v);
/* Sets to the wall-clock time in seconds since the epoch (one clock_gettime
 * call through the vDSO; not a hot-path function). */
PROMC_API int promc_gauge_set_to_current_time(promc_gauge *g);
PROMC_API double promc_gauge_get(const promc_gauge *g);

/* A child whose value fn(user) supplies at each scrape (client_python's
 * set_function). Works on gauge and counter children; fn runs on the
 * scraping thread under the family's value lock and must be thread-safe;
 * what it may call is under "Re-entry" (collectors) — in short, values
 * and children yes, registries and families no. fn NULL turns it off; once
 * this returns, the old fn is not running and will not be called. A counter's fn must give a value >= 0:
 * when it returns a negative number or NaN, which no counter may expose
 * (OpenMetrics), that child is left out of the scrape in every format (its
 * _created too) and the rest is written; the render still succeeds, so that
 * one bad callback value cannot fail a whole scrape (a 500 would mark the
 * target down). (A gauge's fn may return anything.) Errors: PROMC_EINVAL, PROMC_ETYPE, PROMC_ECARD,
 * PROMC_ENOMEM, PROMC_ESTATE (called from a render of this family, or a
 * bounded wait for another thread's render of it ran out; see "Re-entry";
 * the fn set before stays). */
typedef double (*promc_value_fn)(void *user);
PROMC_API int promc_metric_set_function(promc_metric *m, promc_value_fn fn, void *user);

/* -------------------------------------------------------------- histogram */
PROMC_API int promc_histogram_new(promc_histogram **out, const promc_opts *opts);
/* Hot path: one branch-free bucket search, one atomic add to the bucket and
 * one compare-and-swap on the sum. NaN goes to +Inf and makes the sum NaN
 * (as client_golang). Negative and NaN values are counted, but the child's
 * sum is then no counter, and OpenMetrics output leaves its _sum and _count
 * out until the child is reset (docs/formats.md). Errors: PROMC_EINVAL
 * (NULL), PROMC_ECARD. */
PROMC_API int promc_histogram_observe(promc_histogram *h, double v);
/* A consistent snapshot: cumulative counts (one per finite bucket, then
 * +Inf: nbuckets + 1 when the buckets were given without +Inf, nbuckets
 * when they end in +Inf) and sum; *count equals the last cumulative count.
 * cumulative may be NULL. Errors: PROMC_EINVAL (ncounts too small). */
PROMC_API int promc_histogram_get(const promc_histogram *h, uint64_t *cumulative, size_t ncounts,
                                  uint64_t *count, double *sum);
/* count buckets start, start+width, ... Errors: PROMC_EINVAL (count < 1,
 * width <= 0, out NULL). */
PROMC_API int promc_linear_buckets(double start, double width, size_t count, double *out);
/* count buckets start, start*factor, ... Errors: PROMC_EINVAL (count < 1,
 * start <= 0, factor <= 1, out NULL). */
PROMC_API int promc_exponential_buckets(double start, double factor, size_t count, double *out);

/* ---------------------------------------------------------------- summary */
/* A summary with _count and _sum (no quantiles). */
PROMC_API int promc_summary_new(promc_summary **out, const promc_opts *opts);
/* Hot path. After a negative or NaN value, OpenMetrics output leaves the
 * child's _sum out (as for histograms). Errors: PROMC_EINVAL (NULL),
 * PROMC_ECARD. */
PROMC_API int promc_summary_observe(promc_summary *s, double v);
PROMC_API int promc_summary_get(const promc_summary *s, uint64_t *count, double *sum);

/* ------------------------------------------------------------------- info */
/* An info metric: name "x" or "x_info" exposes "x_info{...} 1". */
PROMC_API int promc_info_new(promc_info **out, const promc_opts *opts);
/* Replaces the info labels of a child: n names and values. Names must be
 * valid, not reserved, and not clash with the family's label names; values
 * UTF-8. Errors: PROMC_EINVAL, PROMC_ELABEL, PROMC_EVALUE (a value not
 * UTF-8), PROMC_ECARD, PROMC_ENOMEM, PROMC_ESTATE (called from a render of
 * this family, e.g. its write function; see "Re-entry" above the
 * collectors); the labels set before stay. Takes the family's value lock
 * (not a hot-path function). */
PROMC_API int promc_info_set(promc_info *i, size_t n, const char *const *names,
                             const char *const *values);

/* ------------------------------------------------------------ enum (stateset) */
/* An enum (client_python's Enum): one state true at a time, exposed as one
 * sample per state with a label named like the family, so the name must be
 * a valid label name too (PROMC_ENAME otherwise). Starts in states[0]. */
PROMC_API int promc_enum_new(promc_enum **out, const promc_opts *opts);
/* Hot path by index: one relaxed store. Errors: PROMC_EINVAL, PROMC_ECARD,
 * PROMC_EVALUE (index out of range). */
PROMC_API int promc_enum_set(promc_enum *e, size_t state);
/* By name (a linear search). Errors as promc_enum_set, PROMC_ENOTFOUND. */
PROMC_API int promc_enum_state(promc_enum *e, const char *state);
/* The current state's index, or -1 for NULL/labelled family. */
PROMC_API long promc_enum_get(const promc_enum *e);

/* -------------------------------------------------------------- exemplars */
/* An exemplar links one increment or observation to outside data, usually a
 * trace: a small label set (such as trace_id="4bf92f35"), the value and an
 * optional timestamp. A family created with .exemplars = 1 keeps the most
 * recent exemplar of each counter child and of each histogram bucket, and
 * exposes it in OpenMetrics and protobuf (the text format 0.0.4 has no
 * exemplars). Each kept exemplar costs a fixed slot of 544 bytes, allocated
 * with its child (a histogram child has one per bucket, +Inf included);
 * families without .exemplars pay nothing.
 *
 * Arguments common to the functions below:
 *   n, names, values  the exemplar's labels; names must be valid label
 *                     names, not starting with "__" (reserved, as
 *                     everywhere), given once each; values UTF-8. Names and values
 *                     together may hold at most PROMC_EXEMPLAR_MAX_CHARS
 *                     characters (the OpenMetrics limit; code points, not
 *                     bytes). n may be 0 (an exemplar with no labels).
 *   ts                seconds since the epoch (e.g. promc_wall_seconds());
 *                     0 = no timestamp (Prometheus then uses the scrape's);
 *                     below 253402300800 (year 10000: protobuf carries it as
 *                     a google.protobuf.Timestamp, valid up to
 *                     9999-12-31T23:59:59.999999999Z).
 *
 * Errors (the value is then left unchanged, and nothing is recorded):
 *   PROMC_EINVAL  NULL handle, or names/values NULL with n > 0, or a NULL
 *                 value, or ts negative, infinite, NaN or >= 253402300800.
 *   PROMC_ECARD   a labelled family handle was given instead of a child.
 *   PROMC_ETYPE   handle of another metric type.
 *   PROMC_ESTATE  the family was not created with .exemplars = 1.
 *   PROMC_ELABEL  a name is not a valid label name, starts with "__", or
 *                 is given twice.
 *   PROMC_EVALUE  more than PROMC_EXEMPLAR_MAX_CHARS characters, a value
 *                 that is not valid UTF-8, or (counters) v negative or NaN.
 * Like the other hot-path functions they do not set promc_errmsg.
 *
 * Thread-safe, lock-free and allocation-free; no system call. The exemplar
 * is copied into its slot under a per-slot sequence lock that scrapes
 * check, so a scrape never sees parts of two exemplars. When two threads
 * record into the same slot at the same instant, the one that finds the
 * slot busy still counts its value but drops its exemplar (and returns 0):
 * the slot then holds the other, equally recent, exemplar. */
#define PROMC_EXEMPLAR_MAX_CHARS 128

/* Adds 1 to counter c and records the exemplar (value 1, no timestamp). */
PROMC_API int promc_counter_inc_exemplar(promc_counter *c, size_t n, const char *const *names,
                                         const char *const *values);
/* Adds v >= 0 to counter c (as promc_counter_add) and records the exemplar
 * with value v and timestamp ts. */
PROMC_API int promc_counter_add_exemplar(promc_counter *c, double v, size_t n, const char *const *names,
                                         const char *const *values, double ts);
/* Observes v into histogram h (as promc_histogram_observe) and records the
 * exemplar on the bucket v falls into, with value v and timestamp ts. */
PROMC_API int promc_histogram_observe_exemplar(promc_histogram *h, double v, size_t n,
                                               const char *const *names, const char *const *values,
                                               double ts);

/* -------------------------------------------------------------- exposition */
typedef enum promc_format {
  PROMC_FORMAT_TEXT = 0,        /* text/plain; version=0.0.4 */
  PROMC_FORMAT_OPENMETRICS = 1, /* application/openmetrics-text; version=1.0.0 */
  PROMC_FORMAT_PROTOBUF = 2     /* delimited io.prometheus.client.MetricFamily */
} promc_format;

/* The Content-Type header value for a format. */
PROMC_API const char *promc_format_content_type(promc_format f);

/* A sink receives rendered bytes in order; return 0 to go on, non-zero to
 * stop rendering (promc_registry_render then returns PROMC_EIO). */
typedef int (*promc_write_fn)(void *user, const char *data, size_t len);

/* A growable buffer sink. Initialise with {0}; reuse across scrapes by
 * setting len = 0 (the memory is kept); free with promc_buf_free.
 * Termination: every successful promc_buf_write leaves data[len] == '\0'
 * (one byte more than len is reserved), so after a render data is a C
 * string holding the whole text or OpenMetrics output (protobuf output may
 * hold NUL bytes: use len).  data stays NULL until the first write: a
 * render that produced nothing (an empty registry, a name[] filter that
 * matches nothing) leaves a zeroed buffer's data NULL, and a buffer reset
 * to len = 0 keeps its old bytes until the next write.  A failed write
 * (PROMC_ENOMEM) leaves data, len and the terminator as they were. */
typedef struct promc_buf {
  char *data;
  size_t len;
  size_t cap;
} promc_buf;
PROMC_API int promc_buf_write(void *buf, const char *data, size_t len); /* a promc_write_fn */
PROMC_API void promc_buf_free(promc_buf *b);

typedef struct promc_render_opts {
  /* Only families whose exposed sample names include one of these (the
   * name[] query parameter: "x_total" selects counter "x"); NULL = all. */
  const char *const *names;
  size_t nnames;
} promc_render_opts;

/* Streams every family of r (NULL = the default registry) in registration
 * order, then its collectors, in format f into write(user, ...). opts may be
 * NULL. Output goes through a 16 KiB buffer (write = promc_buf_write
 * writes into the promc_buf directly); no allocation per child.
 * Errors: PROMC_EINVAL (write NULL, unknown format; every format is
 * always built), PROMC_EIO (the sink stopped), PROMC_ECALLBACK (a
 * collector failed; the rest was still rendered),
 * PROMC_ESTATE (called from a collector, value callback or write function
 * of a render, of r or of another registry; see "Re-entry").
 * Thread-safe: concurrent renders and hot-path writes are fine; each child
 * is read consistently (a histogram's _count equals its +Inf bucket).
 * Creating children is not held up by a render: a family shows the
 * children complete when the render reached it, in creation order, each
 * once. */
PROMC_API int promc_registry_render(promc_registry *r, promc_format f, const promc_render_opts *opts,
                                    promc_write_fn write, void *user);
/* Renders r (NULL = the default registry) into b, appending. Errors as
 * promc_registry_render (a buffer that cannot grow makes it PROMC_EIO; the
 * part already appended stays), and PROMC_EINVAL for b NULL. */
PROMC_API int promc_registry_render_buf(promc_registry *r, promc_format f,
                                        const promc_render_opts *opts, promc_buf *b);

/* Renders the n registries regs[0..n) in order as one exposition: what
 * promc_registry_render gives for each, concatenated (text, protobuf), and
 * for OpenMetrics one "# EOF" at the very end.  opts (name[] filter)
 * applies to all.  A family, registered or from a collector, exposing a
 * sample name that a family of an earlier registry exposed is left out
 * and the render returns PROMC_EDUP naming both families and both
 * registries' positions (from 0); everything else is still rendered.
 * The check covers every family, whether opts selects it or not.
 * Errors: PROMC_EINVAL (regs NULL, n 0, an entry NULL, one registry given
 * twice, write NULL, unknown format), PROMC_EDUP as said, else as
 * promc_registry_render (the first error of any registry is returned).
 * The registries are borrowed for the call; thread-safety as
 * promc_registry_render (each registry is locked in turn, never two at
 * once). */
PROMC_API int promc_registries_render(promc_registry *const *regs, size_t n, promc_format f,
                                      const promc_render_opts *opts, promc_write_fn write, void *user);
/* promc_registries_render into b, appending; PROMC_EINVAL for b NULL. */
PROMC_API int promc_registries_render_buf(promc_registry *const *regs, size_t n, promc_format f,
                                          const promc_render_opts *opts, promc_buf *b);

/* Formats v as the shortest text that reads back to the same double
 * ("+Inf", "-Inf", "NaN", "0.1", "1e+21", "-0"); returns the length
 * written into out (which needs 32 bytes). */
PROMC_API size_t promc_format_double(double v, char out[32]);

/* Serving a scrape over HTTP: the three decisions every server makes, here so
 * that any server (libpromc-http, a libmicrohttpd daemon of your own, or any
 * other) answers exactly as Prometheus expects.  None of them allocates.
 * Thread-safe: yes (pure functions of their arguments). */
#define PROMC_FORMAT_BIT(f) (1u << (unsigned)(f))
/* Picks the exposition format for an HTTP Accept header value, by the rules
 * of client_golang's expfmt.NegotiateIncludingOpenMetrics: the acceptable
 * media range with the highest q wins (the first among equals);
 * "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
 * encoding=delimited" is protobuf, "application/openmetrics-text" with no
 * version, 1.0.0 or 0.0.1 is OpenMetrics, "text/plain" with no version or
 * 0.0.4 is text; q=0 excludes a range.  allowed is a mask of
 * PROMC_FORMAT_BIT(f) for the formats the caller can render (0 = all);
 * nothing acceptable (accept NULL or "", only wildcards, "application/json")
 * gives PROMC_FORMAT_TEXT, as every Prometheus client does.  A server whose
 * render returns PROMC_EUNSUPP for the chosen format clears its bit and asks
 * again.  Errors: PROMC_EINVAL (out NULL). */
PROMC_API int promc_negotiate_format(const char *accept, unsigned allowed, promc_format *out);
/* 1 when an Accept-Encoding header value accepts gzip ("gzip", "x-gzip" or
 * "*" with q > 0; an explicit "gzip;q=0" refuses it), else 0. NULL gives 0. */
PROMC_API int promc_accepts_gzip(const char *accept_encoding);
/* Extracts the name[] filter from a URL query string ("name[]=a&name[]=b"),
 * as client_python's exposition handler reads it (parse_qs; client_golang's
 * promhttp has no name[] filter, Prometheus' own /federate has match[]):
 * keys "name[]" or "name%5B%5D", values %-decoded ('+' is a space), blank
 * values dropped.  A value that decodes to a NUL byte anywhere ("e%00")
 * names no metric and is returned as "", which selects nothing (as in
 * client_python), instead of being cut to the text before the NUL.  A
 * leading "path?" is skipped and a "#fragment" ignored, so a whole request
 * target may be passed.  Decoded names are stored NUL-terminated in buf
 * (bufsize bytes; strlen(query) + 1 always suffices) and names[0..*n-1]
 * point into it, ready for promc_render_opts.names; no allocation.  query
 * NULL gives *n = 0.  Errors: PROMC_EINVAL (n NULL, or names/buf NULL with
 * a non-zero size), PROMC_EFULL (more names than max or than buf holds: the
 * first *n are still valid). */
PROMC_API int promc_query_names(const char *query, char *buf, size_t bufsize, const char **names,
                                size_t max, size_t *n);

/* ---------------------------------------------------- instrumentation helpers */
/* The C counterparts of client_python's time(), count_exceptions() and
 * track_inprogress(). Durations use CLOCK_MONOTONIC (through the vDSO). */

/* A running timer. start records now; stop observes the seconds elapsed
 * into m: a histogram or summary (observe) or a gauge (set). A stopped or
 * zero timer is ignored on a second stop. Errors: PROMC_EINVAL, PROMC_ETYPE. */
typedef struct promc_timer {
  promc_metric *metric;
  int64_t start_ns;
} promc_timer;
PROMC_API promc_timer promc_timer_start(promc_metric *m);
/* Stops and records; stores the elapsed seconds in *seconds if not NULL. */
PROMC_API int promc_timer_stop(promc_timer *t, double *seconds);
/* For __attribute__((cleanup)): stops the timer if still running. */
PROMC_API void promc_timer_cleanup(promc_timer *t);

#define PROMC_CAT2_(a, b) a##b
#define PROMC_CAT_(a, b) PROMC_CAT2_(a, b)
/* PROMC_TIME_BLOCK(h) { ...work... } times the block into h. Leaving the
 * block normally, by break or by continue records it; leaving it by return
 * or goto skips the observation (use PROMC_TIME_SCOPE for those). Portable
 * C11. (The inner one-pass loop is what break and continue leave, so the
 * outer loop's stop still runs.) */
#define PROMC_TIME_BLOCK(m)                                                                 \
  for (promc_timer PROMC_CAT_(promc_tb_, __LINE__) = promc_timer_start(PROMC_METRIC(m)),    \
                   *PROMC_CAT_(promc_tbp_, __LINE__) = &PROMC_CAT_(promc_tb_, __LINE__);    \
       PROMC_CAT_(promc_tbp_, __LINE__);                                                    \
       promc_timer_stop(PROMC_CAT_(promc_tbp_, __LINE__), NULL),                            \
                   PROMC_CAT_(promc_tbp_, __LINE__) = NULL)                                 \
    for (int PROMC_CAT_(promc_tbo_, __LINE__) = 1; PROMC_CAT_(promc_tbo_, __LINE__);        \
         PROMC_CAT_(promc_tbo_, __LINE__) = 0)
#if defined(__GNUC__) || defined(__clang__)
/* PROMC_TIME_SCOPE(h); times from here to the end of the enclosing scope,
 * however it is left (return included). GCC and Clang only. */
#define PROMC_TIME_SCOPE(m)                                             \
  promc_timer PROMC_CAT_(promc_ts_, __LINE__) __attribute__((cleanup(promc_timer_cleanup), unused)) = \
      promc_timer_start(PROMC_METRIC(m))
#define PROMC_HAVE_TIME_SCOPE 1
#endif

/* Counts failures of a call: returns rc unchanged, and increments counter c
 * when rc is an error: is_error(rc, user) if given, else rc < 0.
 *     rc = promc_count_failures(exceptions, do_work(req), NULL, NULL); */
typedef int (*promc_error_pred)(long rc, void *user);
PROMC_API long promc_count_failures(promc_counter *c, long rc, promc_error_pred is_error,
                                    void *user);

/* In-progress tracking: inc on entry, dec on exit.
 *     PROMC_TRACK_INPROGRESS(g) { ...work... }   (break/continue ok; not return) */
#define PROMC_TRACK_INPROGRESS(g)                                                           \
  for (promc_gauge *PROMC_CAT_(promc_ip_, __LINE__) =                                       \
           (promc_gauge_inc(g), (g));                                                       \
       PROMC_CAT_(promc_ip_, __LINE__);                                                     \
       promc_gauge_dec(PROMC_CAT_(promc_ip_, __LINE__)), PROMC_CAT_(promc_ip_, __LINE__) = NULL) \
    for (int PROMC_CAT_(promc_ipo_, __LINE__) = 1; PROMC_CAT_(promc_ipo_, __LINE__);        \
         PROMC_CAT_(promc_ipo_, __LINE__) = 0)

/* Monotonic and wall clocks used by the helpers, in nanoseconds / seconds. */
PROMC_API int64_t promc_monotonic_ns(void);
PROMC_API double promc_wall_seconds(void);

/* ======================================================================
 * Default collectors, textfile output, collector errors (src/collectors)
 * ======================================================================
 *
 * The default registry starts with three collectors, the C counterparts of
 * client_python's process, platform and garbage-collector collectors:
 *
 *   "process"   process_cpu_seconds_total, process_resident_memory_bytes,
 *               process_virtual_memory_bytes, process_virtual_memory_max_bytes,
 *               process_start_time_seconds, process_open_fds,
 *               process_max_fds, process_threads           (Linux only)
 *   "platform"  promc_build_info{version, compiler, libc, libc_version,
 *               os, os_release, arch} 1
 *   "malloc"    glibc_malloc_arena_bytes, glibc_malloc_in_use_bytes,
 *               glibc_malloc_free_bytes, glibc_malloc_mmapped_bytes,
 *               glibc_malloc_mmapped_chunks     (glibc >= 2.33 only)
 *
 * docs/collectors.md describes every sample.  To start the default registry
 * empty, call promc_default_collectors_disable() before the first use of the
 * default registry, or set the environment variable
 * PROMC_DISABLE_DEFAULT_COLLECTORS to a value other than "" or "0".  Each
 * collector can also be added alone to any registry with its own function.
 */

/* Options for promc_process_collector_register. Zero means default.
 *   pid        the process to describe; 0 = the calling process (read through
 *              /proc/self, so it stays right across fork()).
 *   prefix     prefix for the names: "app" gives app_process_cpu_seconds_total
 *              (client_python's namespace=); NULL or "" = none.
 *   proc_root  where procfs is mounted; NULL = "/proc".
 *   name       the collector's name in the registry (for
 *              promc_registry_remove_collector); NULL = "process".
 */
typedef struct promc_process_opts {
  int pid;
  const char *prefix; /* not "namespace": C++ keyword */
  const char *proc_root;
  const char *name;
} promc_process_opts;

/* Adds a process collector to r (NULL = the default registry). At each
 * scrape it reads <proc_root>/<pid>/stat, .../status, .../limits and .../fd
 * with plain system calls into stack buffers (no stdio, no allocation) and
 * emits the "process" families listed above; /proc/stat's btime is read
 * once here. process_open_fds of the calling process counts the descriptor
 * used to read .../fd, as client_python and client_golang do.
 * A family whose source cannot be read at scrape time (e.g. .../fd of a
 * process of another user) is left out; if .../stat cannot be read (the
 * process has exited) the collector emits nothing and the render returns
 * PROMC_ECALLBACK with promc_errmsg naming the file and errno.
 * opts may be NULL (this process, default names).
 * Errors: PROMC_EUNSUPP (not Linux: nothing is registered), PROMC_EIO
 * (<proc_root>/<pid>/stat or /proc/stat unreadable now), PROMC_EINVAL
 * (pid < 0, prefix not a valid name prefix, strings too long),
 * PROMC_EDUP (a collector with that name), PROMC_ENOMEM.
 * Thread-safe. Allocates one small block, freed with the collector. */
PROMC_API int promc_process_collector_register(promc_registry *r, const promc_process_opts *opts);

/* Adds the "platform" collector to r (NULL = default): one info sample
 * promc_build_info with the library version (PROMC_VERSION_STRING), the
 * compiler that built the library ("gcc 12.2.0", "clang 14.0.6"), the C
 * library ("glibc", "musl"... ) and its run-time version (glibc's
 * gnu_get_libc_version(), else "unknown"), and uname()'s sysname, release
 * and machine as os, os_release and arch.  Values are computed once here.
 * Errors: PROMC_EINVAL, PROMC_EDUP (collector "platform" present),
 * PROMC_ENOMEM. Thread-safe. */
PROMC_API int promc_platform_collector_register(promc_registry *r);

/* Adds the "malloc" collector to r (NULL = default): glibc's mallinfo2()
 * figures summed over all arenas, read at each scrape (mallinfo2 briefly
 * takes each arena's lock).  Errors: PROMC_EUNSUPP (the library was built
 * without glibc >= 2.33: nothing is registered), PROMC_EINVAL, PROMC_EDUP,
 * PROMC_ENOMEM. Thread-safe. */
PROMC_API int promc_malloc_collector_register(promc_registry *r);

/* Adds all three collectors above to r (NULL = default), ignoring
 * PROMC_EUNSUPP from the ones this platform lacks; the default registry
 * does this itself on creation unless disabled. Returns the first other
 * error (collectors added before it stay). Thread-safe. */
PROMC_API int promc_default_collectors_register(promc_registry *r);

/* Makes the default registry start without the default collectors. Only
 * effective before the default registry is first created (by any promc
 * call that uses it); returns PROMC_ESTATE afterwards (remove them then with
 * promc_registry_remove_collector: "process", "platform", "malloc").
 * Thread-safe. */
PROMC_API int promc_default_collectors_disable(void);

/* Records code and a formatted message for promc_errmsg() on the calling
 * thread, and returns code: for a collector callback to explain its failure
 * (and for promc's optional component libraries).  The message is cut at
 * 511 bytes. Thread-safe; does not allocate. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
PROMC_API int promc_set_errmsg(int code, const char *fmt, ...);

/* ------------------------------------------------------------ textfile output */
/* Writes r (NULL = default) in the Prometheus text format to path, for
 * node_exporter's textfile collector (name it "*.prom" there), atomically:
 * the text goes to a new temporary file ".<name>.XXXXXX" in the same
 * directory (created exclusively, mode 0644), written fully (short writes
 * and EINTR handled), fsync()ed, rename()d over path, and the directory
 * fsync()ed.  A reader sees either the old file or the complete new one,
 * never a part.  The directory is opened once, at the start (a symlink to
 * it is followed then), and the temporary file is created, renamed and
 * removed relative to that descriptor: if the directory is renamed or
 * swapped for a symlink during the call, the file is still replaced in the
 * directory the call started in.  On any failure the temporary file is
 * removed and the file at path is left as it was.
 * Errors: PROMC_EINVAL (path NULL, empty, a directory name or too long),
 * PROMC_EIO (open/write/fsync/rename failed — no space, no permission,
 * read-only file system, missing directory...: promc_errmsg names the step,
 * the file and the errno, e.g. "... write: No space left on device
 * (ENOSPC)"), PROMC_ECALLBACK (a collector failed: nothing was written),
 * PROMC_ENOMEM. If only the final directory fsync fails the new file is
 * already in place and PROMC_EIO is returned.
 * Thread-safe (concurrent writers to one path: the last rename wins; every
 * version seen is complete). Blocks on disk I/O. */
PROMC_API int promc_write_textfile(promc_registry *r, const char *path);

#ifdef __cplusplus
}

/* ------------------------------------------------------------------ C++
 * The header compiles as C++11 and later.  C's compound literals are not
 * C++ (g++ and clang++ take them as an extension whose temporaries die at
 * the end of the full-expression), so in C++ the macros above expand to:
 *   promc_*_labels(h, ...), promc_metric_remove(h, ...)
 *       a std::initializer_list, alive for the whole call;
 *   PROMC_LABEL_NAMES(...), PROMC_STATES(...), PROMC_BUCKETS(...)
 *       a static-storage array made once per use site (the arguments must
 *       therefore be constants, such as string literals: anything else does
 *       not compile), so a named promc_opts keeps valid pointers.
 * C++ has no &(promc_opts){...} and, before C++20, no designated
 * initialisers; <promc/promc.hpp> has promc::opts, a builder that owns its
 * arrays, for every documented example (docs/cxx.md). */
#include <initializer_list>

inline promc_metric *promc_cxx_labels_(promc_metric *m, std::initializer_list<const char *> v) {
  return promc_metric_labelsv(m, v.size(), v.begin());
}
#define PROMC_CXX_TYPED_(T)                                                                 \
  inline promc_##T *promc_cxx_labels_(promc_##T *h, std::initializer_list<const char *> v) { \
    return promc_##T##_labelsv(h, v.size(), v.begin());                                   \
  }
PROMC_CXX_TYPED_(counter)
PROMC_CXX_TYPED_(gauge)
PROMC_CXX_TYPED_(histogram)
PROMC_CXX_TYPED_(summary)
PROMC_CXX_TYPED_(info)
PROMC_CXX_TYPED_(enum)
#undef PROMC_CXX_TYPED_
inline int promc_cxx_remove_(promc_metric *m, std::initializer_list<const char *> v) {
  return promc_metric_removev(m, v.size(), v.begin());
}
template <typename... T>
constexpr size_t promc_cxx_count_(const T &...) {
  return sizeof...(T);
}

#undef PROMC_LABEL_NAMES
#undef PROMC_STATES
#undef PROMC_BUCKETS
#undef promc_counter_labels
#undef promc_gauge_labels
#undef promc_histogram_labels
#undef promc_summary_labels
#undef promc_info_labels
#undef promc_enum_labels
#undef promc_metric_remove
#define PROMC_CXX_STATIC_(T, ...) \
  ([]() -> const T * { static const T promc_a_[] = {__VA_ARGS__}; return promc_a_; }())
#define PROMC_LABEL_NAMES(...)                                      \
  .label_names = PROMC_CXX_STATIC_(char *const, __VA_ARGS__),      \
  .nlabel_names = promc_cxx_count_(__VA_ARGS__)
#define PROMC_STATES(...) \
  .states = PROMC_CXX_STATIC_(char *const, __VA_ARGS__), .nstates = promc_cxx_count_(__VA_ARGS__)
#define PROMC_BUCKETS(...) \
  .buckets = PROMC_CXX_STATIC_(double, __VA_ARGS__), .nbuckets = promc_cxx_count_(__VA_ARGS__)
#define promc_counter_labels(c, ...) promc_cxx_labels_(static_cast<promc_counter *>(c), {__VA_ARGS__})
#define promc_gauge_labels(g, ...) promc_cxx_labels_(static_cast<promc_gauge *>(g), {__VA_ARGS__})
#define promc_histogram_labels(h, ...) promc_cxx_labels_(static_cast<promc_histogram *>(h), {__VA_ARGS__})
#define promc_summary_labels(s, ...) promc_cxx_labels_(static_cast<promc_summary *>(s), {__VA_ARGS__})
#define promc_info_labels(i, ...) promc_cxx_labels_(static_cast<promc_info *>(i), {__VA_ARGS__})
#define promc_enum_labels(e, ...) promc_cxx_labels_(static_cast<promc_enum *>(e), {__VA_ARGS__})
#define promc_metric_remove(m, ...) promc_cxx_remove_(PROMC_METRIC(m), {__VA_ARGS__})
#endif /* __cplusplus */
#endif /* PROMC_PROMC_H */
