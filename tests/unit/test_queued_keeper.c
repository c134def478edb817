/*
 * Unit tests for the keeper's verdict on what queued sends it
 * (queue/queued_keeper.c, keeper_take): [S] with a pipe's read end and a
 * pipe's write end starts lspawn; the two swapped, a socket, a file, one
 * descriptor or three, another frame, or a frame the channel refused end
 * the keeper; end of file is the end.  [C] with a sealed memfd of the
 * keeper's own user (the master's text, which queued hands on) is the
 * configuration for the next lspawn; a memfd or file open read-only, a
 * writable one, /dev/null, a pipe, a socket, no descriptor or two end
 * the keeper, and so does a sealed memfd another user made (queued after
 * it gave up root: test_take_conf_other, as root only, the user changed
 * with setfsuid).
 *
 * And the keeper process itself (keeper_start), as a subverted queued
 * would talk to it: it starts "lspawn" and "rspawn" (here a script that writes down
 * its arguments and the configuration on its fd 3, from its start as
 * lspawn's pread reads it) only for [S] with two pipe ends after a [C],
 * with the configuration queued sent; for a socket as the job pipe, a
 * writable memfd, a pipe or another user's sealed memfd as the
 * configuration, or an unknown frame it exits 111 without starting
 * anything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "conf.h"
#include "queued.h"

static struct chan_msg	 msg;

static int
take(const char *name, int nf, int a, int b, int nfds)
{
	memset(&msg, 0, sizeof(msg));
	msg.f[0] = (char *)name;
	msg.f[1] = (char *)"x";
	msg.nf = nf;
	msg.fds[0] = a;
	msg.fds[1] = b;
	msg.nfds = nfds;
	return keeper_take(1, &msg);
}

static void
test_take(void **state)
{
	int	 jp[2], rp[2], sv[2], qp[2], null;

	(void)state;
	assert_int_equal(pipe(jp), 0);
	assert_int_equal(pipe(rp), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true((null = open("/dev/null", O_RDWR)) != -1);
	assert_int_equal(take("S", 1, jp[0], rp[1], 2), 1);
	assert_int_equal(take("S", 1, rp[1], jp[0], 2), -1);
	assert_int_equal(take("S", 1, jp[1], rp[1], 2), -1);
	assert_int_equal(take("S", 1, jp[0], rp[0], 2), -1);
	assert_int_equal(take("S", 1, sv[0], rp[1], 2), -1);
	assert_int_equal(take("S", 1, jp[0], sv[1], 2), -1);
	assert_int_equal(take("S", 1, jp[0], null, 2), -1);
	assert_int_equal(take("S", 1, jp[0], rp[1], 1), -1);
	assert_int_equal(take("S", 1, jp[0], rp[1], 0), -1);
	assert_int_equal(take("S", 2, jp[0], rp[1], 2), -1);
	/* [R]: one end of a SOCK_SEQPACKET pair, for rspawn; nothing else */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, qp), 0);
	assert_int_equal(take("R", 1, qp[0], -1, 1), 1);
	assert_int_equal(take("R", 1, jp[0], rp[1], 2), -1);
	assert_int_equal(take("R", 1, qp[0], qp[1], 2), -1);
	assert_int_equal(take("R", 1, sv[0], -1, 1), -1);
	assert_int_equal(take("R", 1, jp[0], -1, 1), -1);
	assert_int_equal(take("R", 1, null, -1, 1), -1);
	assert_int_equal(take("R", 1, qp[0], -1, 0), -1);
	assert_int_equal(take("R", 2, qp[0], -1, 1), -1);
	(void)close(qp[0]);
	(void)close(qp[1]);
	/* end of file; a frame the channel refused */
	assert_int_equal(keeper_take(0, &msg), 0);
	assert_int_equal(keeper_take(-1, &msg), -1);
	(void)close(jp[0]);
	(void)close(jp[1]);
	(void)close(rp[0]);
	(void)close(rp[1]);
	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)close(null);
}

