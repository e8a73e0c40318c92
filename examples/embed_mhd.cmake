# SPDX-License-Identifier: Apache-2.0
# An instrumented libmicrohttpd service (the request middleware of promc/http.h).
if(TARGET promc_http)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(EMBED_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
  add_executable(embed_mhd ${CMAKE_CURRENT_LIST_DIR}/embed_mhd.c)
  target_link_libraries(embed_mhd PRIVATE promc_http promc PkgConfig::EMBED_MHD Threads::Threads)
  promc_warnings(embed_mhd)
endif()
