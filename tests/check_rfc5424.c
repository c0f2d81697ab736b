/* check_rfc5424.c -- RFC 5424 messages of output lines and RFC 6587
 * frames, built on synthetic lines. */
#include "autoconf.h"

#include "buf.h"
#include "format.h"
#include "rfc5424.h"

#include "tmcheck.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

#define NOW "2026-12-04T10:00:00.000001Z"
#define THEN "2026-11-24T15:38:40.123456Z"

/* The message of `line' in output format `fmt', NUL-terminated, in *b. */
static const char *
message(struct buf *b, enum format fmt, const char *line)
{
	struct rfc5424_line l;

	b->len = 0;
	rfc5424_line_split(fmt, line, strlen(line), &l);
	rfc5424_message_add(b, &l, NOW, "host1");
	buf_add_byte(b, '\0');
	return b->data;
}

/* A frame is "MSG-LEN SP MSG", the length in decimal, nothing after. */
START_TEST(test_frame_add)
{
	struct buf b = {0};

	rfc5424_frame_add(&b, "hello", 5);
	rfc5424_frame_add(&b, "", 0);
	rfc5424_frame_add(&b, "0123456789", 10);
	buf_add_byte(&b, '\0');
	ck_assert_str_eq(b.data, "5 hello0 10 0123456789");
	buf_free(&b);
}
END_TEST

/* A raw line is the MSG; the time is now, the APP-NAME tailmux, no
 * structured data. */
START_TEST(test_raw)
{
	struct buf b = {0};

	ck_assert_str_eq(message(&b, FORMAT_RAW, THEN " app a line"),
	                 "<14>1 " NOW " host1 tailmux - - - " THEN
	                 " app a line");
	buf_free(&b);
}
END_TEST

/* A tagged line gives its time and its tag. */
START_TEST(test_tagged)
{
	struct buf b = {0};

	ck_assert_str_eq(message(&b, FORMAT_TAGGED, THEN " web GET / 200"),
	                 "<14>1 " THEN " host1 web - - - GET / 200");
	ck_assert_str_eq(message(&b, FORMAT_TAGGED, THEN " web "),
	                 "<14>1 " THEN " host1 web - - - ");
	/* Not as tagged writes it: all message. */
	ck_assert_str_eq(message(&b, FORMAT_TAGGED, "no time here"),
	                 "<14>1 " NOW " host1 tailmux - - - no time here");
	ck_assert_str_eq(message(&b, FORMAT_TAGGED, THEN " web"),
	                 "<14>1 " NOW " host1 tailmux - - - " THEN " web");
	ck_assert_str_eq(
	    message(&b, FORMAT_TAGGED, "2026-11-24T15:38:40.12345xZ web x"),
	    "<14>1 " NOW " host1 tailmux - - - "
	    "2026-11-24T15:38:40.12345xZ web x");
	buf_free(&b);
}
END_TEST

/* A json line gives its time, tag and path, unescaped; the path goes into
 * the structured data, escaped as PARAM-VALUE. */
START_TEST(test_json)
{
	struct buf b = {0};

	ck_assert_str_eq(
	    message(&b, FORMAT_JSON,
	            "{\"time\":\"" THEN "\",\"tag\":\"web\",\"path\":"
	            "\"/var/log/a]\\\"b\\\\.log\",\"line\":\"say "
	            "\\\"hi\\\"\\t\\u00ff\"}"),
	    "<14>1 " THEN " host1 web - - [tailmux@32473 "
	    "path=\"/var/log/a\\]\\\"b\\\\.log\"] say \"hi\"\t\xff");
	/* An escape format_json_escape() never writes: all message. */
	ck_assert_str_eq(
	    message(&b, FORMAT_JSON,
	            "{\"time\":\"" THEN "\",\"tag\":\"web\",\"path\":\"/p\","
	            "\"line\":\"\\u20ac\"}"),
	    "<14>1 " NOW " host1 tailmux - - - {\"time\":\"" THEN
	    "\",\"tag\":\"web\",\"path\":\"/p\",\"line\":\"\\u20ac\"}");
	/* Something after the object: all message. */
	ck_assert_str_eq(message(&b, FORMAT_JSON,
	                         "{\"time\":\"" THEN
	                         "\",\"tag\":\"w\",\"path\":\"/p\","
	                         "\"line\":\"x\"} "),
	                 "<14>1 " NOW " host1 tailmux - - - {\"time\":\"" THEN
	                 "\",\"tag\":\"w\",\"path\":\"/p\",\"line\":\"x\"} ");
	buf_free(&b);
}
END_TEST

/* APP-NAME is printable US-ASCII, at most 48 characters. */
START_TEST(test_app_name)
{
	struct buf b = {0};
	char line[256];

	ck_assert_str_eq(message(&b, FORMAT_TAGGED, THEN " caf\xc3\xa9 x"),
	                 "<14>1 " THEN " host1 caf__ - - - x");
	snprintf(line, sizeof line, "%s %s x", THEN,
	         "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
	ck_assert_str_eq(message(&b, FORMAT_TAGGED, line),
	                 "<14>1 " THEN " host1 "
	                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv"
	                 " - - - x");
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rfc5424");
	TCase *tc = tcase_create("rfc5424");

	tcase_add_test(tc, test_frame_add);
	tcase_add_test(tc, test_raw);
	tcase_add_test(tc, test_tagged);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_app_name);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
