# Multi-process mode (issue 6): shared-mapping storage, built into the core.
# PROMC_HAVE_MULTIPROCESS makes the core's references to it strong, so that a
# static link pulls it in. Without it, off.c keeps the API (PROMC_EUNSUPP).
if(PROMC_BUILD_MULTIPROCESS)
  list(APPEND PROMC_CORE_EXTRA_SOURCES src/multiprocess/mp.c)
  add_compile_definitions(PROMC_HAVE_MULTIPROCESS)
else()
  list(APPEND PROMC_CORE_EXTRA_SOURCES src/multiprocess/off.c)
endif()
list(APPEND PROMC_PUBLIC_HEADERS include/promc/multiprocess.h)
