/*
 * tests/unit/test_accesslog.c — the log formatters (common/accesslog.c,
 * common/log.c), fed byte strings: logfmt values (bare, quoted, escaped,
 * control bytes, bytes that are not UTF-8), JSON strings, whole access-log
 * lines in both formats, daemon log lines, the syslog facility and
 * priorities, what a mutation's log line may name, and the writer across a
 * rename and reopen (logrotate).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "accesslog.h"
#include "log.h"
#include "textbuf.h"

static struct textbuf t;

static int
teardown(void **state)
{
	(void)state;
	textbuf_free(&t);
	memset(&t, 0, sizeof(t));
	return 0;
}

static const char *
text(void)
{
	textbuf_add(&t, "", 1);	/* NUL */
	t.len--;
	return t.data;
}

static void
assert_logfmt(const char *in, size_t len, const char *want)
{
	textbuf_reset(&t);
	logfmt_append_value(&t, in, len);
	assert_string_equal(text(), want);
}

static void
assert_json(const char *in, size_t len, const char *want)
{
	textbuf_reset(&t);
	json_append_string(&t, in, len);
	assert_string_equal(text(), want);
}

#define S(lit)	lit, sizeof(lit) - 1

static void
test_logfmt_values(void **state)
{
	(void)state;
	assert_logfmt(S("/v1/chat/completions"), "/v1/chat/completions");
	assert_logfmt(S("openai/gpt-4o-mini"), "openai/gpt-4o-mini");
	assert_logfmt(S(""), "");		/* empty: nothing after "=" */
	assert_logfmt(S("two words"), "\"two words\"");
	assert_logfmt(S("say \"hi\""), "\"say \\\"hi\\\"\"");
	assert_logfmt(S("a=b"), "\"a=b\"");
	assert_logfmt(S("back\\slash"), "\"back\\\\slash\"");
	/* a path with control bytes cannot break the line */
	assert_logfmt(S("/v1/x\r\nfake=1"), "\"/v1/x\\r\\nfake=1\"");
	assert_logfmt(S("tab\there"), "\"tab\\there\"");
	assert_logfmt(S("bell\x07" "del\x7f"), "\"bell\\x07del\\x7f\"");
	assert_logfmt("nul\0x", 5, "\"nul\\x00x\"");
	/* UTF-8 passes (quoted); bytes that are not UTF-8 are escaped */
	assert_logfmt(S("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	assert_logfmt(S("bad\xc3("), "\"bad\\xc3(\"");
	assert_logfmt(S("\xff\xfe"), "\"\\xff\\xfe\"");
	assert_logfmt(S("\xe2\x82"), "\"\\xe2\\x82\"");	/* cut sequence */
}

static void
test_json_strings(void **state)
{
	(void)state;
	assert_json(S("plain"), "\"plain\"");
	assert_json(S(""), "\"\"");
	assert_json(S("q\"b\\"), "\"q\\\"b\\\\\"");
	assert_json(S("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
	assert_json(S("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	assert_json("a\0b", 3, "\"a\\u0000b\"");
	assert_json(S("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	assert_json(S("x\xc0\xafy"), "\"x\\ufffd\\ufffdy\"");	/* overlong '/' */
	assert_json(S("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
}

static void
fill(struct access_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->ts, sizeof(r->ts), "2026-12-05T10:00:00.000Z");
	snprintf(r->request_id, sizeof(r->request_id), "0b1c9a4e-8f1e-4c55-9a57-3f3f0d2d1a10");
	snprintf(r->client, sizeof(r->client), "127.0.0.1");
	snprintf(r->key_id, sizeof(r->key_id), "k1");
	r->method = "POST";
	r->path = "/v1/chat/completions";
	snprintf(r->model, sizeof(r->model), "openai/gpt-4o-mini");
	snprintf(r->provider, sizeof(r->provider), "openai");
	snprintf(r->connection, sizeof(r->connection), "c-1");
	snprintf(r->proxy_level, sizeof(r->proxy_level), "global");
	snprintf(r->proxy_id, sizeof(r->proxy_id), "p-9");
	r->attempts = 2;
	r->status = 200;
	r->bytes_in = 321;
	r->bytes_out = 4096;
	r->ttfb_ms = 12;
	r->total_ms = 250;
}

static void
test_access_line_text(void **state)
{
	struct access_record r;

	(void)state;
	fill(&r);
	access_format(&r, LOG_FORMAT_TEXT, &t);
	assert_string_equal(text(), "ts=2026-12-05T10:00:00.000Z "
	    "requestId=0b1c9a4e-8f1e-4c55-9a57-3f3f0d2d1a10 client=127.0.0.1 keyId=k1 "
	    "method=POST path=/v1/chat/completions model=openai/gpt-4o-mini "
	    "provider=openai connection=c-1 proxyLevel=global proxyId=p-9 attempts=2 "
	    "status=200 bytesIn=321 bytesOut=4096 ttfbMs=12 totalMs=250\n");

	/* unknowns are empty; the client left before an answer */
	textbuf_reset(&t);
	r.key_id[0] = r.provider[0] = r.connection[0] = r.proxy_level[0] = '\0';
	r.proxy_id[0] = '\0';
	snprintf(r.model, sizeof(r.model), "my combo");
	r.path = "/v1/a\nb";
	r.attempts = 0;
	r.status = 499;
	r.ttfb_ms = -1;
	access_format(&r, LOG_FORMAT_TEXT, &t);
	assert_string_equal(text(), "ts=2026-12-05T10:00:00.000Z "
	    "requestId=0b1c9a4e-8f1e-4c55-9a57-3f3f0d2d1a10 client=127.0.0.1 keyId= "
	    "method=POST path=\"/v1/a\\nb\" model=\"my combo\" provider= connection= "
	    "proxyLevel= proxyId= attempts=0 status=499 bytesIn=321 bytesOut=4096 "
	    "ttfbMs= totalMs=250\n");
	assert_ptr_equal(strchr(t.data, '\n'), t.data + t.len - 1);	/* one line */
}

static void
test_access_line_json(void **state)
{
	struct access_record r;
	struct json_object *o, *v;

	(void)state;
	fill(&r);
	access_format(&r, LOG_FORMAT_JSON, &t);
	assert_string_equal(text(), "{\"ts\":\"2026-12-05T10:00:00.000Z\","
	    "\"requestId\":\"0b1c9a4e-8f1e-4c55-9a57-3f3f0d2d1a10\",\"client\":\"127.0.0.1\","
	    "\"keyId\":\"k1\",\"method\":\"POST\",\"path\":\"/v1/chat/completions\","
	    "\"model\":\"openai/gpt-4o-mini\",\"provider\":\"openai\",\"connection\":\"c-1\","
	    "\"proxyLevel\":\"global\",\"proxyId\":\"p-9\",\"attempts\":2,\"status\":200,"
	    "\"bytesIn\":321,\"bytesOut\":4096,\"ttfbMs\":12,\"totalMs\":250}\n");

	textbuf_reset(&t);
	r.path = "/v1/\"q\"\x01\xff";
	r.ttfb_ms = -1;
	access_format(&r, LOG_FORMAT_JSON, &t);
	t.data[t.len - 1] = '\0';	/* the LF */
	o = json_tokener_parse(t.data);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "path", &v));
	assert_string_equal(json_object_get_string(v), "/v1/\"q\"\x01\xef\xbf\xbd");
	assert_true(json_object_object_get_ex(o, "ttfbMs", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "status", &v));
	assert_int_equal(json_object_get_int(v), 200);
	json_object_put(o);
}

static void
test_daemon_log_lines(void **state)
{
	struct json_object *o, *v;

	(void)state;
	log_format_line(&t, LOG_FORMAT_TEXT, "2026-12-05T10:00:00.000Z", LOG_LEVEL_WARN,
	    "worker[3]", S("proxy p:1 refused\nforged line"));
	assert_string_equal(text(), "2026-12-05T10:00:00.000Z warn worker[3]: "
	    "proxy p:1 refused?forged line\n");

	textbuf_reset(&t);
	log_format_line(&t, LOG_FORMAT_JSON, "2026-12-05T10:00:00.000Z", LOG_LEVEL_INFO,
	    "master", S("said \"hi\"\n"));
	assert_string_equal(text(), "{\"ts\":\"2026-12-05T10:00:00.000Z\",\"level\":\"info\","
	    "\"role\":\"master\",\"msg\":\"said \\\"hi\\\"\\n\"}\n");
	t.data[t.len - 1] = '\0';
	o = json_tokener_parse(t.data);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "msg", &v));
	assert_string_equal(json_object_get_string(v), "said \"hi\"\n");
	json_object_put(o);
}

static void
test_log_format_and_syslog(void **state)
{
	enum log_format f;

	(void)state;
	assert_true(log_format_parse("json", &f));
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_true(log_format_parse("TEXT", &f));
	assert_int_equal(f, LOG_FORMAT_TEXT);
	assert_false(log_format_parse("xml", &f));
	assert_int_equal(log_syslog_facility(), LOG_DAEMON);
	assert_string_equal(LOG_SYSLOG_IDENT, "omnirouted");
	assert_int_equal(log_syslog_priority(LOG_LEVEL_DEBUG), LOG_DEBUG);
	assert_int_equal(log_syslog_priority(LOG_LEVEL_INFO), LOG_INFO);
	assert_int_equal(log_syslog_priority(LOG_LEVEL_WARN), LOG_WARNING);
	assert_int_equal(log_syslog_priority(LOG_LEVEL_ERROR), LOG_ERR);
}

static void
test_mutation_describe(void **state)
{
	struct json_object *args = json_tokener_parse("{\"name\":\"US east\",\"host\":\"p\","
	    "\"password\":\"hunter2\",\"username\":\"u\",\"key\":\"sk-secret\"}");
	struct json_object *reply = json_tokener_parse("{\"id\":\"p-1\",\"name\":\"US east\","
	    "\"password\":\"***\"}");
	char out[256];

	(void)state;
	mutation_describe(args, reply, out, sizeof(out));
	assert_string_equal(out, "name=\"US east\" id=p-1");
	assert_null(strstr(out, "hunter2"));
	assert_null(strstr(out, "sk-secret"));
	mutation_describe(NULL, NULL, out, sizeof(out));
	assert_string_equal(out, "");
	mutation_describe(reply, NULL, out, 6);
	assert_string_equal(out, "id=p-");		/* cut to fit */
	json_object_put(args);
	json_object_put(reply);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	static char buf[4096];
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_writer_reopen(void **state)
{
	char dir[] = "/tmp/omniroute-alog-XXXXXX", path[128], moved[128], err[256];
	struct access_log al;
	struct access_record r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/access.log", dir);
	snprintf(moved, sizeof(moved), "%s/access.log.1", dir);
	assert_int_equal(access_log_open(&al, path, LOG_FORMAT_TEXT, err, sizeof(err)), 0);
	fill(&r);
	assert_false(access_log_add(&al, &r));	/* buffered */
	assert_string_equal(slurp(path), "");
	access_log_flush(&al);
	assert_non_null(strstr(slurp(path), "status=200"));
	assert_int_equal(rename(path, moved), 0);
	r.status = 502;
	access_log_add(&al, &r);
	assert_int_equal(access_log_reopen(&al, err, sizeof(err)), 0);	/* flushes first */
	assert_non_null(strstr(slurp(moved), "status=502"));
	r.status = 404;
	access_log_add(&al, &r);
	access_log_close(&al);
	assert_non_null(strstr(slurp(path), "status=404"));
	assert_null(strstr(slurp(moved), "status=404"));
	unlink(path);
	unlink(moved);
	rmdir(dir);
	assert_int_equal(access_log_open(&al, "/nonexistent-dir/a.log", LOG_FORMAT_TEXT,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/a.log"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_logfmt_values, teardown),
		cmocka_unit_test_teardown(test_json_strings, teardown),
		cmocka_unit_test_teardown(test_access_line_text, teardown),
		cmocka_unit_test_teardown(test_access_line_json, teardown),
		cmocka_unit_test_teardown(test_daemon_log_lines, teardown),
		cmocka_unit_test_teardown(test_log_format_and_syslog, teardown),
		cmocka_unit_test_teardown(test_mutation_describe, teardown),
		cmocka_unit_test_teardown(test_writer_reopen, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
