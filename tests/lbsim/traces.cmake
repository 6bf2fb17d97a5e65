# The scenarios that replay the Azure Functions traces of scenarios/traces/
# pass their checks on three seeds, so that their bounds are not fitted to
# one draw of the traffic. Each run takes a few seconds. The scaled variants
# that take minutes are checked by hand; bench/README.md lists them with
# their run times.
if(NOT TARGET lbsim)
    return()
endif()

set(LBSIM_TRACE_SCENARIOS
    10-azure-apps-8h
    11-azure-day-24h
    12-azure-apps-8h-clones
)
foreach(name ${LBSIM_TRACE_SCENARIOS})
    foreach(seed 1 2 3)
        add_test(NAME lbsim_trace_${name}_seed_${seed}
            COMMAND $<TARGET_FILE:lbsim> check
                    ${PROJECT_SOURCE_DIR}/scenarios/${name}.yaml
                    --seed ${seed}
                    --out ${CMAKE_CURRENT_BINARY_DIR}/work/traces-seed-${seed})
        set_tests_properties(lbsim_trace_${name}_seed_${seed} PROPERTIES
            LABELS scenario)
    endforeach()
endforeach()
