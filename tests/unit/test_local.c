/*
 * test_local: the local delivery child's pieces, as the user running the
 * test: the exit status of a command mapped as Postfix maps sysexits, the
 * From_ line, an mbox delivery (quoting across read boundaries, the line
 * end added, appending, the dotlock gone), a command's input,
 * environment and output, and a .forward read into a plan (its kinds,
 * the user's own address, allow_mail_to_commands, an unsafe file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "local.h"

static char		 dir[64];
static struct conf	*conf;

static int
setup(void **state)
{
	static const char text[] = "myhostname = host.test\n"
	    "local_domains = $myhostname, other.test\n"
	    "deliver_lock_attempts = 2\n"
	    "command_time_limit = 5s\n";

	(void)state;
	(void)strlcpy(dir, "/tmp/test_local.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	conf = conf_load_buf(text, sizeof(text) - 1, "t.conf", NULL, NULL);
	return conf == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	conf_free(conf);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void
job_init(struct local_job *lj)
{
	memset(lj, 0, sizeof(*lj));
	lj->conf = conf;
	lj->id = "NHCF7YC9E97QC1";
	lj->sender = "carol@example.org";
	lj->rcpt = "me+tag@host.test";
	lj->ext = "tag";
	lj->uid = getuid();
	lj->gid = getgid();
	lj->spool_gid = getgid();
	(void)strlcpy(lj->user, "me", sizeof(lj->user));
	(void)strlcpy(lj->home, dir, sizeof(lj->home));
	(void)strlcpy(lj->shell, "/bin/sh", sizeof(lj->shell));
}

/* A message file holding data, open for reading. */
static int
message(const char *data, size_t n)
{
	char	path[128];
	int	fd;

	(void)snprintf(path, sizeof(path), "%s/msg", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(unlink(path), 0);
	return fd;
}

static char *
slurp(const char *path, size_t *n)
{
	struct stat	 st;
	char		*p;
	int		 fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 2);
	assert_non_null(p);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	p[st.st_size] = '\0';
	*n = (size_t)st.st_size;
	(void)close(fd);
	return p;
}

static void
expect_status(int wstatus, int timed_out, const char *output, char status,
    const char *text)
{
	struct local_result	res;

	assert_int_equal(local_exit_status(wstatus, timed_out, output, "cmd",
	    &res), status);
	assert_int_equal(res.status, status);
	assert_string_equal(res.text, text);
}

static void
test_exit_status(void **state)
{
	(void)state;
	expect_status(0, 0, "", 'K', "delivered to command: cmd");
	expect_status(0, 0, "ignored", 'K', "delivered to command: cmd");
	expect_status(EX_TEMPFAIL << 8, 0, "", 'Z', "4.3.0 temporary failure");
	expect_status(EX_OSERR << 8, 0, "busy", 'Z', "4.3.0 system resource "
	    "problem. Command output: busy");
	expect_status(EX_NOUSER << 8, 0, "", 'D', "5.1.1 user unknown");
	expect_status(EX_NOPERM << 8, 0, "", 'D', "5.7.0 permission denied");
	expect_status(EX_CONFIG << 8, 0, "", 'D', "5.3.5 local configuration "
	    "error");
	expect_status(EX_CANTCREAT << 8, 0, "", 'D', "5.2.0 can't create user "
	    "output file");
	expect_status(1 << 8, 0, "", 'D', "5.3.0 command died with status 1: "
	    "\"cmd\"");
	expect_status(SIGKILL, 0, "", 'Z', "4.3.0 command died with signal 9: "
	    "\"cmd\"");
	expect_status(0, 1, "slow", 'D', "5.3.0 command time limit exceeded: "
	    "\"cmd\". Command output: slow");
	/* an enhanced status code at the start of the output decides */
	expect_status(1 << 8, 0, "4.2.2 mailbox full", 'Z', "4.2.2 mailbox "
	    "full");
	expect_status(EX_TEMPFAIL << 8, 0, "5.1.1 no such box", 'D',
	    "5.1.1 no such box");
	expect_status(1 << 8, 0, "4.2.2", 'Z', "4.2.2");
	/* not one: too many digits, no blank after it, class 2 */
	expect_status(1 << 8, 0, "4.2222.2 x", 'D', "5.3.0 command died with "
	    "status 1: \"cmd\". Command output: 4.2222.2 x");
	expect_status(1 << 8, 0, "4.2.2x", 'D', "5.3.0 command died with "
	    "status 1: \"cmd\". Command output: 4.2.2x");
	expect_status(1 << 8, 0, "2.0.0 ok", 'D', "5.3.0 command died with "
	    "status 1: \"cmd\". Command output: 2.0.0 ok");
}

