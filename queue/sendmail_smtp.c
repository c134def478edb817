/*
 * sendmail_smtp: `sendmail -bs`, SMTP on standard input and output, as
 * cron daemons and some MUAs submit mail.  It is the same submission as
 * sendmail's own (sm_submit): the caller's identity, no privilege, the
 * set-uid enqueue recording the caller's uid, Date, Message-ID and From
 * added when missing, Bcc dropped.  So the rules are sendmail's, not an
 * MX's: the caller is a local user who may already send any message to
 * anyone with any envelope sender through sendmail -f, so MAIL FROM is
 * taken as -f would be (a bare name gets @myhostname), every recipient
 * is accepted (there is no relay to protect: the queue routes it), and
 * no AUTH or STARTTLS is offered.  Postfix's sendmail -bs behaves alike
 * (its smtpd's access controls are off for a local caller).
 *
 * The dialogue is smtpd's, from a command table (verb, allowed state,
 * handler): a 220 greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
 * VRFY (252), HELP, QUIT; anything else 502.  Command lines are parsed
 * by lib/smtp/smtp_cmd.c; lines may end in CRLF or a bare LF (a local
 * pipe, not the network: scripts write bare LFs).  DATA ends at a line
 * of a single dot; a leading dot is removed; CRLF becomes LF; the message
 * is held in an anonymous memory file until the dot, within
 * message_size_limit (over it, 552 after the dot).  Each command waits
 * at most smtpd_timeout, the whole dialogue smtpd_session_timeout;
 * smtpd_error_limit errors end it with 421.  Replies are written before
 * the next command is read, so pipelining clients work too.
 *
 * Exit: 0 after QUIT or at the end of input (a transaction not finished
 * by then is dropped, as an SMTP server drops it), EX_IOERR when the
 * output cannot be written, EX_TEMPFAIL on a time-out.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "dsn.h"
#include "fdio.h"
#include "lineio.h"
#include "queue_env.h"
#include "sendmail.h"
#include "smtp_cmd.h"

#define BS_LINE_MAX	(64 * 1024)	/* octets of a DATA line, LF included */

enum bs_state { BS_IDLE, BS_MAIL, BS_RCPT };

struct bs {
	const struct sm_ctx	*c;
	struct lineio		 io;
	enum bs_state		 state;
	char			*sender;
	struct sm_rcpts		 rcpts;
	struct sm_dsn		 dsn;		/* NOTIFY, ORCPT per rcpts.v */
	int			 utf8;
	unsigned		 errors;
	int			 quit;
	int			 fail;		/* exit code when nonzero */
	long long		 deadline;	/* ms, smtpd_session_timeout */
};

struct bs_cmd {
	const char	*verb;
	int		 states;	/* bit per enum bs_state; 0: any */
	int		(*fn)(struct bs *, const struct smtp_cmd *);
};

static int	bs_helo(struct bs *, const struct smtp_cmd *);
static int	bs_ehlo(struct bs *, const struct smtp_cmd *);
static int	bs_mail(struct bs *, const struct smtp_cmd *);
static int	bs_rcpt(struct bs *, const struct smtp_cmd *);
static int	bs_data(struct bs *, const struct smtp_cmd *);
static int	bs_rset(struct bs *, const struct smtp_cmd *);
static int	bs_noop(struct bs *, const struct smtp_cmd *);
static int	bs_vrfy(struct bs *, const struct smtp_cmd *);
static int	bs_help(struct bs *, const struct smtp_cmd *);
static int	bs_quit(struct bs *, const struct smtp_cmd *);

#define S(x)	(1 << (x))

/* Adding a command is adding a row. */
static const struct bs_cmd bs_cmds[] = {
	{ "HELO", 0, bs_helo },
	{ "EHLO", 0, bs_ehlo },
	{ "MAIL", S(BS_IDLE), bs_mail },
	{ "RCPT", S(BS_MAIL) | S(BS_RCPT), bs_rcpt },
	{ "DATA", S(BS_RCPT), bs_data },
	{ "RSET", 0, bs_rset },
	{ "NOOP", 0, bs_noop },
	{ "VRFY", 0, bs_vrfy },
	{ "HELP", 0, bs_help },
	{ "QUIT", 0, bs_quit },
	{ NULL, 0, NULL }
};

