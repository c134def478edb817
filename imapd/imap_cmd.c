/*
 * imap_cmd: imapsession's command table and loop.  Each row names a
 * command, the states it is allowed in, whether it has a UID form, and
 * whether EXPUNGE responses must wait while it runs (RFC 9051 7.5.1:
 * FETCH, STORE and SEARCH, not their UID forms).  Adding a command is
 * adding a row and its handler.
 *
 * A handler sends its untagged responses and leaves its tagged reply in
 * s->tagged; the loop then brings the selected folder in step (changes
 * by other sessions and deliveries become EXISTS, FETCH FLAGS and, when
 * allowed, EXPUNGE) and sends the tagged reply last.  Also here: the
 * small commands (CAPABILITY, NOOP, LOGOUT, ID, ENABLE, CHECK).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imapsession.h"
#include "log.h"
#include "store_cache.h"

struct imap_cmd_def {
	const char	*name;
	int		 states;
	int		 uid;		/* has a UID form */
	int		 no_expunge;	/* FETCH, STORE, SEARCH */
	int		(*fn)(struct imap_session *);
};

static int cmd_capability(struct imap_session *);
static int cmd_noop(struct imap_session *);
static int cmd_logout(struct imap_session *);
static int cmd_id(struct imap_session *);
static int cmd_enable(struct imap_session *);

#define A	IMAP_AUTH
#define S	IMAP_SELECTED
static const struct imap_cmd_def imap_cmds[] = {
	{ "CAPABILITY",	A | S, 0, 0, cmd_capability },
	{ "NOOP",	A | S, 0, 0, cmd_noop },
	{ "LOGOUT",	A | S, 0, 0, cmd_logout },
	{ "ID",		A | S, 0, 0, cmd_id },
	{ "ENABLE",	A,     0, 0, cmd_enable },
	{ "SELECT",	A | S, 0, 0, cmd_select },
	{ "EXAMINE",	A | S, 0, 0, cmd_examine },
	{ "CREATE",	A | S, 0, 0, cmd_create },
	{ "DELETE",	A | S, 0, 0, cmd_delete },
	{ "RENAME",	A | S, 0, 0, cmd_rename },
	{ "SUBSCRIBE",	A | S, 0, 0, cmd_subscribe },
	{ "UNSUBSCRIBE", A | S, 0, 0, cmd_unsubscribe },
	{ "LIST",	A | S, 0, 0, cmd_list },
	{ "LSUB",	A | S, 0, 0, cmd_lsub },
	{ "NAMESPACE",	A | S, 0, 0, cmd_namespace },
	{ "STATUS",	A | S, 0, 0, cmd_status },
	{ "APPEND",	A | S, 0, 0, cmd_append },
	{ "IDLE",	A | S, 0, 0, cmd_idle },
	{ "CHECK",	S,     0, 0, cmd_check },
	{ "CLOSE",	S,     0, 0, cmd_close },
	{ "UNSELECT",	S,     0, 0, cmd_unselect },
	{ "EXPUNGE",	S,     1, 0, cmd_expunge },
	{ "SEARCH",	S,     1, 1, cmd_search },
	{ "FETCH",	S,     1, 1, cmd_fetch },
	{ "STORE",	S,     1, 1, cmd_store },
	{ "COPY",	S,     1, 0, cmd_copy },
	{ "MOVE",	S,     1, 0, cmd_move },
	{ NULL, 0, 0, 0, NULL }
};
#undef A
#undef S

static int
imap_vtagged(struct imap_session *s, const char *status, const char *fmt,
    va_list ap)
{
	char	 text[sizeof(s->tagged) - IMAP_TAG_MAX - 16];

	(void)vsnprintf(text, sizeof(text), fmt, ap);
	(void)snprintf(s->tagged, sizeof(s->tagged), "%s %s %s\r\n",
	    s->cmd.tag[0] != '\0' ? s->cmd.tag : "*", status, text);
	return 0;
}

