# SPDX-License-Identifier: Apache-2.0
# The request middleware of promc/http.h on a real libmicrohttpd app
# (examples/embed_mhd), scraped by the test and by a real Prometheus.
if(TARGET embed_mhd)
  promc_py_test(embed_mhd_middleware integration/embed_mhd_test.py TIMEOUT 120
    ARGS --app $<TARGET_FILE:embed_mhd>)
endif()

# Bad options, and 8 clients' concurrent keep-alive requests on a pool of 4
# daemon threads counted exactly (sanitizer builds run it too).
if(TARGET promc_http)
  pkg_check_modules(MWTEST_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
  promc_test(http_middleware SOURCES test_http_mw.c LABELS stress LIBS promc_http PkgConfig::MWTEST_MHD)
  set_tests_properties(http_middleware PROPERTIES TIMEOUT 120)
endif()
