/*
 * auth_state_int: what auth_state.c shows its tests and fuzz target only:
 * the parser of one per-address failure record.
 *
 * Trust: the record parsed is a file of auth_state_dir, parsed as if
 * hostile (it is fuzzed).
 */
#ifndef FACTEUR_AUTH_STATE_INT_H
#define FACTEUR_AUTH_STATE_INT_H
#include <stddef.h>

/*
 * Parses the record buf[0..len), `C<count>\0T<time>\0` with decimal
 * digits only (count at most AUTH_STATE_COUNT_MAX): 0 with *count and
 * *when set, -1 when it is anything else.
 */
#define AUTH_STATE_COUNT_MAX	1000000
int	auth_state_parse(const char *buf, size_t len, long long *count,
	    long long *when);

#endif
