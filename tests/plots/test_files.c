/* Scratch folders and file helpers shared by the plot tests. */
#include "test_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int plot_test_make_dir(const char *parent, const char *prefix, char *out,
                       size_t out_len)
{
    int n = snprintf(out, out_len, "%s/%s-XXXXXX", parent, prefix);

    if (n < 0 || (size_t)n >= out_len) {
        return -1;
    }
    if (mkdir(parent, 0755) != 0 && errno != EEXIST) {
        return -1;
    }
    return mkdtemp(out) != NULL ? 0 : -1;
}

void plot_test_path(char *out, size_t out_len, const char *dir,
                    const char *name)
{
    int n = snprintf(out, out_len, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= out_len) {
        fprintf(stderr, "path %s/%s is too long\n", dir, name);
        abort();
    }
}

static int plot_test_copy_file(const char *from, const char *to)
{
    char buf[8192];
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    size_t n;
    int rc = in != NULL && out != NULL ? 0 : -1;

    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            rc = -1;
        }
    }
    if (in != NULL) {
        fclose(in);
    }
    if (out != NULL && fclose(out) != 0) {
        rc = -1;
    }
    return rc;
}

int plot_test_copy_dir(const char *from_dir, const char *to_dir)
{
    DIR *dir = opendir(from_dir);
    struct dirent *entry;
    int rc = dir != NULL ? 0 : -1;

    while (rc == 0 && (entry = readdir(dir)) != NULL) {
        char from[4096];
        char to[4096];
        struct stat st;

        snprintf(from, sizeof from, "%s/%s", from_dir, entry->d_name);
        snprintf(to, sizeof to, "%s/%s", to_dir, entry->d_name);
        if (stat(from, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = plot_test_copy_file(from, to);
        }
    }
    if (dir != NULL) {
        closedir(dir);
    }
    return rc;
}

int plot_test_write(const char *dir, const char *name, const char *text)
{
    char path[4096];
    FILE *file;
    int rc;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    file = fopen(path, "w");
    if (file == NULL) {
        return -1;
    }
    rc = fputs(text, file) == EOF ? -1 : 0;
    return fclose(file) != 0 ? -1 : rc;
}

char *plot_test_read(const char *dir, const char *name)
{
    char path[4096];
    FILE *file;
    char *text = NULL;
    size_t len = 0;
    size_t cap = 0;
    int c;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    file = fopen(path, "r");
    if (file == NULL) {
        return NULL;
    }
    while ((c = fgetc(file)) != EOF) {
        if (len + 2 > cap) {
            char *grown;

            cap = cap ? cap * 2 : 4096;
            grown = realloc(text, cap);
            if (grown == NULL) {
                break;
            }
            text = grown;
        }
        text[len++] = (char)c;
        text[len] = '\0';
    }
    fclose(file);
    if (text == NULL) {
        text = calloc(1, 1);
    }
    return text;
}

int plot_test_exists(const char *dir, const char *name)
{
    char path[4096];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

size_t plot_test_count(const char *text, const char *needle)
{
    size_t count = 0;
    size_t len = strlen(needle);

    for (const char *at = strstr(text, needle); at != NULL;
         at = strstr(at + len, needle)) {
        count++;
    }
    return count;
}
