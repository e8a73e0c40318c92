/* SPDX-License-Identifier: Apache-2.0 */
// test_cxx.cpp — the documented examples (README.md, docs/guide.md, docs/migrating.md,
// docs/helpers.md, the overview of promc.h) in their C++ spelling of
// docs/cxx.md, run, with the rendered text checked.  Built by tests/cxx.cmake
// with the build's C++ compiler, and by tests/tools/cxx_compilers.sh with
// g++ and clang++ in C++11, C++17 and C++20, -Wall -Wextra -Werror -pedantic.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "promc/promc.hpp"
// every public header compiles as C++ (the HTTP part runs only when linked)
#include "promc/http.h"
#include "promc/multiprocess.h"
#include "promc/push.h"

static int failures = 0;
#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      failures++;                                                               \
    }                                                                           \
  } while (0)

static std::string render(promc_registry *r, const promc_render_opts *o = nullptr,
                          promc_format f = PROMC_FORMAT_TEXT) {
  promc_buf b{};
  int rc = promc_registry_render_buf(r, f, o, &b);
  CHECK(rc == 0);
  std::string s(b.data ? b.data : "", b.len);
  promc_buf_free(&b);
  return s;
}

static void contains(const std::string &hay, const char *needle, int line) {
  if (hay.find(needle) == std::string::npos) {
    std::fprintf(stderr, "%s:%d: expected to find\n%s\nin\n%s\n", __FILE__, line, needle, hay.c_str());
    failures++;
  }
}
#define CONTAINS(hay, needle) contains(hay, needle, __LINE__)

// ---------------------------------------------------- README, "In one screen"
static promc_counter *requests;
static promc_histogram *latency;

static int setup() {
  int rc = promc::counter_new(&requests, promc::opts()
                                             .name("http_requests")
                                             .help("Requests served.")
                                             .label_names({"method", "code"}));
  if (rc) return rc;  // promc_errmsg() says why
  return promc::histogram_new(&latency, promc::opts()
                                            .name("http_request_duration_seconds")
                                            .help("Latency.")
                                            .unit("seconds"));
}

static void serve(int n) {
  promc_counter *get_ok = promc_counter_labels(requests, "GET", "200");  // look up once
  for (int i = 0; i < n; i++) {
    PROMC_TIME_BLOCK(latency) { /* ... handle a request ... */ }
    promc_counter_inc(get_ok);  // one atomic add
  }
}

static void readme_in_one_screen() {
  CHECK(setup() == 0);
  serve(3);
  promc_buf b{};
  CHECK(promc_registry_render_buf(promc_default_registry(), PROMC_FORMAT_TEXT, nullptr, &b) == 0);
  std::string t(b.data, b.len);
  promc_buf_free(&b);
  CHECK(t.compare(0, 44, "# HELP http_requests_total Requests served.\n") == 0);
  CONTAINS(t, "# TYPE http_requests_total counter\nhttp_requests_total{method=\"GET\",code=\"200\"} 3\n");
  CONTAINS(t, "# TYPE http_request_duration_seconds histogram\n");
  CONTAINS(t, "http_request_duration_seconds_bucket{le=\"+Inf\"} 3\nhttp_request_duration_seconds_count 3\n");
  // the same child comes back
  CHECK(promc_counter_labels(requests, "GET", "200") == promc_counter_labels(requests, "GET", "200"));
  // wrong count: an error, not undefined behaviour
  CHECK(promc_counter_labels(requests, "GET") == nullptr);
  CHECK(promc_metric_remove(requests, "GET", "200") == 0);
  CHECK(promc_metric_remove(requests, "GET", "200") == PROMC_ENOTFOUND);
}

// ---------------------------------------------------- promc.h's overview
static void header_overview(promc_registry *reg) {
  promc_counter *reqs;
  CHECK(promc::counter_new(&reqs, promc::opts()
                                      .name("overview_requests")
                                      .help("Requests served.")
                                      .label_names({"method", "code"})
                                      .registry(reg)) == 0);
  promc_counter *get200 = promc_counter_labels(reqs, "GET", "200");
  for (int i = 0; i < 5; i++) promc_counter_inc(get200);  // hot loop: one atomic add
  CONTAINS(render(reg), "overview_requests_total{method=\"GET\",code=\"200\"} 5\n");
}

// ---------------------------------------------------- docs/guide.md
static double depth(const char *queue) { return std::strcmp(queue, "mail") == 0 ? 7 : 0; }

