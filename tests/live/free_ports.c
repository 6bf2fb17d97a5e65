/* Prints N distinct TCP ports on 127.0.0.1 that were free a moment ago, one
 * per line, for the shell-driven tests. All are bound at once so that they
 * differ, then released. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 1;
    int fds[64];

    if (count < 1 || count > 64) {
        fprintf(stderr, "usage: live_free_ports [COUNT]  (1..64)\n");
        return 2;
    }
    for (int i = 0; i < count; i++) {
        struct sockaddr_in addr = {.sin_family = AF_INET};
        socklen_t len = sizeof(addr);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 ||
            bind(fds[i], (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&addr, &len) != 0) {
            perror("live_free_ports");
            return 1;
        }
        printf("%u\n", ntohs(addr.sin_port));
    }
    for (int i = 0; i < count; i++) {
        close(fds[i]);
    }
    return 0;
}
