/*
 * imap_store: STORE and UID STORE (RFC 9051 6.4.6): replacing, adding or
 * removing flags and keywords, which renames each message's file (its
 * info letters).  Keywords new to the folder are named in
 * facteur-keywords first, and the client is told the new FLAGS.  Also
 * the flag list parser APPEND shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapsession.h"
#include "log.h"

#define STORE_KW_MAX	STORE_KEYWORDS_MAX

static const struct {
	const char	*name;
	uint8_t		 bit;
} store_sys[] = {
	{ "\\Answered", MSG_ANSWERED }, { "\\Flagged", MSG_FLAGGED },
	{ "\\Deleted", MSG_DELETED }, { "\\Seen", MSG_SEEN },
	{ "\\Draft", MSG_DRAFT }
};

static void
kw_free(char **kw, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(kw[i]);
	free(kw);
}

int
flags_arg(struct imap_session *s, const struct imap_arg *a, uint8_t *flags,
    char ***kw, size_t *nkw, const char **why)
{
	const struct imap_arg	*c, *first;
	size_t			 k, j;
	char			*name;

	*flags = 0;
	*kw = NULL;
	*nkw = 0;
	*why = "flags expected";
	first = a->type == IMAP_ARG_LIST ? imap_arg_child(&s->cmd, a) : a;
	for (c = first; c != NULL; c = a->type == IMAP_ARG_LIST ?
	    imap_arg_next(&s->cmd, c) : imap_arg_next(&s->cmd, c)) {
		if (c->type != IMAP_ARG_ATOM)
			goto fail;
		if (c->s[0] == '\\') {
			for (k = 0; k < sizeof(store_sys) / sizeof(store_sys[0]);
			    k++)
				if (imap_arg_is(c, store_sys[k].name))
					break;
			if (k == sizeof(store_sys) / sizeof(store_sys[0])) {
				*why = imap_arg_is(c, "\\Recent") ?
				    "\\Recent cannot be stored" :
				    "unknown system flag";
				goto fail;
			}
			*flags |= store_sys[k].bit;
			continue;
		}
		if (!keyword_valid(c->s, c->len)) {
			*why = "bad keyword";
			goto fail;
		}
		for (j = 0; j < *nkw; j++)
			if (strlen((*kw)[j]) == c->len &&
			    strncasecmp((*kw)[j], c->s, c->len) == 0)
				break;
		if (j < *nkw)
			continue;
		if (*nkw == STORE_KW_MAX) {
			*why = "too many keywords";
			goto fail;
		}
		if (*kw == NULL &&
		    (*kw = calloc(STORE_KW_MAX, sizeof(**kw))) == NULL)
			goto fail;
		if ((name = strndup(c->s, c->len)) == NULL)
			goto fail;
		(*kw)[(*nkw)++] = name;
	}
	return 0;
fail:
	kw_free(*kw, *nkw);
	*kw = NULL;
	*nkw = 0;
	return -1;
}

enum store_op { STORE_SET, STORE_ADD, STORE_DEL };

int
cmd_store(struct imap_session *s)
{
	struct folder		*f = &s->box;
	const struct imap_arg	*set = s->args, *op, *fl;
	struct imap_seq		 idx;
	enum store_op		 how;
	const char		*why, *p;
	char			**kw = NULL;
	size_t			 nkw = 0, k, j, oldnkw = f->nkw;
	uint32_t		 kwbits = 0, nk, i;
	uint8_t			 flags, nf;
	int			 silent = 0, idxk, gone = 0, fail = 0;

	op = imap_arg_next(&s->cmd, set);
	fl = imap_arg_next(&s->cmd, op);
	if (set == NULL || op == NULL || fl == NULL || op->type != IMAP_ARG_ATOM)
		return imap_bad(s, "STORE takes a sequence set, an item and "
		    "flags");
	p = op->s;
	k = op->len;
	how = *p == '+' ? STORE_ADD : *p == '-' ? STORE_DEL : STORE_SET;
	if (how != STORE_SET) {
		p++;
		k--;
	}
	if (k == 12 && strncasecmp(p, "FLAGS.SILENT", 12) == 0)
		silent = 1;
	else if (k != 5 || strncasecmp(p, "FLAGS", 5) != 0)
		return imap_bad(s, "STORE item must be [+-]FLAGS[.SILENT]");
	if (fl->type == IMAP_ARG_LIST && fl->next != 0)
		return imap_bad(s, "STORE takes one flag list");
	if (flags_arg(s, fl, &flags, &kw, &nkw, &why) == -1)
		return imap_bad(s, "%s", why);
	if (f->readonly) {
		kw_free(kw, nkw);
		return imap_no(s, "[READ-ONLY] the mailbox is read-only");
	}
	if (seq_arg(s, set, &idx) == -1) {
		kw_free(kw, nkw);
		return 0;
	}
	for (j = 0; j < nkw; j++) {
		idxk = keywords_index(f, kw[j], how != STORE_DEL);
		if (idxk == -1 && how == STORE_DEL)
			continue;	/* nobody has it */
		if (idxk == -1) {
			int e = errno;

			if (e != ENOSPC)
				log_warn("user=<%s>: keyword %s", s->user,
				    kw[j]);
			kw_free(kw, nkw);
			imap_seq_free(&idx);
			if (e == ENOSPC)
				return imap_no(s, "[LIMIT] the mailbox has %d "
				    "keywords already", STORE_KEYWORDS_MAX);
			return imap_no(s, "[SERVERBUG] cannot add the keyword");
		}
		kwbits |= 1U << idxk;
	}
	kw_free(kw, nkw);
	if (f->nkw != oldnkw) {
		/* New keywords: the client learns the new flag lists. */
		buf_reset(&s->out);
		if (buf_append_str(&s->out, "* FLAGS ") == -1 ||
		    resp_flag_list(s, &s->out, 0) == -1 ||
		    buf_append_str(&s->out, "\r\n* OK [PERMANENTFLAGS ") == -1 ||
		    resp_flag_list(s, &s->out, 1) == -1 ||
		    buf_append_str(&s->out, "] Flags permitted\r\n") == -1 ||
		    resp_send(s, &s->out) == -1) {
			imap_seq_free(&idx);
			return -1;
		}
		s->nkw_sent = f->nkw;
	}
	for (k = 0; k < idx.n; k++)
		for (i = idx.r[k].lo; ; i++) {
			struct msg *m = &f->msgs[i];

			if (m->state & MSGS_GONE) {
				gone = 1;
				goto next;
			}
			nf = how == STORE_SET ? flags : how == STORE_ADD ?
			    (uint8_t)(m->flags | flags) :
			    (uint8_t)(m->flags & ~flags);
			nk = how == STORE_SET ? kwbits : how == STORE_ADD ?
			    m->kw | kwbits : m->kw & ~kwbits;
			if (((nf ^ m->flags) & MSG_SYSFLAGS) != 0 || nk != m->kw) {
				if (folder_msg_set_flags(f, i, nf, nk) == -1) {
					if (errno == ENOENT)
						gone = 1;
					else {
						log_warn("user=<%s>: flags of %s",
						    s->user,
						    folder_msg_name(f, i));
						fail = 1;
					}
					goto next;
				}
			}
			/* Another session's change of it is told here too. */
			m->state &= ~MSGS_CHANGED;
			if (!silent) {
				buf_reset(&s->out);
				if (buf_printf(&s->out, "* %u FETCH (", i + 1) ==
				    -1 || (s->uid && buf_printf(&s->out,
				    "UID %u ", m->uid) == -1) ||
				    buf_append_str(&s->out, "FLAGS ") == -1 ||
				    resp_flags(s, &s->out, i) == -1 ||
				    buf_append_str(&s->out, ")\r\n") == -1 ||
				    resp_send(s, &s->out) == -1) {
					imap_seq_free(&idx);
					return -1;
				}
			}
next:
			if (i == idx.r[k].hi)
				break;
		}
	imap_seq_free(&idx);
	if (fail)
		return imap_no(s, "[SERVERBUG] some flags could not be "
		    "stored");
	if (gone)
		return imap_no(s, "[EXPUNGEISSUED] some messages were expunged "
		    "meanwhile");
	return imap_ok(s, "STORE completed");
}
