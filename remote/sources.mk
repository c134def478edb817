# remote/: remote delivery.  rspawn (started as root by queued's keeper,
# then smtp_user in smtp_chroot) resolves destinations and forks the SMTP
# client processes, which share its program.

PROGS += rspawn

SRCS_rspawn = $(addprefix remote/,rspawn.c rspawn_policy.c rspawn_pool.c \
              rspawn_resolve.c dns.c dns_wire.c smtp_body.c smtp_conn.c \
              smtp_io.c smtp_txn.c smtp_wire.c smtp_worker.c \
              smtp_subvert.c)

# Test-only: rspawn whose SMTP clients obey a server's XSUBVERT script
# (smtp_subvert.c), into $(BUILD)/rsubverted/, for
# tests/integration/test_remote_attack.py.
TEST_VARIANTS += rsubverted
VARIANT_PROGS_rsubverted = rspawn
VARIANT_CFLAGS_rsubverted = -DSMTP_CLIENT_SUBVERTED
