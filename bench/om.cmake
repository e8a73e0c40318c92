# SPDX-License-Identifier: Apache-2.0
# Exemplar hot-path cost and per-format render time.
add_executable(bench_om bench_om.c)
target_link_libraries(bench_om PRIVATE promc_static m)
target_compile_options(bench_om PRIVATE -O2)
promc_warnings(bench_om)
