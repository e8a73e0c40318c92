# SPDX-License-Identifier: Apache-2.0
# libpromc-http, the core's HTTP helpers, examples/app and the end-to-end
# test with a real Prometheus.
promc_test(http_negotiate SOURCES test_http_negotiate.c LABELS unit)

if(TARGET promc_http)
  pkg_check_modules(HTTPTEST_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
  pkg_check_modules(HTTPTEST_XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
  find_package(ZLIB REQUIRED)
  promc_test(http_server SOURCES test_http.c LABELS unit
    LIBS promc_http PkgConfig::HTTPTEST_MHD PkgConfig::HTTPTEST_XCRYPT ZLIB::ZLIB)
  set_tests_properties(http_server PROPERTIES TIMEOUT 300)
  promc_test(http_resilience SOURCES test_http_resilience.c LABELS unit LIBS promc_http)
  set_tests_properties(http_resilience PROPERTIES TIMEOUT 120)
  promc_test(http_opts SOURCES test_http_opts.c LABELS unit stress LIBS promc_http)
  set_tests_properties(http_opts PROPERTIES TIMEOUT 120)
  # Several registries served as one exposition.
  promc_test(http_multi SOURCES test_http_multi.c LABELS unit LIBS promc_http)
  set_tests_properties(http_multi PROPERTIES TIMEOUT 120)
  # Render threads bounded while a collector hangs.
  promc_test(http_workers SOURCES test_http_workers.c LABELS unit stress LIBS promc_http)
  set_tests_properties(http_workers PROPERTIES TIMEOUT 120)

  # Test helper: the server with TLS, client CA and basic auth, for a real Prometheus.
  add_executable(http_serve http_serve.c)
  target_link_libraries(http_serve PRIVATE promc_http promc PkgConfig::HTTPTEST_XCRYPT Threads::Threads)
  target_compile_definitions(http_serve PRIVATE _GNU_SOURCE)
  promc_warnings(http_serve)
  add_test(NAME e2e_tls_prometheus
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/e2e_tls_prometheus.py
            --serve $<TARGET_FILE:http_serve>)
  set_tests_properties(e2e_tls_prometheus PROPERTIES LABELS integration TIMEOUT 120)
endif()

if(TARGET app)
  add_test(NAME app_smoke
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/app_smoke.py --app $<TARGET_FILE:app>)
  set_tests_properties(app_smoke PROPERTIES LABELS unit TIMEOUT 120)
  add_test(NAME e2e_app_prometheus
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/e2e_app_prometheus.py
            --app $<TARGET_FILE:app>)
  set_tests_properties(e2e_app_prometheus PROPERTIES LABELS integration TIMEOUT 180)
endif()

# The server's defences: small cases for every build (sanitizers included),
# and the full-size attacks (label attack: timing figures, so only the plain
# build runs them, one at a time).
if(TARGET promc_http)
  pkg_check_modules(HTTPTEST_GNUTLS REQUIRED IMPORTED_TARGET gnutls)
  promc_test(http_guard SOURCES test_http_guard.c LABELS stress
    LIBS promc_http PkgConfig::HTTPTEST_XCRYPT)
  set_tests_properties(http_guard PROPERTIES TIMEOUT 120)

  add_executable(test_http_attack test_http_attack.c)
  target_link_libraries(test_http_attack PRIVATE promc_http promc PkgConfig::CMOCKA
    PkgConfig::HTTPTEST_GNUTLS PkgConfig::HTTPTEST_XCRYPT Threads::Threads m)
  target_include_directories(test_http_attack PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(test_http_attack PRIVATE _GNU_SOURCE)
  promc_warnings(test_http_attack)
  foreach(group halfclose slowloris badpass_plain badpass_tls)
    add_test(NAME http_attack_${group} COMMAND test_http_attack ${group})
    set_tests_properties(http_attack_${group} PROPERTIES LABELS attack RUN_SERIAL TRUE TIMEOUT 120)
  endforeach()
endif()
