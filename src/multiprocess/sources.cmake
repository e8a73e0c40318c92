# Multi-process mode (issue 6): shared-mapping storage, built into the core.
# PROMC_HAVE_MULTIPROCESS makes the core's references to it strong, so that a
# static link pulls it in.
if(PROMC_BUILD_MULTIPROCESS)
  list(APPEND PROMC_CORE_EXTRA_SOURCES src/multiprocess/mp.c)
  list(APPEND PROMC_PUBLIC_HEADERS include/promc/multiprocess.h)
  add_compile_definitions(PROMC_HAVE_MULTIPROCESS)
endif()