static int
bs_reply(struct bs *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bs_reply(struct bs *b, const char *fmt, ...)
{
	char	line[SMTP_TEXT_LINE_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(line) - 2)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (lineio_write(&b->io, line, (size_t)n) == -1) {
		b->fail = EX_IOERR;
		return -1;
	}
	return 0;
}

static void
bs_reset(struct bs *b)
{
	size_t	i;

	for (i = 0; i < b->rcpts.n; i++)
		free(b->rcpts.v[i]);
	free(b->rcpts.v);
	b->rcpts.v = NULL;
	for (i = 0; i < b->rcpts.n; i++)
		free(b->dsn.orcpt[i]);
	free(b->dsn.orcpt);
	free(b->dsn.notify);
	memset(&b->dsn, 0, sizeof(b->dsn));
	b->rcpts.n = 0;
	b->rcpts.why = NULL;
	free(b->sender);
	b->sender = NULL;
	b->utf8 = 0;
	b->state = BS_IDLE;
}

static int
bs_error(struct bs *b, int code, const char *enh, const char *text)
{
	b->errors++;
	return bs_reply(b, "%d %s %s", code, enh, text);
}

static int
bs_helo(struct bs *b, const struct smtp_cmd *cmd)
{
	struct smtp_err	 e;
	char		 name[SMTP_HELO_MAX + 1];

	if (smtp_helo_parse(cmd->arg, cmd->arglen, name, &e) == -1)
		return bs_error(b, e.code, e.enh, e.text);
	bs_reset(b);
	return bs_reply(b, "250 %s", b->c->host);
}

static int
bs_ehlo(struct bs *b, const struct smtp_cmd *cmd)
{
	struct smtp_err	 e;
	char		 name[SMTP_HELO_MAX + 1];

	if (smtp_helo_parse(cmd->arg, cmd->arglen, name, &e) == -1)
		return bs_error(b, e.code, e.enh, e.text);
	bs_reset(b);
	if (bs_reply(b, "250-%s", b->c->host) == -1 ||
	    bs_reply(b, "250-PIPELINING") == -1 ||
	    bs_reply(b, "250-SIZE %lld", conf_int(b->c->conf,
	    "message_size_limit")) == -1 ||
	    bs_reply(b, "250-8BITMIME") == -1 ||
	    bs_reply(b, "250-DSN") == -1 ||
	    bs_reply(b, "250-SMTPUTF8") == -1)
		return -1;
	return bs_reply(b, "250 ENHANCEDSTATUSCODES");
}

/*
 * A bare <user> in MAIL FROM gets @myhostname, as sendmail -f user does:
 * the argument with the domain put in, into out; 0, or -1 when it is not
 * of that shape (the argument is then parsed as it is).
 */
static int
bs_mail_bare(const struct bs *b, const struct smtp_cmd *cmd, char *out,
    size_t outsz)
{
	const char	*lt = memchr(cmd->arg, '<', cmd->arglen), *gt;
	int		 n;

	if (lt == NULL || (gt = memchr(lt, '>', cmd->arglen - (size_t)(lt -
	    cmd->arg))) == NULL || gt == lt + 1 ||
	    memchr(lt, '@', (size_t)(gt - lt)) != NULL)
		return -1;
	n = snprintf(out, outsz, "%.*s@%s%.*s", (int)(gt - cmd->arg),
	    cmd->arg, b->c->host, (int)(cmd->arglen - (size_t)(gt - cmd->arg)),
	    gt);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* MAIL FROM: as sendmail -f would take it; <> is the null sender. */
static int
bs_mail(struct bs *b, const struct smtp_cmd *cmd)
{
	struct smtp_mail_args	 m;
	struct smtp_err		 e;
	char			 arg[SMTP_CMD_LINE_MAX + SM_HOSTNAME_MAX + 2];

	if (bs_mail_bare(b, cmd, arg, sizeof(arg)) == 0) {
		if (smtp_mail_parse(arg, strlen(arg), &m, &e) == -1)
			return bs_error(b, e.code, e.enh, e.text);
	} else if (smtp_mail_parse(cmd->arg, cmd->arglen, &m, &e) == -1)
		return bs_error(b, e.code, e.enh, e.text);
	if (m.size > conf_int(b->c->conf, "message_size_limit"))
		return bs_error(b, 552, "5.3.4", "message too large");
	/* RET and ENVID (checked by the parser), for the extension */
	if (m.envid[0] != '\0' && dsn_envid_parse(m.envid, strlen(m.envid),
	    b->dsn.envid, sizeof(b->dsn.envid)) == -1)
		return bs_error(b, 501, "5.5.4", "bad ENVID");
	b->dsn.ret = m.ret;
	b->sender = m.path.null ? strdup("") :
	    sm_path_text(&m.path, b->c->host);
	if (b->sender == NULL)
		return bs_error(b, 451, "4.3.0", "out of memory");
	b->utf8 = m.smtputf8;
	b->rcpts.host = b->c->host;
	b->state = BS_MAIL;
	return bs_reply(b, "250 2.1.0 Ok");
}

/*
 * Room for one more recipient's NOTIFY and ORCPT, beside rcpts.v; 0, or
 * -1 (out of memory).
 */
static int
bs_dsn_grow(struct bs *b)
{
	size_t	 n = b->rcpts.n + 1;
	int	*nv;
	char	**ov;

	if ((nv = reallocarray(b->dsn.notify, n, sizeof(*nv))) == NULL)
		return -1;
	b->dsn.notify = nv;
	if ((ov = reallocarray(b->dsn.orcpt, n, sizeof(*ov))) == NULL)
		return -1;
	b->dsn.orcpt = ov;
	return 0;
}

/* RCPT TO: any recipient, with its NOTIFY and ORCPT (RFC 3461). */
static int
bs_rcpt(struct bs *b, const struct smtp_cmd *cmd)
{
	struct smtp_rcpt_args	 a;
	struct smtp_err		 e;
	char			 orcpt[DSN_ORCPT_MAX + 1], *o = NULL;
	size_t			 i = b->rcpts.n;

	if (smtp_rcpt_parse_args(cmd->arg, cmd->arglen, b->utf8, &a, &e) ==
	    -1)
		return bs_error(b, e.code, e.enh, e.text);
	if (b->rcpts.n >= (size_t)conf_int(b->c->conf,
	    "smtpd_recipient_limit"))
		return bs_reply(b, "452 4.5.3 too many recipients");
	if (a.orcpt[0] != '\0') {
		if (dsn_orcpt_parse(a.orcpt, strlen(a.orcpt), orcpt,
		    sizeof(orcpt)) == -1)
			return bs_error(b, 501, "5.5.4", "bad ORCPT");
		if ((o = strdup(orcpt)) == NULL)
			return bs_error(b, 451, "4.3.0", "out of memory");
	}
	if (bs_dsn_grow(b) == -1) {
		free(o);
		return bs_error(b, 451, "4.3.0", "out of memory");
	}
	if (sm_rcpt_add(&b->rcpts, &a.path) != 0) {
		free(o);
		return bs_error(b, 452, "4.5.3", b->rcpts.why);
	}
	if (b->rcpts.n == i) {		/* nothing added (an empty path) */
		free(o);
		return bs_reply(b, "250 2.1.5 Ok");
	}
	b->dsn.notify[i] = a.notify;
	b->dsn.orcpt[i] = o;
	b->state = BS_RCPT;
	return bs_reply(b, "250 2.1.5 Ok");
}

/*
 * The message up to the lone dot, into an anonymous file; 0, 1 when it
 * was over message_size_limit (read to its end all the same), -1 when
 * the input ended or failed first.
 */
static int
bs_data_read(struct bs *b, int fd)
{
	struct buf	 line;
	long long	 max = conf_int(b->c->conf, "message_size_limit");
	long long	 total = 0;
	enum line_status st;
	const char	*p;
	size_t		 n;
	int		 crlf, over = 0, rc = -1;

	buf_init(&line, BS_LINE_MAX);
	for (;;) {
		st = lineio_read(&b->io, &line, BS_LINE_MAX, &crlf);
		if (st == LINE_TOOLONG) {
			over = 1;	/* a line past any message's shape */
			continue;
		}
		if (st != LINE_OK)
			break;
		p = line.data;
		n = line.len - 1 - (crlf ? 1 : 0);
		if (n == 1 && p[0] == '.') {
			rc = over;
			break;
		}
		if (n > 0 && p[0] == '.') {
			p++;
			n--;
		}
		total += (long long)n + 1;
		if (total > max)
			over = 1;
		if (over)
			continue;
		if (fd_write_full(fd, p, n) == -1 ||
		    fd_write_full(fd, "\n", 1) == -1) {
			b->fail = EX_IOERR;
			break;
		}
	}
	if (st == LINE_TIMEOUT)
		b->fail = EX_TEMPFAIL;
	buf_free(&line);
	return rc;
}

static int
bs_data(struct bs *b, const struct smtp_cmd *cmd)
{
	struct sm_input	*in;
	char		 err[512];
	int		 fd, r, code;

	if (cmd->arglen != 0)
		return bs_error(b, 501, "5.5.4", "DATA takes no argument");
	if ((fd = memfd_create("sendmail-bs", MFD_CLOEXEC)) == -1)
		return bs_error(b, 451, "4.3.0", "cannot hold the message");
	if (bs_reply(b, "354 End data with <CR><LF>.<CR><LF>") == -1 ||
	    lineio_flush(&b->io) == -1) {
		(void)close(fd);
		b->fail = EX_IOERR;
		return -1;
	}
	r = bs_data_read(b, fd);
	if (r == -1) {
		(void)close(fd);
		b->quit = 1;	/* the input ended inside DATA */
		return 0;
	}
	if (r == 1) {
		(void)close(fd);
		bs_reset(b);
		return bs_error(b, 552, "5.3.4", "message too large");
	}
	if (lseek(fd, 0, SEEK_SET) == -1 || (in = malloc(sizeof(*in))) ==
	    NULL) {
		(void)close(fd);
		bs_reset(b);
		return bs_error(b, 451, "4.3.0", "cannot read the message "
		    "back");
	}
	input_init(in, fd);
	code = sm_submit(b->c, b->sender, &b->rcpts, &b->dsn, in, 0, 0, err,
	    sizeof(err));
	free(in);
	(void)close(fd);
	bs_reset(b);
	if (code == EX_OK)
		return bs_reply(b, "250 2.0.0 Ok: queued");
	if (code == EX_TEMPFAIL || code == EX_OSERR || code == EX_IOERR)
		return bs_error(b, 451, "4.3.0", err);
	return bs_error(b, 554, "5.6.0", err);
}

static int
bs_rset(struct bs *b, const struct smtp_cmd *cmd)
{
	(void)cmd;
	bs_reset(b);
	return bs_reply(b, "250 2.0.0 Ok");
}

static int
bs_noop(struct bs *b, const struct smtp_cmd *cmd)
{
	(void)cmd;
	return bs_reply(b, "250 2.0.0 Ok");
}

static int
bs_vrfy(struct bs *b, const struct smtp_cmd *cmd)
{
	(void)cmd;
	return bs_reply(b, "252 2.5.2 Send mail to find out");
}

static int
bs_help(struct bs *b, const struct smtp_cmd *cmd)
{
	(void)cmd;
	return bs_reply(b, "214 2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP VRFY "
	    "QUIT");
}

static int
bs_quit(struct bs *b, const struct smtp_cmd *cmd)
{
	(void)cmd;
	b->quit = 1;
	return bs_reply(b, "221 2.0.0 Bye");
}

static long long
bs_now_ms(void)
{
	return fd_now_ms();
}

/* One command line (its terminator removed). */
static int
bs_command(struct bs *b, const char *line, size_t n)
{
	const struct bs_cmd	*t;
	struct smtp_cmd		 cmd;
	struct smtp_err		 e;

	if (smtp_cmd_split(line, n, &cmd, &e) == -1)
		return bs_error(b, e.code, e.enh, e.text);
	for (t = bs_cmds; t->verb != NULL; t++)
		if (strcmp(t->verb, cmd.verb) == 0)
			break;
	if (t->verb == NULL)
		return bs_error(b, 502, "5.5.2", "command not implemented");
	if (t->states != 0 && (t->states & S(b->state)) == 0)
		return bs_error(b, 503, "5.5.1", "bad sequence of commands");
	return t->fn(b, &cmd);
}

int
sm_smtp(const struct sm_ctx *c)
{
	struct bs		 b;
	struct buf		 line;
	enum line_status	 st;
	int			 crlf;

	memset(&b, 0, sizeof(b));
	b.c = c;
	b.state = BS_IDLE;
	b.deadline = bs_now_ms() + conf_int(c->conf, "smtpd_session_timeout") *
	    1000;
	lineio_init(&b.io, STDIN_FILENO, STDOUT_FILENO,
	    (int)conf_int(c->conf, "smtpd_timeout") * 1000);
	buf_init(&line, SMTP_CMD_LINE_MAX);
	(void)bs_reply(&b, "220 %s ESMTP facteur (sendmail -bs)", c->host);
	while (!b.quit && b.fail == 0) {
		if (lineio_flush(&b.io) == -1) {
			b.fail = EX_IOERR;
			break;
		}
		if (bs_now_ms() >= b.deadline) {
			(void)bs_reply(&b, "421 4.4.2 %s session too long",
			    c->host);
			b.fail = EX_TEMPFAIL;
			break;
		}
		st = lineio_read(&b.io, &line, SMTP_CMD_LINE_MAX, &crlf);
		if (st == LINE_EOF || st == LINE_PARTIAL)
			break;
		if (st == LINE_TIMEOUT) {
			(void)bs_reply(&b, "421 4.4.2 %s timeout", c->host);
			b.fail = EX_TEMPFAIL;
			break;
		}
		if (st == LINE_ERROR) {
			b.fail = EX_IOERR;
			break;
		}
		if (st == LINE_TOOLONG)
			(void)bs_error(&b, 500, "5.5.2", "line too long");
		else
			(void)bs_command(&b, line.data, line.len - 1 -
			    (crlf ? 1 : 0));
		if (b.errors >= (unsigned)conf_int(c->conf,
		    "smtpd_error_limit")) {
			(void)bs_reply(&b, "421 4.7.0 %s too many errors",
			    c->host);
			break;
		}
	}
	(void)lineio_flush(&b.io);
	bs_reset(&b);
	buf_free(&line);
	lineio_free(&b.io);
	return b.fail;
}
