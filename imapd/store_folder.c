/*
 * store_folder: one open folder (see store.h): its messages in UID order,
 * each found by its file name and found again after another program
 * renamed it (flags) or moved it from new/ to cur/; opening, locking and
 * closing.  Bringing the list in step with the directories is
 * store_sync.c's.
 *
 * Messages and their file names are kept as compactly as the POP3
 * listing keeps them: one array of 24-byte records and one block of
 * names.
 */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "maildir_name.h"
#include "store.h"
#include "store_cache.h"


int
folder_lock(int dirfd)
{
	long long	 deadline = fd_now_ms() + STORE_LOCK_WAIT_MS;
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 fd, save;

	fd = openat(dirfd, STORE_UIDLIST_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			goto fail;
		if (fd_now_ms() > deadline) {
			errno = ETIMEDOUT;
			goto fail;
		}
		(void)nanosleep(&ts, NULL);
	}
	return fd;
fail:
	save = errno;
	(void)close(fd);
	errno = save;
	return -1;
}

void
folder_unlock(int lockfd)
{
	if (lockfd != -1)
		(void)close(lockfd);
}

int
store_names_append(char **blk, size_t *len, size_t *cap, const char *name,
    uint32_t *off)
{
	size_t	 n = strlen(name) + 1, ncap;
	char	*nb;

	if (*cap - *len < n) {
		ncap = *cap ? *cap * 2 : 16384;
		while (ncap - *len < n)
			ncap *= 2;
		if (ncap > UINT32_MAX) {
			errno = E2BIG;
			return -1;
		}
		if ((nb = realloc(*blk, ncap)) == NULL)
			return -1;
		*blk = nb;
		*cap = ncap;
	}
	memcpy(*blk + *len, name, n);
	*off = (uint32_t)*len;
	*len += n;
	return 0;
}

int
folder_set_name(struct folder *f, size_t i, const char *name)
{
	uint32_t	 off;

	if (store_names_append(&f->names, &f->nameslen, &f->namescap, name,
	    &off) == -1)
		return -1;
	f->msgs[i].name = off;
	f->msgs[i].ulen = (uint16_t)maildir_name_unique_len(name);
	return 0;
}

const char *
folder_msg_name(const struct folder *f, size_t i)
{
	return f->names + f->msgs[i].name;
}

const char *
folder_msg_sub(const struct folder *f, size_t i)
{
	return (f->msgs[i].state & MSGS_NEW) ? "new" : "cur";
}