static int collect(promc_collect *ctx, void *user) {
  (void)user;
  promc_collect_family(ctx, "queue_depth", "Items waiting.", PROMC_TYPE_GAUGE, nullptr);
  promc::collect_sample(ctx, {"queue"}, {"mail"}, depth("mail"));
  return 0;
}

static void guide(promc_registry *reg) {
  // the histogram of "Metric types", in the default registry as documented
  promc_histogram *h;
  int rc = promc::histogram_new(&h, promc::opts()
                                        .name("job_duration_seconds")
                                        .help("How long a job took.")
                                        .unit("seconds")
                                        .label_names({"queue"})
                                        .buckets({0.1, 0.5, 1, 5, 30})  // default: client_python's .005 ... 10
                                        .registry(nullptr));            // NULL: the default registry
  CHECK(rc == 0);
  promc_histogram_observe(promc_histogram_labels(h, "mail"), 0.7);
  std::string t = render(nullptr);
  CONTAINS(t, "job_duration_seconds_bucket{queue=\"mail\",le=\"0.5\"} 0\n"
              "job_duration_seconds_bucket{queue=\"mail\",le=\"1\"} 1\n");
  CONTAINS(t, "job_duration_seconds_bucket{queue=\"mail\",le=\"30\"} 1\n"
              "job_duration_seconds_bucket{queue=\"mail\",le=\"+Inf\"} 1\n"
              "job_duration_seconds_count{queue=\"mail\"} 1\njob_duration_seconds_sum{queue=\"mail\"} 0.7\n");

  // linear buckets from an array
  double lb[4];
  CHECK(promc_linear_buckets(1, 1, 4, lb) == 0);
  promc_histogram *lin;
  CHECK(promc::histogram_new(&lin, promc::opts().name("guide_linear").help("l").buckets(lb, 4).registry(reg)) == 0);
  CONTAINS(render(reg), "guide_linear_bucket{le=\"4\"} 0\nguide_linear_bucket{le=\"+Inf\"} 0\n");

  // constant labels, enum states, an info
  promc_gauge *g;
  CHECK(promc::gauge_new(&g, promc::opts().name("guide_const").help("c").const_label("env", "prod").registry(reg)) ==
        0);
  promc_gauge_set(g, 2);
  promc_enum *e;
  CHECK(promc::enum_new(&e, promc::opts().name("guide_state").help("s").states({"starting", "running"}).registry(reg)) ==
        0);
  CHECK(promc_enum_state(e, "running") == 0);
  promc_info *inf;
  CHECK(promc::info_new(&inf, promc::opts().name("guide_build").help("b").registry(reg)) == 0);
  CHECK(promc::info_set(inf, {"version"}, {"1.2"}) == 0);
  CHECK(promc::info_set(inf, {"version", "x"}, {"1.2"}) == PROMC_EINVAL);
  t = render(reg);
  CONTAINS(t, "guide_const{env=\"prod\"} 2\n");
  CONTAINS(t, "guide_state{guide_state=\"starting\"} 0\nguide_state{guide_state=\"running\"} 1\n");
  CONTAINS(t, "guide_build_info{version=\"1.2\"} 1\n");

  // a named promc::opts outlives the statement that built it, and copies keep their arrays
  promc::opts named;
  named.name("guide_named").help("n").label_names({"a", "b"}).registry(reg);
  promc::opts copy = named;
  named.label_names({"zzz"});  // changing the original leaves the copy alone
  promc_counter *nc;
  CHECK(promc_counter_new(&nc, copy.get()) == 0);
  promc_counter_inc(promc_counter_labels(nc, "1", "2"));
  CONTAINS(render(reg), "guide_named_total{a=\"1\",b=\"2\"} 1\n");

  // bad options come back as codes, as in C
  promc_histogram *bad;
  CHECK(promc::histogram_new(&bad, promc::opts().name("guide_bad").help("b").buckets({}).registry(reg)) ==
        PROMC_EBUCKETS);
  CHECK(promc::histogram_new(&bad, promc::opts().name("guide_bad").help("b").buckets({2, 1}).registry(reg)) ==
        PROMC_EBUCKETS);
  CHECK(promc::counter_new(&nc, promc::opts().name("bad name").help("b").registry(reg)) == PROMC_ENAME);

  // "Registries and collectors"
  promc_collector col{};
  col.name = "queues";
  col.collect = collect;
  CHECK(promc_registry_add_collector(reg, &col) == 0);
  t = render(reg);
  CONTAINS(t, "# HELP queue_depth Items waiting.\n# TYPE queue_depth gauge\nqueue_depth{queue=\"mail\"} 7\n");

  // "Exposition": streaming, and a name[] filter
  const char *names[] = {"queue_depth"};
  promc_render_opts ro{};
  ro.names = names;
  ro.nnames = 1;
  std::string streamed;
  CHECK(promc_registry_render(
            reg, PROMC_FORMAT_TEXT, &ro,
            [](void *user, const char *data, size_t len) -> int {
              static_cast<std::string *>(user)->append(data, len);
              return 0;
            },
            &streamed) == 0);
  CHECK(streamed == "# HELP queue_depth Items waiting.\n# TYPE queue_depth gauge\nqueue_depth{queue=\"mail\"} 7\n");
  CHECK(std::string(promc_format_content_type(PROMC_FORMAT_TEXT)) == "text/plain; version=0.0.4; charset=utf-8");
  CONTAINS(render(reg, nullptr, PROMC_FORMAT_OPENMETRICS), "# EOF\n");
}

