/* The INI reader of lbd's config file; see ini.h. */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *live_trim(char *text)
{
    while (isspace((unsigned char)*text)) {
        text++;
    }
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1])) {
        text[--len] = '\0';
    }
    return text;
}

/* Cuts a comment: '#' at the start or after a space or tab. */
static void live_cut_comment(char *line)
{
    for (char *p = line; *p; p++) {
        if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
    }
}

static int live_ini_add(live_ini *ini, const char *section, const char *key,
                        const char *value, unsigned line)
{
    live_ini_entry *grown = realloc(ini->entries,
                                    (ini->count + 1) * sizeof(*grown));
    if (!grown) {
        return -ENOMEM;
    }
    ini->entries = grown;
    live_ini_entry *entry = &ini->entries[ini->count];
    memset(entry, 0, sizeof(*entry));
    entry->section = strdup(section);
    entry->key = strdup(key);
    entry->value = strdup(value);
    entry->line = line;
    ini->count++;
    return entry->section && entry->key && entry->value ? 0 : -ENOMEM;
}

static bool live_name_valid(const char *name)
{
    if (!*name) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

static bool live_ini_section_allowed(const live_ini *ini, const char *name)
{
    if (!ini->sections) {
        return true;
    }
    for (size_t i = 0; ini->sections[i]; i++) {
        if (strcmp(ini->sections[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* Handles one line. Returns 0, or -EINVAL with err filled. */
static int live_ini_line(live_ini *ini, char *raw, unsigned line_no,
                         char *section, size_t section_len, char *err,
                         size_t err_len)
{
    live_cut_comment(raw);
    char *line = live_trim(raw);
    if (!*line) {
        return 0;
    }
    if (line[0] == '[') {
        char *close = strchr(line, ']');
        if (!close || close[1] != '\0') {
            snprintf(err, err_len, "%s:%u: expected [section]", ini->path,
                     line_no);
            return -EINVAL;
        }
        *close = '\0';
        char *name = live_trim(line + 1);
        if (!live_name_valid(name) || strlen(name) >= section_len) {
            snprintf(err, err_len, "%s:%u: invalid section name", ini->path,
                     line_no);
            return -EINVAL;
        }
        if (!live_ini_section_allowed(ini, name)) {
            snprintf(err, err_len, "%s:%u: unknown section [%s]", ini->path,
                     line_no, name);
            return -EINVAL;
        }
        snprintf(section, section_len, "%s", name);
        return 0;
    }

    char *equals = strchr(line, '=');
    if (!equals) {
        snprintf(err, err_len, "%s:%u: expected key = value", ini->path,
                 line_no);
        return -EINVAL;
    }
    *equals = '\0';
    char *key = live_trim(line);
    char *value = live_trim(equals + 1);
    if (!section[0] || !live_name_valid(key)) {
        snprintf(err, err_len, "%s:%u: %s", ini->path, line_no,
                 section[0] ? "invalid key name" : "key outside a [section]");
        return -EINVAL;
    }
    for (size_t i = 0; i < ini->count; i++) {
        if (strcmp(ini->entries[i].section, section) == 0 &&
            strcmp(ini->entries[i].key, key) == 0) {
            snprintf(err, err_len, "%s:%u: [%s] %s: duplicate key (first on "
                     "line %u)", ini->path, line_no, section, key,
                     ini->entries[i].line);
            return -EINVAL;
        }
    }
    return live_ini_add(ini, section, key, value, line_no);
}

int live_ini_load(live_ini *ini, const char *path,
                  const char *const *sections, char *err, size_t err_len)
{
    char section[64] = "";
    char buf[4096];
    unsigned line_no = 0;
    int rc = 0;

    memset(ini, 0, sizeof(*ini));
    ini->sections = sections;
    ini->path = strdup(path);
    FILE *file = fopen(path, "r");
    if (!file || !ini->path) {
        rc = -errno;
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        if (file) {
            fclose(file);
        }
        return rc ? rc : -ENOMEM;
    }
    while (fgets(buf, sizeof(buf), file)) {
        line_no++;
        if (!strchr(buf, '\n') && !feof(file)) {
            snprintf(err, err_len, "%s:%u: line longer than %zu bytes", path,
                     line_no, sizeof(buf) - 2);
            rc = -EINVAL;
            break;
        }
        rc = live_ini_line(ini, buf, line_no, section, sizeof(section), err,
                           err_len);
        if (rc != 0) {
            break;
        }
    }
    fclose(file);
    return rc;
}

void live_ini_free(live_ini *ini)
{
    for (size_t i = 0; i < ini->count; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        free(ini->entries[i].value);
    }
    free(ini->entries);
    free(ini->path);
    memset(ini, 0, sizeof(*ini));
}

live_ini_entry *live_ini_get(live_ini *ini, const char *section,
                             const char *key)
{
    for (size_t i = 0; i < ini->count; i++) {
        live_ini_entry *entry = &ini->entries[i];
        if (strcmp(entry->section, section) == 0 &&
            strcmp(entry->key, key) == 0) {
            entry->used = true;
            return entry;
        }
    }
    return NULL;
}

void live_ini_error(const live_ini *ini, const live_ini_entry *entry,
                    const char *message, char *err, size_t err_len)
{
    snprintf(err, err_len, "%s:%u: [%s] %s: %s", ini->path, entry->line,
             entry->section, entry->key, message);
}

const live_ini_entry *live_ini_unused(const live_ini *ini)
{
    for (size_t i = 0; i < ini->count; i++) {
        if (!ini->entries[i].used) {
            return &ini->entries[i];
        }
    }
    return NULL;
}
