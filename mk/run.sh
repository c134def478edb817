#!/bin/sh
# `make run`: the embedded default.  Creates ./run (configuration, queue,
# a self-signed certificate, a users table with user demo / password demo)
# and starts the master in the foreground on 127.0.0.1 high ports.
# As an ordinary user everything runs as that user; as root, the system
# users of INSTALL are created when missing and privileges are separated
# as on a real host.  Ctrl-C stops it.
set -eu
BUILD=${FACTEUR_BUILD:?}
TOP=$(pwd)
RUN=${FACTEUR_RUN_DIR:-$TOP/run}
SMTP_PORT=${SMTP_PORT:-2525}
POP3_PORT=${POP3_PORT:-2110}
POP3S_PORT=${POP3S_PORT:-2995}
IMAP_PORT=${IMAP_PORT:-2143}
IMAPS_PORT=${IMAPS_PORT:-2993}
SUBMISSION_PORT=${SUBMISSION_PORT:-2587}
SMTPS_PORT=${SMTPS_PORT:-2465}

mkdir -p "$RUN/mail/demo" "$RUN/tls" "$RUN/empty"
chmod 0755 "$RUN" "$RUN/mail" "$RUN/empty"
smtpd_user=$(id -un)
queue_user=$(id -un)
login_user=$(id -un)
remote_user=$(id -un)
empty=$RUN/empty

# 0 when every directory of $1 is root's and writable by no one else
# (a sticky one above may be), as the programs check a chroot
# (priv_chroot_check in lib/base/priv.c).
chroot_fit() {
	p=$1
	last=1
	while :; do
		set -- $(stat -c '%u %a' "$p") || return 1
		[ "$1" = 0 ] || return 1
		m=$2
		if [ $(( 0$m & 022 )) != 0 ] && { [ $last = 1 ] ||
		    [ $(( 0$m & 01000 )) = 0 ]; }; then
			return 1
		fi
		[ "$p" = / ] && return 0
		p=$(dirname "$p")
		last=0
	done
}

