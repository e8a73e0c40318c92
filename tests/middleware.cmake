# The request middleware of promc/http.h on a real libmicrohttpd app
# (examples/embed_mhd), scraped by the test and by a real Prometheus.
if(TARGET embed_mhd)
  promc_py_test(embed_mhd_middleware integration/embed_mhd_test.py TIMEOUT 120
    ARGS --app $<TARGET_FILE:embed_mhd>)
endif()
