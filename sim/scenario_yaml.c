/* Loading a YAML document with libyaml, walking its nodes, and error
 * messages that name the file, line, column and key. */
#include "scenario_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Finds the last "key:" at or above line (1-based) of the file, so that a
 * syntax error can name the key it follows. Writes "" when none is found. */
static void sim_yaml_key_near(const char *path, size_t line, char *buf,
                              size_t buf_len)
{
    FILE *file = fopen(path, "r");
    char text[512];
    size_t number = 0;

    buf[0] = '\0';
    if (file == NULL) {
        return;
    }
    while (number < line && fgets(text, sizeof(text), file) != NULL) {
        const char *cursor = text;
        size_t len = 0;

        number++;
        while (*cursor == ' ' || *cursor == '-') {
            cursor++;
        }
        while (isalnum((unsigned char)cursor[len]) || cursor[len] == '_' ||
               cursor[len] == '-' || cursor[len] == '.') {
            len++;
        }
        if (len > 0 && cursor[len] == ':' && len < buf_len) {
            memcpy(buf, cursor, len);
            buf[len] = '\0';
        }
    }
    fclose(file);
}

/* Writes where in the document a message is about: "key 'a.b'", or "top
 * level" for the document itself. */
static void sim_yaml_where(char *buf, size_t buf_len, const char *key)
{
    if (key[0] == '\0') {
        snprintf(buf, buf_len, "top level");
    } else {
        snprintf(buf, buf_len, "key '%s'", key);
    }
}

static int sim_yaml_syntax_error(sim_yaml *y, const yaml_parser_t *parser)
{
    const yaml_mark_t *mark = &parser->problem_mark;
    char key[SIM_YAML_PATH_MAX];
    char where[SIM_YAML_PATH_MAX + 8];

    sim_yaml_key_near(y->path, mark->line + 1, key, sizeof(key));
    sim_yaml_where(where, sizeof(where), key);
    snprintf(y->err, y->err_len,
             "%s:%zu:%zu: %s: expected valid YAML, got a syntax error: "
             "%s%s%s",
             y->path, mark->line + 1, mark->column + 1, where,
             parser->problem != NULL ? parser->problem : "unknown problem",
             parser->context != NULL ? " " : "",
             parser->context != NULL ? parser->context : "");
    return -EINVAL;
}

/* A scenario is one document: a second one ("---") would be ignored
 * silently, so it is an error. */
static int sim_yaml_check_single(sim_yaml *y, yaml_parser_t *parser)
{
    yaml_document_t extra;
    const yaml_node_t *root;
    int rc = 0;

    if (!yaml_parser_load(parser, &extra)) {
        return sim_yaml_syntax_error(y, parser);
    }
    root = yaml_document_get_root_node(&extra);
    if (root != NULL) {
        snprintf(y->err, y->err_len,
                 "%s:%zu:%zu: top level: expected one YAML document, got "
                 "a second one",
                 y->path, root->start_mark.line + 1,
                 root->start_mark.column + 1);
        rc = -EINVAL;
    }
    yaml_document_delete(&extra);
    return rc;
}

/* Reads the whole file into the pool, so that checks can look at the source
 * text of a node (a tag such as "!!str" leaves no other trace in libyaml's
 * document). */
static int sim_yaml_read_file(sim_yaml *y, const char *path)
{
    struct stat info;
    FILE *file = fopen(path, "rb");
    int code;

    if (file == NULL) {
        code = errno;
        snprintf(y->err, y->err_len, "%s: cannot open the scenario file: %s",
                 path, strerror(code));
        return code == ENOENT ? -ENOENT : -EINVAL;
    }
    if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
        fclose(file);
        snprintf(y->err, y->err_len,
                 "%s: expected a scenario file, got %s", path,
                 S_ISDIR(info.st_mode) ? "a folder" : "something that is not "
                                                      "a regular file");
        return -EINVAL;
    }
    y->text = sim_pool_alloc(y->pool, (size_t)info.st_size + 1);
    if (y->text == NULL) {
        fclose(file);
        snprintf(y->err, y->err_len, "%s: out of memory", path);
        return -ENOMEM;
    }
    y->text_len = fread(y->text, 1, (size_t)info.st_size, file);
    code = ferror(file) ? errno : 0;
    fclose(file);
    if (code != 0) {
        snprintf(y->err, y->err_len, "%s: cannot read the scenario file: %s",
                 path, strerror(code));
        return -EINVAL;
    }
    return 0;
}