// ---------------------------------------------------- docs/helpers.md
static promc_histogram *hlat;
static int handler(const int *r) {
  PROMC_TIME_SCOPE(hlat);  // GCC/Clang: __attribute__((cleanup))
  if (!r) return -1;       // recorded too
  return *r;
}
static int is_http_error(long status, void *user) {
  (void)user;
  return status >= 500;
}
static double queue_len(void *user) { return static_cast<double>(*static_cast<int *>(user)); }

static void helpers(promc_registry *reg) {
  CHECK(promc::histogram_new(&hlat, promc::opts().name("helpers_latency_seconds").help("l").registry(reg)) == 0);
  PROMC_TIME_BLOCK(hlat) { /* do_work() */ }
  for (int i = 0; i < 2; i++) {
    PROMC_TIME_BLOCK(hlat) {
      if (i == 0) break;  // still recorded
    }
  }
  int ok = 3;
  CHECK(handler(nullptr) == -1);
  CHECK(handler(&ok) == 3);
  promc_timer t = promc_timer_start(PROMC_METRIC(hlat));
  double secs = -1;
  CHECK(promc_timer_stop(&t, &secs) == 0);
  CHECK(secs >= 0);
  CHECK(promc_timer_stop(&t, &secs) == 0);  // a second stop does nothing
  uint64_t count = 0;
  double sum = 0;
  CHECK(promc_histogram_get(hlat, nullptr, 0, &count, &sum) == 0);
  CHECK(count == 6);

  promc_counter *errors, *errors_5xx;
  CHECK(promc::counter_new(&errors, promc::opts().name("helpers_errors").help("e").registry(reg)) == 0);
  CHECK(promc::counter_new(&errors_5xx, promc::opts().name("helpers_errors_5xx").help("e").registry(reg)) == 0);
  long rc = promc_count_failures(errors, -5, nullptr, nullptr);
  CHECK(rc == -5);
  promc_count_failures(errors, 0, nullptr, nullptr);
  promc_count_failures(errors_5xx, 503, is_http_error, nullptr);
  promc_count_failures(errors_5xx, 404, is_http_error, nullptr);

  promc_gauge *inprogress;
  CHECK(promc::gauge_new(&inprogress, promc::opts().name("helpers_inprogress").help("i").registry(reg)) == 0);
  PROMC_TRACK_INPROGRESS(inprogress) {  // inc on entry, dec on exit
    CHECK(promc_gauge_get(inprogress) == 1);
  }
  PROMC_TRACK_INPROGRESS(inprogress) { break; }
  CHECK(promc_gauge_get(inprogress) == 0);

  promc_gauge *depth_gauge, *last;
  CHECK(promc::gauge_new(&depth_gauge, promc::opts().name("helpers_depth").help("d").registry(reg)) == 0);
  int q = 11;
  CHECK(promc_metric_set_function(PROMC_METRIC(depth_gauge), queue_len, &q) == 0);
  CHECK(promc::gauge_new(&last, promc::opts().name("helpers_last_success_unixtime").help("t").registry(reg)) == 0);
  CHECK(promc_gauge_set_to_current_time(last) == 0);
  std::string txt = render(reg);
  CONTAINS(txt, "helpers_latency_seconds_count 6\n");
  CONTAINS(txt, "helpers_errors_total 1\n");
  CONTAINS(txt, "helpers_errors_5xx_total 1\n");
  CONTAINS(txt, "helpers_inprogress 0\n");
  CONTAINS(txt, "helpers_depth 11\n");
  q = 12;
  CONTAINS(render(reg), "helpers_depth 12\n");
  CHECK(promc_gauge_get(last) > 1.7e9);
  // back to the stored value: q is about to go out of scope
  CHECK(promc_metric_set_function(PROMC_METRIC(depth_gauge), nullptr, nullptr) == 0);
  CONTAINS(render(reg), "helpers_depth 0\n");
}

