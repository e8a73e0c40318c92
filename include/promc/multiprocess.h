/* SPDX-License-Identifier: Apache-2.0 */
/*
 * multiprocess.h — promc's multi-process mode, for pre-fork servers.
 *
 * Overview
 * --------
 * A pre-fork server (a master that forks worker processes which all serve
 * requests) wants one view of its metrics: the requests of every worker
 * counted together, whichever process answers the scrape.  In multi-process
 * mode every counter, gauge, histogram and summary family keeps its values
 * in one shared file mapping (MAP_SHARED) created before the first fork:
 *
 *   - Each process writes into its own *slot* of each series.  The hot path
 *     is unchanged (one relaxed atomic on the process's own cell); counters
 *     are never striped in this mode.
 *   - A scrape in any process sums, for every series, an *archive* and the
 *     slots of the live processes.  Counters, histograms and summaries are
 *     exact; gauges combine according to the family's .mp_gauge_mode (see
 *     promc_mp_gauge_mode in promc.h).
 *   - A series created in one process after the fork (a new label tuple) is
 *     visible to every process's scrape.  Creation takes a process-shared
 *     robust mutex; a process killed while holding it does not wedge the
 *     others: the next locker repairs any half-done insertion.
 *   - When a process dies (exit, crash or SIGKILL) its slots are folded into
 *     the archive — counter, histogram and summary totals stay, live gauges
 *     drop — and its slot is freed for the next process.  Death is detected
 *     at each scrape and whenever a new process needs a slot, from /proc
 *     (pid plus start time, so a reused pid is not mistaken for the dead
 *     one; zombies count as dead); promc_multiprocess_mark_dead() lets a
 *     supervisor that reaped a worker say so at once.  A scrape reads only
 *     the archive and the live processes' slots, so its cost does not grow
 *     with the number of processes that ever lived.
 *
 * Usage
 * -----
 *     // in the master, before creating metrics and before any fork:
 *     promc_multiprocess_enable(&(promc_mp_opts){ .dir = "/dev/shm" });
 *     ... create families, fork workers ...
 *     // any process: promc_registry_render() shows the aggregate.
 *
 * or set PROMC_MULTIPROC_DIR=/dev/shm in the environment: the first family
 * created then enables the mode with default options.
 *
 * A library configured with -DPROMC_BUILD_MULTIPROCESS=OFF keeps these
 * functions: they return PROMC_EUNSUPP (promc_multiprocess_enabled 0), and
 * PROMC_MULTIPROC_DIR is ignored.
 *
 * Rules
 * -----
 *   - Enable before creating any family: families created earlier keep
 *     their values in process memory and are not shared.
 *   - Every process must have created a family (usually the master before
 *     forking) for its scrape to show it; children of a family (label
 *     tuples) may be created anywhere, any time.  A family is identified
 *     across processes by its exposed name, so its name must be unique among
 *     all registries of the program.
 *   - Info and enum families stay per process (each process renders its
 *     own); set_function children render the scraping process's callback.
 *   - promc_counter_get(), promc_gauge_get(), promc_histogram_get() and
 *     promc_summary_get() return the calling process's own contribution;
 *     only a scrape aggregates.  promc_counter_reset(), promc_metric_removev()
 *     and promc_metric_clear() act on the calling process only.
 *   - Processes created with fork() join automatically (a pthread_atfork
 *     handler claims a slot in the child).  Processes created with
 *     posix_spawn(), vfork() or exec() start afresh and do not share.
 *   - fork() from a thread while another thread of the same process is
 *     inside promc (creating a family, rendering) is handled for the
 *     multi-process families and their registries; other library state is
 *     as safe as fork() in a threaded program usually is.
 */
