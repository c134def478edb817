/*
 * sendmail: the sendmail-compatible front end for local programs (cron,
 * mutt, scripts), also run as newaliases and mailq (the name it is run
 * by chooses: sm_names below).  It runs as the calling user, with no
 * privilege: it reads the message from stdin, adds Date, Message-ID and
 * From when they are missing, drops Bcc, works out the envelope (argv,
 * or To/Cc/Bcc with -t) and hands both to program_dir/enqueue over two
 * pipes (sendmail_run.c).  With -bs it speaks SMTP on stdin and stdout
 * instead, one such submission per transaction (sendmail_smtp.c).  It
 * trusts its caller no more than enqueue does: enqueue checks everything
 * again and records the caller's uid.
 *
 * Only the header section is held in memory (SM_HEADER_MAX octets,
 * SM_HEADER_LINES lines); the body streams through.  Exit codes are
 * sysexits(3); sendmail(1) lists them.
 */
#include <sys/types.h>

#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "qmail_env.h"
#include "queue_env.h"
#include "sendmail.h"
#include "table.h"

struct sm_opts {
	int		 dot_rule;	/* a "." line ends input (no -i) */
	int		 extract;	/* -t */
	int		 verbose;	/* -v */
	int		 newaliases;	/* -bi, or run as newaliases */
	int		 listq;		/* -bp, or run as mailq */
	int		 flush;		/* -q */
	const char	*flush_arg;	/* -q's: "", Rsite, Iid, an interval */
	int		 smtp;		/* -bs */
	const char	*sender;	/* -f / -r */
	const char	*fullname;	/* -F */
	const char	*confpath;	/* -C */
	struct sm_dsn	 dsn;		/* -N, -R, -V */
	char	       **rcpt;		/* argv recipients */
	int		 nrcpt;
};

static const char *sm_prog = "sendmail";

static void __attribute__((noreturn, format(printf, 2, 3)))
sm_die(int code, const char *fmt, ...)
{
	va_list ap;

	(void)fprintf(stderr, "%s: ", sm_prog);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	exit(code);
}

static void __attribute__((noreturn))
sm_unsupported(const char *opt, const char *rest)
{
	sm_die(EX_USAGE, "%s%s is not supported", opt, rest);
}

/* -o options: Postfix's sendmail accepts these and ignores most. */
static void
opt_o(struct sm_opts *o, const char *a)
{
	static const char *const ignored[] = { "em", "ee", "ep", "eq", "ew",
	    "db", "di", "m", "o", "7", "8", NULL };
	int i;

	if (strcmp(a, "i") == 0) {
		o->dot_rule = 0;
		return;
	}
	if (a[0] == 'L')
		return;
	for (i = 0; ignored[i] != NULL; i++)
		if (strcmp(a, ignored[i]) == 0)
			return;
	sm_unsupported("-o", a);
}

static void
opt_b(struct sm_opts *o, const char *a)
{
	if (strcmp(a, "m") == 0)
		return;
	if (strcmp(a, "i") == 0) {
		o->newaliases = 1;
		return;
	}
	if (strcmp(a, "p") == 0) {
		o->listq = 1;
		return;
	}
	if (strcmp(a, "s") == 0) {
		o->smtp = 1;
		return;
	}
	sm_unsupported("-b", a);
}

/*
 * The DSN options, as Postfix's sendmail takes them: -N never, or a
 * list of success, delay, failure (any case), for every recipient; -R
 * full or hdrs; -V an envelope ID (RFC 3461 xtext without its escapes:
 * printable ASCII without blanks, '+' or '=', at most 100 octets).  They
 * go into the envelope's extension (sm_submit), and queued's notices
 * follow them as they follow an SMTP client's (sendmail(1)).
 */
