/* Accepting nginx workers from /proc; see nginx_workers.h. */
#include "nginx_workers.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

pid_t live_nginx_master_pid(const char *pid_file)
{
    FILE *file = pid_file ? fopen(pid_file, "r") : NULL;
    long pid = -1;

    if (!file) {
        return -1;
    }
    if (fscanf(file, "%ld", &pid) != 1 || pid <= 1) {
        pid = -1;
    }
    fclose(file);
    return (pid_t)pid;
}

/* Reads the parent pid from /proc/<pid>/stat, whose second field (the
 * command name in brackets) may itself contain spaces. */
static pid_t live_parent_pid(const char *pid_text)
{
    char path[300], buf[512];
    long ppid = -1;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid_text);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    char state = 0;
    if (!close_paren ||
        sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2) {
        return -1;
    }
    return (pid_t)ppid;
}

static bool live_title_accepting(const char *pid_text)
{
    char path[300], title[128];

    snprintf(path, sizeof(path), "/proc/%s/cmdline", pid_text);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, title, sizeof(title) - 1);
    close(fd);
    if (n <= 0) {
        return false;
    }
    title[n] = '\0';
    return strcmp(title, "nginx: worker process") == 0;
}

int live_nginx_workers_accepting(pid_t master, pid_t *pids, size_t max)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    size_t count = 0;

    if (!proc) {
        return -errno;
    }
    while ((entry = readdir(proc)) && count < max) {
        if (!isdigit((unsigned char)entry->d_name[0]) ||
            live_parent_pid(entry->d_name) != master ||
            !live_title_accepting(entry->d_name)) {
            continue;
        }
        pids[count++] = (pid_t)atol(entry->d_name);
    }
    closedir(proc);
    return (int)count;
}

bool live_nginx_workers_gone(pid_t master, const pid_t *pids, size_t count)
{
    pid_t now[LIVE_NGINX_WORKERS_MAX];
    int now_count = live_nginx_workers_accepting(master, now,
                                                 LIVE_NGINX_WORKERS_MAX);

    if (now_count < 0) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        for (int j = 0; j < now_count; j++) {
            if (pids[i] == now[j]) {
                return false;
            }
        }
    }
    return true;
}