#ifndef PROMC_MULTIPROCESS_H
#define PROMC_MULTIPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "promc/promc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options for promc_multiprocess_enable. Zero means default.
 *   dir            directory of the backing file; NULL = the environment
 *                  variable PROMC_MULTIPROC_DIR. A tmpfs such as /dev/shm
 *                  keeps the values off disk. The file is named
 *                  "promc-mp-<pid>.db" after the enabling process.
 *   size           bytes of the mapping (default 64 MiB, at least 1 MiB).
 *                  The file is sparse: pages cost memory only once written.
 *                  One eighth holds the series directory (about 128 bytes
 *                  per series plus label text); the rest is divided among
 *                  max_processes + 2 value arenas.
 *   max_processes  processes that can hold a slot at once (default 64,
 *                  at most 1024). A process forked when every slot is held
 *                  by a live process writes into a shared overflow slot:
 *                  its counters stay exact, its gauges merge with other
 *                  overflow processes' (pid label "0"); see the stats.
 *   keep_file      1 = leave the file in dir (for inspection); default 0
 *                  unlinks it as soon as it is mapped, so nothing is left
 *                  behind when the processes exit. */
typedef struct promc_mp_opts {
  const char *dir;
  size_t size;
  unsigned max_processes;
  int keep_file;
} promc_mp_opts;

/* Turns multi-process mode on for this process and every process it forks
 * afterwards: creates and maps the backing file and claims the calling
 * process's slot. Call once, before creating metrics and before forking.
 * Errors: PROMC_EINVAL (no dir given and PROMC_MULTIPROC_DIR unset, or a
 * size/max_processes out of range), PROMC_ESTATE (already enabled), PROMC_EIO
 * (the file cannot be created, sized or mapped; promc_errmsg says why),
 * PROMC_EUNSUPP (no process-shared robust mutexes on this platform),
 * PROMC_ENOMEM. Thread-safe. Allocates. */
PROMC_API int promc_multiprocess_enable(const promc_mp_opts *o);

/* 1 when multi-process mode is on in this process, else 0. Thread-safe,
 * async-signal-safe. */
PROMC_API int promc_multiprocess_enabled(void);

/* Tells the library that process pid has exited, so its slot is folded now
 * rather than at the next scrape (for supervisors that reap workers, like
 * gunicorn's child_exit hook). Only call it for a process that has really
 * exited: writes of a still-running process after its fold are lost.
 * Errors: PROMC_ESTATE (mode not enabled), PROMC_EINVAL (pid is the calling
 * process), PROMC_ENOTFOUND (no slot belongs to pid: never joined, or folded
 * already), PROMC_ETIMEOUT (the shared lock could not be taken within 5 s).
 * Thread-safe. Takes the shared lock; does not allocate. */
PROMC_API int promc_multiprocess_mark_dead(pid_t pid);

/* Checks every slot's process and folds the dead ones; returns how many were
 * folded (>= 0) or PROMC_ESTATE / PROMC_ETIMEOUT. Scrapes do this already;
 * call it to fold without scraping. Thread-safe. */
PROMC_API int promc_multiprocess_reap(void);

/* A snapshot of the shared mapping's use, for monitoring and tests. */
typedef struct promc_mp_stats {
  unsigned max_processes;
  unsigned live_processes;  /* slots held right now */
  unsigned slot;            /* the calling process's slot (1-based; max+1 = overflow) */
  uint64_t series;          /* series in the shared directory */
  uint64_t max_series;
  uint64_t cells_used, cells_max;     /* value cells per arena */
  uint64_t heap_used, heap_max;       /* directory bytes */
  uint64_t folds;           /* processes folded since enable */
  uint64_t recoveries;      /* times a dead lock holder was recovered from */
  uint64_t overflow_forks;  /* forks that found no free slot */
  uint64_t dropped_dead_values; /* ALL-mode values of dead processes not kept (directory full) */
  long lock_holder;         /* pid holding the shared lock now, 0 if none */
} promc_mp_stats;

/* Fills *out. Errors: PROMC_EINVAL (out NULL), PROMC_ESTATE (not enabled).
 * Thread-safe, lock-free. */
PROMC_API int promc_multiprocess_stats(promc_mp_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* PROMC_MULTIPROCESS_H */
