# SPDX-License-Identifier: Apache-2.0
# Push bodies (gzip, protobuf, extra headers), the import push, background
# pushers and the Graphite bridge (libpromc-push).
if(TARGET promc_push)
  find_package(ZLIB REQUIRED)
  promc_test(test_pushers SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS unit)
  # The pusher threads again, so that the ThreadSanitizer run (label stress) sees them.
  promc_test(test_pushers_threads SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS stress ARGS --threads)
  # Starts /usr/bin/prometheus-pushgateway on a free 127.0.0.1 port.
  promc_test(test_pushers_gateway SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS integration ARGS --gateway)
  # Starts /usr/bin/carbon-cache (graphite-carbon) with a temporary config and
  # storage on free 127.0.0.1 ports; reads back with whisper-fetch.
  promc_test(test_pushers_carbon SOURCES test_pushers.c LIBS promc_push ZLIB::ZLIB LABELS integration ARGS --carbon)
  set_tests_properties(test_pushers_gateway test_pushers_carbon PROPERTIES TIMEOUT 60)
endif()
# What the Pushgateway keeps of a native histogram pushed in protobuf (the
# statement in docs/push.md): needs protoc and client_model's metrics.proto.
promc_py_test(pushgateway_native_histogram integration/pushgateway_native.py TIMEOUT 60)
