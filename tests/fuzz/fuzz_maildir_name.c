/*
 * libFuzzer target for lib/maildir/maildir_name.c, the file names of a Maildir's
 * cur/ as other programs write them.  The input's first byte picks the
 * flag to add (a letter), the next two the sizes of the output buffers;
 * the rest, up to a NUL, is the file name.  Every buffer handed over is
 * of exactly its size, so ASan sees any byte touched outside it.
 *
 * Checked:
 *   - the unique part is the name up to its first ':' (or all of it);
 *   - ",W=<size>" is read from the unique part alone (given as a buffer
 *     of ulen bytes, no NUL), exactly as a reference reads it: the first
 *     ",W=" followed by a digit decides, its digits must run to ',' or
 *     the end of the unique part, and the size is what they say;
 *   - the arrival seconds are the leading digits' value when they are at
 *     most 12, and always below 10^13;
 *   - adding a flag gives the unique part, ":2," and the old flags with
 *     the new one inserted in order (1 when it was there, ENAMETOOLONG
 *     when the result does not fit or would hold more than 62 flags, the
 *     most read); sorted unique flags stay
 *     sorted and unique; the new name has the same unique part, seconds,
 *     wire size and UIDL, and adding the flag again gives 1;
 *   - the UIDL is the unique part when it is 1..70 printable octets, else
 *     "H" and 32 hex digits; a smaller buffer gets a NUL-ended prefix of
 *     the hashed form (or the unique part when that fits).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "maildir_list_int.h"

#define UIDL_FULL	(MAILDIR_UIDL_MAX + 1)

/* The reference for ",W=": -1 none, -2 malformed or too big, else 0. */
static int
ref_wire(const char *u, size_t ulen, unsigned long long *v)
{
	size_t	 i, j;

	for (i = 0; i + 3 < ulen; i++) {
		if (u[i] != ',' || u[i + 1] != 'W' || u[i + 2] != '=' ||
		    u[i + 3] < '0' || u[i + 3] > '9')
			continue;
		*v = 0;
		for (j = i + 3; j < ulen && u[j] >= '0' && u[j] <= '9'; j++) {
			if (*v > (ULLONG_MAX - 9) / 10)
				return -2;
			*v = *v * 10 + (unsigned)(u[j] - '0');
		}
		if (j != ulen && u[j] != ',')
			return -2;
		return *v <= SSIZE_MAX ? 0 : -2;
	}
	return -1;
}

static void
check_wire(const char *name, size_t ulen)
{
	unsigned long long	 v = 0;
	char			*u;
	size_t			 size = 0;
	int			 r, want;

	if ((u = malloc(ulen > 0 ? ulen : 1)) == NULL)
		abort();
	memcpy(u, name, ulen);
	r = maildir_name_wire_size(u, ulen, &size);
	want = ref_wire(name, ulen, &v);
	if (r == 1 && (want != 0 || size != v))
		abort();
	/* The implementation may refuse the top 8 values below SSIZE_MAX. */
	if (r == 0 && want == 0 && v <= (unsigned long long)SSIZE_MAX - 8)
		abort();
	if (r != 0 && r != 1)
		abort();
	free(u);
}

static void
check_sec(const char *name)
{
	unsigned long long	 sec, v = 0;
	size_t			 i;

	sec = maildir_name_sec(name);
	for (i = 0; name[i] >= '0' && name[i] <= '9' && i < 12; i++)
		v = v * 10 + (unsigned)(name[i] - '0');
	if (sec >= 10000000000000ULL)
		abort();
	if (!(name[i] >= '0' && name[i] <= '9') && sec != v)
		abort();
}

/* The UIDL of name as a listing of one gives it, in outlen bytes. */
static void
uidl_of(const char *name, char *out, size_t outlen)
{
	struct maildir_list	 l;
	struct maildir_msg	 m;
	char			*o;

	memset(&l, 0, sizeof(l));
	memset(&m, 0, sizeof(m));
	l.msgs = &m;
	l.n = l.cap = 1;
	if (maildir_list_set_name(&l, 0, name) == -1)
		abort();
	if ((o = malloc(outlen > 0 ? outlen : 1)) == NULL)
		abort();
	maildir_list_uidl(&l, 0, o, outlen);
	if (outlen > 0) {
		if (memchr(o, '\0', outlen) == NULL)
			abort();
		memcpy(out, o, strlen(o) + 1);
	}
	free(o);
	free(l.names);
}

