/* SPDX-License-Identifier: Apache-2.0 */
/*
 * promc.hpp — C++ spellings of promc.h's C idioms (C++11 and later).
 *
 * C writes the options of a new metric as a compound literal with designated
 * initialisers, &(promc_opts){ .name = ..., PROMC_LABEL_NAMES(...) }, which
 * is not C++.  promc::opts is the same options built by named calls; it
 * owns copies of the arrays it is given (label names, const labels,
 * buckets, states), so a named promc::opts stays valid as long as it lives,
 * and a temporary one lives until the end of the call it is passed to:
 *
 *     promc_counter *requests;
 *     int rc = promc::counter_new(&requests, promc::opts()
 *                                     .name("http_requests")
 *                                     .help("Requests served.")
 *                                     .label_names({"method", "code"}));
 *     promc_counter *get_ok = promc_counter_labels(requests, "GET", "200");
 *     promc_counter_inc(get_ok);
 *
 * Everything else is promc.h itself: the promc_*_labels macros, the hot
 * path, PROMC_TIME_BLOCK, PROMC_TIME_SCOPE and PROMC_TRACK_INPROGRESS work
 * unchanged in C++ (promc.h's C++ section says what its macros expand to).
 * Strings (name, help, unit, label names and values) are not copied here:
 * as in C, they must stay valid until the creation call returns, which
 * copies them.  Structs without arrays are written as in any C++:
 * promc_buf b{};  promc_http_opts o{}; o.port = 8000;
 *
 * Nothing here throws (std::bad_alloc from std::vector aside) or changes
 * promc's error model: every function returns promc.h's codes.
 * See docs/cxx.md.
 */
#ifndef PROMC_PROMC_HPP
#define PROMC_PROMC_HPP

#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

#include "promc/promc.h"

namespace promc {

/* promc_opts with owned arrays.  Each setter sets the promc_opts field of
 * the same name and returns *this; get() gives the promc_opts to pass to a
 * promc_*_new function, valid while this object lives and is not changed. */
class opts {
 public:
  opts() : o_() {}
  opts &name(const char *v) { o_.name = v; return *this; }
  opts &help(const char *v) { o_.help = v; return *this; }
  opts &unit(const char *v) { o_.unit = v; return *this; }
  opts &registry(promc_registry *r) { o_.registry = r; return *this; }
  opts &no_register(bool on = true) { o_.no_register = on; return *this; }
  opts &mp_gauge_mode(promc_mp_gauge_mode m) { o_.mp_gauge_mode = m; return *this; }
  opts &exemplars(bool on = true) { o_.exemplars = on; return *this; }
  opts &counter_name_as_given(bool on = true) { o_.counter_name_as_given = on; return *this; }

  /* PROMC_LABEL_NAMES("method", "code") */
  opts &label_names(std::initializer_list<const char *> v) { labels_.assign(v); return *this; }
  opts &label_names(const char *const *v, size_t n) { labels_.assign(v, v + n); return *this; }
  /* one constant label (call once per label; PROMC_CONST_LABELS) */
  opts &const_label(const char *name, const char *value) {
    const_names_.push_back(name);
    const_values_.push_back(value);
    return *this;
  }
  /* PROMC_BUCKETS(0.1, 0.5, 1), or an array from promc_linear_buckets */
  opts &buckets(std::initializer_list<double> v) { buckets_.assign(v); has_buckets_ = true; return *this; }
  opts &buckets(const double *v, size_t n) { buckets_.assign(v, v + n); has_buckets_ = true; return *this; }
  /* PROMC_STATES("starting", "running") */
  opts &states(std::initializer_list<const char *> v) { states_.assign(v); return *this; }

  /* The options, pointing into this object's arrays.  An lvalue only: the
   * pointer of a temporary's get() would dangle after the statement. */
  const promc_opts *get() const & {
    o_.label_names = labels_.empty() ? nullptr : labels_.data();
    o_.nlabel_names = labels_.size();
    o_.const_label_names = const_names_.empty() ? nullptr : const_names_.data();
    o_.const_label_values = const_values_.empty() ? nullptr : const_values_.data();
    o_.nconst_labels = const_names_.size();
    /* buckets({}) must reach the library as "no buckets" (PROMC_EBUCKETS),
     * not as NULL, which means the default buckets */
    o_.buckets = !has_buckets_ ? nullptr : buckets_.empty() ? &no_bucket_ : buckets_.data();
    o_.nbuckets = buckets_.size();
    o_.states = states_.empty() ? nullptr : states_.data();
    o_.nstates = states_.size();
    return &o_;
  }
  const promc_opts *get() const && = delete;

 private:
  mutable promc_opts o_;
  std::vector<const char *> labels_, const_names_, const_values_;
  std::vector<double> buckets_;
  std::vector<const char *> states_;
  bool has_buckets_ = false;
  double no_bucket_ = 0;
};

/* promc_*_new taking a promc::opts (a temporary one lives through the call). */
inline int counter_new(promc_counter **out, const opts &o) { return promc_counter_new(out, o.get()); }
inline int gauge_new(promc_gauge **out, const opts &o) { return promc_gauge_new(out, o.get()); }
inline int histogram_new(promc_histogram **out, const opts &o) { return promc_histogram_new(out, o.get()); }
inline int summary_new(promc_summary **out, const opts &o) { return promc_summary_new(out, o.get()); }
inline int info_new(promc_info **out, const opts &o) { return promc_info_new(out, o.get()); }
inline int enum_new(promc_enum **out, const opts &o) { return promc_enum_new(out, o.get()); }

/* promc_collect_sample with the label names and values as lists:
 *     promc::collect_sample(ctx, {"queue"}, {"mail"}, depth);
 * Lists of different lengths are PROMC_EINVAL (with promc_errmsg). */
inline int collect_sample(promc_collect *ctx, std::initializer_list<const char *> names,
                          std::initializer_list<const char *> values, double value) {
  if (names.size() != values.size())
    return promc_set_errmsg(PROMC_EINVAL, "collect_sample: %zu label names but %zu values", names.size(),
                            values.size());
  return promc_collect_sample(ctx, names.size(), names.begin(), values.begin(), value);
}

/* promc_info_set with the info labels as lists. */
inline int info_set(promc_info *i, std::initializer_list<const char *> names,
                    std::initializer_list<const char *> values) {
  if (names.size() != values.size())
    return promc_set_errmsg(PROMC_EINVAL, "info_set: %zu label names but %zu values", names.size(),
                            values.size());
  return promc_info_set(i, names.size(), names.begin(), values.begin());
}

}  // namespace promc

#endif /* PROMC_PROMC_HPP */