static void
opt_dsn(struct sm_opts *o, char c, const char *a)
{
	size_t		 i, n = strlen(a);

	if (c == 'N') {
		if (dsn_notify_parse(a, n, &o->dsn.notify_all) == -1)
			sm_die(EX_USAGE, "-N: never, or a list of success, "
			    "delay and failure");
		return;
	}
	if (c == 'R') {
		if (dsn_ret_parse(a, n, &o->dsn.ret) == -1)
			sm_die(EX_USAGE, "-R: full or hdrs");
		return;
	}
	if (n == 0 || n > DSN_ENVID_MAX)
		sm_die(EX_USAGE, "-V: an envelope ID of 1 to 100 octets");
	for (i = 0; i < n; i++)
		if (a[i] <= ' ' || a[i] > '~' || a[i] == '+' || a[i] == '=')
			sm_die(EX_USAGE, "-V: an envelope ID of printable "
			    "ASCII without blanks, + or =");
	(void)strlcpy(o->dsn.envid, a, sizeof(o->dsn.envid));
}

/* Options as sendmail(8) and Postfix's sendmail(1) take them. */
static void
opts_parse(struct sm_opts *o, int argc, char *argv[])
{
	const char *p, *arg;
	int i;
	char c;

	for (i = 1; i < argc; i++) {
		p = argv[i];
		if (p[0] != '-' || p[1] == '\0')
			break;
		if (strcmp(p, "--") == 0) {
			i++;
			break;
		}
		for (p++; *p != '\0'; p++) {
			c = *p;
			switch (c) {
			case 'i':
				o->dot_rule = 0;
				continue;
			case 't':
				o->extract = 1;
				continue;
			case 'v':
				o->verbose++;
				continue;
			case 'U': case 'n': case 'm':
				continue;
			case 'f': case 'r': case 'F': case 'C': case 'B':
			case 'N': case 'R': case 'V': case 'X': case 'o':
			case 'b':
				break;
			case 'q':
				/* -q, -qRsite, -qIid, -q30m: the rest is its */
				o->flush = 1;
				o->flush_arg = p + 1;
				p += strlen(p) - 1;
				continue;
			default: {
				char opt[3] = { '-', c, '\0' };

				sm_unsupported(opt, "");
			}
			}
			/* an option with an argument: the rest, or the next */
			if (p[1] != '\0')
				arg = p + 1;
			else if (i + 1 < argc)
				arg = argv[++i];
			else
				sm_die(EX_USAGE, "option -%c needs an argument",
				    c);
			switch (c) {
			case 'f': case 'r':
				o->sender = arg;
				break;
			case 'F':
				o->fullname = arg;
				break;
			case 'C':
				o->confpath = arg;
				break;
			case 'o':
				opt_o(o, arg);
				break;
			case 'b':
				opt_b(o, arg);
				break;
			case 'N': case 'R': case 'V':
				opt_dsn(o, c, arg);
				break;
			default:	/* -B -X: accepted, ignored */
				break;
			}
			break;
		}
	}
	o->rcpt = argv + i;
	o->nrcpt = argc - i;
}

static void
conf_error_print(void *arg, const char *msg)
{
	int *errors = arg;

	(void)fprintf(stderr, "%s: %s\n", sm_prog, msg);
	(*errors)++;
}

static int
newaliases_run(const struct conf *conf)
{
	const char *path = conf_str(conf, "aliases_file");
	struct table *t;
	int errors = 0;

	if (*path == '\0') {
		(void)printf("%s: no aliases_file is set; nothing to check\n",
		    sm_prog);
		return EX_OK;
	}
	/* facteur reads the file itself: there is nothing to rebuild. */
	t = table_load(path, TABLE_ALIASES, conf_error_print, &errors);
	if (t == NULL || errors > 0) {
		if (t != NULL)
			table_free(t);
		(void)fprintf(stderr, "%s: %s has errors\n", sm_prog, path);
		return EX_DATAERR;
	}
	(void)printf("%s: %s: %zu aliases\n", sm_prog, path, table_count(t));
	table_free(t);
	return EX_OK;
}

static int
host_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > SM_HOSTNAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
		    h[i] == '.' || h[i] == '_'))
			return 0;
	return 1;
}

