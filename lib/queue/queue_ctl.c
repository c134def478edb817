/*
 * queue_ctl: requests of queued's control socket, parsed and written,
 * and the client's side of one exchange (queue_ctl.h).
 *
 * Trust: qctl_req_parse reads what any local user sends queued (fuzzed:
 * tests/fuzz/fuzz_queue_ctl.c); qctl_recv reads what queued answers
 * (the caller checks each frame's fields before it shows them).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "queue_ctl.h"

static const char *const qctl_verbs[] = {
	[QCTL_LIST] = "LIST", [QCTL_SHOW] = "SHOW", [QCTL_FLUSH] = "FLUSH",
	[QCTL_HOLD] = "HOLD", [QCTL_RELEASE] = "RELEASE",
	[QCTL_DELETE] = "DELETE", [QCTL_REQUEUE] = "REQUEUE",
};
#define QCTL_NVERBS	(sizeof(qctl_verbs) / sizeof(qctl_verbs[0]))

static const char *const qctl_targets[] = {
	[QCTL_ALL] = "ALL", [QCTL_ID] = "ID", [QCTL_DOMAIN] = "DOMAIN",
};

const char *
qctl_verb_name(int verb)
{
	if (verb < 0 || (size_t)verb >= QCTL_NVERBS)
		return "?";
	return qctl_verbs[verb];
}

int
qctl_verb_admin(int verb)
{
	return verb == QCTL_HOLD || verb == QCTL_RELEASE ||
	    verb == QCTL_REQUEUE;
}

/* The targets each verb takes, as bits of 1 << enum qctl_target. */
static int
qctl_targets_of(int verb)
{
	switch (verb) {
	case QCTL_LIST:
		return 1 << QCTL_ALL;
	case QCTL_SHOW:
		return 1 << QCTL_ID;
	case QCTL_FLUSH:
		return 1 << QCTL_ALL | 1 << QCTL_ID | 1 << QCTL_DOMAIN;
	default:
		return 1 << QCTL_ALL | 1 << QCTL_ID;
	}
}

/* A domain name or an address literal, stored in lower case. */
static int
qctl_domain(const char *s, char *out, size_t n)
{
	size_t	 i, len = strlen(s);

	if (len == 0 || len > QCTL_DOMAIN_MAX || len >= n)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '[' || c == ']' || c == ':' || c == '_'))
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[len] = '\0';
	return 0;
}

int
qctl_req_parse(char *const *f, int nf, struct qctl_req *r)
{
	size_t	 v;
	int	 t;

	memset(r, 0, sizeof(*r));
	if (nf != 3)
		return -1;
	for (v = 0; v < QCTL_NVERBS; v++)
		if (strcmp(f[0], qctl_verbs[v]) == 0)
			break;
	if (v == QCTL_NVERBS)
		return -1;
	for (t = QCTL_ALL; t <= QCTL_DOMAIN; t++)
		if (strcmp(f[1], qctl_targets[t]) == 0)
			break;
	if (t > QCTL_DOMAIN || !(qctl_targets_of((int)v) & (1 << t)))
		return -1;
	r->verb = (int)v;
	r->target = t;
	switch (t) {
	case QCTL_ALL:
		if (f[2][0] != '\0')
			return -1;
		break;
	case QCTL_ID:
		if (!queueid_valid(f[2]))
			return -1;
		(void)strlcpy(r->id, f[2], sizeof(r->id));
		break;
	case QCTL_DOMAIN:
		if (qctl_domain(f[2], r->domain, sizeof(r->domain)) == -1)
			return -1;
		break;
	}
	return 0;
}

void
qctl_req_fields(const struct qctl_req *r, const char *f[3])
{
	f[0] = qctl_verb_name(r->verb);
	f[1] = r->target >= QCTL_ALL && r->target <= QCTL_DOMAIN ?
	    qctl_targets[r->target] : "?";
	f[2] = r->target == QCTL_ID ? r->id : r->target == QCTL_DOMAIN ?
	    r->domain : "";
}

int
qctl_path(const char *control_dir, char *out, size_t n)
{
	struct sockaddr_un sun;
	int	 len;

	len = snprintf(out, n, "%s/%s", control_dir, QCTL_SOCKET_NAME);
	if (len < 0 || (size_t)len >= n || (size_t)len >= sizeof(sun.sun_path))
		return -1;
	return 0;
}

int
qctl_connect(const char *control_dir, char *err, size_t n)
{
	struct sockaddr_un sun;
	int	 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (qctl_path(control_dir, sun.sun_path, sizeof(sun.sun_path)) == -1) {
		(void)snprintf(err, n, "control_dir %s: path too long",
		    control_dir);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		(void)snprintf(err, n, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		(void)close(fd);
		(void)snprintf(err, n, "cannot reach queued at %s: %s%s",
		    sun.sun_path, strerror(saved), saved == ENOENT ||
		    saved == ECONNREFUSED ? " (is queued running?)" : "");
		return -1;
	}
	if (fd_set_nonblock(fd, 1) == -1) {
		saved = errno;
		(void)close(fd);
		(void)snprintf(err, n, "socket: %s", strerror(saved));
		return -1;
	}
	return fd;
}

int
qctl_send(struct chan *c, const struct qctl_req *r, long long deadline)
{
	const char	*f[3];
	int		 k;

	qctl_req_fields(r, f);
	if (chan_queue(c, f, 3) == -1)
		return -1;
	while ((k = chan_flush(c)) == 0)
		if (fd_wait_until(c->fd, POLLOUT, deadline) == -1)
			return -1;
	return k == 1 ? 0 : -1;
}

int
qctl_recv(struct chan *c, struct chan_msg *m, long long deadline)
{
	int	 r;

	for (;;) {
		r = chan_recv_nowait(c, m);
		if (r != 2)
			break;
		if (fd_wait_until(c->fd, POLLIN, deadline) == -1)
			return -1;
	}
	if (r == 1 && m->nfds != 0) {
		chan_msg_close_fds(m);
		return -1;
	}
	return r;
}
