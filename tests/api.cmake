# SPDX-License-Identifier: Apache-2.0
# Contracts of the public API that ports rely on: NULL registries, promc_buf,
# explicit +Inf buckets, counter_name_as_given in every format.
promc_test(test_api SOURCES test_api.c)
# A child table that cannot grow: new children refused, lookups still end.
promc_test(test_table_oom SOURCES test_table_oom.c)
set_tests_properties(test_table_oom PROPERTIES TIMEOUT 30)
# The same option's output checked by promtool (its warning) and client_python.
promc_test_program(name_as_given_gen SOURCES name_as_given_gen.c LIBS promc)
add_test(NAME name_as_given_promtool COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/name_as_given.sh
  $<TARGET_FILE:name_as_given_gen> ${PYTHON3})
set_tests_properties(name_as_given_promtool PROPERTIES LABELS integration)
# libpromc-http limited to some formats (counter_name_as_given behind Prometheus).
if(TARGET promc_http)
  promc_test(test_http_formats SOURCES test_http_formats.c LIBS promc_http)
  # A real Prometheus scraping a text-only and a negotiating server.
  promc_test_program(name_as_given_serve SOURCES name_as_given_serve.c LIBS promc_http promc Threads::Threads)
  target_compile_definitions(name_as_given_serve PRIVATE _GNU_SOURCE)
  promc_py_test(name_as_given_prometheus integration/name_as_given_prometheus.py TIMEOUT 120
    ARGS --serve $<TARGET_FILE:name_as_given_serve>)
endif()
