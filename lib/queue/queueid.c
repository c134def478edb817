/*
 * queueid: unique, short, printable queue IDs (see queueid.h for the form).
 * Crockford base32 keeps them free of look-alike letters and safe in file
 * names, log lines and headers.  Time first, so a directory listing sorts
 * roughly by arrival; 20 random bits so two processes in the same
 * microsecond still differ (enqueue's O_EXCL settles the rest).
 *
 * Trust: queueid_valid is the check every ID from elsewhere passes
 * before it becomes a path or a log field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "queueid.h"

static const char queueid_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Writes the low 5*n bits of v as n base32 digits, most significant first. */
static void
queueid_put(char *out, uint64_t v, int n)
{
	int	 i;

	for (i = n - 1; i >= 0; i--) {
		out[i] = queueid_alphabet[v & 31];
		v >>= 5;
	}
}

/*
 * Within one process the (seconds, microseconds) pair never repeats: when
 * the clock has not moved on (or went back) since the last ID, the last
 * value plus one microsecond is used.  Random bits alone would not do:
 * ten IDs per microsecond collide in 20 bits about once in 100,000 IDs.
 * Not thread-safe; facteur's programs are single-threaded.
 */
void
queueid_new(char id[QUEUEID_LEN + 1])
{
	static uint64_t	 last_sec, last_usec;
	struct timespec	 ts;
	uint64_t	 sec, usec;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		fatal("clock_gettime");
	sec = (uint64_t)ts.tv_sec;
	usec = (uint64_t)ts.tv_nsec / 1000;
	if (sec < last_sec || (sec == last_sec && usec <= last_usec)) {
		sec = last_sec;
		usec = last_usec + 1;
		if (usec > 999999) {
			sec++;
			usec = 0;
		}
	}
	last_sec = sec;
	last_usec = usec;
	/* 30 bits of seconds wrap every 34 years; only the order suffers. */
	queueid_put(id, sec, 6);
	queueid_put(id + 6, usec, 4);		/* 20 bits > 999999 */
	queueid_put(id + 10, arc4random_uniform(1U << 20), 4);
	id[QUEUEID_LEN] = '\0';
}

int
queueid_valid(const char *s)
{
	const char	*p;
	uint64_t	 usec = 0;
	size_t		 i;

	if (s == NULL)
		return 0;
	for (i = 0; i < QUEUEID_LEN; i++) {
		if (s[i] == '\0' || (p = strchr(queueid_alphabet, s[i])) == NULL)
			return 0;
		if (i >= 6 && i < 10)
			usec = usec * 32 + (uint64_t)(p - queueid_alphabet);
	}
	if (usec > 999999)
		return 0;
	return s[QUEUEID_LEN] == '\0';
}
