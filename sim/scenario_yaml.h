/* Typed reads from a libyaml document, with errors that point into the file.
 *
 * Every read names the key by its dotted path ("topology.instances[0].id"),
 * and a failed read leaves in the error buffer one line of the form
 * "FILE:LINE:COLUMN: key 'PATH': expected WHAT, got VALUE" and returns
 * -EINVAL. An error about the document itself names "top level" in place
 * of the key. Reads of an optional key leave the output untouched when the key
 * is absent. Strings come back as copies in the caller's pool. */
#ifndef SIM_SCENARIO_YAML_H
#define SIM_SCENARIO_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "sim_pool.h"
#include "sim_time.h"

/* Maximum length of a key path in messages, in bytes. */
#define SIM_YAML_PATH_MAX 160

typedef struct sim_yaml {
    const char *path; /* the file, as given */
    char *text;       /* the file's bytes, in the pool */
    size_t text_len;
    yaml_document_t doc;
    bool loaded;
    sim_pool *pool;
    char *err;
    size_t err_len;
} sim_yaml;

/* Reads and parses the file. Returns 0, -ENOENT when it does not exist,
 * -ENOMEM, or -EINVAL when it cannot be read, is a folder, has a YAML syntax
 * error or is empty. */
int sim_yaml_open(sim_yaml *y, const char *path, sim_pool *pool, char *err,
                  size_t err_len);
void sim_yaml_close(sim_yaml *y);

yaml_node_t *sim_yaml_root(sim_yaml *y);

/* Writes "FILE:LINE:COLUMN: key 'key': " and the formatted rest at node's
 * start. Returns -EINVAL. */
int sim_yaml_fail(sim_yaml *y, const yaml_node_t *node, const char *key,
                  const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/* Fails with "expected <what>, got <node's value>". */
int sim_yaml_fail_expected(sim_yaml *y, const yaml_node_t *node,
                           const char *key, const char *what);

/* Describes node for a message: "'text'", "a list", "a mapping" or
 * "nothing". */
void sim_yaml_describe(const yaml_node_t *node, char *buf, size_t buf_len);

/* 1-based line of node. */
int sim_yaml_line(const yaml_node_t *node);

/* Joins parent and child into a key path: "parent.child", or "child" when
 * parent is empty. */
void sim_yaml_path_key(char *buf, size_t buf_len, const char *parent,
                       const char *child);
/* Writes "parent[index]". */
void sim_yaml_path_index(char *buf, size_t buf_len, const char *parent,
                         size_t index);

/* Whether node has an explicit YAML tag ("!foo 4", "!!str 4"). */
bool sim_yaml_is_tagged(const sim_yaml *y, const yaml_node_t *node);

bool sim_yaml_is_mapping(const yaml_node_t *node);
bool sim_yaml_is_sequence(const yaml_node_t *node);
bool sim_yaml_is_scalar(const yaml_node_t *node);

/* Fails unless node is a mapping (or a list, for sim_yaml_want_sequence). */
int sim_yaml_want_mapping(sim_yaml *y, const yaml_node_t *node,
                          const char *key);
int sim_yaml_want_sequence(sim_yaml *y, const yaml_node_t *node,
                           const char *key);

/* Fails on the first key of mapping that is not in allowed (a NULL-ended
 * list), or on a key given twice. path is the mapping's own key path. */
int sim_yaml_check_keys(sim_yaml *y, const yaml_node_t *mapping,
                        const char *path, const char *const *allowed);

/* Fails unless every key of required (a NULL-ended list) is in mapping. */
int sim_yaml_require(sim_yaml *y, const yaml_node_t *mapping,
                     const char *path, const char *const *required);

/* The value of key in mapping, or NULL. */
yaml_node_t *sim_yaml_get(sim_yaml *y, const yaml_node_t *mapping,
                          const char *key);

/* Pairs of a mapping and items of a list. */
size_t sim_yaml_pair_count(const yaml_node_t *mapping);
yaml_node_t *sim_yaml_pair_key(sim_yaml *y, const yaml_node_t *mapping,
                               size_t index);
yaml_node_t *sim_yaml_pair_value(sim_yaml *y, const yaml_node_t *mapping,
                                 size_t index);
size_t sim_yaml_item_count(const yaml_node_t *sequence);
yaml_node_t *sim_yaml_item(sim_yaml *y, const yaml_node_t *sequence,
                           size_t index);

/* The text of a scalar node, not copied; NULL for other nodes. */
const char *sim_yaml_text(const yaml_node_t *node);

/* Typed reads of node, named key in messages. Integers and numbers must be
 * plain scalars without a tag: "8" (quoted) or "!!str 8" is a string. */
int sim_yaml_node_string(sim_yaml *y, const yaml_node_t *node,
                         const char *key, const char **out);
int sim_yaml_node_uint(sim_yaml *y, const yaml_node_t *node, const char *key,
                       uint64_t max, uint64_t *out);
int sim_yaml_node_uint_range(sim_yaml *y, const yaml_node_t *node,
                             const char *key, uint64_t min, uint64_t max,
                             uint64_t *out);
int sim_yaml_node_double(sim_yaml *y, const yaml_node_t *node,
                         const char *key, double min, double max,
                         double *out);
int sim_yaml_node_duration(sim_yaml *y, const yaml_node_t *node,
                           const char *key, sim_time_t *out_us);
int sim_yaml_node_bool(sim_yaml *y, const yaml_node_t *node, const char *key,
                       bool *out);

/* Typed reads of an optional key of mapping; path is the mapping's path. */
int sim_yaml_opt_string(sim_yaml *y, const yaml_node_t *mapping,
                        const char *path, const char *key, const char **out);
int sim_yaml_opt_uint(sim_yaml *y, const yaml_node_t *mapping,
                      const char *path, const char *key, uint64_t max,
                      uint64_t *out);
int sim_yaml_opt_u32(sim_yaml *y, const yaml_node_t *mapping,
                     const char *path, const char *key, uint32_t max,
                     uint32_t *out);
int sim_yaml_opt_u32_range(sim_yaml *y, const yaml_node_t *mapping,
                           const char *path, const char *key, uint32_t min,
                           uint32_t max, uint32_t *out);
int sim_yaml_opt_double(sim_yaml *y, const yaml_node_t *mapping,
                        const char *path, const char *key, double min,
                        double max, double *out);
int sim_yaml_opt_duration(sim_yaml *y, const yaml_node_t *mapping,
                          const char *path, const char *key,
                          sim_time_t *out_us);
int sim_yaml_opt_bool(sim_yaml *y, const yaml_node_t *mapping,
                      const char *path, const char *key, bool *out);

/* Index of the scalar text in names (a NULL-ended list), or fails with
 * "expected one of ...". */
int sim_yaml_node_choice(sim_yaml *y, const yaml_node_t *node,
                         const char *key, const char *const *names,
                         size_t *out_index);

/* Writes the names of a NULL-ended list separated by ", ". */
void sim_yaml_join_names(char *buf, size_t buf_len, const char *const *names);

#endif
