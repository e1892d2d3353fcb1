/*
 * lib/money.c: the ISO 4217 table, parsing and printing amounts, rates,
 * conversion with half-even rounding, all in integers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_money.h"
#include "tap.h"

static const struct crm_currency *
cur(const char *code)
{
	const struct crm_currency *c = crm_currency_find(code);

	if (c == NULL) {
		printf("Bail out! no currency %s\n", code);
		exit(1);
	}
	return c;
}

/* Parse text in code: the minor units, or -1 and the message in msg. */
static int64_t
parse(const char *text, const char *code, char *msg, size_t n)
{
	struct crm_error *err;
	int64_t v = -1;

	*msg = '\0';
	if ((err = crm_money_parse(text, cur(code), &v)) != NULL) {
		snprintf(msg, n, "%s", err->msg);
		ok(err->code == CRM_EXIT_USAGE, "\"%s\" %s: a usage error",
		    text, code);
		crm_error_free(err);
		return -1;
	}
	return v;
}

static void
accepts(const char *text, const char *code, int64_t want)
{
	char msg[200];

	is_int(parse(text, code, msg, sizeof(msg)), want, "\"%s\" %s is %lld",
	    text, code, (long long)want);
	if (*msg)
		printf("#   %s\n", msg);
}

static void
refuses(const char *text, const char *code, const char *want)
{
	char msg[200];

	is_int(parse(text, code, msg, sizeof(msg)), -1, "\"%s\" %s refused",
	    text, code);
	is_str(msg, want, "\"%s\" %s: the message", text, code);
}

static void
test_table(void)
{
	const struct crm_currency *t;
	size_t n, i;
	int sorted = 1;

	t = crm_currency_table(&n);
	for (i = 1; i < n; i++)
		if (strcmp(t[i - 1].code, t[i].code) >= 0)
			sorted = 0;
	ok(sorted && n > 150, "the table is sorted, %zu codes", n);
	is_int(cur("JPY")->digits, 0, "JPY has no minor unit");
	is_int(cur("USD")->digits, 2, "USD has 2 digits");
	is_int(cur("EUR")->digits, 2, "EUR has 2 digits");
	is_int(cur("BHD")->digits, 3, "BHD has 3 digits");
	is_int(cur("KWD")->digits, 3, "KWD has 3 digits");
	is_int(cur("CLF")->digits, 4, "CLF has 4 digits");
	is_str(crm_currency_find("eur")->code, "EUR", "codes in any case");
	ok(crm_currency_find("XAU") == NULL, "gold is no currency here");
	ok(crm_currency_find("EURO") == NULL && crm_currency_find("") == NULL,
	    "nor anything not three letters");
	ok(crm_currency_find("HRK") == NULL, "a withdrawn code is unknown");
}

static void
test_parse(void)
{
	accepts("1234.5", "EUR", 123450);
	accepts("1234.50", "EUR", 123450);
	accepts("1234", "EUR", 123400);
	accepts("  0.01 ", "EUR", 1);
	accepts("0", "EUR", 0);
	accepts("007.10", "USD", 710);
	accepts("1.500", "EUR", 150);
	accepts("100", "JPY", 100);
	accepts("100.0", "JPY", 100);
	accepts("1.234", "BHD", 1234);
	accepts("9999999999999.99", "EUR", INT64_C(999999999999999));
	accepts("999999999999999", "JPY", INT64_C(999999999999999));
	refuses("0.005", "EUR", "invalid amount \"0.005\": EUR has 2 decimals");
	refuses("1,234.50", "EUR", "invalid amount \"1,234.50\": use \".\" for "
	    "the decimals and no thousands separators");
	refuses("1234,5", "EUR", "invalid amount \"1234,5\": use \".\" for "
	    "the decimals and no thousands separators");
	refuses("-5", "EUR", "invalid amount \"-5\": cannot be negative");
	refuses("100.5", "JPY", "invalid amount \"100.5\": JPY has no "
	    "decimals");
	refuses("1.2345", "BHD", "invalid amount \"1.2345\": BHD has 3 "
	    "decimals");
	refuses("10000000000000.00", "EUR", "invalid amount "
	    "\"10000000000000.00\": too large (at most 9999999999999.99 EUR)");
	refuses("99999999999999999999999", "EUR", "invalid amount "
	    "\"99999999999999999999999\": too large (at most "
	    "9999999999999.99 EUR)");
	refuses("1000000000000000", "JPY", "invalid amount "
	    "\"1000000000000000\": too large (at most 999999999999999 JPY)");
	refuses("", "EUR", "invalid amount \"\": expected a number such as "
	    "1234.50");
	refuses("1e5", "EUR", "invalid amount \"1e5\": expected digits with an "
	    "optional \".\", such as 1234.50");
	refuses("12.", "EUR", "invalid amount \"12.\": expected digits with an "
	    "optional \".\", such as 1234.50");
	refuses(".5", "EUR", "invalid amount \".5\": expected digits with an "
	    "optional \".\", such as 1234.50");
	refuses("+5", "EUR", "invalid amount \"+5\": expected digits with an "
	    "optional \".\", such as 1234.50");
	refuses("€12", "EUR", "invalid amount \"€12\": expected digits "
	    "with an optional \".\", such as 1234.50");
	refuses("12 000", "EUR", "invalid amount \"12 000\": expected digits "
	    "with an optional \".\", such as 1234.50");
}

