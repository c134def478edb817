/*
 * pop3session_retr: RETR and TOP, which send a message as RFC 1939 3 wants it
 * whatever its stored line ends: CRLF line ends, dot-stuffed, a CRLF added
 * when the file does not end with one, then ".".  The octets before the
 * stuffing are what LIST and STAT announce (lib/maildir_list).  RETR adds
 * the seen flag when pop3_mark_seen is set.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "crlf.h"
#include "maildir_list.h"
#include "pop3session.h"

#define RETR_CHUNK	(64 * 1024)
#define RETR_OUT_MAX	(3 * RETR_CHUNK)	/* worst case: stuffing + CR */

struct retr {
	struct crlf_state c;
	struct buf	 out;
	int		 in_body;	/* TOP: past the header */
	int		 nonempty;	/* TOP: the line has content */
	unsigned long	 body_lines;	/* TOP: body lines sent */
	unsigned long	 max_lines;	/* TOP: n; ULONG_MAX for RETR */
	int		 top;
};

/* Converts one piece of the file; 1 when TOP has sent enough. */
static int
retr_piece(struct retr *r, const char *p, size_t n)
{
	const char	*lf;
	size_t		 pos = 0, end, k;

	if (!r->top)
		return crlf_convert(&r->c, p, n, 1, &r->out);
	while (pos < n) {
		if (r->in_body && r->body_lines >= r->max_lines)
			return 1;
		lf = memchr(p + pos, '\n', n - pos);
		end = lf != NULL ? (size_t)(lf - p) + 1 : n;
		if (!r->in_body)
			for (k = pos; k < end; k++)
				if (p[k] != '\r' && p[k] != '\n')
					r->nonempty = 1;
		if (crlf_convert(&r->c, p + pos, end - pos, 1, &r->out) == -1)
			return -1;
		if (lf != NULL) {
			if (r->in_body)
				r->body_lines++;
			else if (!r->nonempty)
				r->in_body = 1;
			r->nonempty = 0;
		}
		pos = end;
	}
	return r->in_body && r->body_lines >= r->max_lines;
}

static int
retr_send(struct pop3 *p, size_t i, int top, unsigned long lines)
{
	struct retr	 r;
	char		 chunk[RETR_CHUNK];
	ssize_t		 got;
	int		 fd, stop = 0, ret = -1;

	if ((fd = maildir_list_open(&p->box, i)) == -1) {
		if (errno == ENOENT)
			return pop3_err(&p->c, "message %zu was removed by "
			    "another program", i + 1);
		log_warn("open %s", maildir_list_name(&p->box, i));
		return pop3_err(&p->c, "[SYS/TEMP] cannot read message %zu",
		    i + 1);
	}
	memset(&r, 0, sizeof(r));
	crlf_init(&r.c);
	buf_init(&r.out, RETR_OUT_MAX);
	r.top = top;
	r.max_lines = lines;
	if ((top ? pop3_ok(&p->c, "%s", "") : pop3_ok(&p->c, "%zu octets",
	    p->box.msgs[i].size)) == -1)
		goto out;
	while (!stop) {
		got = read(fd, chunk, sizeof(chunk));
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			/* Mid-message: no reply can say so; end the session. */
			log_warn("read %s", maildir_list_name(&p->box, i));
			goto out;
		}
		if (got == 0)
			break;
		if ((stop = retr_piece(&r, chunk, (size_t)got)) == -1)
			goto out;
		if (lineio_write(&p->c.io, r.out.data, r.out.len) == -1)
			goto out;
		buf_reset(&r.out);
	}
	if (crlf_convert_end(&r.c, &r.out) == -1 ||
	    buf_append(&r.out, ".\r\n", 3) == -1 ||
	    lineio_write(&p->c.io, r.out.data, r.out.len) == -1)
		goto out;
	ret = 0;
	if (!top && p->mark_seen &&
	    maildir_list_add_flag(&p->box, i, 'S') == -1)
		log_warn("marking %s seen", maildir_list_name(&p->box, i));
out:
	(void)close(fd);
	buf_free(&r.out);
	return ret;
}

int
pop3_cmd_retr(struct pop3 *p, const struct pop3_args *a)
{
	if (a->msg > p->box.n || p->deleted[a->msg - 1])
		return pop3_err(&p->c, "no such message");
	return retr_send(p, a->msg - 1, 0, 0);
}

int
pop3_cmd_top(struct pop3 *p, const struct pop3_args *a)
{
	if (a->msg > p->box.n || p->deleted[a->msg - 1])
		return pop3_err(&p->c, "no such message");
	return retr_send(p, a->msg - 1, 1, a->lines);
}