int
imap_ok(struct imap_session *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)imap_vtagged(s, "OK", fmt, ap);
	va_end(ap);
	return 0;
}

int
imap_no(struct imap_session *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)imap_vtagged(s, "NO", fmt, ap);
	va_end(ap);
	return 0;
}

int
imap_bad(struct imap_session *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)imap_vtagged(s, "BAD", fmt, ap);
	va_end(ap);
	s->errors++;
	return 0;
}

const char *
imap_capabilities(const struct imap_session *s)
{
	static char	 caps[512];

	(void)snprintf(caps, sizeof(caps), "IMAP4rev1 IMAP4rev2 %s ID ENABLE "
	    "IDLE NAMESPACE UIDPLUS MOVE UNSELECT SPECIAL-USE CHILDREN "
	    "LIST-EXTENDED LIST-STATUS STATUS=SIZE ESEARCH SEARCHRES BINARY "
	    "SAVEDATE UTF8=ACCEPT APPENDLIMIT=%llu",
	    s->literal_minus ? "LITERAL-" : "LITERAL+",
	    (unsigned long long)s->append_max);
	return caps;
}

static int
cmd_capability(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "CAPABILITY takes no arguments");
	if (lineio_printf(&s->io, "* CAPABILITY %s\r\n",
	    imap_capabilities(s)) == -1)
		return -1;
	return imap_ok(s, "CAPABILITY completed");
}

static int
cmd_noop(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "NOOP takes no arguments");
	return imap_ok(s, "NOOP completed");
}

static int
cmd_logout(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "LOGOUT takes no arguments");
	s->done = 1;
	if (lineio_printf(&s->io, "* BYE facteur IMAP server logging "
	    "out\r\n") == -1)
		return -1;
	return imap_ok(s, "LOGOUT completed");
}

static int
cmd_id(struct imap_session *s)
{
	const struct imap_arg	*a = s->args;

	if (a == NULL || a->next != 0 || (!imap_arg_nil(a) &&
	    (a->type != IMAP_ARG_LIST || a->count % 2 != 0 ||
	    a->count > 60)))
		return imap_bad(s, "ID takes NIL or a list of field and value "
		    "pairs");
	if (lineio_printf(&s->io, "* ID (\"name\" \"%s\")\r\n",
	    imap_server_id) == -1)
		return -1;
	return imap_ok(s, "ID completed");
}

static int
cmd_enable(struct imap_session *s)
{
	const struct imap_arg	*a;
	char			 done[128] = "";

	if (s->args == NULL)
		return imap_bad(s, "ENABLE takes capability names");
	for (a = s->args; a != NULL; a = imap_arg_next(&s->cmd, a))
		if (a->type != IMAP_ARG_ATOM)
			return imap_bad(s, "ENABLE takes capability names");
	for (a = s->args; a != NULL; a = imap_arg_next(&s->cmd, a)) {
		if (imap_arg_is(a, "IMAP4rev2") && !s->rev2) {
			s->rev2 = 1;
			s->utf8 = 1;
			(void)strlcat(done, " IMAP4rev2", sizeof(done));
		} else if (imap_arg_is(a, "UTF8=ACCEPT") &&
		    strstr(done, "UTF8") == NULL) {
			s->utf8 = 1;
			(void)strlcat(done, " UTF8=ACCEPT", sizeof(done));
		}
		/* Others are not known here: ignored (RFC 5161 3.1). */
	}
	if (lineio_printf(&s->io, "* ENABLED%s\r\n", done) == -1)
		return -1;
	return imap_ok(s, "ENABLE completed");
}

int
cmd_check(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "CHECK takes no arguments");
	return imap_ok(s, "CHECK completed");
}

