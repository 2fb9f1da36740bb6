/*
 * master/cmd_system.c — commands about omnirouted itself: help (generated
 * from the command table), version, status, the worker table and reload.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "commands.h"
#include "db.h"
#include "worker.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "dev"
#endif

static const struct arg_spec no_args[] = { ARGSPEC_END };


static void
help(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *items = json_object_new_array();
	size_t i;

	(void)m;
	for (i = 0; command_table[i] != NULL; i++) {
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(command_table[i]->name));
		json_object_object_add(c, "help", json_object_new_string(command_table[i]->help));
		json_object_object_add(c, "mutates",
		    json_object_new_boolean(command_table[i]->mutates));
		json_object_array_add(items, c);
	}
	json_object_object_add(root, "items", items);
	reply_set(r, 200, root);
}

const struct command cmd_help = {
	.name = "help",
	.help = "list the commands",
	.args = no_args,
	.run = help,
};

static void
version(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *root = json_object_new_object();

	json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(root, "schemaVersion",
	    json_object_new_int(db_schema_version(m->db)));
	reply_set(r, 200, root);
}

const struct command cmd_version = {
	.name = "version",
	.help = "omnirouted's version and schema version",
	.args = no_args,
	.run = version,
};

static void
status(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *root = json_object_new_object(), *listen;
	size_t i;
	char addr[300];

	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(root, "uptimeSeconds",
	    json_object_new_int64((int64_t)(time(NULL) - m->started_at)));
	json_object_object_add(root, "workers",
	    json_object_new_int(supervisor_live_workers(m)));
	json_object_object_add(root, "workersConfigured",
	    json_object_new_int(m->cfg.worker_count));
	json_object_object_add(root, "generation",
	    json_object_new_int64((int64_t)m->generation));
	json_object_object_add(root, "dataDir", json_object_new_string(m->cfg.data_dir));
	json_object_object_add(root, "controlSocket",
	    json_object_new_string(m->cfg.control_socket_path));
	listen = json_object_new_array();
	for (i = 0; i < m->cfg.listen_count; i++) {
		snprintf(addr, sizeof(addr), strchr(m->cfg.listen_addrs[i].host, ':') ?
		    "[%s]:%s" : "%s:%s", m->cfg.listen_addrs[i].host,
		    m->cfg.listen_addrs[i].port);
		json_object_array_add(listen, json_object_new_string(addr));
	}
	json_object_object_add(root, "listen", listen);
	json_object_object_add(root, "proxies",
	    json_object_new_int64((int64_t)m->snap.proxy_count));
	json_object_object_add(root, "assignments",
	    json_object_new_int64((int64_t)m->snap.assignment_count));
	json_object_object_add(root, "logLevel", json_object_new_string(m->cfg.log_level));
	reply_set(r, 200, root);
}

const struct command cmd_status = {
	.name = "status",
	.help = "pid, uptime, workers, registry generation and sizes",
	.args = no_args,
	.run = status,
};

static void
workers(struct master *m, struct json_object *args, struct reply *r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *items = json_object_new_array();
	char stamp[32];
	struct tm tm;
	int i;

	for (i = 0; i < MAX_WORKER_SLOTS; i++) {
		const struct worker_proc *w = &m->workers[i];
		struct json_object *o;
		if (!w->in_use || w->exited)
			continue;
		o = json_object_new_object();
		gmtime_r(&w->started_at, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_object_add(o, "slot", json_object_new_int(w->slot));
		json_object_object_add(o, "pid", json_object_new_int(w->pid));
		json_object_object_add(o, "generation",
		    json_object_new_int64((int64_t)w->acked_generation));
		json_object_object_add(o, "startedAt", json_object_new_string(stamp));
		json_object_object_add(o, "restarts", json_object_new_int(w->restarts));
		json_object_object_add(o, "draining", json_object_new_boolean(w->draining));
		json_object_object_add(o, "serving", json_object_new_boolean(w->serving &&
		    !w->draining));
		if (m->accept_board != NULL) {
			/* as the worker published them: its clients and the body bytes held */
			const struct accept_board_entry *e = &m->accept_board->entry[i];
			json_object_object_add(o, "connections",
			    json_object_new_int64((int64_t)e->connections));
			json_object_object_add(o, "bodyBytes",
			    json_object_new_int64((int64_t)e->body_bytes[BODY_CLASS_RELAY]));
			json_object_object_add(o, "apiBodyBytes",
			    json_object_new_int64((int64_t)e->body_bytes[BODY_CLASS_API]));
		}
		json_object_array_add(items, o);
	}
	json_object_object_add(root, "items", items);
	json_object_object_add(root, "generation",
	    json_object_new_int64((int64_t)m->generation));
	reply_set(r, 200, root);
}

const struct command cmd_workers = {
	.name = "workers",
	.help = "the worker processes: slot, pid, acknowledged generation, restarts",
	.args = no_args,
	.run = workers,
};

static void
reload(struct master *m, struct json_object *args, struct reply *r)
{
	(void)m;
	(void)args;
	reply_clear(r);
	r->reload = true;	/* master_run_request begins it and waits for it */
}

const struct command cmd_reload = {
	.name = "reload",
	.help = "re-read the configuration and replace the workers (like SIGHUP); answers once the new workers serve, or with why not",
	.args = no_args,
	.run = reload,
};
