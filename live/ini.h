/* A small INI reader for lbd's config file:
 *
 *   # comment
 *   [section]
 *   key = value   # comment after a space
 *
 * Keys are unique within a section. Every entry remembers its line so that
 * later checks can name file, line, section and key. */
#ifndef LIVE_INI_H
#define LIVE_INI_H

#include <stdbool.h>
#include <stddef.h>

typedef struct live_ini_entry {
    char *section;
    char *key;
    char *value;
    unsigned line;
    bool used; /* set by live_ini_get; unused entries are unknown keys */
} live_ini_entry;

typedef struct live_ini {
    char *path;
    /* NULL-terminated names of the sections allowed, or NULL for any. */
    const char *const *sections;
    live_ini_entry *entries;
    size_t count;
} live_ini;

/* Reads path. A section not in sections (a NULL-terminated list, or NULL
 * to allow any) is an error. Returns 0, or a negative errno value with
 * "path:line: ..." in err. */
int live_ini_load(live_ini *ini, const char *path,
                  const char *const *sections, char *err, size_t err_len);
void live_ini_free(live_ini *ini);

/* The entry for section and key, marked used, or NULL. */
live_ini_entry *live_ini_get(live_ini *ini, const char *section,
                             const char *key);

/* Fills err with "path:line: [section] key: " followed by message. */
void live_ini_error(const live_ini *ini, const live_ini_entry *entry,
                    const char *message, char *err, size_t err_len);

/* Returns the first entry that no live_ini_get asked for, or NULL. */
const live_ini_entry *live_ini_unused(const live_ini *ini);

#endif