static void
test_from_line(void **state)
{
	char	line[128];

	(void)state;
	assert_int_equal(local_from_line("", 0, line, sizeof(line)), 0);
	assert_true(strncmp(line, "From MAILER-DAEMON  ", 20) == 0);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(local_from_line("a@b", 86400 * 365, line,
	    sizeof(line)), 0);
	assert_true(strncmp(line, "From a@b  ", 10) == 0);
	assert_int_equal(strlen(line), 10 + 24 + 1);
	assert_int_equal(local_from_line("a@b", 0, line, 12), -1);
}

static void
test_mbox(void **state)
{
	struct local_job	 lj;
	struct local_result	 res;
	char			 box[128], lock[160], *msg, *got, *want;
	size_t			 n, glen, off, i;
	int			 fd;

	(void)state;
	job_init(&lj);
	(void)snprintf(box, sizeof(box), "%s/box", dir);
	(void)snprintf(lock, sizeof(lock), "%s.lock", box);
	/* "From " at the start, in the body, and straddling 65536 */
	n = 65536 + 64;
	msg = malloc(n + 1);
	want = malloc(2 * n + 1024);
	assert_non_null(msg);
	assert_non_null(want);
	memset(msg, 'x', n);
	memcpy(msg, "From the start\nSubject: s\n\n", 27);
	msg[99] = '\n';
	memcpy(msg + 100, "From here\n", 10);
	msg[65533] = '\n';
	memcpy(msg + 65534, "From across\n", 12);
	msg[n - 1] = 'y';		/* no final line end */
	fd = message(msg, n);
	local_mbox(&lj, box, 0, fd, &res);
	assert_int_equal(res.status, 'K');
	assert_string_equal(res.text + strlen("delivered to file: "), box);
	assert_int_equal(access(lock, F_OK), -1);
	got = slurp(box, &glen);
	off = strcspn(got, "\n") + 1;
	assert_true(strncmp(got, "From carol@example.org  ", 24) == 0);
	n = (size_t)snprintf(want, 1024, "Return-Path: <carol@example.org>\n"
	    "Delivered-To: me+tag@host.test\n>");
	for (i = 0; i < 65536 + 64; i++) {
		if (i == 100 || i == 65534)
			want[n++] = '>';
		want[n++] = msg[i];
	}
	memcpy(want + n, "\n\n", 3);
	n += 2;
	assert_int_equal(glen - off, n);
	assert_memory_equal(got + off, want, n);
	free(got);
	/* appended, not rewritten */
	local_mbox(&lj, box, 0, fd, &res);
	assert_int_equal(res.status, 'K');
	got = slurp(box, &glen);
	assert_int_equal(glen, 2 * (off + n));
	free(got);
	/* a dotlock someone holds: deferred after the tries */
	assert_int_equal(close(open(lock, O_CREAT | O_WRONLY, 0600)), 0);
	local_mbox(&lj, box, 0, fd, &res);
	assert_int_equal(res.status, 'Z');
	assert_non_null(strstr(res.text, "locked by another process"));
	assert_int_equal(unlink(lock), 0);
	/* a symbolic link is never written through */
	assert_int_equal(symlink(box, lock), 0);
	(void)snprintf(box, sizeof(box), "%s/box.lock", dir);
	local_mbox(&lj, box, 0, fd, &res);
	assert_int_equal(res.status, 'D');
	assert_int_equal(unlink(lock), 0);
	(void)close(fd);
	free(msg);
	free(want);
}

