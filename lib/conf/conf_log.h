/*
 * conf_log: the log_file key of facteur.conf, applied (lib/base/log.h).
 * Every program that logs calls conf_log_open() once its configuration
 * is loaded and before it gives up root or chroots, so that its lines,
 * and those of the children it forks, go to log_file when one is set.
 * The master and queued, which start first, make the file as root
 * (conf_log_create): owned by queue_user, mode 0640, so that the
 * set-uid enqueue, which runs as queue_user, can write it too.
 *
 * Trust: the configuration is the caller's (a set-id enqueue reads only
 * its installed one); the file is checked by log_file_open.
 */
#ifndef FACTEUR_CONF_LOG_H
#define FACTEUR_CONF_LOG_H
#include "conf.h"

/*
 * Opens log_file when it is set; 0 (also when it is not set), or -1 when
 * it could not be opened (said once, on the log as it was).
 */
int	conf_log_open(const struct conf *);
/* As root: makes log_file for queue_user when missing; 0 or -1 (logged). */
int	conf_log_create(const struct conf *);

#endif
