# SPDX-License-Identifier: Apache-2.0
# The seed's app.py in C: built by default with the examples.
if(TARGET promc_http)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(APP_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
  add_executable(app ${CMAKE_CURRENT_LIST_DIR}/app.c)
  target_link_libraries(app PRIVATE promc_http promc PkgConfig::APP_MHD Threads::Threads)
  promc_warnings(app)
endif()
