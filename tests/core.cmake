# SPDX-License-Identifier: Apache-2.0
# Core library tests (issue: core).
promc_test(test_metrics SOURCES test_metrics.c)
promc_test(test_badinput SOURCES test_badinput.c)
# 2 writer threads x 10 million operations each, with a scraper thread (acceptance: core #4).
promc_test(test_concurrency SOURCES test_concurrency.c LABELS stress ARGS 10000000 2)
# Registration, the stripe pool's lifetime, callbacks re-entering their registry;
# and threads racing to register / unregister one family.
promc_test(test_lifetime SOURCES test_lifetime.c)
promc_test(test_lifetime_stress SOURCES test_lifetime.c LABELS stress ARGS --stress)
set_tests_properties(test_lifetime test_lifetime_stress PROPERTIES TIMEOUT 120)
# What collectors, value callbacks and render write functions may do while
# the render holds locks: refused with PROMC_ESTATE or done, never a deadlock
# (each case under an alarm); --stress: two threads' renders reaching into
# each other's registry or family at once.
promc_test(test_reentry SOURCES test_reentry.c)
promc_test(test_reentry_stress SOURCES test_reentry.c LABELS stress ARGS --stress)
set_tests_properties(test_reentry test_reentry_stress PROPERTIES TIMEOUT 60)
# Text exposition read back by promtool and client_python's parser (core #3).
promc_test_program(roundtrip_gen SOURCES roundtrip_gen.c LIBS promc)
add_test(NAME text_roundtrip COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/roundtrip.sh
  $<TARGET_FILE:roundtrip_gen> ${PYTHON3} ${PROJECT_SOURCE_DIR})
set_tests_properties(text_roundtrip PROPERTIES LABELS integration)
# Install into a temporary prefix; consumers via pkg-config and find_package (core #2).
add_test(NAME install_consumers COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/install_test.sh
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(install_consumers PROPERTIES LABELS integration)
# The unit tests once more under valgrind: no leak, no invalid access.
find_program(VALGRIND valgrind)
if(VALGRIND)
  foreach(t test_metrics test_badinput)
    add_test(NAME ${t}_valgrind COMMAND ${VALGRIND} -q --error-exitcode=9 --leak-check=full
      --errors-for-leak-kinds=definite,indirect,possible $<TARGET_FILE:${t}>)
    set_tests_properties(${t}_valgrind PROPERTIES LABELS valgrind)
  endforeach()
else()
  add_test(NAME valgrind_missing COMMAND sh -c "echo 'FAIL: valgrind not installed (make test installs it)'; exit 1")
endif()
# Every input that once poisoned a whole scrape, fed to a registry: promtool,
# client_python's parsers and a real Prometheus (up == 1, exact values) judge
# the output; and examples/app counting a request path that is not UTF-8.
promc_test_program(hostile_gen SOURCES hostile_gen.c LIBS promc m)
promc_py_test(hostile_input_prometheus integration/hostile_input.py TIMEOUT 120 ARGS --gen $<TARGET_FILE:hostile_gen>)
if(TARGET app)
  promc_py_test(app_bad_utf8_prometheus integration/hostile_input.py TIMEOUT 120 ARGS --app $<TARGET_FILE:app>)
endif()
# A scraper rendering continuously while threads create children: each scrape a
# prefix of creation order, exact final values; creation during a scrape (stress).
promc_test(test_render_stress SOURCES test_render_stress.c LABELS stress ARGS 20000 3)
# render_buf writes in place: the streamed bytes, appended, NUL-ended; PROMC_EIO
# and a kept prefix when the buffer cannot grow.
promc_test(test_render_buf SOURCES test_render_buf.c)
# Several registries rendered as one exposition.
promc_test(test_registries_render SOURCES test_registries_render.c)
