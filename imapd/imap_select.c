/*
 * imap_select: the selected folder: SELECT and EXAMINE (RFC 9051 6.3.2,
 * 6.3.3), CLOSE, UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 4315),
 * and STATUS (RFC 9051 6.3.11, with SIZE and DELETED of RFC 8438 and
 * IMAP4rev2), which opens a folder without selecting it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crlf.h"
#include "imapsession.h"
#include "log.h"
#include "maildir_name.h"
#include "store_cache.h"

void
select_close(struct imap_session *s)
{
	if (s->box.dirfd != -1) {
		(void)mcache_flush(&s->box);
		folder_close(&s->box);
	}
	s->box.dirfd = s->box.ifd = -1;
	imap_seq_free(&s->saved);
	s->saved_ok = 0;
	s->exists = s->recent_sent = s->nkw_sent = 0;
	s->state = IMAP_AUTH;
}

static int
select_open(struct imap_session *s, int readonly)
{
	struct folder	*f = &s->box;
	char		 name[MAILBOX_NAME_MAX + 1], path[PATH_MAX];
	size_t		 i, unseen = 0;
	int		 had = s->state == IMAP_SELECTED;

	if (s->args == NULL || s->args->next != 0)
		return imap_bad(s, "%s takes a mailbox name",
		    readonly ? "EXAMINE" : "SELECT");
	if (mbox_arg(s, s->args, name, sizeof(name)) == -1)
		return 0;
	/* RFC 9051 6.3.2: a failed SELECT leaves nothing selected. */
	select_close(s);
	if (had && lineio_printf(&s->io, "* OK [CLOSED] Previous mailbox "
	    "closed\r\n") == -1)
		return -1;
	if (!mbox_exists(s, name) || mbox_path(s, name, path,
	    sizeof(path)) == -1)
		return imap_no(s, "[NONEXISTENT] no such mailbox");
	if (folder_open(f, name, path, readonly) == -1) {
		log_warn("user=<%s>: open %s", s->user, name);
		f->dirfd = f->ifd = -1;
		return imap_no(s, "[SERVERBUG] cannot open the mailbox");
	}
	s->state = IMAP_SELECTED;
	s->exists = f->n;
	s->recent_sent = f->recent;
	s->nkw_sent = f->nkw;
	buf_reset(&s->out);
	if (buf_append_str(&s->out, "* FLAGS ") == -1 ||
	    resp_flag_list(s, &s->out, 0) == -1 ||
	    buf_append_str(&s->out, "\r\n* OK [PERMANENTFLAGS ") == -1 ||
	    (readonly ? buf_append_str(&s->out, "()") :
	    resp_flag_list(s, &s->out, 1)) == -1 ||
	    buf_printf(&s->out, "] Flags permitted\r\n* %zu EXISTS\r\n",
	    f->n) == -1)
		return -1;
	if (!s->rev2) {
		for (i = 0; i < f->n && unseen == 0; i++)
			if (!(f->msgs[i].flags & MSG_SEEN))
				unseen = i + 1;
		if (buf_printf(&s->out, "* %zu RECENT\r\n", f->recent) == -1 ||
		    (unseen != 0 && buf_printf(&s->out, "* OK [UNSEEN %zu] "
		    "First unseen\r\n", unseen) == -1))
			return -1;
	}
	if (buf_printf(&s->out, "* OK [UIDVALIDITY %u] UIDs valid\r\n"
	    "* OK [UIDNEXT %u] Predicted next UID\r\n", f->uidvalidity,
	    f->uidnext) == -1)
		return -1;
	if (s->rev2 && (buf_append_str(&s->out, "* LIST () \".\" ") == -1 ||
	    resp_mailbox(s, &s->out, name) == -1 ||
	    buf_append_str(&s->out, "\r\n") == -1))
		return -1;
	if (resp_send(s, &s->out) == -1)
		return -1;
	return imap_ok(s, "[READ-%s] %s completed", readonly ? "ONLY" : "WRITE",
	    readonly ? "EXAMINE" : "SELECT");
}

int
cmd_select(struct imap_session *s)
{
	return select_open(s, 0);
}