/* Changed flags of message i as an unsolicited FETCH. */
static int
imap_send_flags(struct imap_session *s, size_t i)
{
	buf_reset(&s->out);
	if (buf_printf(&s->out, "* %zu FETCH (", i + 1) == -1 ||
	    (s->uid && buf_printf(&s->out, "UID %u ",
	    s->box.msgs[i].uid) == -1) ||
	    buf_append_str(&s->out, "FLAGS ") == -1 ||
	    resp_flags(s, &s->out, i) == -1 ||
	    buf_append_str(&s->out, ")\r\n") == -1)
		return -1;
	return resp_send(s, &s->out);
}

int
imap_updates(struct imap_session *s, int allow_expunge)
{
	struct folder	*f = &s->box;
	size_t		 i, gone = 0;
	int		 r;

	if (!(s->state & IMAP_SELECTED))
		return 0;
	r = folder_sync(f);
	if (r == 1) {
		(void)lineio_printf(&s->io, "* BYE [UNAVAILABLE] the mailbox's "
		    "UIDVALIDITY changed\r\n");
		s->done = 1;
		return -1;
	}
	if (r == -1)
		log_warn("user=<%s>: sync of %s", s->user, f->name);
	if (allow_expunge) {
		for (i = f->n; i > 0; i--)
			if (f->msgs[i - 1].state & MSGS_GONE) {
				if (lineio_printf(&s->io, "* %zu EXPUNGE\r\n",
				    i) == -1)
					return -1;
				gone++;
			}
		if (gone > 0) {
			(void)folder_drop_gone(f);
			s->exists -= gone;
		}
	}
	if (f->nkw != s->nkw_sent) {
		/* New keywords: the flag lists first (RFC 9051 7.3.5). */
		buf_reset(&s->out);
		if (buf_append_str(&s->out, "* FLAGS ") == -1 ||
		    resp_flag_list(s, &s->out, 0) == -1 ||
		    (!f->readonly && (buf_append_str(&s->out,
		    "\r\n* OK [PERMANENTFLAGS ") == -1 ||
		    resp_flag_list(s, &s->out, 1) == -1 ||
		    buf_append_str(&s->out, "] Flags permitted") == -1)) ||
		    buf_append_str(&s->out, "\r\n") == -1 ||
		    resp_send(s, &s->out) == -1)
			return -1;
		s->nkw_sent = f->nkw;
	}
	for (i = 0; i < f->n; i++)
		if ((f->msgs[i].state & (MSGS_CHANGED | MSGS_GONE)) ==
		    MSGS_CHANGED) {
			f->msgs[i].state &= ~MSGS_CHANGED;
			if (imap_send_flags(s, i) == -1)
				return -1;
		}
	if (f->n != s->exists) {
		if (lineio_printf(&s->io, "* %zu EXISTS\r\n", f->n) == -1)
			return -1;
		s->exists = f->n;
	}
	if (!s->rev2 && f->recent != s->recent_sent) {
		if (lineio_printf(&s->io, "* %zu RECENT\r\n", f->recent) == -1)
			return -1;
		s->recent_sent = f->recent;
	}
	return 0;
}

static const struct imap_cmd_def *
imap_find(const char *verb)
{
	const struct imap_cmd_def	*c;

	for (c = imap_cmds; c->name != NULL; c++)
		if (strcmp(c->name, verb) == 0)
			return c;
	return NULL;
}

