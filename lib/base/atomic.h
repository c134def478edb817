/*
 * atomic: replacing a file so that after a crash either the old or the new
 * content is there, whole: write a temporary file in the same directory,
 * fsync it, rename it over the target, fsync the directory.
 *
 * Trust: the caller's path and data.
 */
#ifndef FACTEUR_ATOMIC_H
#define FACTEUR_ATOMIC_H
#include <stddef.h>
#include <sys/types.h>

int	atomic_write(const char *path, const void *, size_t, mode_t);
/* The same with path relative to the directory descriptor at. */
int	atomic_writeat(int at, const char *path, const void *, size_t, mode_t);

#endif
