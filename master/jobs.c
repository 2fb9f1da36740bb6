/*
 * master/jobs.c — commands that need the network (a proxy probe, a
 * connection test) run in a worker: the master sends "job #tag job.x {args}"
 * on a worker's channel (round robin over the serving workers; the messages
 * are in common/channel.h), remembers who asked, and relays the worker's
 * "job.result #tag status json" answer to them. A worker that dies with jobs
 * in hand fails them with 502. Some jobs are run by the master itself as a
 * chain of worker jobs (the 1proxy sync): those steps answer to a function
 * instead of an origin. Others pass their answer through a function of the
 * master on its way to the origin (the egress check stores what it found).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "control.h"
#include "evline.h"
#include "line.h"
#include "log.h"
#include "master.h"
#include "util.h"

static struct worker_proc *
pick_worker(struct master *m)
{
	int i, n;

	for (n = 0; n < MAX_WORKER_SLOTS; n++) {
		i = (m->next_job_worker + n) % MAX_WORKER_SLOTS;
		if (m->workers[i].in_use && !m->workers[i].exited &&
		    !m->workers[i].draining && m->workers[i].channel != NULL) {
			m->next_job_worker = i + 1;
			return &m->workers[i];
		}
	}
	return NULL;
}

/* Send a reply line to a job's origin (client, or the worker that forwarded it); takes body. */
static void
answer_origin(struct master *m, const struct pending_job *j, int status,
    struct json_object *body)
{
	struct reply r = { status, body, NULL, false };
	char *line;
	size_t len;

	line = reply_format_line(j->origin_has_tag, j->origin_tag, &r, &len);
	reply_clear(&r);
	master_send_reply_line(m, j->client, j->origin_slot, j->origin_pid, line, len);
	free(line);
}

/* Jobs the master runs itself, as a chain of worker jobs. */
static const struct {
	const char	*name;
	void		(*start)(struct master *m, struct json_object *args,
			    struct control_client *client, struct worker_proc *origin,
			    bool has_tag, uint64_t tag);
} master_run_jobs[] = {
	{ "oneproxy.sync", oneproxy_sync_start },
	{ "proxy.egress", proxy_egress_start },
};

/*
 * Hand the answer to whoever waits: a function, or an origin (through the
 * job's answer function, when it has one). Takes body.
 */
static void
job_finished(struct master *m, const struct pending_job *j, int status,
    struct json_object *body)
{
	if (j->done != NULL) {
		j->done(m, j->done_ctx, status, body);
		return;
	}
	if (j->answer != NULL)
		body = j->answer(m, j->subject, &status, body);
	answer_origin(m, j, status, body);
}

struct json_object *
job_proxy_json(const struct snap_proxy *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(p->id));
	json_object_object_add(o, "type", json_object_new_string(proxy_type_name(p->type)));
	json_object_object_add(o, "host", json_object_new_string(p->host));
	json_object_object_add(o, "port", json_object_new_int(p->port));
	json_object_object_add(o, "username", json_object_new_string(p->username));
	json_object_object_add(o, "password", json_object_new_string(p->password));
	return o;
}

/* Queue the job on a serving worker; j is filled by the caller (args stay theirs). */
static void
send_job(struct master *m, struct pending_job *j, const char *job, struct json_object *args)
{
	struct worker_proc *w = pick_worker(m);
	const char *json;

	if (w == NULL) {
		job_finished(m, j, 503, error_envelope(503,
		    "no worker is serving; try again", NULL));
		free(j);
		return;
	}
	j->tag = ++m->next_job_tag;
	j->worker_pid = w->pid;
	TAILQ_INSERT_TAIL(&m->jobs, j, entry);
	if (j->client != NULL)
		control_client_set_waiting(j->client);
	json = json_plain(args);
	channel_send_tagged(bufferevent_get_output(w->channel), CHANNEL_JOB, j->tag, job,
	    json, strlen(json));
	/* the args may hold a proxy's credentials: wipe json-c's text */
	explicit_bzero((char *)(uintptr_t)json, strlen(json));
}

void
master_start_internal_job(struct master *m, const char *job, struct json_object *args,
    job_done_fn done, void *ctx)
{
	struct pending_job *j = xcalloc(1, sizeof(*j));

	j->done = done;
	j->done_ctx = ctx;
	j->origin_slot = -1;
	send_job(m, j, job, args);
	json_object_put(args);
}

void
master_start_answered_job(struct master *m, const char *job, struct json_object *args,
    struct control_client *client, struct worker_proc *origin, bool has_tag,
    uint64_t tag, job_answer_fn answer, const char *subject)
{
	struct pending_job *j = xcalloc(1, sizeof(*j));

	j->client = client;
	j->origin_slot = origin ? origin->slot : -1;
	j->origin_pid = origin ? origin->pid : 0;
	j->origin_has_tag = has_tag;
	j->origin_tag = tag;
	j->answer = answer;
	str_copy(j->subject, sizeof(j->subject), subject != NULL ? subject : "");
	send_job(m, j, job, args);
}

void
master_start_job(struct master *m, const char *job, struct json_object *args,
    struct control_client *client, struct worker_proc *origin, bool has_tag,
    uint64_t tag)
{
	size_t i;

	for (i = 0; i < sizeof(master_run_jobs) / sizeof(master_run_jobs[0]); i++)
		if (strcmp(master_run_jobs[i].name, job) == 0) {
			master_run_jobs[i].start(m, args, client, origin, has_tag, tag);
			return;
		}
	master_start_answered_job(m, job, args, client, origin, has_tag, tag, NULL, NULL);
}

void
master_job_answered(struct master *m, struct worker_proc *w, const char *line,
    size_t len)
{
	struct control_reply rep;
	struct pending_job *j;
	struct json_object *body;
	const char *err;
	bool well_formed = control_parse_reply(line, len, &rep, &err) == PARSE_DONE;

	if (!well_formed && !rep.has_tag) {
		log_errorx("worker[%d] answered a job with a malformed line (%s)", w->slot,
		    err);
		return;
	}
	TAILQ_FOREACH(j, &m->jobs, entry)
		if (j->tag == rep.tag && j->worker_pid == w->pid)
			break;
	if (j == NULL)
		return;		/* nobody waits any more */
	TAILQ_REMOVE(&m->jobs, j, entry);
	if (!well_formed ||
	    (body = json_parse_document(rep.json, rep.json_len, 64)) == NULL) {
		log_errorx("worker[%d] answered a job with a malformed line", w->slot);
		job_finished(m, j, 502, error_envelope(502,
		    "the worker's answer was malformed", NULL));
	} else {
		job_finished(m, j, rep.status, body);
	}
	free(j);
}

void
master_jobs_worker_gone(struct master *m, pid_t pid)
{
	struct pending_job *j, *next;

	for (j = TAILQ_FIRST(&m->jobs); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->worker_pid != pid)
			continue;
		TAILQ_REMOVE(&m->jobs, j, entry);
		job_finished(m, j, 502, error_envelope(502,
		    "the worker running the job exited", NULL));
		free(j);
	}
}

void
master_jobs_client_gone(struct master *m, struct control_client *client)
{
	struct pending_job *j;

	oneproxy_sync_client_gone(m, client);
	TAILQ_FOREACH(j, &m->jobs, entry)
		if (j->client == client) {
			j->client = NULL;
			j->origin_slot = -1;	/* the answer is dropped */
		}
}
