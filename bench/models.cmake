# Benchmark of the simulated topology: peak memory of a trace replay.
# Run: bench_trace_rss scenarios/traces/azure-fn-2019-day.csv 1 24
add_executable(bench_trace_rss trace_rss.c)
target_link_libraries(bench_trace_rss PRIVATE lb_models)

# Smoke test: six minutes of the day trace replay without error.
add_test(NAME bench.trace_rss_small_run
    COMMAND bench_trace_rss
        ${PROJECT_SOURCE_DIR}/scenarios/traces/azure-fn-2019-day.csv 0.1)
set_tests_properties(bench.trace_rss_small_run PROPERTIES LABELS unit)
