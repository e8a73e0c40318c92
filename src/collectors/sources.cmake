# Default collectors (process, platform, malloc), textfile output and
# promc_set_errmsg: part of the core library, no third-party dependency.
list(APPEND PROMC_CORE_EXTRA_SOURCES
  src/collectors/errmsg.c
  src/collectors/process.c
  src/collectors/platform.c
  src/collectors/defaults.c
  src/collectors/textfile.c
)
