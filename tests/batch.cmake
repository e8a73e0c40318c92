# SPDX-License-Identifier: Apache-2.0
# Tests of the batch components: default collectors, helpers,
# textfile output, libpromc-push, node_exporter's textfile collector.
promc_test(test_process SOURCES test_process.c LABELS unit)
promc_test(test_helpers SOURCES test_helpers.c LABELS unit)
promc_test(test_helpers_break SOURCES test_helpers.c LABELS unit ARGS --break)
promc_test(test_textfile SOURCES test_textfile.c LABELS unit)
# Needs root (CAP_SYS_ADMIN) to mount a 64 KiB tmpfs; fails loudly without.
promc_test(test_textfile_fs SOURCES test_textfile.c LABELS integration ARGS --fs)
if(TARGET promc_push)
  promc_test(test_push SOURCES test_push.c LIBS promc_push crypt LABELS unit)
  # Start /usr/bin/prometheus-pushgateway on a free 127.0.0.1 port (the
  # second behind TLS with client certificates and basic auth; needs openssl).
  promc_test(test_pushgateway SOURCES test_push.c LIBS promc_push crypt LABELS integration ARGS --gateway)
  promc_test(test_pushgateway_tls SOURCES test_push.c LIBS promc_push crypt LABELS integration ARGS --tls)
endif()
# Starts /usr/bin/prometheus-node-exporter on a free 127.0.0.1 port; needs
# root to mount the 64 KiB tmpfs it reads from.
promc_test(test_node_exporter SOURCES test_node_exporter.c LABELS integration)
if(TARGET batch_job AND TARGET promc_push)
  # examples/batch_job end to end against a real Pushgateway.
  promc_test(test_batch_job_example SOURCES test_push.c LIBS promc_push crypt LABELS integration ARGS --example)
  add_dependencies(test_batch_job_example batch_job)
endif()
# The default collectors must be there for programs linked with libpromc.a
# too (built by hand: promc_test links the shared library).
add_executable(test_default_collectors_static test_static_defaults.c)
target_link_libraries(test_default_collectors_static PRIVATE promc_static PkgConfig::CMOCKA Threads::Threads m)
target_compile_definitions(test_default_collectors_static PRIVATE _GNU_SOURCE)
promc_warnings(test_default_collectors_static)
add_test(NAME test_default_collectors_static COMMAND test_default_collectors_static)
set_tests_properties(test_default_collectors_static PROPERTIES LABELS unit)
