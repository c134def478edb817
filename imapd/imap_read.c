/*
 * imap_read: one command's lines and literals (see imap_read.h).  The
 * command is kept as the client sent it, so that imap_parse sees exactly
 * the bytes of the wire; spooled literals leave only their "{n}" CRLF.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fdio.h"
#include "imap_read.h"

#define READ_CHUNK	16384

int
imap_read_init(struct imap_reader *r)
{
	size_t	 i;

	buf_init(&r->text, r->cmd_max);
	buf_init(&r->line, r->line_max);
	r->nlits = 0;
	for (i = 0; i < IMAP_LITERALS_MAX; i++)
		r->lits[i].fd = -1;
	return 0;
}

static void
read_close_spooled(struct imap_reader *r)
{
	size_t	 i;

	for (i = 0; i < r->nlits; i++)
		if (r->lits[i].fd != -1) {
			(void)close(r->lits[i].fd);
			r->lits[i].fd = -1;
		}
	r->nlits = 0;
}

void
imap_read_free(struct imap_reader *r)
{
	read_close_spooled(r);
	buf_wipe(&r->text);
	buf_wipe(&r->line);
}

void
imap_read_wipe(struct imap_reader *r)
{
	if (r->text.data != NULL)
		explicit_bzero(r->text.data, r->text.len);
	if (r->line.data != NULL)
		explicit_bzero(r->line.data, r->line.len);
}

/* The tag of the first line, when it has one, and whether it is APPEND. */
static int
read_first_line(struct imap_reader *r, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && i <= IMAP_TAG_MAX &&
	    imap_is_tag_char((unsigned char)s[i]); i++)
		;
	if (i == 0 || i > IMAP_TAG_MAX || i >= n || s[i] != ' ')
		return 0;
	memcpy(r->tag, s, i);
	r->tag[i] = '\0';
	i++;
	return n - i > 7 && strncasecmp(s + i, "APPEND ", 7) == 0;
}

/*
 * The literal announced at the end of line s[0..n) (before its line
 * end): 1 with *len and *sync, 0 when there is none.
 */
static int
read_literal_marker(const char *s, size_t n, size_t *len, int *sync)
{
	size_t			 i = n, end;
	unsigned long long	 v = 0;

	if (i == 0 || s[i - 1] != '}')
		return 0;
	i--;
	*sync = 1;
	if (i > 0 && s[i - 1] == '+') {
		*sync = 0;
		i--;
	}
	end = i;
	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || s[i - 1] != '{' || end - i > 10)
		return 0;
	for (; i < end; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > 0xffffffffULL)
		return 0;
	*len = (size_t)v;
	return 1;
}

static enum imap_read_status
read_fail(struct imap_reader *r, enum imap_read_status st, const char *code,
    const char *err)
{
	r->code = code;
	r->err = err;
	return st;
}

/* Reads n literal bytes into the text or into fd.  0, or -1 (gone). */
static int
read_literal_bytes(struct imap_reader *r, size_t n, int fd, int *werr)
{
	char	 chunk[READ_CHUNK];
	ssize_t	 got;
	size_t	 want;

	if (fd == -1 && buf_reserve(&r->text, n) == -1)
		return -1;
	while (n > 0) {
		want = n < sizeof(chunk) ? n : sizeof(chunk);
		if (fd == -1) {
			got = lineio_read_raw(r->io, r->text.data + r->text.len,
			    want);
			if (got > 0) {
				r->text.len += (size_t)got;
				r->text.data[r->text.len] = '\0';
			}
		} else {
			got = lineio_read_raw(r->io, chunk, want);
			if (got > 0 && !*werr &&
			    fd_write_full(fd, chunk, (size_t)got) == -1)
				*werr = 1;
		}
		if (got <= 0)
			return -1;
		n -= (size_t)got;
	}
	return 0;
}

static enum imap_read_status read_command(struct imap_reader *);

