/* An assert that stays on in every build type (CMake's release types define
 * NDEBUG, which turns the standard assert off). A failure prints the file,
 * line and expression, then aborts: it marks a bug in lbsim, never bad
 * input. */
#ifndef MODELS_MODEL_ASSERT_H
#define MODELS_MODEL_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define MODEL_ASSERT(expr)                                                  \
    do {                                                                    \
        if (!(expr)) {                                                      \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,      \
                    __LINE__, #expr);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

#endif
