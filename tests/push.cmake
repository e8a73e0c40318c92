# Push bodies (gzip, protobuf, extra headers), the import push, background
# pushers and the Graphite bridge (libpromc-push).
if(TARGET promc_push)
  find_package(ZLIB REQUIRED)
  promc_test(test_pushers SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS unit)
  # Starts /usr/bin/prometheus-pushgateway on a free 127.0.0.1 port.
  promc_test(test_pushers_gateway SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS integration ARGS --gateway)
  # Starts /usr/bin/carbon-cache (graphite-carbon) with a temporary config and
  # storage on free 127.0.0.1 ports; reads back with whisper-fetch.
  promc_test(test_pushers_carbon SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS integration ARGS --carbon)
  set_tests_properties(test_pushers_gateway test_pushers_carbon PROPERTIES TIMEOUT 60)
endif()
