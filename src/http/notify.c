/* src/http: sd_notify by hand (see notify.h). */
#include "http/notify.h"
#include "http/server.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

mobid_err mobid_sd_notify(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = name ? strlen(name) : 0;
    ssize_t sent;
    int fd;

    if (n == 0)
        return MOBID_OK;
    if ((name[0] != '/' && name[0] != '@') || n >= sizeof sa.sun_path || !state)
        return MOBID_ERR_INVALID_ARG;
    memcpy(sa.sun_path, name, n);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = 0; /* abstract namespace: the length below bounds the name */
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return MOBID_ERR_IO;
    sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
                  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    close(fd);
    return sent == (ssize_t)strlen(state) ? MOBID_OK : MOBID_ERR_IO;
}

int mobid_serve_until_signal(void)
{
    (void)mobid_sd_notify("READY=1");
    int sig = mobid_http_signals_wait();
    (void)mobid_sd_notify("STOPPING=1");
    return sig;
}