int
cmd_examine(struct imap_session *s)
{
	return select_open(s, 1);
}

/*
 * Removes the \Deleted messages (within the indices idx, when given) and
 * marks them gone.  The number removed, or -1 when some could not be.
 */
static ssize_t
select_expunge(struct imap_session *s, const struct imap_seq *idx)
{
	struct folder	*f = &s->box;
	size_t		 i, n = 0;
	int		 fail = 0;

	for (i = 0; i < f->n; i++) {
		if (!(f->msgs[i].flags & MSG_DELETED) ||
		    (f->msgs[i].state & MSGS_GONE) ||
		    (idx != NULL && !imap_seq_contains(idx, (uint32_t)i)))
			continue;
		if (folder_msg_remove(f, i) == -1) {
			log_warn("user=<%s>: remove %s", s->user,
			    folder_msg_name(f, i));
			fail = 1;
			continue;
		}
		f->msgs[i].state |= MSGS_GONE;
		n++;
	}
	return fail ? -1 : (ssize_t)n;
}

int
cmd_close(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "CLOSE takes no arguments");
	/* RFC 9051 6.4.1: silently, without EXPUNGE responses. */
	if (!s->box.readonly)
		(void)select_expunge(s, NULL);
	select_close(s);
	return imap_ok(s, "CLOSE completed");
}

int
cmd_unselect(struct imap_session *s)
{
	if (s->args != NULL)
		return imap_bad(s, "UNSELECT takes no arguments");
	select_close(s);
	return imap_ok(s, "UNSELECT completed");
}

int
cmd_expunge(struct imap_session *s)
{
	struct imap_seq	 idx;
	ssize_t		 r;

	memset(&idx, 0, sizeof(idx));
	if (s->uid) {
		if (s->args == NULL || s->args->next != 0)
			return imap_bad(s, "UID EXPUNGE takes a UID set");
		if (seq_arg(s, s->args, &idx) == -1)
			return 0;
	} else if (s->args != NULL)
		return imap_bad(s, "EXPUNGE takes no arguments");
	if (s->box.readonly) {
		imap_seq_free(&idx);
		return imap_no(s, "[READ-ONLY] the mailbox is read-only");
	}
	r = select_expunge(s, s->uid ? &idx : NULL);
	imap_seq_free(&idx);
	if (r == -1)
		return imap_no(s, "[SERVERBUG] some messages could not be "
		    "removed");
	return imap_ok(s, "EXPUNGE completed");
}

/* The wire size of message i: the cache, the name, or reading it. */
static int
status_size(struct folder *f, size_t i, uint64_t *size)
{
	struct mcache_rec	 r, add;
	size_t			 w;
	ssize_t			 n;
	int			 fd;

	if (mcache_get(f, i, &r) == 1 && (r.have & MCF_WIRE)) {
		*size = r.wire;
		return 0;
	}
	if (maildir_name_wire_size(folder_msg_name(f, i), f->msgs[i].ulen,
	    &w)) {
		*size = w;
		return 0;
	}
	if ((fd = folder_msg_open(f, i)) == -1)
		return -1;
	n = crlf_size_fd(fd);
	(void)close(fd);
	if (n < 0)
		return -1;
	memset(&add, 0, sizeof(add));
	add.have = MCF_WIRE;
	add.wire = (uint64_t)n;
	(void)mcache_put(f, i, &add);
	*size = (uint64_t)n;
	return 0;
}

