# SPDX-License-Identifier: Apache-2.0
# Multi-process mode: scrape time before and after 1,000 worker deaths.
if(PROMC_BUILD_MULTIPROCESS)
  add_executable(bench_mp bench_mp.c)
  target_link_libraries(bench_mp PRIVATE promc_static m)
  target_compile_options(bench_mp PRIVATE -O2)
  promc_warnings(bench_mp)
endif()
