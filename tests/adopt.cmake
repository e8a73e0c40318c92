# SPDX-License-Identifier: Apache-2.0
# Adoption: the ABI against abi/, the man pages, the Debian packages, the
# licence lines.
# (The install test is registered in core.cmake: install_consumers.)
find_program(PROMC_ABIDIFF abidiff)
find_program(PROMC_MANDOC mandoc)

# ABI: abidiff against abi/*.abi, and the check's own pass/fail cases (1-8 s).
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/promc_objects.txt
  CONTENT "$<JOIN:$<TARGET_OBJECTS:promc_objects>,\n>\n")
set(PROMC_ABI_LIBS $<TARGET_FILE:promc>)
foreach(t promc_http promc_push)
  if(TARGET ${t})
    list(APPEND PROMC_ABI_LIBS $<TARGET_FILE:${t}>)
  endif()
endforeach()
if(PROMC_ABIDIFF)
  add_test(NAME abi_check COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/abi_test.sh
    ${PROJECT_SOURCE_DIR} ${CMAKE_C_COMPILER} ${CMAKE_CURRENT_BINARY_DIR}/promc_objects.txt
    ${PROMC_ABI_LIBS})
else()
  add_test(NAME abi_check COMMAND sh -c "echo 'FAIL: abidiff not installed (abigail-tools; make test installs it)'; exit 1")
endif()
set_tests_properties(abi_check PROPERTIES LABELS integration TIMEOUT 120)

# Man pages: mandoc -T lint, and every public function documented (~1 s).
if(PROMC_MANDOC)
  add_test(NAME man_lint COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/man_lint.sh ${PROJECT_SOURCE_DIR})
else()
  add_test(NAME man_lint COMMAND sh -c "echo 'FAIL: mandoc not installed (make test installs it)'; exit 1")
endif()
set_tests_properties(man_lint PROPERTIES LABELS integration TIMEOUT 60)


# Debian packages: dpkg-buildpackage in a copy of the tree, dpkg-gensymbols
# against debian/*.symbols, lintian, and consumers built against the packages
# unpacked into a scratch root (25 s idle, up to 100 s beside the other tests).
add_test(NAME debian_package COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/debian_test.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(debian_package PROPERTIES LABELS integration TIMEOUT 600)

# Licence: every source, build and script file carries its SPDX line (<1 s).
add_test(NAME spdx_headers COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tools/spdx_check.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(spdx_headers PROPERTIES LABELS unit TIMEOUT 60)

# The layers of docs/design.md ("Layers"), checked on the sources and on this
# build's object files: core includes and calls nothing above it,
# multiprocess never reaches a writer, http/push use public symbols only.
add_test(NAME layering COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/layering.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(layering PROPERTIES LABELS unit TIMEOUT 120)