int
status_items(struct imap_session *s, const char *name,
    const struct imap_arg *items, struct buf *b, const char **why)
{
	struct folder		 tmp, *f;
	const struct imap_arg	*a;
	char			 path[PATH_MAX];
	size_t			 i, unseen = 0, deleted = 0;
	uint64_t		 size = 0, one = 0;
	int			 opened = 0, sp = 0, r = 0, need_size = 0;

	*why = NULL;
	if (items == NULL || items->type != IMAP_ARG_LIST || items->count == 0) {
		*why = "STATUS items expected";
		return -1;
	}
	for (a = imap_arg_child(&s->cmd, items); a != NULL;
	    a = imap_arg_next(&s->cmd, a)) {
		if (!imap_arg_is(a, "MESSAGES") && !imap_arg_is(a, "RECENT") &&
		    !imap_arg_is(a, "UIDNEXT") && !imap_arg_is(a, "UIDVALIDITY") &&
		    !imap_arg_is(a, "UNSEEN") && !imap_arg_is(a, "DELETED") &&
		    !imap_arg_is(a, "SIZE")) {
			*why = "unknown STATUS item";
			return -1;
		}
		if (imap_arg_is(a, "SIZE"))
			need_size = 1;
	}
	if (s->state == IMAP_SELECTED && strcmp(s->box.name, name) == 0)
		f = &s->box;
	else {
		if (mbox_path(s, name, path, sizeof(path)) == -1 ||
		    folder_open(&tmp, name, path, 1) == -1)
			return -2;
		f = &tmp;
		opened = 1;
	}
	for (i = 0; i < f->n; i++) {
		if (f->msgs[i].state & MSGS_GONE)
			continue;
		if (!(f->msgs[i].flags & MSG_SEEN))
			unseen++;
		if (f->msgs[i].flags & MSG_DELETED)
			deleted++;
		if (need_size && r == 0) {
			if (status_size(f, i, &one) == -1)
				r = -2;
			size += one;
		}
	}
	if (r == 0)
		r = buf_putc(b, '(');
	for (a = imap_arg_child(&s->cmd, items); r == 0 && a != NULL;
	    a = imap_arg_next(&s->cmd, a)) {
		if (sp)
			r = buf_putc(b, ' ');
		sp = 1;
		if (r == -1)
			break;
		if (imap_arg_is(a, "MESSAGES"))
			r = buf_printf(b, "MESSAGES %zu", f->n);
		else if (imap_arg_is(a, "RECENT"))
			r = buf_printf(b, "RECENT %zu", f->recent);
		else if (imap_arg_is(a, "UIDNEXT"))
			r = buf_printf(b, "UIDNEXT %u", f->uidnext);
		else if (imap_arg_is(a, "UIDVALIDITY"))
			r = buf_printf(b, "UIDVALIDITY %u", f->uidvalidity);
		else if (imap_arg_is(a, "UNSEEN"))
			r = buf_printf(b, "UNSEEN %zu", unseen);
		else if (imap_arg_is(a, "DELETED"))
			r = buf_printf(b, "DELETED %zu", deleted);
		else
			r = buf_printf(b, "SIZE %llu",
			    (unsigned long long)size);
	}
	if (r == 0)
		r = buf_putc(b, ')');
	if (opened) {
		(void)mcache_flush(&tmp);
		folder_close(&tmp);
	}
	return r == 0 ? 0 : -2;
}

int
cmd_status(struct imap_session *s)
{
	const struct imap_arg	*items;
	char			 name[MAILBOX_NAME_MAX + 1];
	const char		*why;
	struct buf		 b;
	int			 r;

	items = imap_arg_next(&s->cmd, s->args);
	if (s->args == NULL || items == NULL || items->next != 0)
		return imap_bad(s, "STATUS takes a mailbox and a list of "
		    "items");
	if (mbox_arg(s, s->args, name, sizeof(name)) == -1)
		return 0;
	if (!mbox_exists(s, name))
		return imap_no(s, "[NONEXISTENT] no such mailbox");
	buf_init(&b, 4096);
	r = status_items(s, name, items, &b, &why);
	if (r == -1) {
		buf_free(&b);
		return imap_bad(s, "%s", why);
	}
	if (r == -2) {
		buf_free(&b);
		log_warn("user=<%s>: status of %s", s->user, name);
		return imap_no(s, "[SERVERBUG] cannot read the mailbox");
	}
	buf_reset(&s->out);
	if (buf_append_str(&s->out, "* STATUS ") == -1 ||
	    resp_mailbox(s, &s->out, name) == -1 ||
	    buf_putc(&s->out, ' ') == -1 ||
	    buf_append(&s->out, b.data, b.len) == -1 ||
	    buf_append_str(&s->out, "\r\n") == -1) {
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	if (resp_send(s, &s->out) == -1)
		return -1;
	return imap_ok(s, "STATUS completed");
}