ssize_t
folder_find_uid(const struct folder *f, uint32_t uid)
{
	size_t	 lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->msgs[mid].uid == uid)
			return (ssize_t)mid;
		if (f->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The path of message i relative to the folder. */
static int
folder_msg_path(const struct folder *f, size_t i, char *out, size_t n)
{
	int	 r;

	r = snprintf(out, n, "%s/%s", folder_msg_sub(f, i),
	    folder_msg_name(f, i));
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Finds message i again by its unique name (after a rename): 0 or -1. */
static int
folder_msg_find(struct folder *f, size_t i)
{
	static const char *const subs[] = { "cur", "new" };
	const char	*name = folder_msg_name(f, i);
	size_t		 ulen = f->msgs[i].ulen, k;
	struct dirent	*de;
	DIR		*d;
	int		 fd, r;

	f->dirty = 1;
	for (k = 0; k < 2; k++) {
		fd = openat(f->dirfd, subs[k], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (fd == -1 || (d = fdopendir(fd)) == NULL) {
			if (fd != -1)
				(void)close(fd);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, name, ulen) != 0 ||
			    (de->d_name[ulen] != ':' &&
			    de->d_name[ulen] != '\0'))
				continue;
			r = folder_set_name(f, i, de->d_name);
			if (k == 1)
				f->msgs[i].state |= MSGS_NEW;
			else
				f->msgs[i].state &= ~MSGS_NEW;
			(void)closedir(d);
			return r;
		}
		(void)closedir(d);
	}
	errno = ENOENT;
	return -1;
}

int
folder_msg_open(struct folder *f, size_t i)
{
	char	 path[PATH_MAX];
	int	 fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if (folder_msg_path(f, i, path, sizeof(path)) == -1)
			return -1;
		fd = openat(f->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd != -1 || errno != ENOENT)
			return fd;
		if (folder_msg_find(f, i) == -1)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

int
folder_msg_stat(struct folder *f, size_t i, time_t *mtime, off_t *size)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	int		 tries;

	for (tries = 0; tries < 2; tries++) {
		if (folder_msg_path(f, i, path, sizeof(path)) == -1)
			return -1;
		if (fstatat(f->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			*mtime = st.st_mtime;
			*size = st.st_size;
			return 0;
		}
		if (errno != ENOENT || folder_msg_find(f, i) == -1)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

int
folder_msg_set_flags(struct folder *f, size_t i, uint8_t flags, uint32_t kw)
{
	char		 from[PATH_MAX], to[PATH_MAX], nn[NAME_MAX + 1];
	struct msg	*m = &f->msgs[i];
	int		 tries;

	for (tries = 0; tries < 2; tries++) {
		if (flags_name(folder_msg_name(f, i), m->ulen,
		    flags & MSG_SYSFLAGS, kw, nn, sizeof(nn)) == -1 ||
		    folder_msg_path(f, i, from, sizeof(from)) == -1)
			return -1;
		if (snprintf(to, sizeof(to), "cur/%s", nn) >=
		    (int)sizeof(to)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (strcmp(from, to) == 0 ||
		    renameat(f->dirfd, from, f->dirfd, to) == 0) {
			if (folder_set_name(f, i, nn) == -1)
				return -1;
			m->state &= ~MSGS_NEW;
			m->flags = (uint8_t)((m->flags & ~MSG_SYSFLAGS) |
			    (flags & MSG_SYSFLAGS));
			m->kw = kw;
			return 0;
		}
		if (errno != ENOENT || folder_msg_find(f, i) == -1)
			return -1;
	}
	errno = ENOENT;
	return -1;
}

int
folder_msg_remove(struct folder *f, size_t i)
{
	char	 path[PATH_MAX];
	int	 tries;

	for (tries = 0; tries < 2; tries++) {
		if (folder_msg_path(f, i, path, sizeof(path)) == -1)
			return -1;
		if (unlinkat(f->dirfd, path, 0) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		if (folder_msg_find(f, i) == -1)
			return errno == ENOENT ? 0 : -1;
	}
	return 0;
}

size_t
folder_drop_gone(struct folder *f)
{
	size_t	 i, j = 0, gone;

	for (i = 0; i < f->n; i++) {
		if (f->msgs[i].state & MSGS_GONE) {
			if (f->msgs[i].flags & MSG_RECENT)
				f->recent--;
			continue;
		}
		f->msgs[j++] = f->msgs[i];
	}
	gone = f->n - j;
	f->n = j;
	f->udead += gone;
	return gone;
}

static void
folder_watch(struct folder *f)
{
	char	 p[PATH_MAX];
	int	 ok = 1;

	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd == -1)
		return;
	if (snprintf(p, sizeof(p), "%s/cur", f->path) >= (int)sizeof(p) ||
	    (f->wd_cur = inotify_add_watch(f->ifd, p, IN_CREATE | IN_DELETE |
	    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
	    IN_MOVE_SELF)) == -1)
		ok = 0;
	if (ok && (snprintf(p, sizeof(p), "%s/new", f->path) >= (int)sizeof(p)
	    || (f->wd_new = inotify_add_watch(f->ifd, p, IN_CREATE |
	    IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
	    IN_MOVE_SELF)) == -1))
		ok = 0;
	if (!ok) {
		(void)close(f->ifd);
		f->ifd = -1;
	}
}

int
folder_open(struct folder *f, const char *name, const char *path,
    int readonly)
{
	int	 r, save;

	memset(f, 0, sizeof(f[0]));
	f->ifd = -1;
	f->dirfd = -1;
	f->readonly = readonly;
	f->dirty = 1;
	buf_init(&f->cache.pending, MCACHE_PENDING_MAX);
	if ((f->name = strdup(name)) == NULL ||
	    (f->path = strdup(path)) == NULL)
		goto fail;
	if ((f->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	if (keywords_load(f) == -1)
		goto fail;
	folder_watch(f);
	if ((r = folder_sync(f)) != 0) {
		if (r == 1)
			errno = ESTALE;
		goto fail;
	}
	return 0;
fail:
	save = errno;
	folder_close(f);
	errno = save;
	return -1;
}

int
folder_open_dest(struct folder *f, const char *name, const char *path)
{
	int	 save;

	memset(f, 0, sizeof(*f));
	f->ifd = -1;
	buf_init(&f->cache.pending, MCACHE_PENDING_MAX);
	if ((f->name = strdup(name)) == NULL ||
	    (f->path = strdup(path)) == NULL ||
	    (f->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    keywords_load(f) == -1) {
		save = errno;
		folder_close(f);
		errno = save;
		return -1;
	}
	return 0;
}

int
folder_dest_ready(struct folder *f)
{
	int	 r, reloaded;

	r = uidlist_read(f, uidlist_skip, NULL, &reloaded);
	if ((r == -1 && errno == ENOENT) || r == -2) {
		f->uoff = 0;
		return uidlist_create(f);
	}
	return r;
}

void
folder_close(struct folder *f)
{
	mcache_close(f);
	keywords_free(f);
	if (f->ifd != -1)
		(void)close(f->ifd);
	if (f->dirfd != -1)
		(void)close(f->dirfd);
	free(f->msgs);
	free(f->names);
	free(f->ev);
	free(f->name);
	free(f->path);
	memset(f, 0, sizeof(*f));
	f->ifd = f->dirfd = -1;
}
