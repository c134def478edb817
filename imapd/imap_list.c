/*
 * imap_list: the mailbox commands of the authenticated state: LIST with
 * LIST-EXTENDED (RFC 5258: selection SUBSCRIBED, REMOTE, RECURSIVEMATCH,
 * SPECIAL-USE; return SUBSCRIBED, CHILDREN, SPECIAL-USE, and STATUS of
 * RFC 5819), LSUB, CREATE, DELETE, RENAME (INBOX too), SUBSCRIBE,
 * UNSUBSCRIBE and NAMESPACE (RFC 2342).  One personal namespace, "" with
 * the delimiter ".", as Maildir++ has it.
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

/* Creates name and the levels above it that are missing. */
static int
list_create_all(struct imap_session *s, const char *name)
{
	char	 part[MAILBOX_NAME_MAX + 1], *dot;

	(void)strlcpy(part, name, sizeof(part));
	for (dot = strchr(part, MAILBOX_DELIM); dot != NULL;
	    dot = strchr(dot + 1, MAILBOX_DELIM)) {
		*dot = '\0';
		if (!mbox_exists(s, part) && mbox_create(s, part) == -1)
			return -1;
		*dot = MAILBOX_DELIM;
	}
	return mbox_create(s, name);
}

int
cmd_create(struct imap_session *s)
{
	const struct imap_arg	*a = s->args;
	struct imap_arg		 trimmed;
	char			 name[MAILBOX_NAME_MAX + 1];

	if (a == NULL || (a->next != 0 && imap_arg_at(&s->cmd, a->next)->type !=
	    IMAP_ARG_LIST))
		return imap_bad(s, "CREATE takes a mailbox name");
	/* "A." asks for A, to hold children (RFC 9051 6.3.4). */
	trimmed = *a;
	if (trimmed.len > 1 && trimmed.s[trimmed.len - 1] == MAILBOX_DELIM)
		trimmed.len--;
	if (mbox_arg(s, &trimmed, name, sizeof(name)) == -1)
		return 0;
	if (strcmp(name, "INBOX") == 0 || mbox_exists(s, name))
		return imap_no(s, "[ALREADYEXISTS] the mailbox exists");
	if (list_create_all(s, name) == -1) {
		log_warn("user=<%s>: create %s", s->user, name);
		return imap_no(s, "[SERVERBUG] cannot create the mailbox");
	}
	return imap_ok(s, "CREATE completed");
}

