/* Checked JSON field access; see json_field.h. */
#include "json_field.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "id.h"

int live_json_string(const json_t *object, const char *field, bool optional,
                     const char *fallback, size_t max_len, const char **value,
                     char *err, size_t err_len)
{
    const json_t *item = json_object_get(object, field);

    if (!item) {
        if (optional) {
            *value = fallback;
            return 0;
        }
        snprintf(err, err_len, "missing field \"%s\"", field);
        return -EINVAL;
    }
    if (!json_is_string(item)) {
        snprintf(err, err_len, "field \"%s\": expected a string", field);
        return -EINVAL;
    }
    if (json_string_length(item) > max_len ||
        strlen(json_string_value(item)) != json_string_length(item)) {
        snprintf(err, err_len, "field \"%s\": longer than %zu bytes or "
                 "contains a NUL", field, max_len);
        return -EINVAL;
    }
    *value = json_string_value(item);
    return 0;
}

int live_json_id(const json_t *object, const char *field, const char **value,
                 char *err, size_t err_len)
{
    int rc = live_json_string(object, field, false, NULL, 1024, value, err,
                              err_len);
    if (rc != 0) {
        return rc;
    }
    if (!live_id_valid(*value)) {
        snprintf(err, err_len, "field \"%s\": invalid id (expected 1-63 of "
                 "[A-Za-z0-9_-], starting with a letter or digit)", field);
        return -EINVAL;
    }
    return 0;
}

int live_json_uint(const json_t *object, const char *field, bool optional,
                   uint64_t fallback, uint64_t max, uint64_t *value,
                   char *err, size_t err_len)
{
    const json_t *item = json_object_get(object, field);

    if (!item) {
        if (optional) {
            *value = fallback;
            return 0;
        }
        snprintf(err, err_len, "missing field \"%s\"", field);
        return -EINVAL;
    }
    if (!json_is_integer(item) || json_integer_value(item) < 0 ||
        (uint64_t)json_integer_value(item) > max) {
        snprintf(err, err_len, "field \"%s\": expected an integer in 0..%llu",
                 field, (unsigned long long)max);
        return -EINVAL;
    }
    *value = (uint64_t)json_integer_value(item);
    return 0;
}

int live_json_id_array(const json_t *object, const char *field,
                       size_t max_count, const json_t **array, char *err,
                       size_t err_len)
{
    const json_t *item = json_object_get(object, field);
    size_t index;
    const json_t *element;

    if (!item) {
        snprintf(err, err_len, "missing field \"%s\"", field);
        return -EINVAL;
    }
    if (!json_is_array(item) || json_array_size(item) > max_count) {
        snprintf(err, err_len, "field \"%s\": expected an array of at most "
                 "%zu ids", field, max_count);
        return -EINVAL;
    }
    json_array_foreach(item, index, element) {
        if (!json_is_string(element) ||
            !live_id_valid(json_string_value(element))) {
            snprintf(err, err_len, "field \"%s[%zu]\": invalid id (expected "
                     "1-63 of [A-Za-z0-9_-], starting with a letter or "
                     "digit)", field, index);
            return -EINVAL;
        }
    }
    *array = item;
    return 0;
}
