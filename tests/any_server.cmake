# SPDX-License-Identifier: Apache-2.0
# examples/any_server scraped over loopback: text, name[], gzip, OpenMetrics,
# protobuf, errors, keep-alive, promtool check metrics on its output.
if(TARGET any_server)
  promc_py_test(any_server_scrape integration/any_server_test.py TIMEOUT 60 ARGS --server $<TARGET_FILE:any_server>)
endif()