int sim_yaml_open(sim_yaml *y, const char *path, sim_pool *pool, char *err,
                  size_t err_len)
{
    yaml_parser_t parser;
    int rc;

    memset(y, 0, sizeof(*y));
    y->path = path;
    y->pool = pool;
    y->err = err;
    y->err_len = err_len;

    rc = sim_yaml_read_file(y, path);
    if (rc != 0) {
        return rc;
    }
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, err_len, "%s: out of memory", path);
        return -ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)y->text,
                                 y->text_len);
    if (!yaml_parser_load(&parser, &y->doc)) {
        rc = sim_yaml_syntax_error(y, &parser);
    } else {
        y->loaded = true;
        if (yaml_document_get_root_node(&y->doc) == NULL) {
            snprintf(err, err_len,
                     "%s:1:1: top level: expected a mapping of scenario "
                     "keys, got an empty file",
                     path);
            rc = -EINVAL;
        }
    }
    if (rc == 0) {
        rc = sim_yaml_check_single(y, &parser);
    }

    yaml_parser_delete(&parser);
    if (rc != 0) {
        sim_yaml_close(y);
    }
    return rc;
}

bool sim_yaml_is_tagged(const sim_yaml *y, const yaml_node_t *node)
{
    size_t at = node->start_mark.index;

    /* An anchor ("&a") may come before the tag. */
    if (at < y->text_len && y->text[at] == '&') {
        at += strcspn(y->text + at, " \t\r\n");
        at += strspn(y->text + at, " \t\r\n");
    }
    return at < y->text_len && y->text[at] == '!';
}

void sim_yaml_close(sim_yaml *y)
{
    if (y->loaded) {
        yaml_document_delete(&y->doc);
        y->loaded = false;
    }
}

yaml_node_t *sim_yaml_root(sim_yaml *y)
{
    return yaml_document_get_root_node(&y->doc);
}

int sim_yaml_line(const yaml_node_t *node)
{
    return (int)node->start_mark.line + 1;
}

int sim_yaml_fail(sim_yaml *y, const yaml_node_t *node, const char *key,
                  const char *format, ...)
{
    char where[SIM_YAML_PATH_MAX + 8];
    va_list args;
    int used;

    sim_yaml_where(where, sizeof(where), key);
    used = snprintf(y->err, y->err_len, "%s:%zu:%zu: %s: ", y->path,
                    node->start_mark.line + 1, node->start_mark.column + 1,
                    where);
    if (used < 0 || (size_t)used >= y->err_len) {
        return -EINVAL;
    }
    va_start(args, format);
    vsnprintf(y->err + used, y->err_len - (size_t)used, format, args);
    va_end(args);
    return -EINVAL;
}

static bool sim_yaml_is_null(const yaml_node_t *node)
{
    const char *text = (const char *)node->data.scalar.value;

    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    return text[0] == '\0' || strcmp(text, "~") == 0 ||
           strcmp(text, "null") == 0 || strcmp(text, "Null") == 0 ||
           strcmp(text, "NULL") == 0;
}

void sim_yaml_describe(const yaml_node_t *node, char *buf, size_t buf_len)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        if (sim_yaml_is_null(node)) {
            snprintf(buf, buf_len, "nothing");
        } else if (node->data.scalar.length > 40) {
            snprintf(buf, buf_len, "'%.37s...'",
                     (const char *)node->data.scalar.value);
        } else {
            snprintf(buf, buf_len, "'%s'",
                     (const char *)node->data.scalar.value);
        }
        return;
    case YAML_SEQUENCE_NODE:
        snprintf(buf, buf_len, "a list");
        return;
    case YAML_MAPPING_NODE:
        snprintf(buf, buf_len, "a mapping");
        return;
    default:
        snprintf(buf, buf_len, "nothing");
        return;
    }
}

int sim_yaml_fail_expected(sim_yaml *y, const yaml_node_t *node,
                           const char *key, const char *what)
{
    char got[64];

    sim_yaml_describe(node, got, sizeof(got));
    return sim_yaml_fail(y, node, key, "expected %s, got %s", what, got);
}

void sim_yaml_path_key(char *buf, size_t buf_len, const char *parent,
                       const char *child)
{
    if (parent[0] == '\0') {
        snprintf(buf, buf_len, "%s", child);
    } else {
        snprintf(buf, buf_len, "%s.%s", parent, child);
    }
}

void sim_yaml_path_index(char *buf, size_t buf_len, const char *parent,
                         size_t index)
{
    snprintf(buf, buf_len, "%s[%zu]", parent, index);
}

bool sim_yaml_is_mapping(const yaml_node_t *node)
{
    return node->type == YAML_MAPPING_NODE;
}

