# SPDX-License-Identifier: Apache-2.0
# Hot-path and render micro-benchmarks (linked statically, as an application
# embedding promc would; bench_core_shared measures the shared library).
add_executable(bench_core bench_core.c)
target_link_libraries(bench_core PRIVATE promc_static m)
target_compile_options(bench_core PRIVATE -O2)
target_compile_definitions(bench_core PRIVATE PROMC_BENCH_INLINE)
promc_warnings(bench_core)
add_executable(bench_core_shared bench_core.c)
target_link_libraries(bench_core_shared PRIVATE promc m)
target_compile_options(bench_core_shared PRIVATE -O2)
promc_warnings(bench_core_shared)
# What a scrape costs the program (creation latency under scrapes) and per value
# rendered; bench/render_compare.sh runs it against another revision too.
add_executable(bench_render bench_render.c)
target_link_libraries(bench_render PRIVATE promc_static Threads::Threads m)
target_compile_options(bench_render PRIVATE -O2)
promc_warnings(bench_render)
