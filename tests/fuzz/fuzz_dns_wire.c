/*
 * libFuzzer target for remote/dns_wire.c: the input is a DNS answer from
 * the resolver, read as the answer to an MX, A, AAAA or TLSA question
 * (the first octet picks which).  Whatever is accepted must stay within
 * the bounds the header promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_wire.h"
#include "smtp_nexthop.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 types[] = { DNS_T_MX, DNS_T_A, DNS_T_AAAA,
				    DNS_T_TLSA };
	static struct dns_answer a;
	const char		*why;
	size_t			 i;
	int			 type;

	if (size < 1)
		return 0;
	type = types[data[0] & 3];
	if (dns_answer_parse(data + 1, size - 1, "example.org", type, &a,
	    &why) == -1)
		return 0;
	if (a.nrr > DNS_RR_MAX)
		abort();
	for (i = 0; i < a.nrr; i++) {
		if (a.rr[i].type != type ||
		    strlen(a.rr[i].name) > DNS_NAME_MAX ||
		    a.rr[i].dlen > DNS_TLSA_DATA_MAX)
			abort();
		if (type == DNS_T_MX && a.rr[i].name[0] != '\0' &&
		    !smtp_hostname_ok(a.rr[i].name))
			abort();
	}
	dns_answer_free(&a);
	return 0;
}