static void
check_uidl(const char *name, size_t ulen, size_t outlen, char *full)
{
	char	 part[256];
	size_t	 i, len;
	int	 fit = ulen > 0 && ulen <= MAILDIR_UIDL_MAX;

	for (i = 0; fit && i < ulen; i++)
		if ((unsigned char)name[i] < 0x21 ||
		    (unsigned char)name[i] > 0x7e)
			fit = 0;
	uidl_of(name, full, UIDL_FULL);
	len = strlen(full);
	if (fit) {
		if (len != ulen || memcmp(full, name, ulen) != 0)
			abort();
	} else {
		if (len != 33 || full[0] != 'H')
			abort();
		for (i = 1; i < 33; i++)
			if (!((full[i] >= '0' && full[i] <= '9') ||
			    (full[i] >= 'a' && full[i] <= 'f')))
				abort();
	}
	if (outlen == 0 || outlen >= UIDL_FULL)
		return;
	uidl_of(name, part, outlen);
	len = strlen(part);
	if (len >= outlen)
		abort();
	if (fit && ulen < outlen) {
		if (strcmp(part, full) != 0)
			abort();
	} else if (outlen >= 2 && len > 0) {
		/* A prefix of "H" + the hex digest, in whole octets. */
		if (part[0] != 'H' || len % 2 != 1)
			abort();
		if (memcmp(part, fit ? "H" : full, fit ? 1 : len) != 0)
			abort();
	} else if (len != 0)
		abort();
}

static int
sorted_unique(const char *f)
{
	size_t	 i;

	for (i = 0; f[i] != '\0'; i++)
		if ((unsigned char)f[i] >= 0x80 ||
		    (i > 0 && (unsigned char)f[i - 1] >= (unsigned char)f[i]))
			return 0;
	return 1;
}

static void
check_add_flag(const char *name, size_t ulen, char flag, size_t outlen,
    const char *uidl)
{
	const char	*info, *flags;
	char		 want[NAME_MAX + 80], *out, u2[UIDL_FULL];
	size_t		 nf, k, wlen, s1, s2;
	int		 r, w1, w2;

	info = strstr(name + ulen, ":2,");
	flags = info != NULL ? info + 3 : "";
	nf = strlen(flags);
	if ((out = malloc(outlen > 0 ? outlen : 1)) == NULL)
		abort();
	errno = 0;
	r = maildir_name_add_flag(name, ulen, flag, out, outlen);
	if (nf <= 62 && strchr(flags, flag) != NULL) {
		if (r != 1)
			abort();
		goto done;
	}
	/* At most 62 flags are read, and at most 62 written. */
	if (nf >= 62) {
		if (r != -1 || errno != ENAMETOOLONG)
			abort();
		goto done;
	}
	/* The reference: the flag goes before the first greater one from
	 * the end, comparing chars as the implementation does. */
	for (k = nf; k > 0 && flags[k - 1] > flag; k--)
		;
	memcpy(want, name, ulen);
	memcpy(want + ulen, ":2,", 3);
	memcpy(want + ulen + 3, flags, k);
	want[ulen + 3 + k] = flag;
	memcpy(want + ulen + 4 + k, flags + k, nf - k);
	wlen = ulen + 4 + nf;
	want[wlen] = '\0';
	if (wlen >= outlen) {
		if (r != -1 || errno != ENAMETOOLONG)
			abort();
		goto done;
	}
	if (r != 0 || strcmp(out, want) != 0)
		abort();
	/* The new name parses as the old one, flag added. */
	if (maildir_name_unique_len(out) != ulen ||
	    maildir_name_sec(out) != maildir_name_sec(name))
		abort();
	s1 = s2 = 0;
	w1 = maildir_name_wire_size(name, ulen, &s1);
	w2 = maildir_name_wire_size(out, ulen, &s2);
	if (w1 != w2 || s1 != s2)
		abort();
	info = strstr(out + ulen, ":2,");
	if (info == NULL || strchr(info + 3, flag) == NULL)
		abort();
	if (sorted_unique(flags) && !sorted_unique(info + 3))
		abort();
	if (maildir_name_add_flag(out, ulen, flag, want, sizeof(want)) != 1)
		abort();
	if (wlen <= NAME_MAX) {
		uidl_of(out, u2, sizeof(u2));
		if (strcmp(u2, uidl) != 0)
			abort();
	}
done:
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const char letters[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	char		*name, uidl[UIDL_FULL];
	size_t		 len, ulen, outlen, uidllen;
	const char	*colon;
	char		 flag;

	if (n < 3)
		return 0;
	flag = letters[in[0] % (sizeof(letters) - 1)];
	outlen = in[1] & 0x80 ? (size_t)(in[1] & 0x7f) : NAME_MAX + 1;
	uidllen = in[2] & 0x80 ? (size_t)(in[2] & 0x7f) : UIDL_FULL;
	in += 3;
	n -= 3;
	len = strnlen((const char *)in, n);
	if (len > NAME_MAX)
		return 0;	/* no such file name */
	if ((name = malloc(len + 1)) == NULL)
		abort();
	memcpy(name, in, len);
	name[len] = '\0';

	ulen = maildir_name_unique_len(name);
	colon = strchr(name, ':');
	if (ulen > len || memchr(name, ':', ulen) != NULL ||
	    (colon != NULL ? name + ulen != colon : ulen != len))
		abort();
	check_wire(name, ulen);
	check_sec(name);
	check_uidl(name, ulen, uidllen, uidl);
	check_add_flag(name, ulen, flag, outlen, uidl);
	free(name);
	return 0;
}
