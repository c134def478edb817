# master/: the master daemon (facteur) and the administrator's tool
# (facteurctl).

PROGS += facteur facteurctl

SRCS_facteur    = $(addprefix master/,facteur.c facteur_chroot.c \
                  facteur_listen.c facteur_queue.c facteur_report.c \
                  facteur_resident.c \
                  facteur_session.c)
SRCS_facteurctl = $(addprefix master/,facteurctl.c facteurctl_check.c \
                  facteurctl_passwd.c facteurctl_remote.c facteurctl_queue.c \
                  facteurctl_explain.c facteurctl_explain_log.c \
                  facteur_chroot.c)
