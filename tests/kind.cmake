# SPDX-License-Identifier: Apache-2.0
# The metric kind tables (src/core/kind.h): linked against libpromc.a, the
# library that resolves the hidden promc__kind().
add_executable(test_kind test_kind.c)
target_link_libraries(test_kind PRIVATE promc_static PkgConfig::CMOCKA Threads::Threads m)
target_include_directories(test_kind PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(test_kind PRIVATE _GNU_SOURCE)
promc_warnings(test_kind)
add_test(NAME test_kind COMMAND test_kind)
set_tests_properties(test_kind PROPERTIES LABELS unit)