static void
test_format(void)
{
	char buf[CRM_MONEY_LEN];

	crm_money_format(123450, 2, buf);
	is_str(buf, "1234.50", "123450 cents print as 1234.50");
	crm_money_format(5, 2, buf);
	is_str(buf, "0.05", "5 cents print as 0.05");
	crm_money_format(0, 2, buf);
	is_str(buf, "0.00", "zero keeps its decimals");
	crm_money_format(100, 0, buf);
	is_str(buf, "100", "yen print without a point");
	crm_money_format(1234, 3, buf);
	is_str(buf, "1.234", "fils print with three decimals");
	crm_money_format(-150, 2, buf);
	is_str(buf, "-1.50", "a negative sum keeps its sign");
	crm_money_format(INT64_MAX, 2, buf);
	is_str(buf, "92233720368547758.07", "the largest int64");
}

static void
test_rescale(void)
{
	int64_t v = 0;

	ok(crm_money_rescale(123450, 2, 3, &v) == 0 && v == 1234500,
	    "EUR 1234.50 is BHD 1234.500");
	ok(crm_money_rescale(12300, 2, 0, &v) == 0 && v == 123,
	    "EUR 123.00 is JPY 123");
	ok(crm_money_rescale(12350, 2, 0, &v) == -1,
	    "EUR 123.50 has no JPY face value");
	is_int(crm_money_div_round(25, 10), 2, "2.5 rounds to 2 (even)");
	is_int(crm_money_div_round(35, 10), 4, "3.5 rounds to 4 (even)");
	is_int(crm_money_div_round(26, 10), 3, "2.6 rounds to 3");
	is_int(crm_money_div_round(24, 10), 2, "2.4 rounds to 2");
	ok(crm_money_face(100, 0) > crm_money_face(9999, 2),
	    "JPY 100 is more face value than EUR 99.99");
}

static struct crm_rate
rate(const char *text)
{
	struct crm_rate r = { 0, 0 };
	struct crm_error *err = crm_rate_parse(text, &r);

	ok(err == NULL, "rate \"%s\" parses", text);
	crm_error_free(err);
	return r;
}

static int64_t
conv(int64_t amount, const char *from, const char *to, const char *r,
    int invert)
{
	struct crm_rate rt = rate(r);
	struct crm_error *err;
	int64_t out = -1;

	err = crm_money_convert(amount, cur(from)->digits, cur(to)->digits,
	    &rt, invert, &out);
	crm_error_free(err);
	return err ? -2 : out;
}

static void
test_rates(void)
{
	struct crm_rate r;
	struct crm_error *err;
	char buf[CRM_MONEY_LEN];

	r = rate("1.0800");
	crm_rate_format(&r, buf);
	is_str(buf, "1.08", "trailing zeros go");
	r = rate("160");
	crm_rate_format(&r, buf);
	is_str(buf, "160", "a whole rate");
	err = crm_rate_parse("0", &r);
	ok(err != NULL && err->code == CRM_EXIT_USAGE,
	    "a rate of 0 is refused");
	crm_error_free(err);
	err = crm_rate_parse("1,08", &r);
	ok(err != NULL, "a decimal comma is refused");
	crm_error_free(err);
	err = crm_rate_parse("0.0000000000001", &r);
	ok(err != NULL, "more than 12 decimals are refused");
	crm_error_free(err);
	/* Found by tests/fuzz/money_fuzz.c: a long integer part read the
	 * fraction through an unset pointer. */
	err = crm_rate_parse("12345678901234567890.5", &r);
	is_str(err ? err->msg : NULL, "invalid rate \"12345678901234567890.5\": "
	    "at most 18 digits, 12 of them after the point",
	    "an integer part of 20 digits is refused");
	crm_error_free(err);

	is_int(conv(10000, "EUR", "USD", "1.08", 0), 10800,
	    "EUR 100.00 at 1.08 is USD 108.00");
	is_int(conv(1, "EUR", "USD", "1.5", 0), 2,
	    "EUR 0.01 at 1.5 is USD 0.015: half to even, 0.02");
	is_int(conv(3, "EUR", "USD", "1.5", 0), 4,
	    "EUR 0.03 at 1.5 is USD 0.045: half to even, 0.04");
	is_int(conv(5, "EUR", "USD", "1.5", 0), 8,
	    "EUR 0.05 at 1.5 is USD 0.075: half to even, 0.08");
	is_int(conv(30000, "USD", "EUR", "1.08", 1), 27778,
	    "USD 300.00 through EUR-USD 1.08 inverted is EUR 277.78");
	is_int(conv(99, "JPY", "EUR", "0.0061", 0), 60,
	    "JPY 99 at 0.0061 is EUR 0.6039, 0.60");
	is_int(conv(12345, "EUR", "JPY", "161.5", 0), 19937,
	    "EUR 123.45 at 161.5 is JPY 19937.1675, 19937");
	is_int(conv(1000, "BHD", "EUR", "2.45", 0), 245,
	    "BHD 1.000 at 2.45 is EUR 2.45");
	is_int(conv(INT64_C(999999999999999), "EUR", "JPY", "999999", 0), -2,
	    "an overflow is an error, not a wrap");
	is_int(conv(INT64_C(999999999999999), "EUR", "USD", "1.08", 0),
	    INT64_C(1079999999999999), "the largest amount converts exactly");
}

