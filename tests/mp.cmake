# SPDX-License-Identifier: Apache-2.0
# Multi-process mode.
if(PROMC_BUILD_MULTIPROCESS)
  promc_test(test_mp SOURCES test_mp.c)
  # the mode is chosen once per program: each case runs in its own process
  promc_test(test_mp_env SOURCES test_mp_setup.c ARGS env)
  add_test(NAME test_mp_full COMMAND test_mp_env full)
  set_tests_properties(test_mp_full PROPERTIES LABELS unit)
  # a fork while a value callback creates or destroys a store-held family
  promc_test(test_reentry_mp SOURCES test_reentry.c LABELS stress ARGS --mp)
  set_tests_properties(test_reentry_mp PROPERTIES TIMEOUT 60)
endif()

if(PROMC_BUILD_MULTIPROCESS AND TARGET app)
  promc_py_test(mp_app_workers integration/mp_app_workers.py TIMEOUT 300 ARGS --app $<TARGET_FILE:app>)
endif()

if(PROMC_BUILD_MULTIPROCESS AND TARGET app)
  # SIGKILL of the pre-fork master: its workers follow it, never held the
  # metrics socket, and a new master binds both ports.
  promc_py_test(app_prefork_master_kill integration/app_prefork_master_kill.py TIMEOUT 120
    ARGS --app $<TARGET_FILE:app>)
endif()