enum imap_read_status
imap_read_command(struct imap_reader *r)
{
	enum imap_read_status	 ret;
	long long		 was = r->io->deadline, end = r->deadline;

	read_close_spooled(r);
	buf_reset(&r->text);
	r->tag[0] = '\0';
	r->code = r->err = NULL;
	/* The command's own deadline, within the reader's. */
	if (r->cmd_timeout_ms > 0 && (end == 0 ||
	    fd_now_ms() + r->cmd_timeout_ms < end))
		end = fd_now_ms() + r->cmd_timeout_ms;
	lineio_set_deadline(r->io, end);
	ret = read_command(r);
	lineio_set_deadline(r->io, was);
	return ret;
}

static enum imap_read_status
read_command(struct imap_reader *r)
{
	enum line_status st;
	size_t		 n, llen, limit;
	int		 crlf, first = 1, append = 0, sync, bare_lf = 0;
	int		 fd, werr = 0;

	for (;;) {
		st = lineio_read(r->io, &r->line, r->line_max, &crlf);
		switch (st) {
		case LINE_OK:
			break;
		case LINE_EOF:
			return first ? IMAP_READ_EOF : IMAP_READ_GONE;
		case LINE_TIMEOUT:
			return IMAP_READ_TIMEOUT;
		case LINE_TOOLONG:
		case LINE_OVERFLOW:
			return read_fail(r, IMAP_READ_FATAL, NULL,
			    "line too long");
		default:
			return IMAP_READ_GONE;
		}
		if (first) {
			append = read_first_line(r, r->line.data, r->line.len);
			first = 0;
		}
		if (!crlf) {
			/* Kept in step, then refused: the line ends go CRLF. */
			bare_lf = 1;
			r->line.data[r->line.len - 1] = '\r';
			if (buf_append(&r->line, "\n", 1) == -1)
				return read_fail(r, IMAP_READ_FATAL, NULL,
				    "line too long");
		}
		if (buf_append(&r->text, r->line.data, r->line.len) == -1)
			return read_fail(r, IMAP_READ_FATAL, "TOOBIG",
			    "command too long");
		llen = r->line.len - 2;
		if (!read_literal_marker(r->line.data, llen, &n, &sync))
			break;
		limit = append ? r->append_max : r->literal_max;
		if (r->nlits == IMAP_LITERALS_MAX)
			return read_fail(r, sync ? IMAP_READ_BAD :
			    IMAP_READ_FATAL, "LIMIT", "too many literals");
		if (n > limit || (!sync && r->literal_minus &&
		    n > IMAP_LITERAL_MINUS_MAX) ||
		    ((!append || n <= IMAP_INLINE_MAX || r->spool == NULL) &&
		    n > r->cmd_max - r->text.len)) {
			if (!sync)
				return read_fail(r, IMAP_READ_FATAL, "TOOBIG",
				    "non-synchronizing literal too large");
			return read_fail(r, append ? IMAP_READ_NO :
			    IMAP_READ_BAD, "TOOBIG", "literal too large");
		}
		if (sync && (lineio_printf(r->io, "+ OK\r\n") == -1 ||
		    lineio_flush(r->io) == -1))
			return IMAP_READ_GONE;
		fd = -1;
		if (append && n > IMAP_INLINE_MAX && r->spool != NULL &&
		    (fd = r->spool(r->spool_arg)) == -1)
			werr = 1;
		r->lits[r->nlits].off = r->text.len - r->line.len + llen;
		while (r->lits[r->nlits].off > 0 &&
		    r->text.data[r->lits[r->nlits].off] != '{')
			r->lits[r->nlits].off--;
		if (r->lits[r->nlits].off > 0 &&
		    r->text.data[r->lits[r->nlits].off - 1] == '~')
			r->lits[r->nlits].off--;
		r->lits[r->nlits].len = n;
		r->lits[r->nlits].fd = fd;
		r->nlits++;
		if (read_literal_bytes(r, n, werr ? -2 : fd, &werr) == -1)
			return errno == ETIMEDOUT ? IMAP_READ_TIMEOUT :
			    IMAP_READ_GONE;
	}
	if (bare_lf)
		return read_fail(r, IMAP_READ_BAD, NULL,
		    "lines must end with CRLF");
	if (werr)
		return read_fail(r, IMAP_READ_NO, "SERVERBUG",
		    "cannot store the literal");
	return IMAP_READ_OK;
}
