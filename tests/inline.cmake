# SPDX-License-Identifier: Apache-2.0
# promc/inline.h (experimental, PROMC_STATIC_LINKING_ONLY): linked against the
# static library, which is the only one that resolves its promc__inline<N>_
# functions. The unit run compares it with the library calls; the stress run
# is the same with more threads and rounds.
add_executable(test_inline test_inline.c)
target_link_libraries(test_inline PRIVATE promc_static PkgConfig::CMOCKA Threads::Threads m)
target_include_directories(test_inline PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(test_inline PRIVATE _GNU_SOURCE)
promc_warnings(test_inline)
add_test(NAME test_inline COMMAND test_inline)
set_tests_properties(test_inline PROPERTIES LABELS unit)
add_test(NAME test_inline_stress COMMAND test_inline stress)
set_tests_properties(test_inline_stress PROPERTIES LABELS stress TIMEOUT 300)
# The header refuses a build without PROMC_STATIC_LINKING_ONLY, and a program
# using it does not link against the shared library.
add_test(NAME inline_static_only COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/inline_link.sh
  ${CMAKE_C_COMPILER} ${PROJECT_SOURCE_DIR}/include $<TARGET_FILE:promc> $<TARGET_FILE:promc_static>)
set_tests_properties(inline_static_only PROPERTIES LABELS integration)
