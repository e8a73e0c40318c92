# Multi-process mode (issue 6): shared-mapping storage, built into the core.
if(PROMC_BUILD_MULTIPROCESS)
  list(APPEND PROMC_CORE_EXTRA_SOURCES src/multiprocess/mp.c)
  list(APPEND PROMC_PUBLIC_HEADERS include/promc/multiprocess.h)
endif()
