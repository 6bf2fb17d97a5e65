/* Validation of ids, component names, addresses and path prefixes. */
#include "id.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ports.h"

static bool live_char_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
}

bool live_id_valid(const char *id)
{
    if (!id || !live_char_alnum(id[0])) {
        return false;
    }
    size_t len = 0;
    for (const char *p = id; *p; p++, len++) {
        if (len >= LB_ID_LEN_MAX ||
            !(live_char_alnum(*p) || *p == '_' || *p == '-')) {
            return false;
        }
    }
    return true;
}

bool live_instance_type_valid(const char *type)
{
    if (!type || !live_char_alnum(type[0])) {
        return false;
    }
    size_t len = 0;
    for (const char *p = type; *p; p++, len++) {
        bool allowed = live_char_alnum(*p) || strchr("._:/-", *p) != NULL;
        if (len >= LIVE_TYPE_LEN_MAX || !allowed) {
            return false;
        }
    }
    return true;
}

bool live_component_name_valid(const char *name)
{
    size_t len = 0;

    if (!name || !name[0]) {
        return false;
    }
    for (const char *p = name; *p; p++, len++) {
        bool allowed = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
        if (len >= 15 || !allowed) {
            return false;
        }
    }
    return true;
}

static bool live_host_valid(const char *host, size_t len)
{
    if (len == 0 || len > 253) {
        return false;
    }
    if (host[0] == '[') {
        if (len < 3 || host[len - 1] != ']') {
            return false;
        }
        for (size_t i = 1; i + 1 < len; i++) {
            if (!(isxdigit((unsigned char)host[i]) || host[i] == ':' ||
                  host[i] == '.')) {
                return false;
            }
        }
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        if (!(live_char_alnum(host[i]) || host[i] == '.' || host[i] == '-')) {
            return false;
        }
    }
    return live_char_alnum(host[0]);
}

bool live_address_valid(const char *address, uint16_t *port)
{
    if (!address) {
        return false;
    }
    const char *colon = strrchr(address, ':');
    if (!colon || !live_host_valid(address, (size_t)(colon - address))) {
        return false;
    }
    if (address[0] != '[' && memchr(address, ':', (size_t)(colon - address))) {
        return false; /* an IPv6 host needs brackets */
    }

    unsigned long value = 0;
    const char *digits = colon + 1;
    if (!*digits || strlen(digits) > 5) {
        return false;
    }
    for (const char *p = digits; *p; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        value = value * 10 + (unsigned long)(*p - '0');
    }
    if (value == 0 || value > 65535) {
        return false;
    }
    if (port) {
        *port = (uint16_t)value;
    }
    return true;
}

int live_address_with_port(const char *address, unsigned port, char *out,
                           size_t out_len)
{
    if (!live_address_valid(address, NULL) || port == 0 || port > 65535) {
        return -EINVAL;
    }
    int host_len = (int)(strrchr(address, ':') - address);
    int n = snprintf(out, out_len, "%.*s:%u", host_len, address, port);
    if (n < 0 || (size_t)n >= out_len) {
        return -ENOSPC;
    }
    return 0;
}

bool live_path_prefix_valid(const char *path)
{
    if (!path || path[0] != '/' || strlen(path) > 127) {
        return false;
    }
    for (const char *p = path; *p; p++) {
        if (!(live_char_alnum(*p) || strchr("/_.-", *p))) {
            return false;
        }
    }
    return true;
}
