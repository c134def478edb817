/*
 * maildir_msg: one message of a listing: opened, flagged or removed by
 * the name the listing holds, and found again through its unique name
 * when another program (an IMAP server changing flags) renamed it since.
 *
 * Trust: see maildir_name.c: names are other programs'.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maildir_list_int.h"

/* Finds message i again after a rename, by its unique name.  0 or -1. */
static int
list_find(struct maildir_list *l, size_t i)
{
	size_t		 ulen = l->msgs[i].ulen;
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	int		 r, save;

	if (maildir_list_path(path, sizeof(path), l->dir, "cur", NULL) == -1 ||
	    (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, maildir_list_name(l, i), ulen) != 0 ||
		    (de->d_name[ulen] != ':' && de->d_name[ulen] != '\0'))
			continue;
		r = maildir_list_set_name(l, i, de->d_name);
		save = errno;
		(void)closedir(d);
		errno = save;
		return r;
	}
	(void)closedir(d);
	errno = ENOENT;
	return -1;
}

int
maildir_list_open(struct maildir_list *l, size_t i)
{
	char	 path[PATH_MAX];
	int	 fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if (maildir_list_path(path, sizeof(path), l->dir, "cur",
		    maildir_list_name(l, i)) == -1)
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1 || errno != ENOENT)
			return fd;
		if (list_find(l, i) == -1)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

int
maildir_list_add_flag(struct maildir_list *l, size_t i, char flag)
{
	char	 from[PATH_MAX], to[PATH_MAX], nn[NAME_MAX + 1];
	char	*name;
	int	 tries, r;

	for (tries = 0; tries < 2; tries++) {
		name = l->names + l->msgs[i].name;
		r = maildir_name_add_flag(name, l->msgs[i].ulen, flag, nn,
		    sizeof(nn));
		if (r != 0)
			return r == 1 ? 0 : -1;
		if (maildir_list_path(from, sizeof(from), l->dir, "cur",
		    name) == -1 ||
		    maildir_list_path(to, sizeof(to), l->dir, "cur",
		    nn) == -1) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (rename(from, to) == 0)
			return maildir_list_set_name(l, i, nn);
		if (errno != ENOENT || list_find(l, i) == -1)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

int
maildir_list_remove(struct maildir_list *l, size_t i)
{
	char	 path[PATH_MAX];
	int	 tries;

	for (tries = 0; tries < 2; tries++) {
		if (maildir_list_path(path, sizeof(path), l->dir, "cur",
		    maildir_list_name(l, i)) == -1)
			return -1;
		if (unlink(path) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		if (list_find(l, i) == -1)
			return errno == ENOENT ? 0 : -1;
	}
	return 0;
}
