# The HTTP helpers of the core (Accept / Accept-Encoding / name[] parsing).
list(APPEND PROMC_CORE_EXTRA_SOURCES src/expose/negotiate.c)
