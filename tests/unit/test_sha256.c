/*
 * Unit tests for lib/base/sha256.c: the FIPS 180-4 example vectors, the
 * padding edges (55, 56 and 64 bytes), a million bytes fed in odd-sized
 * pieces, and a UIDL digest as OpenSSL's SHA-256 gave it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void
hex(const unsigned char *md, char out[2 * SHA256_LEN + 1])
{
	int	 i;

	for (i = 0; i < SHA256_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
check(const void *data, size_t n, const char *want)
{
	unsigned char	 md[SHA256_LEN];
	char		 got[2 * SHA256_LEN + 1];

	sha256(data, n, md);
	hex(md, got);
	assert_string_equal(got, want);
}

static void
test_vectors(void **state)
{
	(void)state;
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* a UIDL digest (maildir_list), as EVP_sha256 computed it */
	check("10.with space", 13, "c8bc9ec36d521f1283b2c113f3f292ea"
	    "a1904284671e3b517ab84f10e56b2742");
}

static void
test_padding_edges(void **state)
{
	char	 x[64];

	(void)state;
	memset(x, 'x', sizeof(x));
	check(x, 55, "d5e285683cd4efc02d021a5c62014694"
	    "958901005d6f71e89e0989fac77e4072");
	check(x, 56, "04c26261370ee7541549d16dee320c72"
	    "3e3fd14671e66a099afe0a377c16888e");
	check(x, 64, "7ce100971f64e7001e8fe5a51973ecdf"
	    "e1ced42befe7ee8d5fd6219506b5393c");
}

static void
test_pieces(void **state)
{
	struct sha256	 s;
	unsigned char	 md[SHA256_LEN];
	char		 got[2 * SHA256_LEN + 1], *a;
	size_t		 left = 1000000, k;

	(void)state;
	a = malloc(997);
	assert_non_null(a);
	memset(a, 'a', 997);
	sha256_init(&s);
	sha256_update(&s, a, 0);
	while (left > 0) {
		k = left < 997 ? left : 997;
		sha256_update(&s, a, k);
		left -= k;
	}
	sha256_final(&s, md);
	hex(md, got);
	assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_padding_edges),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
