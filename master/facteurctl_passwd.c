/*
 * facteurctl_passwd: `facteurctl passwd [-s scheme]` reads a password and
 * prints the users_file field for it, `{YESCRYPT}$y$...` by default.  From
 * a terminal it asks twice without echo (readpassphrase(3)); otherwise it
 * reads exactly one line from standard input, for scripts.  The password
 * is wiped as soon as it is hashed and never printed.
 */
#include <errno.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "facteurctl.h"
#include "passwd_check.h"

/* One line from fd 0, without its LF: 0, or -1 with *why. */
static int
passwd_read_line(char *buf, size_t size, const char **why)
{
	size_t	n = 0;
	ssize_t	r;
	char	c;

	for (;;) {
		r = read(STDIN_FILENO, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*why = "cannot read standard input";
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (c == '\0') {
			*why = "NUL byte in the password";
			return -1;
		}
		if (n + 1 >= size) {
			*why = "password too long";
			return -1;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	if (r == 0 && n == 0) {
		*why = "no password on standard input";
		return -1;
	}
	return 0;
}

/* Reads the password into buf; 0, or -1 after saying why. */
static int
passwd_read(char *buf, size_t size)
{
	char		 again[PASSWD_MAX + 2];
	const char	*why = NULL;
	int		 rv = -1;

	if (!isatty(STDIN_FILENO)) {
		if (passwd_read_line(buf, size, &why) == 0)
			rv = 0;
	} else if (readpassphrase("Password: ", buf, size,
	    RPP_REQUIRE_TTY) == NULL ||
	    readpassphrase("Retype password: ", again, sizeof(again),
	    RPP_REQUIRE_TTY) == NULL)
		why = "cannot read the password from the terminal";
	else if (strcmp(buf, again) != 0)
		why = "the passwords differ";
	else
		rv = 0;
	explicit_bzero(again, sizeof(again));
	/* readpassphrase cuts a long line: size - 1 bytes means maybe cut. */
	if (rv == 0 && strlen(buf) > PASSWD_MAX) {
		why = "password too long";
		rv = -1;
	}
	if (rv == 0 && buf[0] == '\0') {
		why = "empty password";
		rv = -1;
	}
	if (rv == 0 && strchr(buf, '\r') != NULL) {
		why = "CR in the password (a file with CRLF line ends?)";
		rv = -1;
	}
	if (rv == -1) {
		explicit_bzero(buf, size);
		fprintf(stderr, "facteurctl: passwd: %s\n", why);
	}
	return rv;
}

int
ctl_passwd(const char *conf_path, int argc, char **argv)
{
	char		 pw[PASSWD_MAX + 2], out[PASSWD_HASH_MAX];
	const char	*scheme = "yescrypt";
	int		 ch, r;

	(void)conf_path;
	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			scheme = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (strcmp(scheme, "yescrypt") != 0 && strcmp(scheme, "sha512") != 0 &&
	    strcmp(scheme, "sha256") != 0 && strcmp(scheme, "bcrypt") != 0) {
		fprintf(stderr, "facteurctl: passwd: unknown scheme %s "
		    "(yescrypt, sha512, sha256 or bcrypt)\n", scheme);
		return CTL_EX_USAGE;
	}
	if (passwd_read(pw, sizeof(pw)) == -1)
		return CTL_EX_FAIL;
	r = passwd_hash(scheme, pw, out, sizeof(out));
	explicit_bzero(pw, sizeof(pw));
	if (r == -1) {
		fprintf(stderr, "facteurctl: passwd: cannot hash: %s\n",
		    strerror(errno));
		return CTL_EX_FAIL;
	}
	if (printf("%s\n", out) < 0 || fflush(stdout) == EOF ||
	    ferror(stdout)) {
		fprintf(stderr, "facteurctl: passwd: cannot write the hash\n");
		return CTL_EX_FAIL;
	}
	return CTL_EX_OK;
usage:
	fprintf(stderr, "usage: facteurctl [-C file] passwd "
	    "[-s yescrypt|sha512|sha256|bcrypt]\n");
	return CTL_EX_USAGE;
}
