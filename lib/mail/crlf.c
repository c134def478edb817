/*
 * crlf: a stored message as the wire sees it (crlf.h): every LF that has
 * no CR before it becomes CRLF, a CRLF is added after a last line without
 * one, and dot-stuffing when asked (POP3 RETR and TOP, SMTP DATA).
 *
 * Trust: see crlf.h.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "buf.h"
#include "crlf.h"

#define READ_CHUNK	(64 * 1024)

void
crlf_init(struct crlf_state *c)
{
	c->last = -1;
	c->bol = 1;
	c->lines = 0;
}

size_t
crlf_count(struct crlf_state *c, const char *p, size_t n)
{
	size_t	 i, add = n;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (c->last != '\r')
				add++;
			c->lines++;
		}
		c->last = (unsigned char)p[i];
	}
	if (n > 0)
		c->bol = c->last == '\n';
	return add;
}

size_t
crlf_count_end(const struct crlf_state *c)
{
	return c->last == -1 || c->last == '\n' ? 0 : 2;
}

ssize_t
crlf_size_fd(int fd)
{
	struct crlf_state	 c;
	char			 b[READ_CHUNK];
	size_t			 total = 0;
	ssize_t			 r;

	crlf_init(&c);
	for (;;) {
		r = read(fd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		total += crlf_count(&c, b, (size_t)r);
		if (total > (size_t)SSIZE_MAX / 2) {
			errno = EFBIG;
			return -1;
		}
	}
	return (ssize_t)(total + crlf_count_end(&c));
}

int
crlf_convert(struct crlf_state *c, const char *p, size_t n, int stuff,
    struct buf *out)
{
	size_t	 i, start = 0;

	for (i = 0; i < n; i++) {
		if (c->bol && stuff && p[i] == '.') {
			if (buf_append(out, p + start, i - start) == -1 ||
			    buf_putc(out, '.') == -1)
				return -1;
			start = i;
		}
		c->bol = 0;
		if (p[i] == '\n') {
			if (c->last != '\r') {
				if (buf_append(out, p + start, i - start) == -1 ||
				    buf_putc(out, '\r') == -1)
					return -1;
				start = i;
			}
			c->lines++;
			c->bol = 1;
		}
		c->last = (unsigned char)p[i];
	}
	return buf_append(out, p + start, n - start);
}

int
crlf_convert_end(struct crlf_state *c, struct buf *out)
{
	if (c->last == -1 || c->last == '\n')
		return 0;
	c->last = '\n';
	c->bol = 1;
	return buf_append(out, "\r\n", 2);
}
