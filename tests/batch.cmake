# Tests of the batch components (issue 5): default collectors, helpers,
# textfile output, libpromc-push, node_exporter's textfile collector.
promc_test(test_process SOURCES test_process.c LABELS unit)
promc_test(test_helpers SOURCES test_helpers.c LABELS unit)
promc_test(test_helpers_break SOURCES test_helpers.c LABELS unit ARGS --break)
