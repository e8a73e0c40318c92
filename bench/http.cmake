# Scrape benchmark server (bench/scrape_wrk.sh drives it with wrk).
if(TARGET promc_http)
  add_executable(http_bench ${CMAKE_CURRENT_LIST_DIR}/http_bench.c)
  target_link_libraries(http_bench PRIVATE promc_http promc Threads::Threads)
  target_compile_options(http_bench PRIVATE -O2)
  promc_warnings(http_bench)
endif()
