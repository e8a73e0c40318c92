# SPDX-License-Identifier: Apache-2.0
# The scale-out path: three examples/app instances scraped by an agent that
# remote-writes to a central store (examples/scale-out/ configs, free ports).
if(TARGET app)
  promc_py_test(scale_out_prometheus_agent integration/scale_out.py TIMEOUT 60
    ARGS --mode prometheus --app $<TARGET_FILE:app> --examples ${PROJECT_SOURCE_DIR}/examples/scale-out)
  if(TARGET batch_job)
    # vmagent into victoria-metrics; batch_job also pushes to vmagent's import endpoint.
    promc_py_test(scale_out_vmagent integration/scale_out.py TIMEOUT 60
      ARGS --mode victoria --app $<TARGET_FILE:app> --batch-job $<TARGET_FILE:batch_job>
           --examples ${PROJECT_SOURCE_DIR}/examples/scale-out)
  endif()
endif()
