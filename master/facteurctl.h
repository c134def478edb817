/*
 * facteurctl: the administrator's command, one subcommand per file
 * (facteurctl_passwd.c, facteurctl_check.c with facteurctl_remote.c,
 * facteurctl_queue.c, facteurctl_explain.c).  Each subcommand takes the
 * config path (-C, $FACTEUR_CONF or the default) and its own arguments
 * from the subcommand name on, and returns the exit status.
 */
#ifndef FACTEURCTL_H
#define FACTEURCTL_H

#define CTL_EX_OK		0
#define CTL_EX_FAIL		1	/* check found errors; passwd failed */
#define CTL_EX_USAGE		64	/* sysexits EX_USAGE */
#define CTL_EX_UNAVAILABLE	69	/* sysexits EX_UNAVAILABLE */

int	ctl_passwd(const char *conf_path, int argc, char **argv);
int	ctl_check(const char *conf_path, int argc, char **argv);
int	ctl_queue(const char *conf_path, int argc, char **argv);
int	ctl_explain(const char *conf_path, int argc, char **argv);
/* The remote delivery's keys and tables (facteurctl_remote.c): errors. */
struct conf;
unsigned ctl_check_remote(const struct conf *);

#endif
