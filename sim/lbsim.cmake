# lbsim: the scenario loader, the expectation checker, the output writers
# (library lb_lbsim) and the lbsim program. The loader uses the models of
# models/ to read the data files a scenario names and to build its world
# once, so that a file the world rejects fails at load time.
add_library(lb_lbsim STATIC
    scenario_checks.c
    scenario_expect.c
    scenario_faults.c
    scenario_files.c
    scenario_instances.c
    scenario_load.c
    scenario_metrics.c
    scenario_names.c
    scenario_settings.c
    scenario_tenant_events.c
    scenario_tenants.c
    scenario_topology.c
    scenario_traffic.c
    scenario_world.c
    scenario_yaml.c
    scenario_yaml_read.c
    sim_actions.c
    sim_check.c
    sim_check_sequence.c
    sim_invariants.c
    sim_match.c
    sim_metrics.c
    sim_msg_kinds.c
    sim_out_csv.c
    sim_out_dir.c
    sim_out_files.c
    sim_out_junit.c
    sim_out_mermaid.c
    sim_out_placement.c
    sim_out_summary.c
    sim_pool.c
    sim_record.c
    sim_text.c
    sim_units.c
)
target_include_directories(lb_lbsim PUBLIC
    ${CMAKE_CURRENT_SOURCE_DIR}
    ${PROJECT_SOURCE_DIR}/models
)
target_compile_definitions(lb_lbsim PRIVATE
    LBSIM_VERSION="${PROJECT_VERSION}")
target_link_libraries(lb_lbsim PUBLIC
    lb_models lb_controller lb_engine PkgConfig::YAML lb_csv ${MATH_LIBRARY})

# The program. It needs the world of models/; until that folder builds, only
# the library above and its tests exist.
if(EXISTS ${PROJECT_SOURCE_DIR}/models/CMakeLists.txt)
    add_executable(lbsim
        lbsim_main.c
        lbsim_plot.c
        lbsim_run.c
    )
    target_compile_definitions(lbsim PRIVATE
        LBSIM_VERSION="${PROJECT_VERSION}")
    target_link_libraries(lbsim PRIVATE lb_lbsim lb_models)
    if(EXISTS ${PROJECT_SOURCE_DIR}/plots/CMakeLists.txt)
        target_compile_definitions(lbsim PRIVATE LBSIM_HAVE_PLOTS)
        target_link_libraries(lbsim PRIVATE lb_plots)
    endif()
endif()
