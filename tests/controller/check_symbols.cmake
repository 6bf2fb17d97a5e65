# Fails when the controller library references a function that reads the
# wall clock, sleeps, draws random numbers, or does socket or file I/O: the
# controller gets time and talks to the world only through its ports.
#
# Usage: cmake -DNM=<nm> -DLIBRARY=<liblb_controller.a> -P check_symbols.cmake

cmake_minimum_required(VERSION 3.18)

if(NOT NM OR NOT LIBRARY)
    message(FATAL_ERROR "check_symbols: pass -DNM=<nm> -DLIBRARY=<archive>")
endif()

set(forbidden
    # wall clock and sleeping
    time clock_gettime gettimeofday clock ftime timespec_get
    sleep usleep nanosleep clock_nanosleep
    # random numbers
    rand rand_r random srand srandom drand48 erand48 lrand48 nrand48
    mrand48 jrand48 srand48 getrandom arc4random
    # sockets and waiting on descriptors
    socket connect bind listen accept accept4 send sendto sendmsg recv
    recvfrom recvmsg poll ppoll select pselect epoll_wait getaddrinfo
    # files, descriptors and standard streams
    fopen fdopen freopen fclose open open64 openat creat read write pread
    pwrite readv writev close dup dup2 pipe unlink
    fread fwrite fgets fputs fputc putc puts putchar getchar scanf fscanf
    printf fprintf vprintf vfprintf dprintf perror
    __printf_chk __fprintf_chk __vfprintf_chk __vprintf_chk
    stdin stdout stderr
    # processes and threads
    fork execve execvp system popen pthread_create signal raise
)

execute_process(
    COMMAND ${NM} -u ${LIBRARY}
    OUTPUT_VARIABLE undefined_text
    ERROR_VARIABLE nm_error
    RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
    message(FATAL_ERROR "check_symbols: ${NM} -u ${LIBRARY} failed: ${nm_error}")
endif()

string(REPLACE "\n" ";" lines "${undefined_text}")
set(object "")
set(found "")
set(symbol_count 0)
foreach(line IN LISTS lines)
    if(line MATCHES "^(.+\\.o):$")
        set(object "${CMAKE_MATCH_1}")
    elseif(line MATCHES "^ *U ([^ @]+)")
        set(symbol "${CMAKE_MATCH_1}")
        math(EXPR symbol_count "${symbol_count} + 1")
        if(symbol IN_LIST forbidden)
            list(APPEND found "${object}: ${symbol}")
        endif()
    endif()
endforeach()

if(symbol_count EQUAL 0)
    message(FATAL_ERROR "check_symbols: no undefined symbol read from "
                        "${LIBRARY}; is it the controller archive?")
endif()
if(found)
    list(JOIN found "\n  " found_text)
    message(FATAL_ERROR
        "check_symbols: the controller references forbidden functions:\n"
        "  ${found_text}\n"
        "Time, randomness and I/O must come through the ports.")
endif()
message(STATUS "check_symbols: ${symbol_count} undefined symbols, none "
               "forbidden")