/* The shared converter: rates read once, in C and as an SQL function. */
static void
test_conv(struct crm_db *db)
{
	struct crm_money_conv cv;
	struct crm_error *err;
	sqlite3_stmt *st;
	int64_t out = 0;

	crm_error_free(crm_rate_set(db, cur("USD"), cur("EUR"),
	    &(struct crm_rate){ 5, 1 }));
	crm_error_free(crm_rate_set(db, cur("EUR"), cur("JPY"),
	    &(struct crm_rate){ 160, 0 }));
	crm_money_conv_init(&cv, db, NULL);
	err = crm_money_conv_amount(&cv, 123, "USD", &out);
	ok(err == NULL && out == 123, "no target: amounts pass through");
	crm_money_conv_release(&cv);

	crm_money_conv_init(&cv, db, cur("EUR"));
	err = crm_money_conv_amount(&cv, 8000, "USD", &out);
	ok(err == NULL && out == 4000, "USD 80.00 at 0.5 is EUR 40.00");
	err = crm_money_conv_amount(&cv, 12000, "JPY", &out);
	ok(err == NULL && out == 7500,
	    "JPY 12000 through EUR-JPY 160 inverted is EUR 75.00");
	is_int((int64_t)cv.n, 2, "each rate read once");
	err = crm_money_conv_add(&cv, "GBP");
	is_str(err ? err->msg : NULL, "no rate from GBP to EUR (set one with "
	    "crm-deal rate set GBP EUR RATE)", "a missing rate is named");
	crm_error_free(err);
	err = crm_money_conv_add(&cv, "XYZ");
	is_str(err ? err->msg : NULL, "amounts in unknown currency \"XYZ\"",
	    "an unknown code is named");
	crm_error_free(err);

	ok(crm_money_conv_register(&cv, "conv") == NULL, "register conv()");
	err = crm_db_prepare(db, "SELECT sum(conv(column1, column2)) FROM"
	    " (VALUES (100, 'EUR'), (8000, 'USD'), (NULL, 'USD'),"
	    " (160, 'JPY'))", &st);
	if (err == NULL && sqlite3_step(st) == SQLITE_ROW)
		is_int(sqlite3_column_int64(st, 0), 100 + 4000 + 100,
		    "conv() in SQL: exact sums, NULL skipped");
	else
		ok(0, "conv() in SQL");
	sqlite3_finalize(st);
	crm_error_free(err);
	err = crm_db_prepare(db, "SELECT conv(100, 'GBP')", &st);
	if (err == NULL)
		err = crm_money_conv_error(&cv, crm_db_step_done(db, st));
	ok(err != NULL && err->code == CRM_EXIT_FAIL && strcmp(err->msg,
	    "no rate from GBP to EUR (set one with crm-deal rate set GBP EUR "
	    "RATE)") == 0, "a statement's failure is the converter's error");
	crm_error_free(err);
	crm_money_conv_release(&cv);
	err = crm_db_prepare(db, "SELECT conv(1, 'EUR')", &st);
	ok(err != NULL, "released: conv() is gone");
	crm_error_free(err);
}

int
main(void)
{
	char path[] = "/tmp/money_test.XXXXXX";
	struct crm_db *db = NULL;
	struct crm_error *err;
	const struct crm_currency *c;
	int fd;

	test_table();
	test_parse();
	test_format();
	test_rescale();
	test_rates();
	err = crm_currency_parse("EUX", &c);
	is_str(err ? err->msg : NULL, "unknown currency \"EUX\" (did you mean "
	    "\"EUR\"?)", "an unknown code suggests a near one");
	crm_error_free(err);
	if ((fd = mkstemp(path)) >= 0) {
		close(fd);
		setenv("CRM_USER", "tester", 1);
		if ((err = crm_db_open(path, CRM_DB_WRITE, &db)) == NULL)
			test_conv(db);
		else
			ok(0, "open a database");
		crm_error_free(err);
		crm_db_close(db);
		unlink(path);
	}
	return done_testing();
}
