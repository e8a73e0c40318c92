# OpenMetrics and protobuf writers, exemplars, content negotiation (issue 4).
list(APPEND PROMC_CORE_EXTRA_SOURCES
  src/core/exemplar.c
  src/expose/openmetrics.c
  src/expose/protobuf.c
)