if [ "$(id -u)" = 0 ]; then
	for u in facteur-queue facteur-smtpd facteur-login facteur-remote; do
		id "$u" >/dev/null 2>&1 ||
		    useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
	done
	id facteur-demo >/dev/null 2>&1 ||
	    useradd --no-create-home --shell /usr/sbin/nologin facteur-demo
	uid=$(id -u facteur-demo); gid=$(id -g facteur-demo)
	smtpd_user=facteur-smtpd
	queue_user=facteur-queue
	login_user=facteur-login
	remote_user=facteur-remote
	# The programs run from a root-owned copy so that enqueue can be
	# set-uid facteur-queue, as INSTALL does on a real host.
	mkdir -p "$RUN/libexec"
	for p in "$BUILD"/*; do
		[ -f "$p" ] && [ -x "$p" ] && cp -f "$p" "$RUN/libexec/"
	done
	chown facteur-queue "$RUN/libexec/enqueue"
	chmod 4711 "$RUN/libexec/enqueue"
	# For any user, the set-uid enqueue reads only the configuration
	# installed beside it (enqueue(8)).
	ln -sf ../facteur.conf "$RUN/libexec/facteur.conf"
	progdir=$RUN/libexec
	chown -R "$uid:$gid" "$RUN/mail/demo"
	# A chroot must be root's all the way down: inside a clone that
	# an ordinary user owns, use the system's empty directory instead.
	chown root:root "$empty"
	if ! chroot_fit "$(cd "$empty" && pwd -P)"; then
		empty=/var/lib/facteur/empty
		install -d -o root -g root -m 0755 /var/lib/facteur "$empty"
	fi
else
	uid=$(id -u); gid=$(id -g)
	progdir=$BUILD
fi
mkdir -p "$RUN/queue"
chmod 0700 "$RUN/queue"
chown "$queue_user" "$RUN/queue"

if [ ! -f "$RUN/tls/cert.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
	    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -keyout "$RUN/tls/key.pem" -out "$RUN/tls/cert.pem" 2>/dev/null
	chmod 0600 "$RUN/tls/key.pem"
fi

if [ ! -f "$RUN/users" ]; then
	hash=$(printf 'demo\n' | "$BUILD/facteurctl" passwd)
	echo "demo:$hash:$uid:$gid::$RUN/mail/demo::" > "$RUN/users"
	chmod 0600 "$RUN/users"
fi
mkdir -p "$RUN/auth"
chmod 0700 "$RUN/auth"
[ -f "$RUN/aliases" ] || printf 'postmaster: demo\nroot: demo\n' > "$RUN/aliases"

cat > "$RUN/facteur.conf" <<CONF
# Written by \`make run\` at every start; edit mk/run.sh, or put your own
# settings in run/local.conf, which is appended below (its keys win).
myhostname = localhost
local_domains = localhost, example.test
program_dir = $progdir
queue_dir = $RUN/queue
users_file = $RUN/users
system_users = no
aliases_file = $RUN/aliases
first_valid_uid = 100
smtp_listen = 127.0.0.1:$SMTP_PORT
submission_listen = 127.0.0.1:$SUBMISSION_PORT
smtps_listen = 127.0.0.1:$SMTPS_PORT
smtpd_user = $smtpd_user
smtpd_chroot = $empty
pop3_listen = 127.0.0.1:$POP3_PORT
pop3s_listen = 127.0.0.1:$POP3S_PORT
imap_listen = 127.0.0.1:$IMAP_PORT
imaps_listen = 127.0.0.1:$IMAPS_PORT
login_user = $login_user
login_chroot = $empty
auth_state_dir = $RUN/auth
queue_user = $queue_user
tls_cert_file = $RUN/tls/cert.pem
tls_key_file = $RUN/tls/key.pem
queue_retry_min = 30s
log_file = $RUN/maillog
control_dir = $RUN/control
# Remote delivery: the resolver stays on loopback, so that nothing leaves
# this machine unless run/local.conf says so (a relayhost, a resolver).
dns_resolver = 127.0.0.1
smtp_user = $remote_user
smtp_chroot = $empty
CONF
# run/local.conf, when it exists, comes last: its keys win (a repeated
# key takes the last value, facteur.conf(5)).
if [ -f "$RUN/local.conf" ]; then
	printf '\n# From %s (make run appends it; its keys win):\n' \
	    "$RUN/local.conf" >> "$RUN/facteur.conf"
	cat "$RUN/local.conf" >> "$RUN/facteur.conf"
fi
chmod 0644 "$RUN/facteur.conf"
# The queue's folders, as queued makes them at start-up: made now, so
# that a mail sent the moment the port opens does not find them missing
# (451) while queued is still starting.
"$progdir/queued" -L -C "$RUN/facteur.conf"

cat <<MSG

facteur is starting on 127.0.0.1 (state under $RUN).  Send a first mail:

    swaks --server 127.0.0.1:$SMTP_PORT --to demo@example.test
 or
    printf 'Subject: hello\n\nfirst mail\n' | $BUILD/sendmail -C $RUN/facteur.conf demo@example.test

and read it in $RUN/mail/demo/Maildir/ (new/, then cur/ once a client
has seen it), or over IMAPS (user demo, password demo; the certificate
is self-signed, hence -k):

    curl -k 'imaps://demo:demo@127.0.0.1:$IMAPS_PORT/INBOX;UID=1'
    curl -k 'imaps://demo:demo@127.0.0.1:$IMAPS_PORT/INBOX?ALL'   # the UIDs

IMAP with STARTTLS listens on $IMAP_PORT (any IMAP client: mutt,
Thunderbird, mbsync).  POP3S:

    curl -k pop3s://demo:demo@127.0.0.1:$POP3S_PORT/1

POP3 with STLS listens on $POP3_PORT.

Mail for other domains is deferred: dns_resolver is 127.0.0.1, so
nothing leaves this machine.  To send it out, put a relayhost (and
smtp_sasl_password_file) or a dns_resolver in $RUN/local.conf; README.md
says how.

Submission (STARTTLS, then AUTH) listens on $SUBMISSION_PORT and SMTPS
(implicit TLS) on $SMTPS_PORT; both relay for authenticated users:

    swaks --server 127.0.0.1:$SUBMISSION_PORT --tls --auth PLAIN \\
        --auth-user demo --auth-password demo --from demo@example.test \\
        --to demo@example.test
    swaks --server 127.0.0.1:$SMTPS_PORT --tlsc --auth LOGIN \\
        --auth-user demo --auth-password demo --from demo@example.test \\
        --to demo@example.test

The log is $RUN/maillog (every program's lines, as pflogsumm reads them).
The queue, and one message's story:

    $BUILD/facteurctl -C $RUN/facteur.conf queue list
    $BUILD/facteurctl -C $RUN/facteur.conf explain QUEUE-ID
    pflogsumm --syslog-name=facteur $RUN/maillog

Ctrl-C stops it.

MSG
exec "$progdir/facteur" -d -C "$RUN/facteur.conf"
