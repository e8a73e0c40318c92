# SPDX-License-Identifier: Apache-2.0
# any_server: exposition from a plain socket server with the core alone
# (negotiation, name[], gzip with zlib).
find_package(ZLIB REQUIRED)
add_executable(any_server ${CMAKE_CURRENT_LIST_DIR}/any_server.c)
target_compile_definitions(any_server PRIVATE _GNU_SOURCE)
target_link_libraries(any_server PRIVATE promc ZLIB::ZLIB)
promc_warnings(any_server)
