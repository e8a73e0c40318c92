# Core library tests (issue: core).
promc_test(test_metrics SOURCES test_metrics.c)
