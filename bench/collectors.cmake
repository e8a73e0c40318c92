# SPDX-License-Identifier: Apache-2.0
# Default collectors' scrape cost and promc_write_textfile's cost.
add_executable(bench_collectors bench_collectors.c)
target_link_libraries(bench_collectors PRIVATE promc_static m)
target_compile_definitions(bench_collectors PRIVATE _GNU_SOURCE)
target_compile_options(bench_collectors PRIVATE -O2)
promc_warnings(bench_collectors)
