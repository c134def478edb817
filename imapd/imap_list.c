/*
 * imap_list: listing mailboxes: LIST with LIST-EXTENDED (RFC 5258:
 * selection SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE; return
 * SUBSCRIBED, CHILDREN, SPECIAL-USE, and STATUS of RFC 5819), LSUB and
 * NAMESPACE (RFC 2342).  One personal namespace, "" with the delimiter
 * ".", as Maildir++ has it.  Levels that exist only as the parents of
 * folders ("A" of "A.B") are listed as \NonExistent (\Noselect before
 * IMAP4rev2) with \HasChildren.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "imap_utf7.h"
#include "fdio.h"
#include "imapsession.h"
#include "log.h"

#define PATTERNS_MAX	32

#define SEL_SUBSCRIBED	0x01
#define SEL_RECURSIVE	0x02
#define SEL_SPECIAL	0x04
#define RET_SUBSCRIBED	0x10
#define RET_CHILDREN	0x20
#define RET_SPECIAL	0x40
#define RET_STATUS	0x80

/* One node of the listing: a folder, or a level only implied. */
struct node {
	char	*name;
	int	 exists;
	int	 subscribed;
	int	 children;		/* has inferiors */
	int	 sub_children;		/* has subscribed inferiors */
};

/* IMAP wildcards: '*' anything, '%' anything but the delimiter. */
static int
list_match(const char *pat, const char *name)
{
	if (*pat == '\0')
		return *name == '\0';
	if (*pat == '*' || *pat == '%') {
		for (;;) {
			if (list_match(pat + 1, name))
				return 1;
			if (*name == '\0' ||
			    (*pat == '%' && *name == MAILBOX_DELIM))
				return 0;
			name++;
		}
	}
	if (*name == '\0' || *pat != *name)
		return 0;
	return list_match(pat + 1, name + 1);
}

/* Matches name against pattern, INBOX case-insensitively. */
static int
list_match_name(const char *pat, const char *name)
{
	char	 up[MAILBOX_NAME_MAX * 4 + 8];

	if (list_match(pat, name))
		return 1;
	if (strcmp(name, "INBOX") != 0 || strlen(pat) >= sizeof(up))
		return 0;
	/* "inbox" and "Inbox%" match INBOX too (RFC 9051 5.1). */
	(void)strlcpy(up, pat, sizeof(up));
	if (strncasecmp(up, "INBOX", 5) == 0)
		memcpy(up, "INBOX", 5);
	return list_match(up, name);
}

