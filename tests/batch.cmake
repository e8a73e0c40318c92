# Tests of the batch components (issue 5): default collectors, helpers,
# textfile output, libpromc-push, node_exporter's textfile collector.
promc_test(test_process SOURCES test_process.c LABELS unit)
promc_test(test_helpers SOURCES test_helpers.c LABELS unit)
promc_test(test_helpers_break SOURCES test_helpers.c LABELS unit ARGS --break)
promc_test(test_textfile SOURCES test_textfile.c LABELS unit)
# Needs root (CAP_SYS_ADMIN) to mount a 64 KiB tmpfs; fails loudly without.
promc_test(test_textfile_fs SOURCES test_textfile.c LABELS integration ARGS --fs)
