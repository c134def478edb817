/*
 * libFuzzer target for imapd/imap_read.c and imapd/imap_parse.c: the
 * input is what a client sends, read command by command over an
 * in-memory transport (short reads, so lines and literals arrive in
 * pieces) with small limits, each command then tokenized.  Checks what
 * the reader and the tokenizer promise: a command ends with CRLF and
 * stays within its limits; a continuation request ("+ OK") is sent only
 * for a synchronizing literal within the limit; every argument lies
 * inside the text, lists nest at most IMAP_DEPTH_MAX deep and count
 * their children, atoms hold no CTL, quoted strings no CR, LF or NUL,
 * literals no NUL unless literal8.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap_parse.h"
#include "imap_read.h"

#define OUT_MAX	(1024 * 1024)

struct src {
	const uint8_t	*in;
	size_t		 len, pos;
	size_t		 out;
};

static ssize_t
fz_read(void *ctx, void *p, size_t n)
{
	struct src	*s = ctx;

	if (n > 5)
		n = 5;
	if (n > s->len - s->pos)
		n = s->len - s->pos;
	memcpy(p, s->in + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static ssize_t
fz_write(void *ctx, const void *p, size_t n)
{
	struct src	*s = ctx;

	/* Only continuation requests are written by the reader. */
	if (n % 6 != 0 || memcmp(p, "+ OK\r\n", 6) != 0)
		abort();
	s->out += n;
	return (ssize_t)n;
}

static int
fz_pending(void *ctx)
{
	(void)ctx;
	return 1;
}

static void
check_args(const struct imap_command *cmd, const char *text, size_t len,
    const struct imap_arg *a, unsigned depth)
{
	const struct imap_arg	*c;
	uint32_t		 n;
	size_t			 i;

	if (depth > IMAP_DEPTH_MAX + 1)
		abort();
	for (; a != NULL; a = imap_arg_next(cmd, a)) {
		if (a->type == IMAP_ARG_LIST) {
			for (n = 0, c = imap_arg_child(cmd, a); c != NULL;
			    c = imap_arg_next(cmd, c))
				n++;
			if (n != a->count)
				abort();
			check_args(cmd, text, len, imap_arg_child(cmd, a),
			    depth + 1);
			continue;
		}
		if (a->s < text || a->s + a->len > text + len)
			abort();
		for (i = 0; i < a->len; i++) {
			unsigned char ch = (unsigned char)a->s[i];

			if (a->type == IMAP_ARG_ATOM && (ch <= 0x20 ||
			    ch >= 0x7f) && !(ch == ' ' && memchr(a->s, '[',
			    a->len) != NULL))
				abort();
			if ((a->flags & IMAP_ARGF_QUOTED) && (ch == '\r' ||
			    ch == '\n' || ch == 0))
				abort();
			if ((a->flags & IMAP_ARGF_LITERAL) &&
			    !(a->flags & IMAP_ARGF_LITERAL8) && ch == 0)
				abort();
		}
	}
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static int		 devnull = -1;
	struct src		 s;
	struct lineio		 io;
	struct imap_reader	 r;
	struct imap_command	 cmd;
	struct line_transport	 tr;
	enum imap_read_status	 st;
	const char		*err;
	int			 rounds = 0;

	if (devnull == -1 && (devnull = open("/dev/null", O_RDWR)) == -1)
		abort();
	memset(&s, 0, sizeof(s));
	s.in = data;
	s.len = n;
	lineio_init(&io, devnull, devnull, 1000);
	tr.read = fz_read;
	tr.write = fz_write;
	tr.pending = fz_pending;
	tr.ctx = &s;
	lineio_set_transport(&io, &tr);
	memset(&r, 0, sizeof(r));
	r.io = &io;
	r.line_max = 256;
	r.literal_max = 64;
	r.append_max = 128;
	r.cmd_max = 1024;
	r.literal_minus = n > 0 && (data[0] & 1);
	r.cmd_timeout_ms = 0;
	if (imap_read_init(&r) == -1 || imap_command_init(&cmd, 64) == -1)
		abort();
	while (rounds++ < 1000) {
		st = imap_read_command(&r);
		if (st == IMAP_READ_EOF || st == IMAP_READ_GONE ||
		    st == IMAP_READ_FATAL || st == IMAP_READ_TIMEOUT)
			break;
		if (st != IMAP_READ_OK) {
			if (r.err == NULL)
				abort();
			continue;
		}
		if (r.text.len > r.cmd_max || r.text.len < 2 ||
		    memcmp(r.text.data + r.text.len - 2, "\r\n", 2) != 0)
			abort();
		if (imap_parse(r.text.data, r.text.len, r.lits, r.nlits, &cmd,
		    &err) == -1) {
			if (err == NULL)
				abort();
			continue;
		}
		if (cmd.tag[0] == '\0' || cmd.verb[0] == '\0' ||
		    cmd.nargs > cmd.cap)
			abort();
		check_args(&cmd, r.text.data, r.text.len,
		    imap_arg_at(&cmd, cmd.first), 0);
	}
	(void)lineio_flush(&io);
	imap_read_free(&r);
	imap_command_free(&cmd);
	lineio_free(&io);
	return 0;
}
