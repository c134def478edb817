/*
 * smtp_wire: host, TLSA, go and log frames between rspawn and its SMTP
 * client processes; see smtp_wire.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns_wire.h"
#include "remote_job.h"
#include "smtp_policy.h"
#include "smtp_wire.h"

int
smtp_host_fields(const struct smtp_host *h, struct smtp_wire_fields *o)
{
	if (h->name[0] == '\0' || h->addr[0] == '\0' || h->port == 0 ||
	    h->port > 65535) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(o->num[0], sizeof(o->num[0]), "%u", h->port);
	o->f[0] = "H";
	o->f[1] = h->name;
	o->f[2] = h->addr;
	o->f[3] = o->num[0];
	o->f[4] = tls_level_name(h->level);
	return 0;
}

int
smtp_host_decode(const struct chan_msg *m, struct smtp_host *h)
{
	char *const	*f = m->f;
	unsigned long	 port;
	int		 level;

	if (m->nf != 5 || strcmp(f[0], "H") != 0 ||
	    strlen(f[1]) > DNS_NAME_MAX || f[1][0] == '\0' ||
	    strlen(f[2]) >= sizeof(h->addr) || f[2][0] == '\0' ||
	    rjob_num_parse(f[3], 65535, &port) == -1 || port == 0 ||
	    (level = tls_level_parse(f[4])) == -1) {
		errno = EBADMSG;
		return -1;
	}
	strlcpy(h->name, f[1], sizeof(h->name));
	strlcpy(h->addr, f[2], sizeof(h->addr));
	h->port = (unsigned)port;
	h->level = level;
	h->ntlsa = 0;
	return 0;
}

int
smtp_tlsa_fields(unsigned usage, unsigned selector, unsigned mtype,
    const unsigned char *data, size_t dlen, struct smtp_wire_fields *o)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i;

	if (dlen == 0 || dlen > DNS_TLSA_DATA_MAX || usage > 255 ||
	    selector > 255 || mtype > 255) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < dlen; i++) {
		o->hex[2 * i] = hex[data[i] >> 4];
		o->hex[2 * i + 1] = hex[data[i] & 15];
	}
	o->hex[2 * dlen] = '\0';
	(void)snprintf(o->num[0], sizeof(o->num[0]), "%u", usage);
	(void)snprintf(o->num[1], sizeof(o->num[1]), "%u", selector);
	(void)snprintf(o->num[2], sizeof(o->num[2]), "%u", mtype);
	o->f[0] = "A";
	o->f[1] = o->num[0];
	o->f[2] = o->num[1];
	o->f[3] = o->num[2];
	o->f[4] = o->hex;
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
smtp_tlsa_decode(const struct chan_msg *m, struct tls_tlsa *t,
    unsigned char *data, size_t cap)
{
	char *const	*f = m->f;
	unsigned long	 u, s, mt;
	size_t		 n, i;
	int		 hi, lo;

	if (m->nf != 5 || strcmp(f[0], "A") != 0 ||
	    rjob_num_parse(f[1], 255, &u) == -1 ||
	    rjob_num_parse(f[2], 255, &s) == -1 ||
	    rjob_num_parse(f[3], 255, &mt) == -1)
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
	t->mtype = (unsigned char)mt;
	t->data = data;
	t->len = n / 2;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

int
smtp_log_decode(const struct chan_msg *m, const char **text)
{
	size_t	i, n;

	if (m->nf != 2 || strcmp(m->f[0], "L") != 0)
		goto bad;
	n = strlen(m->f[1]);
	if (n == 0 || n > SMTP_LOG_MAX)
		goto bad;
	for (i = 0; i < n; i++)
		if ((unsigned char)m->f[1][i] < 0x20 || m->f[1][i] == 0x7f)
			goto bad;
	*text = m->f[1];
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}
