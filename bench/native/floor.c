/*
 * ringbus-floor: the floor of the Ringbus benchmarks (issue 16). A minimal single-threaded epoll
 * server in C that does, per frame, exactly the work a Ringbus server does on the frame path
 * (WIRE.md): read the 256-byte header, check the size range, verify the header CRC32C, check
 * command and cluster, read the body, verify the body CRC32C, turn the request into its reply in
 * place (command = reply, client/request/timestamp/operation and body kept; ping_client answered
 * with a header-only pong_client) and reseal the header, then write the replies of one read with
 * one write. No allocation, no copy on the frame path: the replies go out of the bytes they came in.
 *
 * Modes:
 *   --mode floor (default)  the replicated echo above;
 *   --mode echo             byte echo: returns the bytes unchanged (no parsing at all), the ceiling
 *                           the load client is measured against;
 *   --idle block (default)  epoll_wait waits for I/O;
 *   --idle poll             epoll_wait with timeout 0 in a busy loop: one core at 100%.
 *
 * Other options: --port N (0 = ephemeral, default), --max-frame BYTES (default 64 MiB, the bus
 * default max_message_size), --cluster-lo N / --cluster-hi N (default 0), --crc hw|table|auto,
 * --port-file PATH (the bound port written atomically, as EchoServerMain does), --name NAME (for
 * log lines). It binds 127.0.0.1 only, prints "port N" on stdout, and runs until SIGINT or SIGTERM,
 * or until its standard input (when it is a pipe) reaches end of file, so that a parent that dies
 * takes it along.
 *
 * A bad frame closes only its connection, with one line on stderr saying why.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define FLOOR_X86 1
#endif

/* WIRE.md offsets. */
#define HEADER_SIZE 256
#define CHECKSUM_OFFSET 0
#define CHECKSUM_BODY_OFFSET 16
#define CLUSTER_OFFSET 32
#define SIZE_OFFSET 48
#define VIEW_OFFSET 52
#define COMMAND_OFFSET 60
#define REPLICA_OFFSET 61
#define RESERVED_OFFSET 62
#define RESERVED_END 128
#define OPERATION_OFFSET 160
#define REQUEST_RESERVED_OFFSET 161

#define CMD_PING_CLIENT 3
#define CMD_PONG_CLIENT 4
#define CMD_REQUEST 5
#define CMD_REPLY 8
#define REPLICA_NONE 255

#define INITIAL_BUFFER (256 * 1024)
#define MAX_EVENTS 256
#define DEFAULT_MAX_FRAME (64 * 1024 * 1024)

/* ---- CRC32C (Castagnoli, reflected, init and final xor 0xFFFFFFFF) ---- */

static uint32_t crc_table[8][256];

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++)
    {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
        {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
    {
        for (int t = 1; t < 8; t++)
        {
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
        }
    }
}

/* Portable slicing-by-8 (little-endian loads byte by byte, so any host order works). */
static uint32_t crc32c_table(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8)
    {
        const uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        c = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^ crc_table[5][(lo >> 16) & 0xFF] ^
            crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
            crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
    {
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xFF];
    }
    return c ^ 0xFFFFFFFFu;
}

#ifdef FLOOR_X86
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(const uint8_t *p, size_t n)
{
    uint64_t c = 0xFFFFFFFFu;
    while (n >= 8)
    {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n-- > 0)
    {
        c32 = _mm_crc32_u8(c32, *p++);
    }
    return c32 ^ 0xFFFFFFFFu;
}
#endif

static uint32_t (*crc32c)(const uint8_t *, size_t) = crc32c_table;

/* ---- little-endian field access ---- */

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- configuration ---- */

static const char *server_name = "ringbus-floor";
static int echo_mode;
static int poll_mode;
static uint32_t max_frame = DEFAULT_MAX_FRAME;
static uint64_t cluster_lo;
static uint64_t cluster_hi;
static volatile sig_atomic_t stopping;

/* ---- connections ---- */

/*
 * One connection. Invariant between reads: buf[0, len) holds the start of at most one incomplete
 * frame (echo mode: nothing), because every read's complete frames are answered in place and
 * written before the next read, and what is left is moved to the front. While a write is pending
 * (out_off < out_end) the connection is not read: the replies still occupy the buffer.
 */
struct conn
{
    int fd;
    uint8_t *buf;
    uint32_t cap;
    uint32_t len;
    uint32_t consumed;     /* bytes of buf taken by answered frames (moved out after the write) */
    uint32_t out_off;      /* next byte of the pending write */
    uint32_t out_end;      /* end of the pending write */
    int header_checked;    /* the header at buf[0] passed its checks (waiting for the body) */
    char peer[32];
};

