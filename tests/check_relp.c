/* check_relp.c -- RELP frames built and parsed on synthetic bytes. */
#include "autoconf.h"

#include "buf.h"
#include "relp.h"

#include "tmcheck.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

/* A frame is "TXNR SP COMMAND SP DATALEN [SP DATA] LF". */
START_TEST(test_frame_add)
{
	struct buf b = {0};

	relp_frame_add(&b, 1, "open", RELP_OFFERS, strlen(RELP_OFFERS));
	relp_frame_add(&b, 2, "syslog", "hello world", 11);
	relp_frame_add(&b, 3, "close", NULL, 0);
	buf_add_byte(&b, '\0');
	ck_assert_str_eq(b.data,
	                 "1 open 52 relp_version=0\nrelp_software=tailmux\n"
	                 "commands=syslog\n"
	                 "2 syslog 11 hello world\n"
	                 "3 close 0\n");
	buf_free(&b);
}
END_TEST

/* Transaction numbers run from 1 to 999999999, then start again at 1. */
START_TEST(test_txnr_next)
{
	ck_assert_uint_eq(relp_txnr_next(1), 2);
	ck_assert_uint_eq(relp_txnr_next(RELP_TXNR_MAX - 1), RELP_TXNR_MAX);
	ck_assert_uint_eq(relp_txnr_next(RELP_TXNR_MAX), 1);
}
END_TEST

/* What a server sends parses back, frame by frame, however it is cut. */
START_TEST(test_parse_stream)
{
	static const char in[] = "1 rsp 93 200 OK\nrelp_version=0\n"
	                         "relp_software=librelp,1.11.0,"
	                         "http://librelp.adiscon.com\n"
	                         "commands=syslog\n"
	                         "2 rsp 6 200 OK\n"
	                         "0 serverclose 0\n";
	struct relp_frame f;
	const char *why;
	size_t used, off = 0;
	int r;

	/* Every prefix short of a whole frame asks for more. */
	for (size_t n = 0; n < 103; n++) {
		r = relp_parse(in, n, &f, &used, &why);
		ck_assert_msg(r == 0, "prefix %zu: %d", n, r);
	}
	ck_assert_int_eq(relp_parse(in, strlen(in), &f, &used, &why), 1);
	ck_assert_uint_eq(f.txnr, 1);
	ck_assert_str_eq(f.command, "rsp");
	ck_assert_uint_eq(f.len, 93);
	ck_assert_int_eq(relp_rsp_code(&f), 200);
	ck_assert(relp_open_ok(&f));
	off += used;
	ck_assert_int_eq(
	    relp_parse(in + off, strlen(in) - off, &f, &used, &why), 1);
	ck_assert_uint_eq(f.txnr, 2);
	ck_assert_int_eq(relp_rsp_code(&f), 200);
	ck_assert(!relp_open_ok(&f));
	off += used;
	ck_assert_int_eq(
	    relp_parse(in + off, strlen(in) - off, &f, &used, &why), 1);
	ck_assert_uint_eq(f.txnr, 0);
	ck_assert_str_eq(f.command, "serverclose");
	ck_assert_uint_eq(f.len, 0);
	off += used;
	ck_assert_uint_eq(off, strlen(in));
}
END_TEST

/* Bytes that are no frame are refused with a reason. */
START_TEST(test_parse_bad)
{
	static const char *const bad[] = {
	    "x rsp 0\n",        "1 r2p 0\n",
	    "1  rsp 0\n",       "1 rsp x\n",
	    "1 rsp 3 abcd\n",   "1234567890 rsp 0\n",
	    "1 rsp 5\nabcde\n", "1 rsp 99999999 ",
	    "1 rsp 0 \n",       "1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n",
	};
	struct relp_frame f;
	const char *why;
	size_t used;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		ck_assert_msg(
		    relp_parse(bad[i], strlen(bad[i]), &f, &used, &why) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

/* A rsp's code and text; an error answer is no open. */
START_TEST(test_rsp)
{
	static const char in[] = "3 rsp 26 500 error - failed to open\n";
	struct relp_frame f;
	const char *why;
	char text[16];
	size_t used;

	ck_assert_int_eq(relp_parse(in, strlen(in), &f, &used, &why), 1);
	ck_assert_int_eq(relp_rsp_code(&f), 500);
	relp_rsp_text(&f, text, sizeof text);
	ck_assert_str_eq(text, "error - failed ");
	ck_assert(!relp_open_ok(&f));
	f.data = "20";
	f.len = 2;
	ck_assert_int_eq(relp_rsp_code(&f), -1);
	f.data = "2000";
	f.len = 4;
	ck_assert_int_eq(relp_rsp_code(&f), -1);
}
END_TEST

/* An open is accepted only with a version and the syslog command. */
START_TEST(test_open_ok)
{
	static const struct {
		const char *data;
		int ok;
	} cases[] = {
	    {"200 OK\nrelp_version=0\ncommands=syslog", 1},
	    {"200 OK\nrelp_version=1\ncommands=eventlog,syslog", 1},
	    {"200 OK\nrelp_version=0\ncommands=syslogx", 0},
	    {"200 OK\ncommands=syslog", 0},
	    {"200 OK\nrelp_version=0", 0},
	    {"500 no\nrelp_version=0\ncommands=syslog", 0},
	};
	struct relp_frame f = {.txnr = 1, .command = "rsp"};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		f.data = cases[i].data;
		f.len = strlen(cases[i].data);
		ck_assert_msg(relp_open_ok(&f) == cases[i].ok, "case %zu", i);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("relp");
	TCase *tc = tcase_create("relp");

	tcase_add_test(tc, test_frame_add);
	tcase_add_test(tc, test_txnr_next);
	tcase_add_test(tc, test_parse_stream);
	tcase_add_test(tc, test_parse_bad);
	tcase_add_test(tc, test_rsp);
	tcase_add_test(tc, test_open_ok);
	suite_add_tcase(s, tc);
	return tmcheck_run(s);
}
