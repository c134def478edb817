/*
 * facteurctl: the administrator's command line.  Run by hand (or by a
 * script) as root or as the administrator; it starts nothing and talks to
 * no daemon yet.  Subcommands:
 *
 *	passwd [-s scheme]	read a password, print a users_file hash
 *	check			check facteur.conf and the tables it names
 *	queue list|flush|hold|delete	not implemented yet (exit 69)
 *
 * Usage: facteurctl [-C file] command [arguments]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "facteurctl.h"
#include "log.h"

static int
ctl_usage(void)
{
	fprintf(stderr,
	    "usage: facteurctl [-C file] passwd [-s yescrypt|sha512|sha256|"
	    "bcrypt]\n"
	    "       facteurctl [-C file] check\n"
	    "       facteurctl [-C file] queue list|flush|hold|delete\n");
	return CTL_EX_USAGE;
}

static int
ctl_queue(const char *conf_path, int argc, char **argv)
{
	(void)conf_path;
	if (argc < 2 || (strcmp(argv[1], "list") != 0 &&
	    strcmp(argv[1], "flush") != 0 && strcmp(argv[1], "hold") != 0 &&
	    strcmp(argv[1], "delete") != 0))
		return ctl_usage();
	fprintf(stderr, "facteurctl: queue %s: not implemented yet\n",
	    argv[1]);
	return CTL_EX_UNAVAILABLE;
}

int
main(int argc, char *argv[])
{
	const char	*explicit_path = NULL, *path;
	int		 ch;

	log_init("facteurctl", 1);
	/* '+': stop at the subcommand, whose options are its own. */
	while ((ch = getopt(argc, argv, "+C:")) != -1) {
		switch (ch) {
		case 'C':
			explicit_path = optarg;
			break;
		default:
			return ctl_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return ctl_usage();
	path = conf_find_path(explicit_path, 1);
	/* Each subcommand parses its own options from argv[0] on. */
	optind = 0;
	if (strcmp(argv[0], "passwd") == 0)
		return ctl_passwd(path, argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return ctl_check(path, argc, argv);
	if (strcmp(argv[0], "queue") == 0)
		return ctl_queue(path, argc, argv);
	fprintf(stderr, "facteurctl: unknown command %s\n", argv[0]);
	return ctl_usage();
}