bool sim_yaml_is_sequence(const yaml_node_t *node)
{
    return node->type == YAML_SEQUENCE_NODE;
}

bool sim_yaml_is_scalar(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE && !sim_yaml_is_null(node);
}

int sim_yaml_want_mapping(sim_yaml *y, const yaml_node_t *node,
                          const char *key)
{
    if (!sim_yaml_is_mapping(node)) {
        return sim_yaml_fail_expected(y, node, key, "a mapping");
    }
    return 0;
}

int sim_yaml_want_sequence(sim_yaml *y, const yaml_node_t *node,
                           const char *key)
{
    if (!sim_yaml_is_sequence(node)) {
        return sim_yaml_fail_expected(y, node, key, "a list");
    }
    return 0;
}

size_t sim_yaml_pair_count(const yaml_node_t *mapping)
{
    return (size_t)(mapping->data.mapping.pairs.top -
                     mapping->data.mapping.pairs.start);
}

yaml_node_t *sim_yaml_pair_key(sim_yaml *y, const yaml_node_t *mapping,
                               size_t index)
{
    return yaml_document_get_node(&y->doc,
                                  mapping->data.mapping.pairs.start[index].key);
}

yaml_node_t *sim_yaml_pair_value(sim_yaml *y, const yaml_node_t *mapping,
                                 size_t index)
{
    return yaml_document_get_node(
        &y->doc, mapping->data.mapping.pairs.start[index].value);
}

size_t sim_yaml_item_count(const yaml_node_t *sequence)
{
    return (size_t)(sequence->data.sequence.items.top -
                    sequence->data.sequence.items.start);
}

yaml_node_t *sim_yaml_item(sim_yaml *y, const yaml_node_t *sequence,
                           size_t index)
{
    return yaml_document_get_node(&y->doc,
                                  sequence->data.sequence.items.start[index]);
}

const char *sim_yaml_text(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE) {
        return NULL;
    }
    return (const char *)node->data.scalar.value;
}

yaml_node_t *sim_yaml_get(sim_yaml *y, const yaml_node_t *mapping,
                          const char *key)
{
    for (size_t i = 0; i < sim_yaml_pair_count(mapping); i++) {
        const char *text = sim_yaml_text(sim_yaml_pair_key(y, mapping, i));

        if (text != NULL && strcmp(text, key) == 0) {
            return sim_yaml_pair_value(y, mapping, i);
        }
    }
    return NULL;
}

void sim_yaml_join_names(char *buf, size_t buf_len, const char *const *names)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; names[i] != NULL && used < buf_len; i++) {
        int n = snprintf(buf + used, buf_len - used, "%s%s",
                         i > 0 ? ", " : "", names[i]);
        if (n < 0) {
            return;
        }
        used += (size_t)n;
    }
}

static bool sim_yaml_name_listed(const char *name, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

int sim_yaml_check_keys(sim_yaml *y, const yaml_node_t *mapping,
                        const char *path, const char *const *allowed)
{
    char key_path[SIM_YAML_PATH_MAX];
    char names[1024];

    for (size_t i = 0; i < sim_yaml_pair_count(mapping); i++) {
        yaml_node_t *key = sim_yaml_pair_key(y, mapping, i);
        const char *text = sim_yaml_text(key);

        if (text == NULL) {
            return sim_yaml_fail_expected(y, key, path, "a plain key");
        }
        sim_yaml_path_key(key_path, sizeof(key_path), path, text);
        if (!sim_yaml_name_listed(text, allowed)) {
            sim_yaml_join_names(names, sizeof(names), allowed);
            return sim_yaml_fail(y, key, key_path,
                                 "expected one of: %s, got unknown key '%s'",
                                 names, text);
        }
        for (size_t j = 0; j < i; j++) {
            const char *earlier = sim_yaml_text(sim_yaml_pair_key(y, mapping, j));

            if (earlier != NULL && strcmp(earlier, text) == 0) {
                return sim_yaml_fail(y, key, key_path,
                                     "expected each key once, got it twice");
            }
        }
    }
    return 0;
}

int sim_yaml_require(sim_yaml *y, const yaml_node_t *mapping,
                     const char *path, const char *const *required)
{
    char key_path[SIM_YAML_PATH_MAX];

    for (size_t i = 0; required[i] != NULL; i++) {
        if (sim_yaml_get(y, mapping, required[i]) == NULL) {
            sim_yaml_path_key(key_path, sizeof(key_path), path, required[i]);
            return sim_yaml_fail(y, mapping, key_path,
                                 "expected this key, got none (it is "
                                 "required)");
        }
    }
    return 0;
}
