/* TCP loopback transport: length-prefixed messages (see tcp.h). */
#include "transport/tcp.h"
#include "common/svc_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct mobid_tcp {
    int fd;
};

static mobid_err wrap(int fd, mobid_tcp **out)
{
    mobid_tcp *c = mobid_calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return MOBID_ERR_NOMEM;
    }
    c->fd = fd;
    *out = c;
    return MOBID_OK;
}

static bool addr(const char *host, uint16_t port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    return host && inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

mobid_err mobid_tcp_listen(const char *host, uint16_t port, mobid_tcp **out, uint16_t *bound)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int one = 1, fd;
    if (!out || !addr(host, port, &sa))
        return MOBID_ERR_INVALID_ARG;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return MOBID_ERR_IO;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return MOBID_ERR_IO;
    }
    if (bound)
        *bound = ntohs(sa.sin_port);
    return wrap(fd, out);
}

void mobid_tcp_set_timeout(mobid_tcp *c, int timeout_ms)
{
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    if (!c)
        return;
    (void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void tune(mobid_tcp *c)
{
    int one = 1;
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    mobid_tcp_set_timeout(c, 60000);
}

mobid_err mobid_tcp_accept(mobid_tcp *listener, int timeout_ms, mobid_tcp **out)
{
    struct pollfd pfd;
    int fd, r;
    if (!listener || !out)
        return MOBID_ERR_INVALID_ARG;
    pfd.fd = listener->fd;
    pfd.events = POLLIN;
    do
        r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return MOBID_SVC_ERR_SESSION_EXPIRED;
    if (r < 0 || (fd = accept(listener->fd, NULL, NULL)) < 0)
        return MOBID_ERR_IO;
    mobid_err err = wrap(fd, out);
    if (!err)
        tune(*out);
    return err;
}

mobid_err mobid_tcp_connect(const char *host, uint16_t port, mobid_tcp **out)
{
    struct sockaddr_in sa;
    int fd;
    if (!out || !port || !addr(host, port, &sa))
        return MOBID_ERR_INVALID_ARG;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return MOBID_ERR_IO;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return MOBID_ERR_IO;
    }
    mobid_err err = wrap(fd, out);
    if (!err)
        tune(*out);
    return err;
}

static mobid_err write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return MOBID_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return MOBID_OK;
}

/* NOT_FOUND when the peer closed before the first byte (and eof_ok). */
static mobid_err read_all(int fd, uint8_t *p, size_t n, bool eof_ok)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 && got == 0 && eof_ok)
            return MOBID_ERR_NOT_FOUND;
        if (r <= 0)
            return MOBID_ERR_IO;
        got += (size_t)r;
    }
    return MOBID_OK;
}

static mobid_err tcp_send(void *ctx, mobid_view msg)
{
    mobid_tcp *c = ctx;
    uint8_t head[4];
    if (msg.len > UINT32_MAX)
        return MOBID_ERR_TOO_BIG;
    head[0] = (uint8_t)(msg.len >> 24);
    head[1] = (uint8_t)(msg.len >> 16);
    head[2] = (uint8_t)(msg.len >> 8);
    head[3] = (uint8_t)msg.len;
    mobid_err err = write_all(c->fd, head, 4);
    return err ? err : write_all(c->fd, msg.ptr, msg.len);
}

static mobid_err tcp_recv(void *ctx, size_t max, mobid_buf *out)
{
    mobid_tcp *c = ctx;
    uint8_t head[4];
    mobid_err err = read_all(c->fd, head, 4, true);
    if (err)
        return err;
    size_t n = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
    if (n > max)
        return MOBID_ERR_TOO_BIG; /* checked before anything is allocated */
    if ((err = mobid_buf_reserve(out, n)))
        return err;
    err = read_all(c->fd, out->ptr + out->len, n, false);
    if (!err)
        out->len += n;
    return err;
}

mobid_px_transport mobid_tcp_transport(mobid_tcp *conn)
{
    mobid_px_transport t = { conn, tcp_send, tcp_recv, NULL };
    return t;
}

void mobid_tcp_free(mobid_tcp *c)
{
    if (!c)
        return;
    close(c->fd);
    mobid_free(c);
}
