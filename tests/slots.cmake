# SPDX-License-Identifier: Apache-2.0
# The child table's slots (docs/design.md, "Lookup") on the paths the default
# build never takes, each against a test-only core (CMakeLists.txt).
#
# Untagged tables (other targets): the tests that exercise children, and the
# labels and render fuzz corpora, once more against promc_untagged; and a
# check that its tables are untagged.
promc_test(test_untagged_core SOURCES test_untagged_core.c CORE promc_untagged)
target_compile_definitions(test_untagged_core PRIVATE PROMC_SLOT_TAGGED=0)
foreach(t test_api test_table_oom test_lifetime)
  promc_test(${t}_untagged SOURCES ${t}.c CORE promc_untagged)
endforeach()
set_tests_properties(test_table_oom_untagged PROPERTIES TIMEOUT 30)
add_test(NAME test_lifetime_stress_untagged COMMAND test_lifetime_untagged --stress)
set_tests_properties(test_lifetime_stress_untagged PROPERTIES LABELS stress)
set_tests_properties(test_lifetime_untagged test_lifetime_stress_untagged PROPERTIES TIMEOUT 120)
promc_test(test_render_stress_untagged SOURCES test_render_stress.c CORE promc_untagged LABELS stress
  ARGS 20000 3)
foreach(t labels render)
  add_executable(fuzz_${t}_regress_untagged ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${t}.c ${PROJECT_SOURCE_DIR}/fuzz/fuzz_util.c)
  target_compile_definitions(fuzz_${t}_regress_untagged PRIVATE PROMC_FUZZ_MAIN)
  target_link_libraries(fuzz_${t}_regress_untagged PRIVATE promc_untagged m)
  promc_warnings(fuzz_${t}_regress_untagged)
  file(GLOB corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus/${t}/*)
  add_test(NAME fuzz_${t}_corpus_untagged COMMAND fuzz_${t}_regress_untagged ${corpus})
  set_tests_properties(fuzz_${t}_corpus_untagged PROPERTIES LABELS unit)
endforeach()

# The switch to untagged tables when a chunk of children lies above the
# address limit: tagged children in chunks below 2^32, then chunks above it
# (promc_addr32 tags above bit 32); a second run with a scraper and a reader
# thread during the switch (stress, so the TSan run takes it too).
promc_test(test_slot_fallback SOURCES test_slot_fallback.c CORE promc_addr32)
target_compile_definitions(test_slot_fallback PRIVATE PROMC_SLOT_ADDR_BITS=32)
add_test(NAME test_slot_fallback_stress COMMAND test_slot_fallback --stress)
set_tests_properties(test_slot_fallback_stress PROPERTIES LABELS stress)
set_tests_properties(test_slot_fallback test_slot_fallback_stress PROPERTIES TIMEOUT 120)
