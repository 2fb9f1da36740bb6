/*
 * tests/unit/test_channel_ends.c — both ends of the master↔worker channel fed
 * whole lines, without processes of their own: the master's
 * master_channel_line() against a real SQLite file (a line that is not a
 * "command" message never runs a control command, however much it looks
 * like one; a worker whose hello names another protocol version, or that
 * speaks before its hello, is refused: its channel closed, the process
 * stopped, the reason kept for the start's failure), and the worker's
 * worker_channel_line() over a socketpair (it answers a matching hello,
 * refuses another version with a "failed" message and exit status 1, and
 * drops lines it does not know).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "channel.h"
#include "db.h"
#include "log.h"
#include "master.h"
#include "master_fixture.h"
#include "worker.h"

/*
 * A worker entry as the supervisor keeps one, for a stand-in process that
 * waits to be stopped; no channel, so replies to it are dropped, and it has
 * acknowledged every generation, so a mutation's reply is not held for it.
 */
static struct worker_proc *
stand_in_worker(bool greeted)
{
	struct worker_proc *w = &M.workers[0];
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	memset(w, 0, sizeof(*w));
	w->in_use = true;
	w->slot = 1;
	w->pid = pid;
	w->greeted = greeted;
	w->acked_generation = UINT64_MAX;
	return w;
}

/* The stand-in's end: the signal that stopped it, or -1 when it was not
 * stopped within `wait_ms` (it is killed then). */
static int
stand_in_end(struct worker_proc *w, int wait_ms)
{
	int status, sig = -1, waited;

	for (waited = 0; waited <= wait_ms; waited += 10) {
		if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
			assert_true(WIFSIGNALED(status));
			sig = WTERMSIG(status);
			break;
		}
		usleep(10000);
	}
	if (sig == -1) {
		kill(w->pid, SIGKILL);
		assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
	}
	w->in_use = false;
	return sig;
}

static void
feed_master(struct worker_proc *w, const char *text)
{
	char *line = strdup(text);

	assert_non_null(line);
	master_channel_line(&M, w, line, strlen(text));
	free(line);
}

static long long
proxies(void)
{
	return db_count(M.db, "SELECT COUNT(*) FROM proxy_registry", NULL);
}

static void
test_only_command_messages_run_commands(void **state)
{
	struct worker_proc *w = stand_in_worker(true);
	long long before = proxies();

	(void)state;
	/* the way the channel carried forwarded commands before it had names */
	feed_master(w, "#5 proxy.add {\"name\":\"a\",\"host\":\"a.example\",\"port\":1}");
	feed_master(w, "proxy.add {\"name\":\"b\",\"host\":\"b.example\",\"port\":1}");
	/* declared messages that are not commands, or not for the master */
	feed_master(w, "job #6 proxy.add {\"name\":\"c\",\"host\":\"c.example\",\"port\":1}");
	feed_master(w, "reply #7 proxy.add {\"name\":\"d\",\"host\":\"d.example\",\"port\":1}");
	feed_master(w, "job.result #8 proxy.add {\"name\":\"e\",\"host\":\"e.example\",\"port\":1}");
	feed_master(w, "ack proxy.add {\"name\":\"f\",\"host\":\"f.example\",\"port\":1}");
	/* a command message without its tag is malformed */
	feed_master(w, "command proxy.add {\"name\":\"g\",\"host\":\"g.example\",\"port\":1}");
	assert_int_equal(proxies(), before);
	assert_int_equal(w->failure[0], '\0');	/* the channel went on */

	feed_master(w, "command #9 proxy.add {\"name\":\"h\",\"host\":\"h.example\",\"port\":1}");
	assert_int_equal(proxies(), before + 1);
	assert_int_equal(stand_in_end(w, 50), -1);
}

static void
test_worker_of_another_version_is_refused(void **state)
{
	struct worker_proc *w = stand_in_worker(false);

	(void)state;
	feed_master(w, "hello {\"version\":2}");
	assert_false(w->greeted);
	assert_string_equal(w->failure, "channel protocol version mismatch: the worker "
	    "speaks 2, the master 1");
	assert_int_equal(stand_in_end(w, 5000), SIGTERM);
}

static void
test_worker_speaking_before_hello_is_refused(void **state)
{
	struct worker_proc *w = stand_in_worker(false);

	(void)state;
	feed_master(w, "failed {\"error\":\"cannot load the CA file\"}");
	assert_string_equal(w->failure, "cannot load the CA file");
	feed_master(w, "ack {\"generation\":1}");
	assert_false(w->ready);
	assert_string_equal(w->failure, "it sent \"ack\" before the hello that names the "
	    "protocol version (the master speaks version 1)");
	assert_int_equal(stand_in_end(w, 5000), SIGTERM);
}

