/*
 * smtp_body: the message as DATA content.  The stored message has LF
 * line ends (docs/architecture.md); on the wire every line ends in CRLF
 * and a line that starts with a dot gets a second one (lib/mail/crlf.h),
 * nothing else changes: 8-bit bytes, long lines and NULs go as they are,
 * so the peer stores the message byte for byte.  A message with 8-bit
 * bytes goes with BODY=8BITMIME to a server that offers it, and as it is
 * to one that does not (smtp_txn.c; facteur.conf(5) says why).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crlf.h"
#include "fdio.h"
#include "smtp_client.h"

#define BODY_CHUNK	(64 * 1024)

int
smtp_body_scan(struct smtp_job *j)
{
	struct crlf_state	 cs;
	char			 b[BODY_CHUNK];
	long long		 total = 0;
	const char		*p;
	ssize_t			 r;
	ssize_t			 i;

	j->eightbit = 0;
	crlf_init(&cs);
	if (lseek(j->msgfd, 0, SEEK_SET) == -1)
		return -1;
	for (;;) {
		r = read(j->msgfd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		total += (long long)crlf_count(&cs, b, (size_t)r);
		for (i = 0, p = b; !j->eightbit && i < r; i++)
			if ((unsigned char)p[i] >= 0x80)
				j->eightbit = 1;
	}
	j->wire_size = total + (long long)crlf_count_end(&cs);
	for (p = j->rj.sender; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			j->utf8_sender = 1;
	return 0;
}

/* One block out within smtp_data_xfer_timeout (and the job's deadline). */
static int
block_send(struct smtp_conn *c, const struct smtp_settings *s,
    const struct smtp_job *j, const char *p, size_t n)
{
	long long	t = fd_now_ms() + s->data_xfer_ms;

	lineio_set_deadline(&c->io, j->deadline < t ? j->deadline : t);
	c->io.timeout_ms = s->data_xfer_ms;
	if (lineio_write(&c->io, p, n) == -1 || lineio_flush(&c->io) == -1)
		return -1;
	return 0;
}

int
smtp_body_send(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j, char *err, size_t errlen, int *local_error)
{
	struct crlf_state	 cs;
	struct buf		 out;
	char			 b[BODY_CHUNK];
	ssize_t			 r;
	int			 ret = -1;

	*local_error = 0;
	crlf_init(&cs);
	/* the worst chunk: every byte an LF, every line a dot: 3x */
	buf_init(&out, 3 * BODY_CHUNK + 8);
	if (lseek(j->msgfd, 0, SEEK_SET) == -1) {
		(void)snprintf(err, errlen, "cannot read the message: %s",
		    strerror(errno));
		*local_error = 1;
		goto done;
	}
	for (;;) {
		r = read(j->msgfd, b, sizeof(b));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			(void)snprintf(err, errlen, "cannot read the message: "
			    "%s", strerror(errno));
			*local_error = 1;
			goto done;
		}
		if (r == 0)
			break;
		buf_reset(&out);
		if (crlf_convert(&cs, b, (size_t)r, 1, &out) == -1) {
			(void)snprintf(err, errlen, "out of memory");
			*local_error = 1;
			goto done;
		}
		if (block_send(c, s, j, out.data, out.len) == -1)
			goto lost;
	}
	buf_reset(&out);
	if (crlf_convert_end(&cs, &out) == -1 ||
	    buf_append(&out, ".\r\n", 3) == -1) {
		(void)snprintf(err, errlen, "out of memory");
		*local_error = 1;
		goto done;
	}
	if (block_send(c, s, j, out.data, out.len) == -1)
		goto lost;
	ret = 0;
	goto done;
lost:
	(void)snprintf(err, errlen, "%s", errno == ETIMEDOUT ?
	    "conversation timed out" : "lost connection");
	c->usable = 0;
done:
	buf_free(&out);
	return ret;
}