static void
test_command(void **state)
{
	struct local_job	 lj;
	struct local_result	 res;
	char			 cmd[512], path[128], *got;
	static const char	 data[] = "Subject: c\n\nbody\n";
	size_t			 n;
	int			 fd;

	(void)state;
	job_init(&lj);
	fd = message(data, sizeof(data) - 1);
	(void)snprintf(cmd, sizeof(cmd), "cat > %s/in; env > %s/env; "
	    "echo said", dir, dir);
	local_command(&lj, cmd, fd, &res);
	assert_int_equal(res.status, 'K');
	(void)snprintf(path, sizeof(path), "%s/in", dir);
	got = slurp(path, &n);
	assert_true(strncmp(got, "From carol@example.org  ", 24) == 0);
	assert_string_equal(strchr(got, '\n') + 1, "Return-Path: "
	    "<carol@example.org>\nDelivered-To: me+tag@host.test\n"
	    "Subject: c\n\nbody\n");
	free(got);
	(void)snprintf(path, sizeof(path), "%s/env", dir);
	got = slurp(path, &n);
	/* a line end before the first line too */
	memmove(got + 1, got, n + 1);
	got[0] = '\n';
	assert_non_null(strstr(got, "\nEXTENSION=tag\n"));
	assert_non_null(strstr(got, "\nLOCAL=me+tag\n"));
	assert_non_null(strstr(got, "\nDOMAIN=host.test\n"));
	assert_non_null(strstr(got, "\nUSER=me\n"));
	assert_non_null(strstr(got, "\nSENDER=carol@example.org\n"));
	free(got);
	local_command(&lj, "echo 'no room'; exit 75", fd, &res);
	assert_int_equal(res.status, 'Z');
	assert_string_equal(res.text, "4.3.0 temporary failure. Command "
	    "output: no room");
	(void)close(fd);
}

static void
test_forward(void **state)
{
	struct local_job	 lj;
	struct local_plan	 plan;
	struct local_result	 res;
	char			 path[128];
	FILE			*f;

	(void)state;
	job_init(&lj);
	assert_int_equal(chmod(dir, 0700), 0);
	(void)snprintf(path, sizeof(path), "%s/.forward+tag", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	(void)fprintf(f, "# mine\n\\me, bob, carol@example.org\n"
	    "\"|/usr/bin/procmail -a tag\"\n%s/saved\nME@other.test\n", dir);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	memset(&res, 0, sizeof(res));
	assert_int_equal(local_forward_read(&lj, &plan, &res), 1);
	assert_int_equal(plan.self, 1);
	assert_int_equal(plan.naddress, 2);
	assert_string_equal(plan.address[0], "bob@host.test");
	assert_string_equal(plan.address[1], "carol@example.org");
	assert_int_equal(plan.ncommand, 1);
	assert_string_equal(plan.command[0], "/usr/bin/procmail -a tag");
	assert_int_equal(plan.nfile, 1);
	assert_string_equal(plan.refused, "");
	local_plan_free(&plan);
	/* group-writable: not followed (and no .forward to fall back on) */
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(local_forward_read(&lj, &plan, &res), 0);
	assert_int_equal(unlink(path), 0);
	/* commands not allowed in a .forward: refused, the rest kept */
	conf_free(conf);
	conf = conf_load_buf("myhostname = host.test\n"
	    "allow_mail_to_commands = alias\n", 54, "t.conf", NULL, NULL);
	assert_non_null(conf);
	job_init(&lj);
	(void)snprintf(path, sizeof(path), "%s/.forward", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	(void)fprintf(f, "|/bin/true\nbob\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(local_forward_read(&lj, &plan, &res), 1);
	assert_int_equal(plan.ncommand, 0);
	assert_int_equal(plan.naddress, 1);
	assert_string_equal(plan.refused, "5.7.1 mail to a command is not "
	    "allowed in .forward (allow_mail_to_commands)");
	local_plan_free(&plan);
	assert_int_equal(unlink(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_from_line),
		cmocka_unit_test(test_mbox),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_forward),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
