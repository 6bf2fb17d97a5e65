# Writes OUTPUT, a C file that defines plot_script_<name> as the text of
# SOURCE_DIR/<name>.gp for each name in SCRIPTS. Run with cmake -P.
set(code "/* Generated from the gnuplot scripts in plots/; do not edit. */\n")
foreach(name IN LISTS SCRIPTS)
    file(READ "${SOURCE_DIR}/${name}.gp" hex HEX)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
           "\\1\n    " bytes "${bytes}")
    string(APPEND code "const char plot_script_${name}[] = {\n    ${bytes}0x00};\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "${code}")
# Rewrites OUTPUT only when it changed, so that nothing rebuilds needlessly.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different
                "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