/* Removes a directory's files, then the directory. */
static int
list_rmdir(int parent, const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp", NULL };
	struct dirent	*de;
	DIR		*d;
	size_t		 k;
	int		 fd, top, r = 0;

	if ((top = openat(parent, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return -1;
	for (k = 0; ; k++) {
		fd = subs[k] != NULL ? openat(top, subs[k], O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : dup(top);
		if (fd != -1 && (d = fdopendir(fd)) != NULL) {
			while ((de = readdir(d)) != NULL)
				if (strcmp(de->d_name, ".") != 0 &&
				    strcmp(de->d_name, "..") != 0 &&
				    (subs[k] == NULL ? de->d_type != DT_DIR : 1) &&
				    unlinkat(dirfd(d), de->d_name, 0) == -1 &&
				    errno != ENOENT)
					r = -1;
			(void)closedir(d);
		} else if (fd != -1)
			(void)close(fd);
		if (subs[k] == NULL)
			break;
		if (unlinkat(top, subs[k], AT_REMOVEDIR) == -1 &&
		    errno != ENOENT)
			r = -1;
	}
	(void)close(top);
	if (unlinkat(parent, dir, AT_REMOVEDIR) == -1)
		r = -1;
	return r;
}

int
cmd_delete(struct imap_session *s)
{
	char		 name[MAILBOX_NAME_MAX + 1], dir[MAILBOX_NAME_MAX + 2];
	char		 gone[64];
	static unsigned	 seq;

	if (s->args == NULL || s->args->next != 0)
		return imap_bad(s, "DELETE takes a mailbox name");
	if (mbox_arg(s, s->args, name, sizeof(name)) == -1)
		return 0;
	if (strcmp(name, "INBOX") == 0)
		return imap_no(s, "[CANNOT] INBOX cannot be deleted");
	if (!mbox_exists(s, name))
		return imap_no(s, "[NONEXISTENT] no such mailbox");
	if (s->state == IMAP_SELECTED && strcmp(s->box.name, name) == 0)
		return imap_no(s, "[INUSE] the mailbox is selected: select "
		    "another one first");
	if (mailbox_name_dir(name, dir, sizeof(dir)) == -1)
		return imap_no(s, "[CANNOT] bad mailbox name");
	/* Out of sight at once (a name no listing shows), then removed. */
	(void)snprintf(gone, sizeof(gone), "..facteur-deleted.%ld.%u",
	    (long)getpid(), ++seq);
	if (renameat(s->rootfd, dir, s->rootfd, gone) == -1) {
		log_warn("user=<%s>: delete %s", s->user, name);
		return imap_no(s, "[SERVERBUG] cannot delete the mailbox");
	}
	if (list_rmdir(s->rootfd, gone) == -1)
		log_warn("user=<%s>: removing %s (was %s)", s->user, gone,
		    name);
	return imap_ok(s, "DELETE completed");
}

/* RENAME INBOX: its messages move to a new folder; INBOX stays, empty. */
static int
rename_inbox(struct imap_session *s, const char *to)
{
	static const char *const subs[] = { "cur", "new" };
	char		 path[PATH_MAX], p[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	size_t		 k;
	int		 dst, fd, r = 0;

	if (list_create_all(s, to) == -1 || mbox_path(s, to, path,
	    sizeof(path)) == -1 ||
	    (dst = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	/* The keyword letters keep their names. */
	if (snprintf(p, sizeof(p), "%s/%s", path, STORE_KEYWORDS) <
	    (int)sizeof(p))
		if (linkat(s->rootfd, STORE_KEYWORDS, AT_FDCWD, p, 0) == -1 &&
		    errno != ENOENT)
			log_warn("user=<%s>: keywords of %s", s->user, to);
	for (k = 0; k < 2; k++) {
		if ((fd = openat(s->rootfd, subs[k], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
			if (fd != -1)
				(void)close(fd);
			r = -1;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (snprintf(p, sizeof(p), "%s/%s", subs[k],
			    de->d_name) >= (int)sizeof(p))
				continue;
			if (renameat(s->rootfd, p, dst, p) == -1 &&
			    errno != ENOENT)
				r = -1;
		}
		(void)closedir(d);
	}
	(void)close(dst);
	return r;
}

int
cmd_rename(struct imap_session *s)
{
	const struct imap_arg	*b;
	char			 from[MAILBOX_NAME_MAX + 1];
	char			 to[MAILBOX_NAME_MAX + 1];
	char			 cf[MAILBOX_NAME_MAX + 2], ct[MAILBOX_NAME_MAX + 2];
	char			**all = NULL, nn[2 * MAILBOX_NAME_MAX + 2];
	size_t			 nall = 0, i, flen;

	b = imap_arg_next(&s->cmd, s->args);
	if (s->args == NULL || b == NULL || b->next != 0)
		return imap_bad(s, "RENAME takes two mailbox names");
	if (mbox_arg(s, s->args, from, sizeof(from)) == -1 ||
	    mbox_arg(s, b, to, sizeof(to)) == -1)
		return 0;
	if (!mbox_exists(s, from))
		return imap_no(s, "[NONEXISTENT] no such mailbox");
	if (strcmp(to, "INBOX") == 0 || mbox_exists(s, to))
		return imap_no(s, "[ALREADYEXISTS] the new name exists");
	if (mailbox_name_is_child(to, from))
		return imap_no(s, "[CANNOT] a mailbox cannot move into itself");
	if (strcmp(from, "INBOX") == 0) {
		if (rename_inbox(s, to) == -1) {
			log_warn("user=<%s>: rename INBOX to %s", s->user, to);
			return imap_no(s, "[SERVERBUG] some messages were not "
			    "moved");
		}
		return imap_ok(s, "RENAME completed");
	}
	/* The levels above the new name, then the folder and its children. */
	if (strchr(to, MAILBOX_DELIM) != NULL) {
		char	 parent[MAILBOX_NAME_MAX + 1];

		(void)strlcpy(parent, to, sizeof(parent));
		*strrchr(parent, MAILBOX_DELIM) = '\0';
		if (!mbox_exists(s, parent) && list_create_all(s, parent) == -1)
			return imap_no(s, "[SERVERBUG] cannot create the "
			    "levels above the new name");
	}
	if (mbox_list_all(s, &all, &nall) == -1)
		return imap_no(s, "[SERVERBUG] cannot list the mailboxes");
	flen = strlen(from);
	for (i = 0; i < nall; i++) {
		if (strcmp(all[i], from) != 0 &&
		    !mailbox_name_is_child(all[i], from))
			continue;
		if (snprintf(nn, sizeof(nn), "%s%s", to, all[i] + flen) >=
		    (int)sizeof(nn) || strlen(nn) > MAILBOX_NAME_MAX ||
		    mailbox_name_dir(all[i], cf, sizeof(cf)) == -1 ||
		    mailbox_name_dir(nn, ct, sizeof(ct)) == -1) {
			mbox_list_free(all, nall);
			return imap_no(s, "[CANNOT] the new name is too long");
		}
		if (renameat(s->rootfd, cf, s->rootfd, ct) == -1) {
			log_warn("user=<%s>: rename %s to %s", s->user, all[i],
			    nn);
			mbox_list_free(all, nall);
			return imap_no(s, "[SERVERBUG] cannot rename the "
			    "mailbox");
		}
	}
	mbox_list_free(all, nall);
	if (mbox_subs_rename(s, from, to) == -1)
		log_warn("user=<%s>: subscriptions of %s", s->user, from);
	(void)fsync_dir(s->root);
	return imap_ok(s, "RENAME completed");
}

int
cmd_subscribe(struct imap_session *s)
{
	char	 name[MAILBOX_NAME_MAX + 1];

	if (s->args == NULL || s->args->next != 0)
		return imap_bad(s, "SUBSCRIBE takes a mailbox name");
	if (mbox_arg(s, s->args, name, sizeof(name)) == -1)
		return 0;
	if (!mbox_exists(s, name))
		return imap_no(s, "[NONEXISTENT] no such mailbox");
	if (mbox_subs_set(s, name, 1) == -1) {
		log_warn("user=<%s>: subscribe %s", s->user, name);
		return imap_no(s, "[SERVERBUG] cannot save the subscription");
	}
	return imap_ok(s, "SUBSCRIBE completed");
}

int
cmd_unsubscribe(struct imap_session *s)
{
	char	 name[MAILBOX_NAME_MAX + 1];

	if (s->args == NULL || s->args->next != 0)
		return imap_bad(s, "UNSUBSCRIBE takes a mailbox name");
	if (mbox_arg(s, s->args, name, sizeof(name)) == -1)
		return 0;
	if (mbox_subs_set(s, name, 0) == -1) {
		log_warn("user=<%s>: unsubscribe %s", s->user, name);
		return imap_no(s, "[SERVERBUG] cannot save the subscription");
	}
	return imap_ok(s, "UNSUBSCRIBE completed");
}