static void
test_worker_of_this_version_is_greeted(void **state)
{
	struct worker_proc *w = stand_in_worker(false);

	(void)state;
	feed_master(w, "hello " CHANNEL_HELLO_BODY);
	assert_true(w->greeted);
	assert_int_equal(w->failure[0], '\0');
	feed_master(w, "hello {\"version\":2}");	/* a second one is dropped */
	assert_true(w->greeted);
	assert_int_equal(w->failure[0], '\0');
	assert_int_equal(stand_in_end(w, 50), -1);
}

/* ---- the worker's end ---- */

struct worker_end {
	struct worker	 w;
	int		 master_fd;	/* the master's end of the socketpair */
};

static void
worker_end_open(struct worker_end *e)
{
	int sv[2];

	memset(e, 0, sizeof(*e));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	e->w.base = event_base_new();
	assert_non_null(e->w.base);
	e->w.channel = bufferevent_socket_new(e->w.base, sv[1], BEV_OPT_CLOSE_ON_FREE);
	e->master_fd = sv[0];
}

static void
worker_end_close(struct worker_end *e)
{
	bufferevent_free(e->w.channel);
	event_base_free(e->w.base);
	close(e->master_fd);
}

static void
feed_worker(struct worker_end *e, const char *text)
{
	char *line = strdup(text);

	assert_non_null(line);
	worker_channel_line(&e->w, line, strlen(text));
	free(line);
}

/* What the master's end has received so far (the worker's loop is run to
 * write out what it queued), as a string. */
static char *
received(struct worker_end *e, char *buf, size_t cap)
{
	ssize_t n;
	int i;

	for (i = 0; i < 5; i++)
		event_base_loop(e->w.base, EVLOOP_NONBLOCK);
	n = recv(e->master_fd, buf, cap - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_worker_answers_hello(void **state)
{
	struct worker_end e;
	char buf[256];

	(void)state;
	worker_end_open(&e);
	feed_worker(&e, "hello " CHANNEL_HELLO_BODY);
	assert_true(e.w.greeted);
	assert_int_equal(e.w.exit_status, 0);
	assert_string_equal(received(&e, buf, sizeof(buf)), "hello {\"version\":1}\n");
	/* unknown and wrong-way lines are dropped; nothing answers them */
	feed_worker(&e, "proxy.delete {\"id\":\"p1\"}");
	feed_worker(&e, "ack {\"generation\":1}");
	feed_worker(&e, "#3 200 {}");
	assert_false(e.w.channel_refused);
	assert_string_equal(received(&e, buf, sizeof(buf)), "");
	worker_end_close(&e);
}

static void
test_worker_refuses_another_version(void **state)
{
	struct worker_end e;
	char buf[512];

	(void)state;
	worker_end_open(&e);
	feed_worker(&e, "hello {\"version\":7}");
	assert_false(e.w.greeted);
	assert_true(e.w.channel_refused);
	assert_int_equal(e.w.exit_status, 1);
	assert_string_equal(received(&e, buf, sizeof(buf)), "failed {\"error\":\"channel protocol version mismatch: "
	    "the master speaks 7, this worker 1\"}\n");
	worker_end_close(&e);
}

static void
test_worker_refuses_a_master_without_hello(void **state)
{
	struct worker_end e;
	char buf[512];

	(void)state;
	worker_end_open(&e);
	feed_worker(&e, "serve {}");
	assert_false(e.w.serving);
	assert_true(e.w.channel_refused);
	assert_int_equal(e.w.exit_status, 1);
	assert_non_null(strstr(received(&e, buf, sizeof(buf)), "the master sent \\\"serve\\\" before the hello"));
	worker_end_close(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_command_messages_run_commands),
		cmocka_unit_test(test_worker_of_another_version_is_refused),
		cmocka_unit_test(test_worker_speaking_before_hello_is_refused),
		cmocka_unit_test(test_worker_of_this_version_is_greeted),
		cmocka_unit_test(test_worker_answers_hello),
		cmocka_unit_test(test_worker_refuses_another_version),
		cmocka_unit_test(test_worker_refuses_a_master_without_hello),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, master_fixture_setup_with_snapshot, master_fixture_teardown);
}
