/* Helpers for the real-mode tests; see support.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

extern char **environ;

uint16_t support_free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        return 0;
    }
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return 0;
    }
    close(fd);
    return ntohs(addr.sin_port);
}

int support_write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    if (!file) {
        return -errno;
    }
    fputs(text, file);
    return fclose(file) == 0 ? 0 : -errno;
}

char *support_read_file(const char *path)
{
    FILE *file = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;

    if (!file) {
        return NULL;
    }
    FILE *out = open_memstream(&text, &len);
    int c;
    while ((c = fgetc(file)) != EOF) {
        fputc(c, out);
    }
    fclose(out);
    fclose(file);
    return text;
}

static int support_remove_entry(const char *path, const struct stat *st,
                                int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void support_remove_tree(const char *path)
{
    nftw(path, support_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

pid_t support_nginx_start(const char *dir)
{
    char conf[512], error_log[512];
    pid_t pid = -1;

    snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
    snprintf(error_log, sizeof(error_log), "%s/error.log", dir);
    const char *argv[] = {"nginx", "-p", dir, "-e", error_log, "-c", conf,
                          "-g", "daemon off;", NULL};
    if (posix_spawnp(&pid, "nginx", NULL, NULL, (char *const *)argv,
                     environ) != 0) {
        return -1;
    }
    return pid;
}

void support_nginx_stop(pid_t pid)
{
    int status = 0;

    if (pid <= 0) {
        return;
    }
    kill(pid, SIGQUIT);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return;
        }
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

typedef struct support_body {
    char *data;
    size_t len;
    size_t cap;
} support_body;

static size_t support_write_cb(char *data, size_t size, size_t count,
                               void *user)
{
    support_body *body = user;
    size_t len = size * count;
    size_t room = body->cap > body->len + 1 ? body->cap - body->len - 1 : 0;
    size_t keep = len < room ? len : room;

    if (body->data && keep) {
        memcpy(body->data + body->len, data, keep);
        body->len += keep;
        body->data[body->len] = '\0';
    }
    return len;
}

long support_http_get(const char *url, const char *header, char *body,
                      size_t body_len)
{
    CURL *easy = curl_easy_init();
    struct curl_slist *headers = header ? curl_slist_append(NULL, header) :
                                          NULL;
    support_body out = {.data = body, .cap = body_len};
    long status = -1;

    if (body && body_len) {
        body[0] = '\0';
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, support_write_cb);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &out);
    if (curl_easy_perform(easy) == CURLE_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    return status;
}

bool support_wait_http(const char *url, long timeout_ms)
{
    for (long waited_ms = 0; waited_ms < timeout_ms; waited_ms += 20) {
        if (support_http_get(url, NULL, NULL, 0) > 0) {
            return true;
        }
        nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    }
    return false;
}
