/*
 * sandbox_report: `sandbox = report`.  The filter traps a forbidden call
 * (SCMP_ACT_TRAP) instead of killing at once; the SIGSYS handler logs
 * the role and the call by name, then the process dies of SIGSYS as it
 * would have in enforce: the call was never made, and the parent sees the
 * same death.  For tests and for an administrator finding out why a
 * process died; see facteur.conf(5).
 *
 * The names are looked up before the filter is loaded (libseccomp
 * allocates them), so the handler itself only formats and logs.  It runs
 * once, in a process about to die.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox_int.h"

/* Above every system call number of the architectures Linux runs on. */
#define SANDBOX_NR_MAX	1024

static const char	*report_role;
static char		*report_names[SANDBOX_NR_MAX];

static void
sandbox_sigsys(int sig, siginfo_t *si, void *uc)
{
	int		 nr = si->si_syscall;
	const char	*name = "unknown";

	(void)uc;
	if (nr >= 0 && nr < SANDBOX_NR_MAX && report_names[nr] != NULL)
		name = report_names[nr];
	log_warnx("sandbox: %s: forbidden system call %s (%d); killing the "
	    "process", report_role, name, nr);
	/*
	 * SA_RESETHAND made the action the default again; the signal is
	 * blocked while this runs and kills as soon as the handler returns.
	 */
	(void)raise(sig);
}

int
sandbox_report_install(const char *role)
{
	struct sigaction	 sa;
	int			 nr;

	report_role = role;
	for (nr = 0; nr < SANDBOX_NR_MAX; nr++)
		if (report_names[nr] == NULL)
			report_names[nr] = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL);
}
