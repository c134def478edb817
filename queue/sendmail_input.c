/*
 * sendmail_input: reading the message from stdin in lines without holding
 * more than one buffer of it, so a message of any size streams through,
 * and sendmail's rule that a line of a single "." ends the input.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sendmail.h"

void
input_init(struct sm_input *in, int fd)
{
	in->fd = fd;
	in->pos = in->len = 0;
	in->eof = 0;
}

static int
input_fill(struct sm_input *in)
{
	ssize_t r;

	if (in->eof)
		return 0;
	for (;;) {
		r = read(in->fd, in->buf, sizeof(in->buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		break;
	}
	in->pos = 0;
	in->len = (size_t)r;
	if (r == 0)
		in->eof = 1;
	return r > 0;
}

int
input_line(struct sm_input *in, struct buf *line, size_t max)
{
	size_t got = 0, k;
	const char *nl;
	int r;

	while (got < max) {
		if (in->pos == in->len) {
			if ((r = input_fill(in)) == -1)
				return -1;
			if (r == 0)
				break;
		}
		k = in->len - in->pos;
		if (k > max - got)
			k = max - got;
		nl = memchr(in->buf + in->pos, '\n', k);
		if (nl != NULL)
			k = (size_t)(nl - (in->buf + in->pos)) + 1;
		if (buf_append(line, in->buf + in->pos, k) == -1)
			return -1;
		in->pos += k;
		got += k;
		if (nl != NULL)
			break;
	}
	return got > 0;
}

int
input_is_dot(const struct sm_input *in, const char *line, size_t len)
{
	if (len == 2 && memcmp(line, ".\n", 2) == 0)
		return 1;
	if (len == 3 && memcmp(line, ".\r\n", 3) == 0)
		return 1;
	/* "." as the very last bytes of the input */
	return len == 1 && line[0] == '.' && in->pos == in->len && in->eof;
}