static void
nodes_free(struct node *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static struct node *
nodes_find(struct node *v, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static struct node *
nodes_add(struct node **v, size_t *n, size_t *cap, const char *name)
{
	struct node	*nv;
	size_t		 ncap;

	if ((nv = nodes_find(*v, *n, name)) != NULL)
		return nv;
	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 32;
		if ((nv = reallocarray(*v, ncap, sizeof(**v))) == NULL)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	nv = &(*v)[*n];
	memset(nv, 0, sizeof(*nv));
	if ((nv->name = strdup(name)) == NULL)
		return NULL;
	(*n)++;
	return nv;
}

/* Every folder, subscription and implied parent, with its attributes. */
static int
nodes_build(struct imap_session *s, struct node **v, size_t *n)
{
	char		**all = NULL, **subs = NULL, parent[MAILBOX_NAME_MAX + 1];
	size_t		 nall = 0, nsubs = 0, cap = 0, i, k;
	struct node	*nd, *p;
	char		*dot;
	int		 r = -1;

	*v = NULL;
	*n = 0;
	if (mbox_list_all(s, &all, &nall) == -1 ||
	    mbox_subs_load(s, &subs, &nsubs) == -1)
		goto out;
	for (i = 0; i < nall; i++) {
		if ((nd = nodes_add(v, n, &cap, all[i])) == NULL)
			goto out;
		nd->exists = mbox_exists(s, all[i]);
	}
	for (i = 0; i < nsubs; i++) {
		if ((nd = nodes_add(v, n, &cap, subs[i])) == NULL)
			goto out;
		nd->subscribed = 1;
	}
	/* Parents: "A.B.C" implies "A" and "A.B". */
	for (i = 0, k = *n; i < k; i++) {
		int	 ex = (*v)[i].exists, sub = (*v)[i].subscribed;

		(void)strlcpy(parent, (*v)[i].name, sizeof(parent));
		while ((dot = strrchr(parent, MAILBOX_DELIM)) != NULL) {
			*dot = '\0';
			if ((p = nodes_add(v, n, &cap, parent)) == NULL)
				goto out;
			if (ex)
				p->children = 1;
			if (sub)
				p->sub_children = 1;
		}
	}
	r = 0;
out:
	mbox_list_free(all, nall);
	mbox_list_free(subs, nsubs);
	if (r == -1) {
		nodes_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return r;
}

static int
node_cmp(const void *a, const void *b)
{
	const struct node	*x = a, *y = b;

	if (strcmp(x->name, "INBOX") == 0)
		return -1;
	if (strcmp(y->name, "INBOX") == 0)
		return 1;
	return strcmp(x->name, y->name);
}

/* A pattern argument, decoded: 0, or -1 after a BAD. */
static int
list_pattern(struct imap_session *s, const struct imap_arg *a, const char *ref,
    char *out, size_t outlen)
{
	char		 raw[MAILBOX_NAME_MAX * 4 + 8];
	char		 dec[MAILBOX_NAME_MAX * 4 + 8];
	const char	*why = "bad pattern";

	if ((a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_STRING) ||
	    (a->flags & IMAP_ARGF_SPOOLED) || a->len >= sizeof(raw) ||
	    memchr(a->s, '\0', a->len) != NULL) {
		(void)imap_bad(s, "%s", why);
		return -1;
	}
	memcpy(raw, a->s, a->len);
	raw[a->len] = '\0';
	if (s->utf8) {
		if (!imap_utf8_valid(raw, a->len)) {
			(void)imap_bad(s, "pattern is not valid UTF-8");
			return -1;
		}
		(void)strlcpy(dec, raw, sizeof(dec));
	} else if (imap_utf7_decode(raw, strlen(raw), dec, sizeof(dec)) == -1) {
		(void)imap_bad(s, "pattern is not valid modified UTF-7");
		return -1;
	}
	if (snprintf(out, outlen, "%s%s", ref, dec) >= (int)outlen) {
		(void)imap_bad(s, "pattern too long");
		return -1;
	}
	return 0;
}

/* One LIST (or LSUB) line for node nd, and its STATUS when asked. */
static int
list_line(struct imap_session *s, const char *verb, const struct node *nd,
    int sel, int ret, const struct imap_arg *items)
{
	const char	*su = mbox_special_use(nd->name);
	struct buf	*b = &s->out;
	const char	*why;
	int		 sp = 0, r;

#define ATTR(x)	do {							\
		if (buf_printf(b, "%s%s", sp ? " " : "", (x)) == -1)	\
			return -1;					\
		sp = 1;							\
	} while (0)
	buf_reset(b);
	if (buf_printf(b, "* %s (", verb) == -1)
		return -1;
	if (!nd->exists)
		ATTR((sel & SEL_SUBSCRIBED) || s->rev2 ? "\\NonExistent" :
		    "\\Noselect");
	if (strcmp(verb, "LIST") == 0 && (nd->exists || nd->children))
		ATTR(nd->children ? "\\HasChildren" : "\\HasNoChildren");
	if ((nd->subscribed && ((sel & SEL_SUBSCRIBED) ||
	    (ret & RET_SUBSCRIBED))))
		ATTR("\\Subscribed");
	if (su != NULL && nd->exists)
		ATTR(su);
	if (buf_printf(b, ") \"%c\" ", MAILBOX_DELIM) == -1 ||
	    resp_mailbox(s, b, nd->name) == -1)
		return -1;
	if ((sel & SEL_RECURSIVE) && (sel & SEL_SUBSCRIBED) &&
	    !nd->subscribed && nd->sub_children &&
	    buf_append_str(b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))") == -1)
		return -1;
	if (buf_append_str(b, "\r\n") == -1)
		return -1;
#undef ATTR
	if ((ret & RET_STATUS) && nd->exists) {
		if (buf_append_str(b, "* STATUS ") == -1 ||
		    resp_mailbox(s, b, nd->name) == -1 ||
		    buf_putc(b, ' ') == -1)
			return -1;
		r = status_items(s, nd->name, items, b, &why);
		if (r == -2)
			return -1;
		if (buf_append_str(b, "\r\n") == -1)
			return -1;
	}
	return resp_send(s, b);
}

/* LIST's options in a list argument: 0, or -1 after a BAD. */
static int
list_options(struct imap_session *s, const struct imap_arg *l, int ret,
    int *opts, const struct imap_arg **status)
{
	const struct imap_arg	*a;

	for (a = imap_arg_child(&s->cmd, l); a != NULL;
	    a = imap_arg_next(&s->cmd, a)) {
		if (!ret && imap_arg_is(a, "SUBSCRIBED"))
			*opts |= SEL_SUBSCRIBED;
		else if (!ret && imap_arg_is(a, "REMOTE"))
			;
		else if (!ret && imap_arg_is(a, "RECURSIVEMATCH"))
			*opts |= SEL_RECURSIVE;
		else if (!ret && imap_arg_is(a, "SPECIAL-USE"))
			*opts |= SEL_SPECIAL;
		else if (ret && imap_arg_is(a, "SUBSCRIBED"))
			*opts |= RET_SUBSCRIBED;
		else if (ret && imap_arg_is(a, "CHILDREN"))
			*opts |= RET_CHILDREN;
		else if (ret && imap_arg_is(a, "SPECIAL-USE"))
			*opts |= RET_SPECIAL;
		else if (ret && imap_arg_is(a, "STATUS") &&
		    (a = imap_arg_next(&s->cmd, a)) != NULL &&
		    a->type == IMAP_ARG_LIST) {
			*opts |= RET_STATUS;
			*status = a;
		} else {
			(void)imap_bad(s, "unknown LIST option");
			return -1;
		}
	}
	if ((*opts & SEL_RECURSIVE) && !(*opts & SEL_SUBSCRIBED)) {
		(void)imap_bad(s, "RECURSIVEMATCH needs another selection "
		    "option");
		return -1;
	}
	return 0;
}

static int
list_run(struct imap_session *s, int lsub)
{
	const struct imap_arg	*a = s->args, *ref, *pats, *p, *st = NULL;
	const char		*verb = lsub ? "LSUB" : "LIST";
	char			 refs[MAILBOX_NAME_MAX * 4 + 8];
	char			 pat[PATTERNS_MAX][MAILBOX_NAME_MAX * 8 + 16];
	struct node		*v;
	size_t			 n, np = 0, i, k;
	int			 opts = 0, r = 0;

	if (!lsub && a != NULL && a->type == IMAP_ARG_LIST) {
		if (list_options(s, a, 0, &opts, &st) == -1)
			return 0;
		a = imap_arg_next(&s->cmd, a);
	}
	ref = a;
	pats = imap_arg_next(&s->cmd, ref);
	if (ref == NULL || pats == NULL)
		return imap_bad(s, "%s takes a reference and a pattern", verb);
	a = imap_arg_next(&s->cmd, pats);
	if (!lsub && a != NULL) {
		if (!imap_arg_is(a, "RETURN") ||
		    (a = imap_arg_next(&s->cmd, a)) == NULL ||
		    a->type != IMAP_ARG_LIST || a->next != 0)
			return imap_bad(s, "bad LIST return options");
		if (list_options(s, a, 1, &opts, &st) == -1)
			return 0;
	} else if (a != NULL)
		return imap_bad(s, "%s takes a reference and a pattern", verb);
	if (imap_arg_copy(ref, refs, sizeof(refs)) == -1 &&
	    !(ref->type == IMAP_ARG_STRING && ref->len == 0))
		return imap_bad(s, "bad reference");
	if (ref->len == 0)
		refs[0] = '\0';
	if (!s->utf8) {
		char	 dec[sizeof(refs)];

		if (imap_utf7_decode(refs, strlen(refs), dec, sizeof(dec)) == -1)
			return imap_bad(s, "reference is not valid modified "
			    "UTF-7");
		(void)strlcpy(refs, dec, sizeof(refs));
	}
	if (pats->type == IMAP_ARG_LIST && !lsub) {
		if (pats->count == 0 || pats->count > PATTERNS_MAX)
			return imap_bad(s, "bad pattern list");
		for (p = imap_arg_child(&s->cmd, pats); p != NULL;
		    p = imap_arg_next(&s->cmd, p))
			if (list_pattern(s, p, refs, pat[np++],
			    sizeof(pat[0])) == -1)
				return 0;
	} else if (list_pattern(s, pats, refs, pat[np++], sizeof(pat[0])) == -1)
		return 0;

	/* The delimiter question: LIST "" "". */
	if (np == 1 && pat[0][0] == '\0' && !lsub) {
		if (lineio_printf(&s->io, "* LIST (\\Noselect) \"%c\" \"\"\r\n",
		    MAILBOX_DELIM) == -1)
			return -1;
		return imap_ok(s, "LIST completed");
	}
	if (nodes_build(s, &v, &n) == -1) {
		log_warn("user=<%s>: listing the mailboxes", s->user);
		return imap_no(s, "[SERVERBUG] cannot list the mailboxes");
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), node_cmp);
	for (i = 0; i < n && r == 0; i++) {
		struct node *nd = &v[i];

		for (k = 0; k < np; k++)
			if (list_match_name(pat[k], nd->name))
				break;
		if (k == np)
			continue;
		if (lsub || (opts & SEL_SUBSCRIBED)) {
			if (!nd->subscribed && !((opts & SEL_RECURSIVE) &&
			    nd->sub_children) && !(lsub && nd->sub_children &&
			    strchr(pat[k], '%') != NULL))
				continue;
			if (lsub && !nd->subscribed) {
				/* A parent of a subscription, by "%". */
				struct node tmp = *nd;

				tmp.exists = 0;
				r = list_line(s, verb, &tmp, 0, 0, NULL);
				continue;
			}
		} else if (!nd->exists && !nd->children)
			continue;	/* a subscription to nothing */
		if ((opts & SEL_SPECIAL) && mbox_special_use(nd->name) == NULL)
			continue;
		r = list_line(s, verb, nd, opts & 0x0f, opts & 0xf0, st);
	}
	nodes_free(v, n);
	if (r == -1)
		return -1;
	return imap_ok(s, "%s completed", verb);
}

int
cmd_list(struct imap_session *s)
{
	return list_run(s, 0);
}

int
cmd_lsub(struct imap_session *s)
{
	return list_run(s, 1);
}

int
cmd_namespace(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "NAMESPACE takes no arguments");
	if (lineio_printf(&s->io, "* NAMESPACE ((\"\" \"%c\")) NIL NIL\r\n",
	    MAILBOX_DELIM) == -1)
		return -1;
	return imap_ok(s, "NAMESPACE completed");
}
