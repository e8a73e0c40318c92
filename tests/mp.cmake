# Multi-process mode (issue 6).
if(PROMC_BUILD_MULTIPROCESS)
  promc_test(test_mp SOURCES test_mp.c)
  # the mode is chosen once per program: each case runs in its own process
  promc_test(test_mp_env SOURCES test_mp_setup.c ARGS env)
  add_test(NAME test_mp_full COMMAND test_mp_env full)
  set_tests_properties(test_mp_full PROPERTIES LABELS unit)
endif()

if(PROMC_BUILD_MULTIPROCESS AND TARGET app)
  add_test(NAME mp_app_workers
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/mp_app_workers.py --app $<TARGET_FILE:app>)
  set_tests_properties(mp_app_workers PROPERTIES LABELS integration TIMEOUT 300)
endif()

if(PROMC_BUILD_MULTIPROCESS AND TARGET app)
  # SIGKILL of the pre-fork master: its workers follow it, never held the
  # metrics socket, and a new master binds both ports.
  add_test(NAME app_prefork_master_kill
    COMMAND ${PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/integration/app_prefork_master_kill.py --app $<TARGET_FILE:app>)
  set_tests_properties(app_prefork_master_kill PROPERTIES LABELS integration TIMEOUT 120)
endif()