static void
test_take_conf(void **state)
{
	const char	 text[] = "queue_dir /var/spool/facteur\n";
	char		 path[64], tmp[] = "/tmp/test_queued_keeper.XXXXXX";
	int		 sealed, open_memfd, ro, rw, wo, reg, jp[2], null;

	(void)state;
	assert_true((sealed = conf_text_fd(text, sizeof(text) - 1)) != -1);
	assert_true((open_memfd = memfd_create("t", 0)) != -1);
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", open_memfd);
	/* the same memfd, unsealed, open read-only: queued could still
	 * change it through the descriptor it kept */
	assert_true((ro = open(path, O_RDONLY)) != -1);
	assert_true((wo = open(path, O_WRONLY)) != -1);
	assert_true((reg = mkstemp(tmp)) != -1);
	assert_int_equal(unlink(tmp), 0);
	assert_true((rw = dup(reg)) != -1);
	assert_int_equal(pipe(jp), 0);
	assert_true((null = open("/dev/null", O_RDONLY)) != -1);

	assert_int_equal(take("C", 1, sealed, -1, 1), 2);
	assert_int_equal(take("C", 1, ro, -1, 1), -1);
	assert_int_equal(take("C", 1, open_memfd, -1, 1), -1);
	assert_int_equal(take("C", 1, wo, -1, 1), -1);
	assert_int_equal(take("C", 1, rw, -1, 1), -1);
	assert_int_equal(take("C", 1, null, -1, 1), -1);
	assert_int_equal(take("C", 1, jp[0], -1, 1), -1);
	assert_int_equal(take("C", 1, sealed, -1, 0), -1);
	assert_int_equal(take("C", 1, sealed, sealed, 2), -1);
	assert_int_equal(take("C", 2, sealed, -1, 1), -1);
	/* [S] with the configuration instead of a pipe */
	assert_int_equal(take("S", 1, sealed, jp[1], 2), -1);
	(void)close(sealed);
	(void)close(open_memfd);
	(void)close(ro);
	(void)close(wo);
	(void)close(rw);
	(void)close(reg);
	(void)close(jp[0]);
	(void)close(jp[1]);
	(void)close(null);
}

/* A sealed memfd of text made by uid (the memfd's owner is the fsuid). */
static int
sealed_memfd_of(uid_t uid, const char *text)
{
	int	 fd;

	(void)setfsuid(uid);
	fd = conf_text_fd(text, strlen(text));
	(void)setfsuid(geteuid());
	assert_true(fd != -1);
	return fd;
}

/* queued after the drop makes a sealed memfd of its own text: refused. */
static void
test_take_conf_other(void **state)
{
	struct stat	 st;
	int		 fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	fd = sealed_memfd_of(65534, "mailbox_command = /tmp/x\n");
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(take("C", 1, fd, -1, 1), -1);
	(void)close(fd);
}

static char	 kdir[] = "/tmp/test_keeper.XXXXXX";
static char	 kscript[64], kout[64];
static struct queued q;

/* A keeper whose "lspawn" is a script writing to kout; its pid. */
static pid_t
keeper_up(void)
{
	char	 text[256];
	int	 fd;
	pid_t	 pid;

	if (kscript[0] == '\0') {
		assert_non_null(mkdtemp(kdir));
		(void)snprintf(kscript, sizeof(kscript), "%s/lspawn", kdir);
		(void)snprintf(kout, sizeof(kout), "%s/out", kdir);
		(void)snprintf(text, sizeof(text), "#!/bin/sh\n"
		    "{ echo \"$*\"; cat /dev/fd/3; } > %s.tmp && mv %s.tmp %s\n",
		    kout, kout, kout);
		assert_true((fd = open(kscript, O_WRONLY | O_CREAT | O_EXCL,
		    0700)) != -1);
		assert_int_equal(write(fd, text, strlen(text)),
		    (ssize_t)strlen(text));
		assert_int_equal(close(fd), 0);
	}
	(void)unlink(kout);
	memset(&q, 0, sizeof(q));
	q.confpath = "/etc/facteur/facteur.conf";
	q.conf_fd = -1;
	chan_init(&q.keeper, -1, CHAN_PACKET, CHAN_SMALL_MAX);
	/* the same script stands for lspawn and rspawn */
	assert_true((pid = keeper_start(&q, kscript, kscript, 0)) > 0);
	return pid;
}

/* The keeper's exit status once queued's end is closed (or it left). */
static int
keeper_down(pid_t pid)
{
	int	 st;

	chan_close(&q.keeper);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/*
 * The keeper's exit status if it leaves by itself within 5 s; else it
 * is killed and -1.
 */
static int
keeper_left(pid_t pid)
{
	int	 st, i;

	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		(void)usleep(10000);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &st, 0);
	return -1;
}

/* Sends [name] with fds as a subverted queued would. */
static void
keeper_send(const char *name, int *fds, int nfds)
{
	const char	*f[1] = { name };

	assert_int_equal(chan_send(&q.keeper, f, 1, fds, nfds), 0);
}

/* 1 if the script ran (waits up to 5 s for it), else 0 after 300 ms. */
static int
lspawn_ran(int expect)
{
	int	 i;

	for (i = 0; i < (expect ? 500 : 30); i++) {
		if (access(kout, F_OK) == 0)
			return 1;
		(void)usleep(10000);
	}
	return 0;
}

