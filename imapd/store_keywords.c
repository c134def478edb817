/*
 * store_keywords: facteur-keywords, the names of a folder's keywords
 * (RFC 9051 2.3.2), one NUL-ended name per index: index 0 is the letter
 * 'a' in the info of a file name, up to 25 ('z').  Names are only ever
 * added, under the folder lock, by rewriting the file atomically, so an
 * index once given keeps its name.  A keyword is an atom that is not a
 * system flag; names are compared ASCII case-insensitively, as RFC 9051
 * asks.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "imap_parse.h"
#include "store.h"

#define KEYWORDS_TMP	"facteur-keywords.tmp"
#define KEYWORDS_FILE_MAX (STORE_KEYWORDS_MAX * (STORE_KEYWORD_LEN + 1))

int
keyword_valid(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > STORE_KEYWORD_LEN || s[0] == '\\')
		return 0;
	for (i = 0; i < n; i++)
		if (!imap_is_atom_char((unsigned char)s[i]))
			return 0;
	return 1;
}

void
keywords_free(struct folder *f)
{
	size_t	 i;

	for (i = 0; i < f->nkw; i++)
		free(f->kw[i]);
	f->nkw = 0;
}

int
keywords_load(struct folder *f)
{
	char		 data[KEYWORDS_FILE_MAX + 1];
	ssize_t		 got;
	int		 fd;

	keywords_free(f);
	fd = openat(f->dirfd, STORE_KEYWORDS, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	got = fd_read_full(fd, data, sizeof(data));
	(void)close(fd);
	if (got < 0)
		return -1;
	return keywords_parse(f, data, (size_t)got);
}

int
keywords_parse(struct folder *f, const char *data, size_t n)
{
	const char	*p, *nul;
	size_t		 left;

	keywords_free(f);
	if (n > KEYWORDS_FILE_MAX)
		n = KEYWORDS_FILE_MAX;
	/* What does not parse is ignored: the letters keep their index. */
	for (p = data, left = n; left > 0 &&
	    f->nkw < STORE_KEYWORDS_MAX; ) {
		if ((nul = memchr(p, '\0', left)) == NULL)
			break;
		if (!keyword_valid(p, (size_t)(nul - p)))
			break;
		if ((f->kw[f->nkw] = strdup(p)) == NULL)
			return -1;
		f->nkw++;
		left -= (size_t)(nul - p) + 1;
		p = nul + 1;
	}
	return 0;
}

static int
keywords_save(struct folder *f)
{
	struct buf	 b;
	size_t		 i;
	int		 fd, r = -1, save;

	buf_init(&b, KEYWORDS_FILE_MAX);
	for (i = 0; i < f->nkw; i++)
		if (buf_append(&b, f->kw[i], strlen(f->kw[i]) + 1) == -1)
			goto out;
	fd = openat(f->dirfd, KEYWORDS_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		goto out;
	if (fd_write_full(fd, b.data, b.len) == -1 || fsync(fd) == -1) {
		save = errno;
		(void)close(fd);
		errno = save;
		goto out;
	}
	if (close(fd) == -1 || renameat(f->dirfd, KEYWORDS_TMP, f->dirfd,
	    STORE_KEYWORDS) == -1 || fsync(f->dirfd) == -1)
		goto out;
	r = 0;
out:
	if (r == -1) {
		save = errno;
		(void)unlinkat(f->dirfd, KEYWORDS_TMP, 0);
		errno = save;
	}
	buf_free(&b);
	return r;
}

int
keywords_index(struct folder *f, const char *name, int add)
{
	size_t	 i;
	int	 lockfd;

	for (i = 0; i < f->nkw; i++)
		if (strcasecmp(f->kw[i], name) == 0)
			return (int)i;
	if (!add)
		return -1;
	if (!keyword_valid(name, strlen(name))) {
		errno = EINVAL;
		return -1;
	}
	/* Another session may have added names since we read them. */
	if ((lockfd = folder_lock(f->dirfd)) == -1)
		return -1;
	if (keywords_load(f) == -1)
		goto fail;
	for (i = 0; i < f->nkw; i++)
		if (strcasecmp(f->kw[i], name) == 0) {
			folder_unlock(lockfd);
			return (int)i;
		}
	if (f->nkw == STORE_KEYWORDS_MAX) {
		errno = ENOSPC;
		goto fail;
	}
	if ((f->kw[f->nkw] = strdup(name)) == NULL)
		goto fail;
	f->nkw++;
	if (keywords_save(f) == -1) {
		free(f->kw[--f->nkw]);
		goto fail;
	}
	folder_unlock(lockfd);
	return (int)(f->nkw - 1);
fail:
	i = (size_t)errno;
	folder_unlock(lockfd);
	errno = (int)i;
	return -1;
}
