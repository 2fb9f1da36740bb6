/*
 * master/control.h — running one request line from a control client or a
 * worker channel, and formatting reply lines.
 */
#ifndef OMNI_CONTROL_H
#define OMNI_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "master.h"

struct control_client;

/* Run a request line; the reply goes back to the client or worker given. */
void	master_run_request(struct master *m, const char *line, size_t len,
	    struct control_client *client, struct worker_proc *worker);
/* "[#tag ]status json\n", malloc'd. */
char	*reply_format_line(bool has_tag, uint64_t tag, const struct reply *r,
	    size_t *len);

#endif
