/*
 * worker/jobs.c — jobs the master hands to a worker because they need the
 * network (the master does no provider or proxy I/O itself): a table of job
 * names, and the answer "job.result #tag status json" sent back when one is
 * done (the channel's messages: common/channel.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "evline.h"
#include "log.h"
#include "util.h"
#include "worker.h"

static const struct {
	const char	*name;
	void		(*start)(struct worker *w, uint64_t tag, struct json_object *args);
} job_table[] = {
	{ "job.probe", probe_start },
	{ "job.oneproxy_page", oneproxy_page_start },
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
	struct worker *w = job->w;

	TAILQ_REMOVE(&w->jobs, job, entry);
	job_reply(w, job->tag, status, body);
	worker_check_drained(w);
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

int
job_proxy_take(struct job_proxy *p, struct json_object *o)
{
	const char *id = NULL, *type = NULL, *host = NULL;
	struct json_object *v;
	int port = 0;

	memset(p, 0, sizeof(*p));
	if (json_object_object_get_ex(o, "id", &v))
		id = json_object_get_string(v);
	if (json_object_object_get_ex(o, "type", &v))
		type = json_object_get_string(v);
	if (json_object_object_get_ex(o, "host", &v))
		host = json_object_get_string(v);
	if (json_object_object_get_ex(o, "port", &v))
		port = json_object_get_int(v);
	if (id == NULL || type == NULL || host == NULL || port < 1 || port > 65535 ||
	    !proxy_type_parse(type, &p->proxy.type))
		return -1;
	p->proxy.id = xstrdup(id);
	p->proxy.name = xstrdup("");
	p->proxy.host = xstrdup(host);
	p->proxy.port = (uint16_t)port;
	p->proxy.username = xstrdup(json_object_object_get_ex(o, "username", &v) &&
	    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
	p->proxy.password = xstrdup(json_object_object_get_ex(o, "password", &v) &&
	    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
	p->proxy.active = true;
	p->present = true;
	snprintf(p->url, sizeof(p->url), strchr(host, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
	    type, host, port);
	return 0;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
job_proxy_clear(struct job_proxy *p)
{
	free(p->proxy.id);
	free(p->proxy.name);
	free(p->proxy.host);
	wipe_free(p->proxy.username);
	wipe_free(p->proxy.password);
	memset(p, 0, sizeof(*p));
}
