# Multi-process mode (issue 6).
if(PROMC_BUILD_MULTIPROCESS)
  promc_test(test_mp SOURCES test_mp.c)
endif()
