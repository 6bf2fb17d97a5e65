/* A set of names numbered in order of first insertion. */
#include "plot_names.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void plot_names_init(plot_names *names)
{
    memset(names, 0, sizeof *names);
}

void plot_names_deinit(plot_names *names)
{
    for (size_t i = 0; i < names->count; i++) {
        free(names->names[i]);
    }
    free(names->names);
    free(names->slots);
    memset(names, 0, sizeof *names);
}

/* FNV-1a, 64 bits. */
static uint64_t plot_names_hash(const char *name)
{
    uint64_t hash = 14695981039346656037u;

    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        hash = (hash ^ *c) * 1099511628211u;
    }
    return hash;
}

/* Returns the slot that contains name, or the empty slot where it belongs. */
static size_t plot_names_slot(const plot_names *names, const char *name)
{
    size_t mask = names->slot_count - 1;
    size_t slot = (size_t)plot_names_hash(name) & mask;

    while (names->slots[slot] != 0 &&
           strcmp(names->names[names->slots[slot] - 1], name) != 0) {
        slot = (slot + 1) & mask;
    }
    return slot;
}

static int plot_names_grow(plot_names *names)
{
    size_t slot_count = names->slot_count ? names->slot_count * 2 : 64;
    size_t *old_slots = names->slots;
    char **grown = realloc(names->names, slot_count / 2 * sizeof *grown);

    if (grown == NULL) {
        return -ENOMEM;
    }
    names->names = grown;
    names->slots = calloc(slot_count, sizeof *names->slots);
    if (names->slots == NULL) {
        names->slots = old_slots;
        return -ENOMEM;
    }
    names->slot_count = slot_count;

    for (size_t i = 0; i < names->count; i++) {
        names->slots[plot_names_slot(names, names->names[i])] = i + 1;
    }
    free(old_slots);
    return 0;
}

long plot_names_find(const plot_names *names, const char *name)
{
    size_t slot;

    if (names->slot_count == 0) {
        return -1;
    }
    slot = plot_names_slot(names, name);
    return names->slots[slot] != 0 ? (long)names->slots[slot] - 1 : -1;
}

long plot_names_add(plot_names *names, const char *name)
{
    long found = plot_names_find(names, name);
    char *copy;

    if (found >= 0) {
        return found;
    }
    if ((names->count + 1) * 2 > names->slot_count &&
        plot_names_grow(names) != 0) {
        return -ENOMEM;
    }
    copy = strdup(name);
    if (copy == NULL) {
        return -ENOMEM;
    }

    names->names[names->count] = copy;
    names->slots[plot_names_slot(names, name)] = names->count + 1;
    return (long)names->count++;
}

int plot_name_is_plain(const char *name)
{
    if (name[0] == '\0') {
        return 0;
    }
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c <= ' ' || *c == 0x7f || *c == ',' || *c == '"' ||
            *c == '\'' || *c == '\\') {
            return 0;
        }
    }
    return 1;
}
