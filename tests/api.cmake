# Contracts of the public API that ports rely on: NULL registries, promc_buf,
# explicit +Inf buckets, counter_name_as_given in every format.
promc_test(test_api SOURCES test_api.c)
# The same option's output checked by promtool (its warning) and client_python.
add_executable(name_as_given_gen name_as_given_gen.c)
target_link_libraries(name_as_given_gen PRIVATE promc)
promc_warnings(name_as_given_gen)
add_test(NAME name_as_given_promtool COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/name_as_given.sh
  $<TARGET_FILE:name_as_given_gen> ${PYTHON3})
set_tests_properties(name_as_given_promtool PROPERTIES LABELS integration)