static int
imap_dispatch(struct imap_session *s)
{
	static const char *const before[] = { "LOGIN", "AUTHENTICATE",
	    "STARTTLS", NULL };
	const struct imap_cmd_def	*c;
	const struct imap_arg		*a;
	char				 sub[IMAP_VERB_MAX + 1];
	size_t				 i;

	s->uid = 0;
	s->args = imap_arg_at(&s->cmd, s->cmd.first);
	if (strcmp(s->cmd.verb, "UID") == 0) {
		a = s->args;
		if (a == NULL || a->type != IMAP_ARG_ATOM || a->len >= sizeof(sub))
			return imap_bad(s, "UID takes a command");
		for (i = 0; i < a->len; i++)
			sub[i] = (char)(a->s[i] & ~0x20);
		sub[a->len] = '\0';
		c = imap_find(sub);
		if (c == NULL || !c->uid)
			return imap_bad(s, "unknown UID command");
		s->uid = 1;
		s->args = imap_arg_next(&s->cmd, a);
	} else
		c = imap_find(s->cmd.verb);
	if (c == NULL) {
		for (i = 0; before[i] != NULL; i++)
			if (strcmp(before[i], s->cmd.verb) == 0)
				return imap_bad(s, "already logged in");
		return imap_bad(s, "unknown command");
	}
	if (!(c->states & s->state))
		return imap_bad(s, "%s is valid only %s", c->name,
		    c->states == IMAP_AUTH ? "when no mailbox is selected" :
		    "in a selected mailbox");
	s->no_expunge = c->no_expunge && !s->uid;
	return c->fn(s);
}

/* The reply to a command, after the updates it may carry. */
static int
imap_finish(struct imap_session *s, int allow_expunge)
{
	if (!s->done && imap_updates(s, allow_expunge) == -1)
		return s->done ? 0 : -1;	/* BYE: the loop ends */
	if (s->tagged[0] != '\0' &&
	    lineio_write(&s->io, s->tagged, strlen(s->tagged)) == -1)
		return -1;
	s->tagged[0] = '\0';
	if (s->errors >= s->error_limit && !s->done) {
		(void)lineio_printf(&s->io, "* BYE too many errors\r\n");
		s->done = 1;
	}
	return 0;
}

int
imap_session_loop(struct imap_session *s)
{
	enum imap_read_status	 st;
	const char		*err;

	while (!s->done) {
		/* What this command learnt goes to the folder's cache. */
		if (s->box.dirfd != -1) {
			if (s->box.cache.pending.len > 0 &&
			    mcache_flush(&s->box) == -1)
				log_warn("user=<%s>: cache of %s", s->user,
				    s->box.name);
			mcache_release(&s->box);
		}
		if (lineio_flush(&s->io) == -1)
			return -1;
		s->tagged[0] = '\0';
		s->no_expunge = 0;
		st = imap_read_command(&s->rd);
		switch (st) {
		case IMAP_READ_OK:
			break;
		case IMAP_READ_EOF:
		case IMAP_READ_GONE:
			return -1;
		case IMAP_READ_TIMEOUT:
			(void)lineio_printf(&s->io, "* BYE autologout: idle for "
			    "too long\r\n");
			(void)lineio_flush(&s->io);
			return -1;
		case IMAP_READ_FATAL:
			(void)lineio_printf(&s->io, "* BYE %s%s%s%s\r\n",
			    s->rd.code ? "[" : "", s->rd.code ? s->rd.code : "",
			    s->rd.code ? "] " : "", s->rd.err);
			(void)lineio_flush(&s->io);
			return -1;
		case IMAP_READ_NO:
		case IMAP_READ_BAD:
			(void)strlcpy(s->cmd.tag, s->rd.tag, sizeof(s->cmd.tag));
			if (st == IMAP_READ_NO)
				(void)imap_no(s, "%s%s%s%s", s->rd.code ? "[" :
				    "", s->rd.code ? s->rd.code : "",
				    s->rd.code ? "] " : "", s->rd.err);
			else
				(void)imap_bad(s, "%s%s%s%s", s->rd.code ? "[" :
				    "", s->rd.code ? s->rd.code : "",
				    s->rd.code ? "] " : "", s->rd.err);
			if (imap_finish(s, 1) == -1)
				return -1;
			continue;
		}
		if (imap_parse(s->rd.text.data, s->rd.text.len, s->rd.lits,
		    s->rd.nlits, &s->cmd, &err) == -1)
			(void)imap_bad(s, "%s", err);
		else if (imap_dispatch(s) == -1)
			return -1;
		if (imap_finish(s, !s->no_expunge) == -1)
			return -1;
	}
	return lineio_flush(&s->io);
}
