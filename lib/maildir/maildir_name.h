/*
 * maildir_name: reading the file names of a Maildir, shared by the
 * listing of pop3session (maildir_list) and imapsession's store: the
 * unique part (up to ':', which flag changes never touch), the arrival
 * seconds it starts with, Dovecot/Courier's ",W=<size>" (the size with
 * CRLF line ends) and ",S=<size>" (the size on disk), and the path of a
 * name.  Names are written by other programs, so nothing here trusts
 * their shape.
 */
#ifndef FACTEUR_MAILDIR_NAME_H
#define FACTEUR_MAILDIR_NAME_H
#include <stddef.h>

/* dir/sub, or dir/sub/name; -1 with ENAMETOOLONG when it does not fit. */
int	maildir_list_path(char *out, size_t n, const char *dir,
	    const char *sub, const char *name);
/* The unique part's length: the name up to ':'. */
size_t	maildir_name_unique_len(const char *name);
/* ",W=<digits>" in the unique part: 1 and *size, else 0. */
int	maildir_name_wire_size(const char *name, size_t ulen, size_t *size);
/* ",S=<digits>" in the unique part: 1 and *size, else 0. */
int	maildir_name_raw_size(const char *name, size_t ulen, size_t *size);
/* The leading seconds of a name: the order of arrival. */
unsigned long long maildir_name_sec(const char *name);

#endif
