/*
 * Money: ISO 4217 currencies, amounts as integer minor units, exchange
 * rates as decimal text.  No floating point anywhere on this path: an
 * amount is parsed from its decimal text into an int64_t count of minor
 * units (cents, yen, fils), summed as integers and printed back digit for
 * digit; a conversion multiplies by the rate's decimal digits in 128-bit
 * integer arithmetic and rounds once, half to even.
 *
 * Owns the table rates.
 */
#ifndef CRM_MONEY_H
#define CRM_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/* The largest amount, in minor units: 15 digits. */
#define CRM_MONEY_MAX	INT64_C(999999999999999)
/* Room for any formatted amount or sum, with sign and NUL. */
#define CRM_MONEY_LEN	32
/* Rates: at most this many digits in all, and after the point. */
#define CRM_RATE_DIGITS	18
#define CRM_RATE_SCALE	12

struct crm_currency {
	char	 code[4];	/* "EUR" */
	int	 digits;	/* minor-unit digits: 0 JPY, 2 EUR, 3 BHD */
};

/*
 * The active ISO 4217 currency with code, in any case ("eur" is EUR), or
 * NULL.  Codes without minor units (gold, test codes, XDR) are not money
 * here and are not in the table.  The result is static.
 */
const struct crm_currency *crm_currency_find(const char *code);
/* The table, sorted by code; *n is its length. */
const struct crm_currency *crm_currency_table(size_t *n);
/*
 * The currency named by text, or a CRM_EXIT_USAGE error `unknown currency
 * "EUX" (did you mean "EUR"?)`.
 */
struct crm_error *crm_currency_parse(const char *text,
	    const struct crm_currency **cur);
/*
 * An SQL expression for the decimal value of the integer amount column
 * amount in the currency column currency, for comparisons in filters
 * ("d.amount / 100.0" with the right divisor per currency).  The result
 * is the caller's to free().
 */
char	*crm_money_value_sql(const char *amount, const char *currency);

/*
 * Parse text, a non-negative decimal with "." as the point and no more
 * decimals than cur has ("1234.5", "1234.50", "100" for JPY; extra
 * decimals are allowed only when they are zeros), into *minor.  Blanks
 * around it are ignored.  Errors are CRM_EXIT_USAGE, for the caller to
 * re-code: `invalid amount "1,234.50": use "." for the decimals and no
 * thousands separators`, `... cannot be negative`, `... EUR has 2
 * decimals`, `... too large`.
 */
struct crm_error *crm_money_parse(const char *text,
	    const struct crm_currency *cur, int64_t *minor);
/* Format minor units with digits decimals: 123450, 2 → "1234.50". */
void	 crm_money_format(int64_t minor, int digits,
	    char out[CRM_MONEY_LEN]);
/*
 * Re-express an amount with from digits in to digits (EUR → USD keeps
 * the face value: 1234.50 stays 1234.50); -1 when it does not fit (a
 * fraction JPY cannot hold, or overflow).
 */
int	 crm_money_rescale(int64_t minor, int from, int to, int64_t *out);
/* num / den rounded half to even; den > 0, num >= 0. */
int64_t	 crm_money_div_round(int64_t num, int64_t den);
/*
 * The face value of minor units with digits decimals, as a count of
 * 1/10000 units, for ordering amounts in different currencies.
 */
uint64_t crm_money_face(int64_t minor, int digits);

/* A rate: mant / 10^scale, > 0. */
struct crm_rate {
	uint64_t mant;
	int	 scale;
};

/*
 * Parse a rate, a positive decimal ("1.08", "0.0061", "160"), of at most
 * CRM_RATE_DIGITS digits with at most CRM_RATE_SCALE after the point.
 * CRM_EXIT_USAGE errors.  crm_rate_format writes it back without
 * redundant zeros.
 */
struct crm_error *crm_rate_parse(const char *text, struct crm_rate *r);
void	 crm_rate_format(const struct crm_rate *r, char out[CRM_MONEY_LEN]);

/*
 * Convert amount, in minor units of a currency with from digits, into
 * minor units of one with to digits at rate (1 unit of from is rate units
 * of to; with invert set, 1 unit of to is rate units of from), rounded
 * half to even.  An error (CRM_EXIT_FAIL) when the result overflows.
 */
