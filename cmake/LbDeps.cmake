# Finds lbsim's dependencies. A missing one stops the configure step with
# the name of the Debian package that provides it.

find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
    message(FATAL_ERROR
        "pkg-config not found: install the Debian package pkg-config "
        "(apt-get install pkg-config)")
endif()

# Defines the imported target PkgConfig::<target> from pkg-config module
# <module>, or stops with the Debian package to install.
function(lb_require_pkg target module debian_package)
    pkg_check_modules(${target} QUIET IMPORTED_TARGET GLOBAL ${module})
    if(NOT ${target}_FOUND)
        message(FATAL_ERROR
            "${module} not found: install the Debian package "
            "${debian_package} (apt-get install ${debian_package})")
    endif()
endfunction()

lb_require_pkg(GSL gsl libgsl-dev)
lb_require_pkg(YAML yaml-0.1 libyaml-dev)
lb_require_pkg(CMOCKA cmocka libcmocka-dev)

# libcsv ships no pkg-config file on Debian.
find_path(CSV_INCLUDE_DIR csv.h)
find_library(CSV_LIBRARY csv)
if(NOT CSV_INCLUDE_DIR OR NOT CSV_LIBRARY)
    message(FATAL_ERROR
        "libcsv not found: install the Debian package libcsv-dev "
        "(apt-get install libcsv-dev)")
endif()
add_library(lb_csv INTERFACE)
target_include_directories(lb_csv INTERFACE ${CSV_INCLUDE_DIR})
target_link_libraries(lb_csv INTERFACE ${CSV_LIBRARY})

find_library(MATH_LIBRARY m)

if(LB_REAL_MODE)
    lb_require_pkg(CURL libcurl libcurl4-openssl-dev)
    lb_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
    lb_require_pkg(JANSSON jansson libjansson-dev)
endif()
