/*
 * tests/unit/test_sd_notify.c — tests of common/sd_notify.c: $NOTIFY_SOCKET
 * values (path, abstract "@name", refused ones) turned into addresses, the
 * RELOADING=1 message, and the messages as a real AF_UNIX datagram socket
 * receives them (path and abstract), with the variable removed from the
 * environment by notify_init() and no-ops without it.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sd_notify.h"

static void
test_address_parse(void **state)
{
	struct sockaddr_un sun;
	socklen_t len = 0;
	char longpath[200];

	(void)state;
	assert_int_equal(notify_address_parse("/run/systemd/notify", &sun, &len), 0);
	assert_int_equal(sun.sun_family, AF_UNIX);
	assert_string_equal(sun.sun_path, "/run/systemd/notify");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20);

	assert_int_equal(notify_address_parse("@abstract/x", &sun, &len), 0);
	assert_int_equal(sun.sun_path[0], '\0');
	assert_memory_equal(sun.sun_path + 1, "abstract/x", 10);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 11);

	assert_int_equal(notify_address_parse(NULL, &sun, &len), -1);
	assert_int_equal(notify_address_parse("", &sun, &len), -1);
	assert_int_equal(notify_address_parse("@", &sun, &len), -1);
	assert_int_equal(notify_address_parse("relative/path", &sun, &len), -1);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(notify_address_parse(longpath, &sun, &len), -1);
	/* the longest that fits: 107 bytes and the NUL */
	longpath[107] = '\0';
	assert_int_equal(notify_address_parse(longpath, &sun, &len), 0);
	longpath[108] = 'a';
	longpath[0] = '@';
	longpath[108] = '\0';
	assert_int_equal(notify_address_parse(longpath, &sun, &len), 0);
}

static void
test_format_reloading(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(notify_format_reloading(buf, sizeof(buf), 1234567), 0);
	assert_string_equal(buf, "RELOADING=1\nMONOTONIC_USEC=1234567\n");
	assert_int_equal(notify_format_reloading(buf, 10, 1), -1);
}

/* A datagram socket bound to addr; what notify_* sends arrives here. */
static int
listener(const char *value)
{
	struct sockaddr_un sun;
	struct timeval tv = { 5, 0 };
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(notify_address_parse(value, &sun, &len), 0);
	if (value[0] == '/')
		unlink(value);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
expect(int fd, const char *msg)
{
	char buf[600];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, msg);
}

static void
exchange(const char *value)
{
	char buf[600];
	int fd = listener(value);

	assert_int_equal(setenv("NOTIFY_SOCKET", value, 1), 0);
	assert_int_equal(notify_init(), 1);
	assert_null(getenv("NOTIFY_SOCKET"));
	notify_ready();
	expect(fd, "READY=1\n");
	notify_status("serving on %s with %d workers", "127.0.0.1:1", 2);
	expect(fd, "STATUS=serving on 127.0.0.1:1 with 2 workers\n");
	notify_status("two\nlines");
	expect(fd, "STATUS=two lines\n");
	notify_stopping();
	expect(fd, "STOPPING=1\n");
	notify_reloading();
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=", 27);
	close(fd);
	if (value[0] == '/')
		unlink(value);
}

static void
test_send_to_path_socket(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/omniroute-notify-%d", (int)getpid());
	exchange(path);
}

static void
test_send_to_abstract_socket(void **state)
{
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "@omniroute-notify-%d", (int)getpid());
	exchange(name);
}

static void
test_without_variable_nothing_is_sent(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_init(), 0);
	notify_ready();
	notify_status("x");
	notify_stopping();
	notify_reloading();
	assert_int_equal(notify_send("READY=1\n"), 0);
	/* an unusable value is dropped from the environment as well */
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative", 1), 0);
	assert_int_equal(notify_init(), 0);
	assert_null(getenv("NOTIFY_SOCKET"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_parse),
		cmocka_unit_test(test_format_reloading),
		cmocka_unit_test(test_send_to_path_socket),
		cmocka_unit_test(test_send_to_abstract_socket),
		cmocka_unit_test(test_without_variable_nothing_is_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
