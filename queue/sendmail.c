/*
 * sendmail: the sendmail-compatible front end for local programs (cron,
 * mutt, scripts), also run as newaliases and mailq.  It runs as the
 * calling user, with no privilege: it reads the message from stdin, adds
 * Date, Message-ID and From when they are missing, drops Bcc, works out
 * the envelope (argv, or To/Cc/Bcc with -t) and hands both to
 * program_dir/enqueue over two pipes (sendmail_run.c).  It trusts its
 * caller no more than enqueue does: enqueue checks everything again and
 * records the caller's uid.
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
	const char	*sender;	/* -f / -r */
	const char	*fullname;	/* -F */
	const char	*confpath;	/* -C */
	char	       **rcpt;		/* argv recipients */
	int		 nrcpt;
};

struct sm_rcpts {
	char		**v;
	size_t		  n;
	const char	 *host;
	const char	 *why;
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
	sm_unsupported("-b", a);
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
				sm_unsupported("-q", "");
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
			default:	/* -B -N -R -V -X: accepted, ignored */
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
static char *
path_text(const struct mailpath *mp, const char *host)
{
	char *s;

	if (mp->domain[0] != '\0')
		return strdup(mp->text);
	if (asprintf(&s, "%s@%s", mp->text, host) == -1)
		return NULL;
	return s;
}

static int
rcpt_add(void *arg, const struct mailpath *mp)
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
	    (r->v = nv, s = path_text(mp, r->host)) == NULL) {
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
		if (rcpt_add(r, &mp) != 0)
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
	    used != n || (*user_addr = path_text(&mp, host)) == NULL)
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
	if ((s = path_text(&mp, host)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	return s;
}

/* Date, Message-ID and From for a header section that lacks them. */
static size_t
extra_fields(const struct sm_header *h, const struct sm_opts *o,
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
		    field_from(&b, o->fullname, from) == -1)
			sm_die(EX_SOFTWARE, "From field too long");
		(void)strlcpy(extra[n++], b.data, 1024);
		buf_free(&b);
	}
	return n;
}

static int
enqueue_status(int st, const struct conf *conf, int verbose)
{
	if (st == QMAIL_EXIT_OK) {
		if (verbose)
			(void)fprintf(stderr, "%s: message queued\n", sm_prog);
		return EX_OK;
	}
	if (st == QMAIL_EXIT_TOO_BIG)
		sm_die(EX_CANTCREAT, "message too large (limit %lld)",
		    conf_int(conf, "message_size_limit"));
	if (st == QMAIL_EXIT_CALLER)
		sm_die(EX_NOPERM, "not queued: %s (enqueue exit %d)",
		    qmail_exit_text(st), st);
	if (qmail_exit_permanent(st))
		sm_die(EX_DATAERR, "message refused: %s (enqueue exit %d)",
		    qmail_exit_text(st), st);
	sm_die(EX_TEMPFAIL, "cannot queue the message now: %s (enqueue exit "
	    "%d); try again later", qmail_exit_text(st), st);
}

int
main(int argc, char *argv[])
{
	struct sm_opts o = { .dot_rule = 1 };
	struct sm_rcpts r = { NULL, 0, NULL, NULL };
	struct sm_header h;
	struct sm_input *in;
	struct sm_run run;
	struct buf head, env;
	struct conf *conf;
	const char *confpath, *why, *host, *base;
	const char *pextra[3];
	char extra[3][1024], bad[8], err[512], program[4096];
	char *sender, *user_addr, *argv0;
	size_t nextra, i;
	int errors = 0, code, st;

	if (fd_ensure_std() == -1)
		return EX_OSERR;
	closefrom(3);
	argv0 = strdup(argc > 0 && argv[0] != NULL ? argv[0] : "sendmail");
	if (argv0 == NULL)
		return EX_OSERR;
	base = basename(argv0);
	if (strcmp(base, "mailq") == 0) {
		sm_prog = "mailq";
		sm_die(EX_UNAVAILABLE, "not supported yet");
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

	host = conf_myhostname(conf);
	if (!host_ok(host))
		sm_die(EX_CONFIG, "myhostname %s is not a host name", host);
	if (o.fullname != NULL && !field_fullname_ok(o.fullname))
		sm_die(EX_USAGE, "bad full name (-F): at most %d octets of "
		    "UTF-8 text without control characters", SM_FULLNAME_MAX);
	sender = sender_get(&o, host, &user_addr);
	if (sender == NULL)
		sm_die(EX_OSERR, "out of memory");
	r.host = host;
	rcpts_argv(&r, &o);
	if (!o.extract && r.n == 0)
		sm_die(EX_USAGE, "no recipients given (name them or use -t)");

	if ((in = malloc(sizeof(*in))) == NULL)
		sm_die(EX_OSERR, "out of memory");
	input_init(in, 0);
	header_init(&h);
	if (header_read(&h, in, o.dot_rule, &why, &code) == -1)
		sm_die(code, "%s", why);
	if (o.extract) {
		st = header_recipients(&h, rcpt_add, &r, &why, bad,
		    sizeof(bad));
		if (st == -1)
			sm_die(EX_DATAERR, "bad address in the %s field: %s",
			    bad, why);
		if (st != 0)
			sm_die(EX_DATAERR, "%s", r.why);
		if (r.n == 0)
			sm_die(EX_DATAERR, "no recipients found in To, Cc "
			    "or Bcc");
	}

	nextra = extra_fields(&h, &o, host, sender[0] != '\0' ? sender :
	    user_addr, extra);
	for (i = 0; i < nextra; i++)
		pextra[i] = extra[i];
	buf_init(&head, SM_HEADER_MAX * 2 + 8192);
	if (header_compose(&h, pextra, nextra, &head) == -1)
		sm_die(EX_OSERR, "out of memory");
	buf_init(&env, (size_t)QUEUE_RCPT_MAX * (QUEUE_ADDR_MAX + 2) +
	    QUEUE_ADDR_MAX + 8);
	if (qmail_env_encode(&env, sender, (const char *const *)r.v,
	    r.n) == -1)
		sm_die(EX_DATAERR, "envelope refused: %s", strerror(errno));

	if (snprintf(program, sizeof(program), "%s/enqueue",
	    conf_str(conf, "program_dir")) >= (int)sizeof(program))
		sm_die(EX_CONFIG, "program_dir too long");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		sm_die(EX_OSERR, "signal: %s", strerror(errno));
	run.program = program;
	run.confpath = confpath;
	run.head = &head;
	run.in = h.ended ? NULL : in;
	run.dot_rule = o.dot_rule;
	run.env = &env;
	if (o.verbose)
		(void)fprintf(stderr, "%s: from=<%s> nrcpt=%zu via %s\n",
		    sm_prog, sender, r.n, program);
	err[0] = '\0';
	if ((st = enqueue_run(&run, &code, err, sizeof(err))) == -1)
		sm_die(code, "%s", err[0] != '\0' ? err : "enqueue failed");
	code = enqueue_status(st, conf, o.verbose);
	for (i = 0; i < r.n; i++)
		free(r.v[i]);
	free(r.v);
	buf_free(&env);
	buf_free(&head);
	header_free(&h);
	free(in);
	free(sender);
	free(user_addr);
	conf_free(conf);
	free(argv0);
	return code;
}
