# examples/any_server scraped over loopback: text, name[], gzip, OpenMetrics,
# protobuf, errors, keep-alive, promtool check metrics on its output.
if(TARGET any_server)
  add_test(NAME any_server_scrape
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/any_server_test.py
            --server $<TARGET_FILE:any_server>)
  set_tests_properties(any_server_scrape PROPERTIES LABELS integration TIMEOUT 60)
endif()