static void
test_keeper_starts_lspawn(void **state)
{
	const char	 text[] = "queue_dir /var/spool/facteur\n";
	char		 got[256];
	int		 jp[2], rp[2], fd, n;
	pid_t		 pid;

	(void)state;
	pid = keeper_up();
	assert_true((q.conf_fd = conf_text_fd(text, sizeof(text) - 1)) != -1);
	assert_int_equal(keeper_conf(&q), 0);
	assert_int_equal(pipe(jp), 0);
	assert_int_equal(pipe(rp), 0);
	assert_int_equal(keeper_exec(&q, jp[0], rp[1]), 0);
	assert_true(lspawn_ran(1));
	assert_true((fd = open(kout, O_RDONLY)) != -1);
	assert_true((n = (int)read(fd, got, sizeof(got) - 1)) > 0);
	got[n] = '\0';
	(void)close(fd);
	assert_string_equal(got, "-C /etc/facteur/facteur.conf -F 3\n"
	    "queue_dir /var/spool/facteur\n");
	(void)close(jp[0]);
	(void)close(jp[1]);
	(void)close(rp[0]);
	(void)close(rp[1]);
	(void)close(q.conf_fd);
	assert_int_equal(keeper_down(pid), 0);
}

static void
test_keeper_starts_rspawn(void **state)
{
	const char	 text[] = "smtp_user facteur-remote\n";
	char		 got[256];
	int		 qp[2], fd, n;
	pid_t		 pid;

	(void)state;
	pid = keeper_up();
	assert_true((q.conf_fd = conf_text_fd(text, sizeof(text) - 1)) != -1);
	assert_int_equal(keeper_conf(&q), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, qp), 0);
	assert_int_equal(keeper_exec_remote(&q, qp[1]), 0);
	assert_true(lspawn_ran(1));
	assert_true((fd = open(kout, O_RDONLY)) != -1);
	assert_true((n = (int)read(fd, got, sizeof(got) - 1)) > 0);
	got[n] = '\0';
	(void)close(fd);
	assert_string_equal(got, "-C /etc/facteur/facteur.conf -F 3\n"
	    "smtp_user facteur-remote\n");
	(void)close(qp[0]);
	(void)close(qp[1]);
	(void)close(q.conf_fd);
	assert_int_equal(keeper_down(pid), 0);
}

/* Each bad frame ends the keeper (111) and starts nothing. */
static void
test_keeper_refuses(void **state)
{
	const char	 text[] = "queue_dir /q\n";
	int		 jp[2], rp[2], sv[2], fds[2], conf, open_memfd, k;
	pid_t		 pid;

	(void)state;
	assert_int_equal(pipe(jp), 0);
	assert_int_equal(pipe(rp), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true((conf = conf_text_fd(text, sizeof(text) - 1)) != -1);
	assert_true((open_memfd = memfd_create("t", 0)) != -1);
	for (k = 0; k < 7; k++) {
		if (k == 5 && geteuid() != 0)
			continue;	/* as root only (test_take_conf_other) */
		pid = keeper_up();
		fds[0] = conf;
		keeper_send("C", fds, 1);
		switch (k) {
		case 0:	/* a socket as the job pipe: a client's, say */
			fds[0] = sv[0];
			fds[1] = rp[1];
			keeper_send("S", fds, 2);
			break;
		case 1:	/* the ends the wrong way round */
			fds[0] = rp[1];
			fds[1] = jp[0];
			keeper_send("S", fds, 2);
			break;
		case 2:	/* a configuration queued could still change */
			fds[0] = open_memfd;
			keeper_send("C", fds, 1);
			break;
		case 3:	/* a pipe as the configuration */
			fds[0] = jp[0];
			keeper_send("C", fds, 1);
			break;
		case 6:	/* a stream socket for rspawn */
			fds[0] = sv[0];
			keeper_send("R", fds, 1);
			break;
		case 5:	/* a text queued wrote after giving up root */
			fds[0] = sealed_memfd_of(65534,
			    "mailbox_command = /tmp/x\n");
			keeper_send("C", fds, 1);
			(void)close(fds[0]);
			break;
		default:	/* a frame the keeper has no use for */
			fds[0] = jp[0];
			fds[1] = rp[1];
			keeper_send("X", fds, 2);
			break;
		}
		/* the keeper leaves by itself, before queued closes */
		assert_int_equal(keeper_left(pid), 111);
		assert_false(lspawn_ran(0));
		chan_close(&q.keeper);
	}
	(void)close(jp[0]);
	(void)close(jp[1]);
	(void)close(rp[0]);
	(void)close(rp[1]);
	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)close(conf);
	(void)close(open_memfd);
	(void)unlink(kscript);
	(void)rmdir(kdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_take_conf),
		cmocka_unit_test(test_take_conf_other),
		cmocka_unit_test(test_keeper_starts_lspawn),
		cmocka_unit_test(test_keeper_starts_rspawn),
		cmocka_unit_test(test_keeper_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
