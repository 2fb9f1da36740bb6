/*
 * worker/jobs.c — jobs the master hands to a worker because they need the
 * network (the master does no provider or proxy I/O itself): a table of job
 * names, and the answer "job.result #tag status json" sent back when one is
 * done (the channel's messages: common/channel.h).
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "evline.h"
#include "log.h"
#include "worker.h"

static const struct {
	const char	*name;
	void		(*start)(struct worker *w, uint64_t tag, struct json_object *args);
} job_table[] = {
	{ "job.probe", probe_start },
};

static void
job_reply(struct worker *w, uint64_t tag, int status, struct json_object *body)
{
	const char *json = json_plain(body);
	char code[16];

	snprintf(code, sizeof(code), "%03d", status);
	channel_send_tagged(bufferevent_get_output(w->channel), CHANNEL_JOB_RESULT, tag,
	    code, json, strlen(json));
	json_object_put(body);
}

void
jobs_start(struct worker *w, uint64_t tag, const char *name, struct json_object *args)
{
	size_t i;

	for (i = 0; i < sizeof(job_table) / sizeof(job_table[0]); i++)
		if (strcmp(job_table[i].name, name) == 0) {
			job_table[i].start(w, tag, args);
			return;
		}
	log_warnx("unknown job %s from the master", name);
	job_reply(w, tag, 404, error_envelope(404, "unknown job", NULL));
}

void
job_finish(struct job *job, int status, struct json_object *body)
{
	TAILQ_REMOVE(&job->w->jobs, job, entry);
	job_reply(job->w, job->tag, status, body);
}

void
jobs_cancel_all(struct worker *w)
{
	while (!TAILQ_EMPTY(&w->jobs)) {
		struct job *job = TAILQ_FIRST(&w->jobs);
		TAILQ_REMOVE(&w->jobs, job, entry);
		job->cancel(job);
	}
}
