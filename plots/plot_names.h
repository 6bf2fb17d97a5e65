/* A set of names (tenants, instances, components) numbered 0, 1, 2, ... in
 * order of first insertion, with hashed lookup. */
#ifndef PLOT_NAMES_H
#define PLOT_NAMES_H

#include <stddef.h>

typedef struct plot_names {
    char **names;      /* names[i] is the name numbered i, owned */
    size_t count;
    size_t *slots;     /* open addressing: number + 1, or 0 when empty */
    size_t slot_count; /* a power of two, at least twice count */
} plot_names;

void plot_names_init(plot_names *names);
void plot_names_deinit(plot_names *names);

/* Returns the number of name, adding it when new, or -ENOMEM. */
long plot_names_add(plot_names *names, const char *name);

/* Returns the number of name, or -1 when it is not in the set. */
long plot_names_find(const plot_names *names, const char *name);

/* Returns 1 when name can go into the helper files and into gnuplot word
 * lists: not empty, and free of spaces, commas, quotes, backslashes and
 * control characters. */
int plot_name_is_plain(const char *name);

#endif
