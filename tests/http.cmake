# libpromc-http, the core's HTTP helpers, examples/app and the end-to-end
# test with a real Prometheus (issue 3).
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
