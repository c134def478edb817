/*
 * facteurctl: the administrator's command line.  Run by hand (or by a
 * script) as root, as the administrator, or (queue, explain) as any user
 * for its own messages; it starts nothing, and the queue commands talk to
 * queued through its control socket (facteurctl_queue.c).  Subcommands:
 *
 *	passwd [-s scheme]	read a password, print a users_file hash
 *	check			check facteur.conf and the tables it names
 *	queue list|show|flush|hold|release|delete|requeue ...
 *	explain [-f log] ID	a message's story: the log and the queue
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
	    "       facteurctl [-C file] queue list [--json] | show ID | "
	    "flush [ID|domain]\n"
	    "       facteurctl [-C file] queue hold|release|delete|requeue "
	    "ID...|ALL\n"
	    "       facteurctl [-C file] explain [-f logfile] ID\n");
	return CTL_EX_USAGE;
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
	if (strcmp(argv[0], "explain") == 0)
		return ctl_explain(path, argc, argv);
	fprintf(stderr, "facteurctl: unknown command %s\n", argv[0]);
	return ctl_usage();
}
