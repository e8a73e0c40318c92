# SPDX-License-Identifier: Apache-2.0
# Scrape benchmark server (bench/scrape_wrk.sh drives it with wrk).
if(TARGET promc_http)
  add_executable(http_bench ${CMAKE_CURRENT_LIST_DIR}/http_bench.c)
  target_link_libraries(http_bench PRIVATE promc_http promc Threads::Threads)
  target_compile_options(http_bench PRIVATE -O2)
  promc_warnings(http_bench)
endif()

# The attack benchmark (bench/http_attack.sh runs it before and after).
if(TARGET promc_http)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(ATK_GNUTLS REQUIRED IMPORTED_TARGET gnutls)
  pkg_check_modules(ATK_XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
  add_executable(http_attack ${CMAKE_CURRENT_LIST_DIR}/http_attack.c)
  target_link_libraries(http_attack PRIVATE promc_http promc PkgConfig::ATK_GNUTLS PkgConfig::ATK_XCRYPT
    Threads::Threads)
  target_compile_definitions(http_attack PRIVATE _GNU_SOURCE)
  target_compile_options(http_attack PRIVATE -O2)
  promc_warnings(http_attack)
endif()

# The request middleware's own cost, in one process (bench/middleware.sh runs it).
if(TARGET promc_http)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(BMW_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
  add_executable(bench_middleware ${CMAKE_CURRENT_LIST_DIR}/bench_middleware.c)
  target_link_libraries(bench_middleware PRIVATE promc_http promc PkgConfig::BMW_MHD)
  target_compile_options(bench_middleware PRIVATE -O2)
  promc_warnings(bench_middleware)
endif()
