/* Reading checked fields out of a JSON object. Each function returns 0, or
 * -EINVAL with a message in err that names the field and what was expected.
 * Strings returned point into the JSON object and live as long as it. */
#ifndef LIVE_JSON_FIELD_H
#define LIVE_JSON_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A required string that is a valid id (see id.h). */
int live_json_id(const json_t *object, const char *field, const char **value,
                 char *err, size_t err_len);

/* A string of at most max_len bytes; when optional and absent, *value is
 * fallback. */
int live_json_string(const json_t *object, const char *field, bool optional,
                     const char *fallback, size_t max_len, const char **value,
                     char *err, size_t err_len);

/* A non-negative integer no larger than max; when optional and absent,
 * *value is fallback. */
int live_json_uint(const json_t *object, const char *field, bool optional,
                   uint64_t fallback, uint64_t max, uint64_t *value,
                   char *err, size_t err_len);

/* A required array of at most max_count valid ids. */
int live_json_id_array(const json_t *object, const char *field,
                       size_t max_count, const json_t **array, char *err,
                       size_t err_len);

#endif
