# SPDX-License-Identifier: Apache-2.0
# OpenMetrics, protobuf, exemplars, negotiation.
# metrics.proto from Debian's golang-github-prometheus-client-model-dev, and
# the google/protobuf/timestamp.proto it imports (from its dependency
# golang-github-golang-protobuf-1-3-dev). Not found = the test fails loudly.
find_file(PROMC_METRICS_PROTO metrics.proto
  PATHS /usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client NO_DEFAULT_PATH)
find_file(PROMC_TIMESTAMP_PROTO timestamp.proto
  PATHS /usr/include/google/protobuf /usr/share/gocode/src/github.com/golang/protobuf/ptypes/timestamp
  NO_DEFAULT_PATH)
promc_test(test_om SOURCES test_om.c)
target_compile_definitions(test_om PRIVATE PROMC_METRICS_PROTO="${PROMC_METRICS_PROTO}"
  PROMC_TIMESTAMP_PROTO="${PROMC_TIMESTAMP_PROTO}")
# Writers recording exemplars while a scraper checks none is torn (ASan/TSan: label stress).
promc_test(test_exemplar_stress SOURCES test_exemplar_stress.c LABELS stress ARGS 3000 2)
# Accept headers of real Prometheus servers, curl, none, nonsense.
promc_test(test_negotiate SOURCES test_negotiate.c)
# examples/app scraped by a real Prometheus over OpenMetrics and over protobuf
# (native histograms on), with exemplar storage: same values as the text run,
# and /api/v1/query_exemplars returns the app's trace_id exemplar.
if(TARGET app)
  foreach(mode openmetrics protobuf)
    promc_py_test(e2e_app_prometheus_${mode} integration/e2e_app_prometheus.py TIMEOUT 180
      ARGS --app $<TARGET_FILE:app> --mode ${mode})
  endforeach()
endif()
# One registry of every type, with exemplars, in all three formats, each served
# to a real Prometheus: the same exact values, and every exemplar back.
promc_test_program(om_e2e_gen SOURCES om_e2e_gen.c LIBS promc m)
promc_py_test(e2e_formats_prometheus tools/om_prom_e2e.py TIMEOUT 240 ARGS --gen $<TARGET_FILE:om_e2e_gen>)
# The formats must survive a static link (render.c's writer table).
add_executable(test_om_static test_om_static.c)
target_link_libraries(test_om_static PRIVATE promc_static)
target_include_directories(test_om_static PRIVATE ${PROJECT_SOURCE_DIR}/include)
promc_warnings(test_om_static)
add_test(NAME test_om_static COMMAND test_om_static)
set_tests_properties(test_om_static PROPERTIES LABELS unit)
