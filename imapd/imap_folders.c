/*
 * imap_folders: the commands that change the tree of mailboxes: CREATE
 * (the levels above the new name too), DELETE (the folder's directory
 * is renamed out of sight at once, then emptied and removed), RENAME
 * (children follow; RENAME INBOX moves INBOX's messages to the new
 * folder and leaves INBOX empty), SUBSCRIBE and UNSUBSCRIBE.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "imapsession.h"
#include "log.h"

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
