# OpenMetrics, protobuf, exemplars, negotiation (issue 4).
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
# Accept headers of real Prometheus servers, curl, none, nonsense (issue 4 acceptance 4).
promc_test(test_negotiate SOURCES test_negotiate.c)
# examples/app scraped by a real Prometheus over OpenMetrics and over protobuf
# (native histograms on), with exemplar storage: same values as the text run,
# and /api/v1/query_exemplars returns the app's trace_id exemplar (issue 4 #3).
if(TARGET app)
  foreach(mode openmetrics protobuf)
    add_test(NAME e2e_app_prometheus_${mode}
      COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/e2e_app_prometheus.py
              --app $<TARGET_FILE:app> --mode ${mode})
    set_tests_properties(e2e_app_prometheus_${mode} PROPERTIES LABELS integration TIMEOUT 180)
  endforeach()
endif()
# One registry of every type, with exemplars, in all three formats, each served
# to a real Prometheus: the same exact values, and every exemplar back.
add_executable(om_e2e_gen om_e2e_gen.c)
target_link_libraries(om_e2e_gen PRIVATE promc m)
promc_warnings(om_e2e_gen)
add_test(NAME e2e_formats_prometheus
  COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tools/om_prom_e2e.py --gen $<TARGET_FILE:om_e2e_gen>)
set_tests_properties(e2e_formats_prometheus PROPERTIES LABELS integration TIMEOUT 240)
# The formats must survive a static link (render.c reaches them weakly).
add_executable(test_om_static test_om_static.c)
target_link_libraries(test_om_static PRIVATE promc_static)
target_include_directories(test_om_static PRIVATE ${PROJECT_SOURCE_DIR}/include)
promc_warnings(test_om_static)
add_test(NAME test_om_static COMMAND test_om_static)
set_tests_properties(test_om_static PROPERTIES LABELS unit)