static void log_close(const struct conn *c, const char *reason)
{
    fprintf(stderr, "%s: closing %s: %s\n", server_name, c->peer, reason);
}

static void conn_free(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->buf);
    free(c);
}

static int set_interest(int ep, struct conn *c, uint32_t events)
{
    struct epoll_event ev;
    ev.events = events;
    ev.data.ptr = c;
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * Check the header at h (256 bytes available). Returns NULL if acceptable, else the reason; the
 * order is WIRE.md's: size, header checksum, then command and cluster.
 */
static const char *check_header(const uint8_t *h, char *why, size_t why_len)
{
    const uint32_t size = get_u32(h + SIZE_OFFSET);
    if (size < HEADER_SIZE || size > max_frame)
    {
        snprintf(why, why_len, "size = %u: outside %d..%u", size, HEADER_SIZE, max_frame);
        return why;
    }
    if (get_u32(h + CHECKSUM_OFFSET) != crc32c(h + CHECKSUM_BODY_OFFSET, HEADER_SIZE - CHECKSUM_BODY_OFFSET))
    {
        return "header checksum mismatch";
    }
    const uint8_t command = h[COMMAND_OFFSET];
    if (command != CMD_REQUEST && command != CMD_PING_CLIENT)
    {
        snprintf(why, why_len, "command %u: a client may send only request and ping_client", command);
        return why;
    }
    if (get_u64(h + CLUSTER_OFFSET) != cluster_lo || get_u64(h + CLUSTER_OFFSET + 8) != cluster_hi)
    {
        return "cluster is not this server's";
    }
    return NULL;
}

/*
 * Turn the verified frame at f into its answer in place: a reply of the same size and body, or a
 * header-only pong_client. cluster, client, request, timestamp and operation stay; view, release,
 * reserved bytes are zeroed, replica = none; the body checksum stays (verified, the body is the
 * same) except for a pong, which has no body; the header checksum is computed last.
 * Returns the answer's length.
 */
static uint32_t answer_in_place(uint8_t *f)
{
    const int is_request = f[COMMAND_OFFSET] == CMD_REQUEST;
    const uint32_t size = is_request ? get_u32(f + SIZE_OFFSET) : HEADER_SIZE;
    memset(f + 4, 0, CHECKSUM_BODY_OFFSET - 4);
    if (!is_request)
    {
        memset(f + CHECKSUM_BODY_OFFSET, 0, 16);
        put_u32(f + SIZE_OFFSET, HEADER_SIZE);
    }
    else
    {
        memset(f + CHECKSUM_BODY_OFFSET + 4, 0, 12);
    }
    memset(f + VIEW_OFFSET, 0, COMMAND_OFFSET - VIEW_OFFSET); /* view, release */
    f[COMMAND_OFFSET] = is_request ? CMD_REPLY : CMD_PONG_CLIENT;
    f[REPLICA_OFFSET] = REPLICA_NONE;
    memset(f + RESERVED_OFFSET, 0, RESERVED_END - RESERVED_OFFSET);
    memset(f + REQUEST_RESERVED_OFFSET, 0, HEADER_SIZE - REQUEST_RESERVED_OFFSET);
    put_u32(f + CHECKSUM_OFFSET, crc32c(f + CHECKSUM_BODY_OFFSET, HEADER_SIZE - CHECKSUM_BODY_OFFSET));
    return size;
}

/*
 * Answer every complete frame in buf[0, len) in place. Answers are packed at the front (an answer
 * shorter than its frame, a pong to a ping with a body, moves the ones after it down), so that
 * [0, out_end) is one contiguous write. Returns 0, or -1 after logging why the connection must close.
 */
static int answer_frames(struct conn *c)
{
    char why[128];
    uint32_t pos = 0;
    uint32_t out = 0;
    while (c->len - pos >= HEADER_SIZE)
    {
        uint8_t *f = c->buf + pos;
        if (!c->header_checked)
        {
            const char *reason = check_header(f, why, sizeof why);
            if (reason != NULL)
            {
                log_close(c, reason);
                return -1;
            }
            c->header_checked = 1;
        }
        const uint32_t size = get_u32(f + SIZE_OFFSET);
        if (c->len - pos < size)
        {
            break;
        }
        if (get_u32(f + CHECKSUM_BODY_OFFSET) != (size == HEADER_SIZE ? 0u : crc32c(f + HEADER_SIZE, size - HEADER_SIZE)))
        {
            log_close(c, "body checksum mismatch");
            return -1;
        }
        const uint32_t answer = answer_in_place(f);
        if (out != pos)
        {
            memmove(c->buf + out, f, answer);
        }
        out += answer;
        pos += size;
        c->header_checked = 0;
    }
    c->consumed = pos;
    c->out_off = 0;
    c->out_end = out;
    return 0;
}

/* After the write of a read's answers: move the incomplete frame left over to the front. */
static void compact(struct conn *c)
{
    const uint32_t rest = c->len - c->consumed;
    if (rest > 0 && c->consumed > 0)
    {
        memmove(c->buf, c->buf + c->consumed, rest);
    }
    c->len = rest;
    c->consumed = 0;
    c->out_off = 0;
    c->out_end = 0;
}

/* Write what is pending. Returns 1 if all is written, 0 if the socket is full, -1 on error. */
static int flush_pending(struct conn *c)
{
    while (c->out_off < c->out_end)
    {
        const ssize_t n = write(c->fd, c->buf + c->out_off, c->out_end - c->out_off);
        if (n > 0)
        {
            c->out_off += (uint32_t)n;
        }
        else if (n < 0 && errno == EINTR)
        {
            continue;
        }
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
            return 0;
        }
        else
        {
            return -1;
        }
    }
    return 1;
}