// ---------------------------------------------------- docs/migrating.md
static void migrating_from_prometheus_cpp() {
  promc_registry *registry;
  CHECK(promc_registry_new(&registry) == 0);
  promc_counter *packets;
  CHECK(promc::counter_new(&packets, promc::opts()
                                         .name("observed_packets_total")
                                         .help("Packets seen.")
                                         .label_names({"protocol"})
                                         .registry(registry)) == 0);
  promc_counter *tcp = promc_counter_labels(packets, "tcp");
  promc_counter_inc(tcp);
  CONTAINS(render(registry), "observed_packets_total{protocol=\"tcp\"} 1\n");
  // a family registered as "x" in prometheus-cpp keeps "x" with counter_name_as_given
  promc_counter *old;
  CHECK(promc::counter_new(&old, promc::opts().name("observed_bytes").help("b").counter_name_as_given().registry(
                                     registry)) == 0);
  promc_counter_add(old, 1500);
  CONTAINS(render(registry), "# TYPE observed_bytes counter\nobserved_bytes 1500\n");
  promc_registry_free(registry);
}

// ---------------------------------------------------- C++20: the C spelling
// With designated initialisers (C++20) the C idiom itself is valid, and the
// label names of a named promc_opts live in static storage (clang++ rejected
// this with -Wdangling before, and ASan saw the dead array).  g++ 12 warns
// about the members a designated initialiser leaves out (-Wextra's
// -Wmissing-field-initializers, unlike gcc in C), so this part is clang's.
#if __cplusplus >= 202002L && defined(__clang__)
static void cxx20_designated(promc_registry *reg) {
  promc_opts o{.name = "designated_requests", .help = "d", PROMC_LABEL_NAMES("method", "code"),
               PROMC_BUCKETS(1, 2), .registry = reg};
  promc_opts h = o;
  h.name = "designated_seconds";
  promc_counter *c;
  promc_histogram *hist;
  CHECK(promc_counter_new(&c, &o) == 0);
  CHECK(promc_histogram_new(&hist, &h) == 0);
  promc_counter_inc(promc_counter_labels(c, "GET", "200"));
  promc_histogram_observe(promc_histogram_labels(hist, "GET", "200"), 1.5);
  std::string t = render(reg);
  CONTAINS(t, "designated_requests_total{method=\"GET\",code=\"200\"} 1\n");
  CONTAINS(t, "designated_seconds_bucket{method=\"GET\",code=\"200\",le=\"2\"} 1\n");
  promc_enum *e;
  promc_opts eo{.name = "designated_state", .help = "s", PROMC_STATES("a", "b"), .registry = reg};
  CHECK(promc_enum_new(&e, &eo) == 0);
  CONTAINS(render(reg), "designated_state{designated_state=\"a\"} 1\n");
}
#endif

#ifdef PROMC_CXX_TEST_HTTP
// README, "HTTP exposition": the server is one call
static void http_server() {
  promc_http_server *srv;
  promc_http_opts o{};
  o.addr = "127.0.0.1";
  o.port = 0;  // any free port (the README uses 8000)
  if (promc_http_start(&srv, &o) != 0) {
    std::fprintf(stderr, "metrics: %s\n", promc_errmsg());
    failures++;
    return;
  }
  CHECK(promc_http_port(srv) != 0);
  promc_http_stop(srv);
}
#endif

int main() {
  CHECK(promc_default_collectors_disable() == 0);
  promc_registry *reg;
  CHECK(promc_registry_new(&reg) == 0);
  readme_in_one_screen();
  header_overview(reg);
  guide(reg);
  helpers(reg);
  migrating_from_prometheus_cpp();
#if __cplusplus >= 202002L && defined(__clang__)
  cxx20_designated(reg);
  std::printf("test_cxx: C++20 designated initialisers checked\n");
#endif
#ifdef PROMC_CXX_TEST_HTTP
  http_server();
#endif
  promc_registry_free(reg);
  promc_shutdown();
  std::printf("test_cxx (%s, C++ %ld): %s\n",
#ifdef __clang__
              "clang++",
#else
              "g++",
#endif
              static_cast<long>(__cplusplus), failures ? "FAILED" : "all examples passed");
  return failures ? 1 : 0;
}
