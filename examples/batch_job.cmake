# SPDX-License-Identifier: Apache-2.0
# batch_job: a batch job that pushes to a Pushgateway and/or writes a
# node_exporter textfile (needs libpromc-push).
if(TARGET promc_push)
  add_executable(batch_job ${CMAKE_CURRENT_SOURCE_DIR}/batch_job.c)
  target_compile_definitions(batch_job PRIVATE _GNU_SOURCE)
  target_link_libraries(batch_job PRIVATE promc promc_push)
  promc_warnings(batch_job)
endif()