struct crm_error *crm_money_convert(int64_t amount, int from, int to,
	    const struct crm_rate *r, int invert, int64_t *out);

/*
 * The rates table: "1 FROM = RATE TO".  crm_rate_set adds or replaces
 * (an event "rate"/"set"), crm_rate_delete removes one (an error when
 * there is none).  Currencies are given as parsed.
 */
struct crm_error *crm_rate_set(struct crm_db *db,
	    const struct crm_currency *from, const struct crm_currency *to,
	    const struct crm_rate *r);
struct crm_error *crm_rate_delete(struct crm_db *db,
	    const struct crm_currency *from, const struct crm_currency *to);
/* The fields of a rate record: from, to, rate, updated_at. */
extern const char *const crm_rate_columns[];
/* Call fn with each rate record (borrowed), by from and to. */
struct crm_error *crm_rate_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);
/*
 * The rate to convert from into to: the one set for that pair, else the
 * inverse of the one set for to into from (*invert set).  None is a
 * CRM_EXIT_FAIL error that says how to set one.
 */
struct crm_error *crm_rate_get(struct crm_db *db, const char *from,
	    const char *to, struct crm_rate *r, int *invert);

/*
 * A converter of amounts in any currency into one, exactly, for C and for
 * SQL: crm_money_conv_register() makes NAME(minor, currency) return the
 * minor units of cv->to (NULL for a NULL amount), through
 * crm_money_convert(), so that sums of converted amounts stay exact
 * integers.  The rate of each currency is read once with crm_rate_get():
 * ahead with crm_money_conv_add() (to name what is missing before a
 * statement runs), or else when the converter first meets it.  With
 * cv->to NULL nothing is converted: amounts pass through.
 *
 *	struct crm_money_conv cv;
 *
 *	crm_money_conv_init(&cv, db, to);
 *	err = crm_money_conv_register(&cv, "report_convert");
 *	... "SELECT sum(report_convert(d.amount, d.currency)) ..." ...
 *	err = crm_money_conv_error(&cv, crm_report_rows(db, st, r));
 *	crm_money_conv_release(&cv);
 */
struct crm_money_conv_rate {
	const struct crm_currency *cur;	/* from */
	struct crm_rate	 r;
	int		 inv;		/* r is the rate of to into cur */
};

struct crm_money_conv {
	struct crm_db	*db;		/* borrowed */
	const struct crm_currency *to;	/* static, or NULL: no conversion */
	struct crm_money_conv_rate *v;	/* the rates read so far */
	size_t		 n;
	struct crm_error *err;		/* the first failure inside SQL */
	const char	*name;		/* the SQL function, when registered */
};

/* Set cv up to convert into to (NULL: pass amounts through), no rates. */
void	 crm_money_conv_init(struct crm_money_conv *cv, struct crm_db *db,
	    const struct crm_currency *to);
/*
 * Read the rate of code into cv->to, unless it is cv->to or read already.
 * A code not in the ISO table (CRM_EXIT_FAIL `amounts in unknown currency
 * "XYZ"`) or without a rate (crm_rate_get()'s error) is an error.
 */
struct crm_error *crm_money_conv_add(struct crm_money_conv *cv,
	    const char *code);
/* minor units of code into *out, in minor units of cv->to. */
struct crm_error *crm_money_conv_amount(struct crm_money_conv *cv,
	    int64_t minor, const char *code, int64_t *out);
/*
 * Make name(minor, currency) an SQL function of cv->db, until
 * crm_money_conv_release().  name is static text; cv must stay put.
 */
struct crm_error *crm_money_conv_register(struct crm_money_conv *cv,
	    const char *name);
/*
 * The error of a statement that called the SQL function: the converter's
 * own first failure (freeing err), which names the currency and carries
 * the right exit status, else err itself.  Both are the caller's to free.
 */
struct crm_error *crm_money_conv_error(struct crm_money_conv *cv,
	    struct crm_error *err);
/* Unregister the SQL function, free the rates and any kept error. */
void	 crm_money_conv_release(struct crm_money_conv *cv);

#endif
