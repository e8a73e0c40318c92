# The scale-out path: three examples/app instances scraped by an agent that
# remote-writes to a central store (examples/scale-out/ configs, free ports).
if(TARGET app)
  add_test(NAME scale_out_prometheus_agent
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/scale_out.py --mode prometheus
            --app $<TARGET_FILE:app> --examples ${PROJECT_SOURCE_DIR}/examples/scale-out)
  set_tests_properties(scale_out_prometheus_agent PROPERTIES LABELS integration TIMEOUT 60)
  if(TARGET batch_job)
    # vmagent into victoria-metrics; batch_job also pushes to vmagent's import endpoint.
    add_test(NAME scale_out_vmagent
      COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/scale_out.py --mode victoria
              --app $<TARGET_FILE:app> --batch-job $<TARGET_FILE:batch_job>
              --examples ${PROJECT_SOURCE_DIR}/examples/scale-out)
    set_tests_properties(scale_out_vmagent PROPERTIES LABELS integration TIMEOUT 60)
  endif()
endif()
