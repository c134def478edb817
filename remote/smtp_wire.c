/*
 * smtp_wire: host, TLSA, go and log packets between rspawn and its SMTP
 * client processes; see smtp_wire.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns_wire.h"
#include "smtp_policy.h"
#include "smtp_wire.h"

#define WIRE_MAX	RJOB_PACKET_MAX

static int
put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t	n = strlen(s), need = n + (*len > 0);

	if (cap > WIRE_MAX)
		cap = WIRE_MAX;
	if (need > cap - *len) {
		errno = EMSGSIZE;
		return -1;
	}
	if (*len > 0)
		buf[(*len)++] = '\0';
	memcpy(buf + *len, s, n);
	*len += n;
	return 0;
}

static int
split(char *buf, size_t len, char **f, int max)
{
	size_t	 i;
	int	 n = 0;

	if (len == 0 || len > WIRE_MAX || buf[len] != '\0')
		return -1;
	f[n++] = buf;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\0')
			continue;
		if (n >= max)
			return -1;
		f[n++] = buf + i + 1;
	}
	return n;
}

static int
num(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	v = 0;
	size_t		i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 6)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
smtp_host_encode(const struct smtp_host *h, char *buf, size_t cap,
    size_t *len)
{
	char	 port[8];

	(void)snprintf(port, sizeof(port), "%u", h->port);
	*len = 0;
	if (put(buf, cap, len, "H") == -1 || put(buf, cap, len, h->name) == -1 ||
	    put(buf, cap, len, h->addr) == -1 || put(buf, cap, len, port) == -1 ||
	    put(buf, cap, len, tls_level_name(h->level)) == -1)
		return -1;
	return 0;
}

int
smtp_host_decode(char *buf, size_t len, struct smtp_host *h)
{
	char		*f[6];
	unsigned long	 port;
	int		 level;

	if (split(buf, len, f, 6) != 5 || strcmp(f[0], "H") != 0 ||
	    strlen(f[1]) > DNS_NAME_MAX || f[1][0] == '\0' ||
	    strlen(f[2]) >= sizeof(h->addr) || f[2][0] == '\0' ||
	    num(f[3], 65535, &port) == -1 || port == 0 ||
	    (level = tls_level_parse(f[4])) == -1)
		goto bad;
	strlcpy(h->name, f[1], sizeof(h->name));
	strlcpy(h->addr, f[2], sizeof(h->addr));
	h->port = (unsigned)port;
	h->level = level;
	h->ntlsa = 0;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
smtp_tlsa_encode(unsigned usage, unsigned selector, unsigned mtype,
    const unsigned char *data, size_t dlen, char *buf, size_t cap,
    size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	char	 f[3][8], h[2 * DNS_TLSA_DATA_MAX + 1];
	size_t	 i;

	if (dlen == 0 || dlen > DNS_TLSA_DATA_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < dlen; i++) {
		h[2 * i] = hex[data[i] >> 4];
		h[2 * i + 1] = hex[data[i] & 15];
	}
	h[2 * dlen] = '\0';
	(void)snprintf(f[0], sizeof(f[0]), "%u", usage & 255);
	(void)snprintf(f[1], sizeof(f[1]), "%u", selector & 255);
	(void)snprintf(f[2], sizeof(f[2]), "%u", mtype & 255);
	*len = 0;
	if (put(buf, cap, len, "A") == -1 || put(buf, cap, len, f[0]) == -1 ||
	    put(buf, cap, len, f[1]) == -1 || put(buf, cap, len, f[2]) == -1 ||
	    put(buf, cap, len, h) == -1)
		return -1;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
smtp_tlsa_decode(char *buf, size_t len, struct tls_tlsa *t,
    unsigned char *data, size_t cap)
{
	char		*f[6];
	unsigned long	 u, s, m;
	size_t		 n, i;
	int		 hi, lo;

	if (split(buf, len, f, 6) != 5 || strcmp(f[0], "A") != 0 ||
	    num(f[1], 255, &u) == -1 || num(f[2], 255, &s) == -1 ||
	    num(f[3], 255, &m) == -1)
		goto bad;
	n = strlen(f[4]);
	if (n == 0 || n % 2 != 0 || n / 2 > cap)
		goto bad;
	for (i = 0; i < n / 2; i++) {
		if ((hi = hexval((unsigned char)f[4][2 * i])) == -1 ||
		    (lo = hexval((unsigned char)f[4][2 * i + 1])) == -1)
			goto bad;
		data[i] = (unsigned char)(hi << 4 | lo);
	}
	t->usage = (unsigned char)u;
	t->selector = (unsigned char)s;
	t->mtype = (unsigned char)m;
	t->data = data;
	t->len = n / 2;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
smtp_log_decode(char *buf, size_t len, const char **text)
{
	size_t	i;

	if (len < 3 || len > SMTP_LOG_MAX + 2 || buf[len] != '\0' ||
	    buf[0] != 'L' || buf[1] != '\0')
		goto bad;
	for (i = 2; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			goto bad;
	*text = buf + 2;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}
