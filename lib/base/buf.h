/*
 * buf: growable byte buffers with an explicit upper limit.
 * Every append checks for overflow and for the buffer's maximum; a buffer
 * that would pass its maximum refuses the append (errno E2BIG) and keeps
 * what it had.  data is always NUL-terminated for convenience (the NUL is
 * not counted in len and not in max).
 *
 * Trust: none needed; the maximum is the caller's limit for its input.
 */
#ifndef FACTEUR_BUF_H
#define FACTEUR_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* largest len ever allowed */
};

void	buf_init(struct buf *, size_t max);
void	buf_free(struct buf *);		/* wipes nothing; see buf_wipe */
void	buf_wipe(struct buf *);		/* explicit_bzero then free */
void	buf_reset(struct buf *);	/* len = 0, keeps storage */
int	buf_reserve(struct buf *, size_t extra);	/* 0, or -1 + errno */
int	buf_append(struct buf *, const void *, size_t);
int	buf_append_str(struct buf *, const char *);
int	buf_putc(struct buf *, int);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	buf_consume(struct buf *, size_t n);	/* drop the first n bytes */
/* Returns a malloc'd NUL-terminated copy, or NULL. */
char	*buf_strdup(const struct buf *);

#endif