/* Make room for the frame whose verified header is at buf[0]. Returns 0 or -1 (out of memory). */
static int ensure_capacity(struct conn *c)
{
    if (c->header_checked && c->len >= HEADER_SIZE)
    {
        const uint32_t size = get_u32(c->buf + SIZE_OFFSET);
        if (size > c->cap)
        {
            uint8_t *grown = realloc(c->buf, size);
            if (grown == NULL)
            {
                return -1;
            }
            c->buf = grown;
            c->cap = size;
        }
    }
    return 0;
}

/* One read, then the answers of what it completed, written at once. Returns -1 to close. */
static int on_readable(int ep, struct conn *c)
{
    if (!echo_mode && ensure_capacity(c) < 0)
    {
        log_close(c, "out of memory for a frame");
        return -1;
    }
    const ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (n == 0)
    {
        return -1;
    }
    if (n < 0)
    {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
    c->len += (uint32_t)n;
    if (echo_mode)
    {
        c->consumed = c->len;
        c->out_off = 0;
        c->out_end = c->len;
    }
    else if (answer_frames(c) < 0)
    {
        return -1;
    }
    if (c->out_end == 0)
    {
        return 0;
    }
    const int written = flush_pending(c);
    if (written < 0)
    {
        return -1;
    }
    if (written == 0)
    {
        /* The client is not reading: stop reading it until the replies are out. */
        return set_interest(ep, c, EPOLLOUT);
    }
    compact(c);
    return 0;
}

static int on_writable(int ep, struct conn *c)
{
    const int written = flush_pending(c);
    if (written < 0)
    {
        return -1;
    }
    if (written == 1)
    {
        compact(c);
        return set_interest(ep, c, EPOLLIN);
    }
    return 0;
}

static void accept_all(int ep, int listener)
{
    for (int i = 0; i < 64; i++)
    {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        const int fd = accept4(listener, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
        {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            {
                fprintf(stderr, "%s: accept: %s\n", server_name, strerror(errno));
            }
            return;
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        uint8_t *buf = malloc(INITIAL_BUFFER);
        if (c == NULL || buf == NULL)
        {
            fprintf(stderr, "%s: out of memory for a connection\n", server_name);
            free(c);
            free(buf);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->buf = buf;
        c->cap = INITIAL_BUFFER;
        char address[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &peer.sin_addr, address, sizeof address);
        snprintf(c->peer, sizeof c->peer, "%s:%u", address, ntohs(peer.sin_port));
        struct epoll_event ev;
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        {
            fprintf(stderr, "%s: epoll_ctl: %s\n", server_name, strerror(errno));
            close(fd);
            free(buf);
            free(c);
        }
    }
}

static void on_signal(int signal)
{
    (void)signal;
    stopping = 1;
}

static int write_port_file(const char *path, int port)
{
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp%ld", path, (long)getpid());
    FILE *file = fopen(temporary, "w");
    if (file == NULL)
    {
        return -1;
    }
    fprintf(file, "%d\n", port);
    if (fclose(file) != 0)
    {
        return -1;
    }
    return rename(temporary, path);
}

static void usage(void)
{
    fprintf(stderr,
        "usage: ringbus-floor [--mode floor|echo] [--idle block|poll] [--port N] [--port-file PATH]\n"
        "                     [--max-frame BYTES] [--cluster-lo N] [--cluster-hi N] [--crc auto|hw|table]\n"
        "                     [--name NAME]\n");
    exit(2);
}

/* Listener and stdin tags: connections are tagged with their struct conn pointer. */
static char listener_tag;
static char stdin_tag;

int main(int argc, char **argv)
{
    int port = 0;
    const char *port_file = NULL;
    const char *crc_mode = "auto";
    for (int i = 1; i < argc; i++)
    {
        if (i + 1 >= argc)
        {
            usage();
        }
        const char *option = argv[i];
        const char *value = argv[++i];
        if (strcmp(option, "--mode") == 0)
        {
            if (strcmp(value, "echo") == 0) echo_mode = 1;
            else if (strcmp(value, "floor") != 0) usage();
        }
        else if (strcmp(option, "--idle") == 0)
        {
            if (strcmp(value, "poll") == 0) poll_mode = 1;
            else if (strcmp(value, "block") != 0) usage();
        }
        else if (strcmp(option, "--port") == 0) port = atoi(value);
        else if (strcmp(option, "--port-file") == 0) port_file = value;
        else if (strcmp(option, "--max-frame") == 0) max_frame = (uint32_t)strtoul(value, NULL, 10);
        else if (strcmp(option, "--cluster-lo") == 0) cluster_lo = strtoull(value, NULL, 0);
        else if (strcmp(option, "--cluster-hi") == 0) cluster_hi = strtoull(value, NULL, 0);
        else if (strcmp(option, "--crc") == 0) crc_mode = value;
        else if (strcmp(option, "--name") == 0) server_name = value;
        else usage();
    }
    if (port < 0 || port > 65535 || max_frame < HEADER_SIZE)
    {
        usage();
    }

    crc_table_init();
    const char *crc_used = "table";
#ifdef FLOOR_X86
    __builtin_cpu_init();
    if (strcmp(crc_mode, "table") != 0 && __builtin_cpu_supports("sse4.2"))
    {
        crc32c = crc32c_hw;
        crc_used = "sse4.2";
    }
#endif
    if (strcmp(crc_mode, "hw") == 0 && crc32c == crc32c_table)
    {
        fprintf(stderr, "%s: --crc hw: no SSE4.2 CRC32 instruction here\n", server_name);
        return 2;
    }
    if (crc32c((const uint8_t *)"123456789", 9) != 0xE3069283u)
    {
        fprintf(stderr, "%s: CRC32C self-check failed\n", server_name);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons((uint16_t)port);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 128) < 0)
    {
        fprintf(stderr, "%s: bind 127.0.0.1:%d: %s\n", server_name, port, strerror(errno));
        return 1;
    }
    socklen_t address_len = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &address_len);
    const int bound = ntohs(address.sin_port);

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev;
    ev.events = EPOLLIN;
    ev.data.ptr = &listener_tag;
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    struct stat in;
    if (fstat(STDIN_FILENO, &in) == 0 && S_ISFIFO(in.st_mode))
    {
        ev.events = EPOLLIN;
        ev.data.ptr = &stdin_tag;
        epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
    }

    if (port_file != NULL && write_port_file(port_file, bound) < 0)
    {
        fprintf(stderr, "%s: cannot write %s: %s\n", server_name, port_file, strerror(errno));
        return 1;
    }
    printf("port %d\n", bound);
    fflush(stdout);
    fprintf(stderr, "%s listening on 127.0.0.1:%d, pid %ld, %s, %s idle, crc32c %s\n", server_name, bound,
        (long)getpid(), echo_mode ? "byte echo" : "floor", poll_mode ? "polling" : "blocking", crc_used);

    struct epoll_event events[MAX_EVENTS];
    const int timeout_ms = poll_mode ? 0 : -1;
    while (!stopping)
    {
        const int ready = epoll_wait(ep, events, MAX_EVENTS, timeout_ms);
        if (ready < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            fprintf(stderr, "%s: epoll_wait: %s\n", server_name, strerror(errno));
            return 1;
        }
        for (int i = 0; i < ready; i++)
        {
            void *tag = events[i].data.ptr;
            if (tag == &listener_tag)
            {
                accept_all(ep, listener);
                continue;
            }
            if (tag == &stdin_tag)
            {
                char drain[256];
                if (read(STDIN_FILENO, drain, sizeof drain) <= 0)
                {
                    stopping = 1; /* the parent is gone */
                }
                continue;
            }
            struct conn *c = tag;
            int result = 0;
            if (c->out_off < c->out_end)
            {
                result = on_writable(ep, c); /* EPOLLOUT, or an error the write will report */
            }
            else
            {
                result = on_readable(ep, c);
            }
            if (result < 0)
            {
                conn_free(ep, c);
            }
        }
    }
    fprintf(stderr, "%s: stopped\n", server_name);
    return 0;
}