/* An argument as it can be shown on a terminal: no control bytes. */
static const char *
text_printable(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

/* The envelope form of a path: a bare `user` gets @myhostname. */
char *
sm_path_text(const struct mailpath *mp, const char *host)
{
	char *s;

	if (mp->domain[0] != '\0')
		return strdup(mp->text);
	if (asprintf(&s, "%s@%s", mp->text, host) == -1)
		return NULL;
	return s;
}

int
sm_rcpt_add(void *arg, const struct mailpath *mp)
{
	struct sm_rcpts *r = arg;
	char **nv, *s;

	if (mp->null || mp->text[0] == '\0')
		return 0;
	if (r->n >= QUEUE_RCPT_MAX) {
		r->why = "too many recipients";
		return 1;
	}
	if ((nv = reallocarray(r->v, r->n + 1, sizeof(*nv))) == NULL ||
	    (r->v = nv, s = sm_path_text(mp, r->host)) == NULL) {
		r->why = "out of memory";
		return 1;
	}
	r->v[r->n++] = s;
	return 0;
}

static void
rcpts_argv(struct sm_rcpts *r, const struct sm_opts *o)
{
	struct mailpath mp;
	char shown[128];
	const char *why;
	size_t used, n;
	int i;

	for (i = 0; i < o->nrcpt; i++) {
		n = strlen(o->rcpt[i]);
		why = NULL;
		if (path_parse(o->rcpt[i], n, PATH_NO_BRACKETS |
		    PATH_ALLOW_NO_DOMAIN | PATH_ALLOW_UTF8, &mp, &used,
		    &why) == -1 || used != n)
			sm_die(EX_DATAERR, "bad recipient address %s: %s",
			    text_printable(o->rcpt[i], shown, sizeof(shown)),
			    why != NULL ? why : "trailing characters");
		if (sm_rcpt_add(r, &mp) != 0)
			sm_die(r->n >= QUEUE_RCPT_MAX ? EX_DATAERR : EX_OSERR,
			    "%s", r->why);
	}
}

/* The envelope sender: -f, else the caller's login name @myhostname. */
static char *
sender_get(const struct sm_opts *o, const char *host, char **user_addr)
{
	struct mailpath mp;
	struct passwd *pw;
	const char *why = NULL;
	char shown[128];
	size_t used, n;
	char *s;

	if ((pw = getpwuid(getuid())) == NULL)
		sm_die(EX_OSERR, "no login name for uid %u",
		    (unsigned)getuid());
	n = strlen(pw->pw_name);
	if (path_parse(pw->pw_name, n, PATH_NO_BRACKETS |
	    PATH_ALLOW_NO_DOMAIN | PATH_ALLOW_UTF8, &mp, &used, &why) == -1 ||
	    used != n || (*user_addr = sm_path_text(&mp, host)) == NULL)
		sm_die(EX_DATAERR, "login name %s is no address", pw->pw_name);
	if (o->sender == NULL)
		return strdup(*user_addr);
	n = strlen(o->sender);
	if (n == 0)
		return strdup("");
	if (path_parse(o->sender, n, PATH_ALLOW_NULL | PATH_NO_BRACKETS |
	    PATH_ALLOW_NO_DOMAIN | PATH_ALLOW_UTF8, &mp, &used, &why) == -1 ||
	    used != n)
		sm_die(EX_DATAERR, "bad sender address %s: %s",
		    text_printable(o->sender, shown, sizeof(shown)),
		    why != NULL ? why : "trailing characters");
	if (mp.null)
		return strdup("");
	if ((s = sm_path_text(&mp, host)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	return s;
}

/* Date, Message-ID and From for a header section that lacks them. */
static size_t
extra_fields(const struct sm_header *h, const char *fullname,
    const char *host, const char *from, char extra[3][1024])
{
	char v[512];
	struct buf b;
	time_t now = time(NULL);
	size_t n = 0;
	int r;

	if (!header_has(h, "Date")) {
		if (field_date(v, sizeof(v), now) == -1)
			sm_die(EX_SOFTWARE, "cannot format the date");
		r = snprintf(extra[n++], 1024, "Date: %s", v);
		if (r < 0 || r >= 1024)
			sm_die(EX_SOFTWARE, "Date field too long");
	}
	if (!header_has(h, "Message-ID")) {
		if (field_message_id(v, sizeof(v), host, now) == -1)
			sm_die(EX_SOFTWARE, "cannot make a Message-ID");
		r = snprintf(extra[n++], 1024, "Message-ID: %s", v);
		if (r < 0 || r >= 1024)
			sm_die(EX_SOFTWARE, "Message-ID field too long");
	}
	if (!header_has(h, "From")) {
		buf_init(&b, 1023);
		if (buf_append_str(&b, "From: ") == -1 ||
		    field_from(&b, fullname, from) == -1)
			sm_die(EX_SOFTWARE, "From field too long");
		(void)strlcpy(extra[n++], b.data, 1024);
		buf_free(&b);
	}
	return n;
}

/* enqueue's exit status as sendmail's; EX_OK, or a code with err. */
static int
enqueue_code(int st, const struct conf *conf, char *err, size_t errsz)
{
	if (st == QMAIL_EXIT_OK)
		return EX_OK;
	if (st == QMAIL_EXIT_TOO_BIG) {
		(void)snprintf(err, errsz, "message too large (limit %lld)",
		    conf_int(conf, "message_size_limit"));
		return EX_CANTCREAT;
	}
	if (st == QMAIL_EXIT_CALLER) {
		(void)snprintf(err, errsz, "not queued: %s (enqueue exit %d)",
		    qmail_exit_text(st), st);
		return EX_NOPERM;
	}
	if (qmail_exit_permanent(st)) {
		(void)snprintf(err, errsz, "message refused: %s (enqueue exit "
		    "%d)", qmail_exit_text(st), st);
		return EX_DATAERR;
	}
	(void)snprintf(err, errsz, "cannot queue the message now: %s "
	    "(enqueue exit %d); try again later", qmail_exit_text(st), st);
	return EX_TEMPFAIL;
}

int
sm_submit(const struct sm_ctx *c, const char *sender, struct sm_rcpts *r,
    const struct sm_dsn *dsn, struct sm_input *in, int dot_rule,
    int extract, char *err, size_t errsz)
{
	struct qmail_env_dsn d;
	struct sm_header h;
	struct sm_run run;
	struct buf head, env;
	const char *why, *pextra[3];
	char extra[3][1024], bad[8];
	size_t nextra, i;
	int code = EX_OK, st;

	err[0] = '\0';
	header_init(&h);
	buf_init(&head, SM_HEADER_MAX * 2 + 8192);
	/* the envelope, then the DSN extension (N and O per recipient) */
	buf_init(&env, (size_t)QUEUE_RCPT_MAX * (QUEUE_ADDR_MAX + 2 +
	    DSN_NOTIFY_TEXT_MAX + DSN_ORCPT_MAX + 4) + QUEUE_ADDR_MAX +
	    DSN_ENVID_MAX + 32);
	if (header_read(&h, in, dot_rule, &why, &code) == -1) {
		(void)strlcpy(err, why, errsz);
		goto done;
	}
	if (extract) {
		st = header_recipients(&h, sm_rcpt_add, r, &why, bad,
		    sizeof(bad));
		code = EX_DATAERR;
		if (st == -1) {
			(void)snprintf(err, errsz, "bad address in the %s "
			    "field: %s", bad, why);
			goto done;
		}
		if (st != 0) {
			(void)strlcpy(err, r->why, errsz);
			goto done;
		}
		if (r->n == 0) {
			(void)strlcpy(err, "no recipients found in To, Cc or "
			    "Bcc", errsz);
			goto done;
		}
		code = EX_OK;
	}
	nextra = extra_fields(&h, c->fullname, c->host, sender[0] != '\0' ?
	    sender : c->user_addr, extra);
	for (i = 0; i < nextra; i++)
		pextra[i] = extra[i];
	if (header_compose(&h, pextra, nextra, &head) == -1) {
		code = EX_OSERR;
		(void)strlcpy(err, "out of memory", errsz);
		goto done;
	}
	memset(&d, 0, sizeof(d));
	if (dsn != NULL) {
		d.ret = dsn->ret;
		d.envid = dsn->envid[0] != '\0' ? dsn->envid : NULL;
		d.notify = dsn->notify;
		d.orcpt = (const char *const *)dsn->orcpt;
		d.notify_all = dsn->notify_all;
	}
	if (qmail_env_encode_dsn(&env, sender, (const char *const *)r->v,
	    r->n, &d) == -1) {
		code = EX_DATAERR;
		(void)snprintf(err, errsz, "envelope refused: %s",
		    strerror(errno));
		goto done;
	}
	run.program = c->program;
	run.confpath = c->confpath;
	run.head = &head;
	run.in = h.ended ? NULL : in;
	run.dot_rule = dot_rule;
	run.env = &env;
	if (c->verbose)
		(void)fprintf(stderr, "%s: from=<%s> nrcpt=%zu via %s\n",
		    sm_prog, sender, r->n, c->program);
	if ((st = enqueue_run(&run, &code, err, errsz)) == -1) {
		if (err[0] == '\0')
			(void)strlcpy(err, "enqueue failed", errsz);
		goto done;
	}
	code = enqueue_code(st, c->conf, err, errsz);
done:
	buf_free(&env);
	buf_free(&head);
	header_free(&h);
	return code;
}

int
main(int argc, char *argv[])
{
	struct sm_opts o = { .dot_rule = 1 };
	struct sm_rcpts r = { NULL, 0, NULL, NULL };
	struct sm_input *in;
	struct sm_ctx c;
	struct conf *conf;
	const char *confpath, *base;
	char err[512], *sender, *user_addr, *argv0;
	size_t i;
	int errors = 0, code;

	if (fd_ensure_std() == -1)
		return EX_OSERR;
	closefrom(3);
	argv0 = strdup(argc > 0 && argv[0] != NULL ? argv[0] : "sendmail");
	if (argv0 == NULL)
		return EX_OSERR;
	base = basename(argv0);
	if (strcmp(base, "mailq") == 0) {
		sm_prog = "mailq";
		o.listq = 1;
	}
	if (strcmp(base, "newaliases") == 0) {
		sm_prog = "newaliases";
		o.newaliases = 1;
	}
	opts_parse(&o, argc, argv);

	confpath = conf_find_path(o.confpath, 1);
	if ((conf = conf_load(confpath, conf_error_print, &errors)) == NULL)
		sm_die(EX_CONFIG, "cannot load %s", confpath);
	if (o.newaliases) {
		code = newaliases_run(conf);
		conf_free(conf);
		free(argv0);
		return code;
	}
	/* the queue, through queued (sendmail_queue.c) */
	if (o.listq || o.flush) {
		code = o.listq ? sm_mailq(conf, sm_prog) :
		    sm_flush(conf, sm_prog, o.flush_arg);
		conf_free(conf);
		free(argv0);
		return code;
	}

	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.confpath = confpath;
	c.host = conf_myhostname(conf);
	c.fullname = o.fullname;
	c.verbose = o.verbose;
	if (!host_ok(c.host))
		sm_die(EX_CONFIG, "myhostname %s is not a host name", c.host);
	if (o.fullname != NULL && !field_fullname_ok(o.fullname))
		sm_die(EX_USAGE, "bad full name (-F): at most %d octets of "
		    "UTF-8 text without control characters", SM_FULLNAME_MAX);
	if (snprintf(c.program, sizeof(c.program), "%s/enqueue",
	    conf_str(conf, "program_dir")) >= (int)sizeof(c.program))
		sm_die(EX_CONFIG, "program_dir too long");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		sm_die(EX_OSERR, "signal: %s", strerror(errno));
	sender = sender_get(&o, c.host, &user_addr);
	if (sender == NULL)
		sm_die(EX_OSERR, "out of memory");
	c.user_addr = user_addr;
	if (o.smtp) {
		if (o.nrcpt > 0 || o.extract)
			sm_die(EX_USAGE, "-bs takes its recipients from RCPT, "
			    "not from the command line or -t");
		code = sm_smtp(&c);
		goto done;
	}
	r.host = c.host;
	rcpts_argv(&r, &o);
	if (!o.extract && r.n == 0)
		sm_die(EX_USAGE, "no recipients given (name them or use -t)");
	if ((in = malloc(sizeof(*in))) == NULL)
		sm_die(EX_OSERR, "out of memory");
	input_init(in, 0);
	code = sm_submit(&c, sender, &r, &o.dsn, in, o.dot_rule, o.extract,
	    err, sizeof(err));
	free(in);
	if (code != EX_OK)
		sm_die(code, "%s", err);
	if (o.verbose)
		(void)fprintf(stderr, "%s: message queued\n", sm_prog);
	for (i = 0; i < r.n; i++)
		free(r.v[i]);
	free(r.v);
done:
	free(sender);
	free(user_addr);
	conf_free(conf);
	free(argv0);
	return code;
}
