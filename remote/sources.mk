# remote/: remote delivery.  rspawn (started as root by queued's keeper,
# then smtp_user in smtp_chroot) resolves destinations and forks the SMTP
# client processes, which share its program.

PROGS += rspawn

SRCS_rspawn = $(addprefix remote/,rspawn.c rspawn_policy.c rspawn_pool.c \
              rspawn_resolve.c dns.c dns_wire.c smtp_body.c smtp_conn.c \
              smtp_io.c smtp_txn.c smtp_wire.c smtp_worker.c)
