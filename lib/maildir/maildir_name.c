/*
 * maildir_name: the file names of a Maildir's cur/ as the listing reads
 * them: the unique part (up to ':', which flag changes never touch), the
 * arrival seconds it starts with, Dovecot/Courier's ",W=<size>", the
 * flags after ":2,", the UIDL made from the unique part, and the path
 * a name is found at.  Names are written by other programs, so nothing
 * here trusts their shape.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "maildir_list_int.h"
#include "sha256.h"

/* dir/sub, or dir/sub/name; -1 with ENAMETOOLONG when it does not fit. */
int
maildir_list_path(char *out, size_t n, const char *dir, const char *sub,
    const char *name)
{
	int	 r;

	r = snprintf(out, n, "%s/%s%s%s", dir, sub, name ? "/" : "",
	    name ? name : "");
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The unique part's length: the name up to ':'. */
size_t
maildir_name_unique_len(const char *name)
{
	const char	*colon = strchr(name, ':');

	return colon != NULL ? (size_t)(colon - name) : strlen(name);
}

/* ",<key>=<digits>" inside the unique part: 1 and *size, else 0. */
static int
maildir_name_size(const char *name, size_t ulen, char key, size_t *size)
{
	const char	*p = name, *end = name + ulen;
	unsigned long long v;

	while ((p = memchr(p, ',', (size_t)(end - p))) != NULL) {
		p++;
		if (end - p < 3 || p[0] != key || p[1] != '=')
			continue;
		p += 2;
		v = 0;
		if (*p < '0' || *p > '9')
			continue;
		while (p < end && *p >= '0' && *p <= '9') {
			if (v > (SSIZE_MAX - 9) / 10)
				return 0;
			v = v * 10 + (unsigned)(*p++ - '0');
		}
		if (p != end && *p != ',')
			return 0;
		*size = (size_t)v;
		return 1;
	}
	return 0;
}

/* Dovecot's wire size (CRLF line ends). */
int
maildir_name_wire_size(const char *name, size_t ulen, size_t *size)
{
	return maildir_name_size(name, ulen, 'W', size);
}

/* Dovecot's size on disk. */
int
maildir_name_raw_size(const char *name, size_t ulen, size_t *size)
{
	return maildir_name_size(name, ulen, 'S', size);
}

/* The leading seconds of a name: the order of arrival. */
unsigned long long
maildir_name_sec(const char *p)
{
	unsigned long long	 sec = 0;

	for (; *p >= '0' && *p <= '9' && sec < 1000000000000ULL; p++)
		sec = sec * 10 + (unsigned)(*p - '0');
	return sec;
}

/*
 * The name with flag added to its info ":2,<flags>", the flags kept in
 * ASCII order as the Maildir spec asks: 0 with out set, 1 when the name
 * has the flag already, -1 with ENAMETOOLONG (also when the name would
 * hold more than 62 flags, the most read here).
 */
int
maildir_name_add_flag(const char *name, size_t ulen, char flag, char *out,
    size_t outlen)
{
	const char	*info;
	char		 fl[64];
	size_t		 k, nf = 0;
	int		 r, have = 0;

	info = strstr(name + ulen, ":2,");
	if (info != NULL) {
		for (k = 0; info[3 + k] != '\0' && nf < sizeof(fl) - 2; k++) {
			if (info[3 + k] == flag)
				have = 1;
			fl[nf++] = info[3 + k];
		}
		if (info[3 + k] != '\0') {
			errno = ENAMETOOLONG;
			return -1;
		}
	}
	if (have)
		return 1;
	/* The result must have no more flags than the loop above reads. */
	if (nf + 1 > sizeof(fl) - 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (k = nf; k > 0 && fl[k - 1] > flag; k--)
		fl[k] = fl[k - 1];
	fl[k] = flag;
	fl[++nf] = '\0';
	r = snprintf(out, outlen, "%.*s:2,%s", (int)ulen, name, fl);
	if (r < 0 || (size_t)r >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

void
maildir_list_uidl(const struct maildir_list *l, size_t i, char *out,
    size_t outlen)
{
	const struct maildir_msg *m = &l->msgs[i];
	const char	*name = maildir_list_name(l, i);
	unsigned char	 md[SHA256_LEN];
	unsigned int	 k;
	size_t		 j;
	int		 fit = m->ulen > 0 && m->ulen <= MAILDIR_UIDL_MAX &&
			    m->ulen < outlen;

	for (j = 0; fit && j < m->ulen; j++)
		if ((unsigned char)name[j] < 0x21 ||
		    (unsigned char)name[j] > 0x7e)
			fit = 0;
	if (fit) {
		memcpy(out, name, m->ulen);
		out[m->ulen] = '\0';
		return;
	}
	/* Unfit for UIDL (RFC 1939 7): a stable digest of the unique name. */
	sha256(name, m->ulen, md);
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (outlen < 2)
		return;
	out[0] = 'H';
	for (k = 0; k < 16 && 2 * k + 3 < outlen; k++)
		(void)snprintf(out + 1 + 2 * k, 3, "%02x", md[k]);
	out[1 + 2 * k] = '\0';
}
