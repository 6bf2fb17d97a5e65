# Trace replay at scale: a day of the Azure Functions day trace, cloned and
# rate-scaled, through the simulated topology and the controller. Results
# and commands are in bench/README.md. Run: replay --help
add_executable(replay replay.c)
target_link_libraries(replay PRIVATE lb_models)
set(REPLAY_TRACE ${PROJECT_SOURCE_DIR}/scenarios/traces/azure-fn-2019-day.csv)
target_compile_definitions(replay PRIVATE
    REPLAY_TRACE_DEFAULT="${REPLAY_TRACE}")

# Smoke tests: six virtual minutes of the replay run without error, and an
# invalid option value exits with status 2. No timing is asserted.
add_test(NAME bench.replay_small_run
    COMMAND replay --hours 0.1 --clones 2 --rate-scale 0.5)
add_test(NAME bench.replay_rejects_bad_value
    COMMAND sh -c "\"$0\" --clones 0; test $? -eq 2" $<TARGET_FILE:replay>)
set_tests_properties(bench.replay_small_run bench.replay_rejects_bad_value
    PROPERTIES LABELS unit)
