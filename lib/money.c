/*
 * Money: the ISO 4217 table, amounts parsed and printed as decimal text
 * over integer minor units, rates and conversion in 128-bit integers.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_money.h"
#include "crm_util.h"

const char crm_money_schema_1[] =
	"CREATE TABLE rates ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" base TEXT NOT NULL,"
	" quote TEXT NOT NULL,"
	" rate TEXT NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" UNIQUE (base, quote));";

/*
 * The active ISO 4217 codes with their minor-unit digits (ISO 4217
 * amendment list as of 2025: ANG gone for XCG, ZWL for ZWG, HRK for EUR,
 * SLL for SLE).  Codes whose minor unit is "N.A." (XAU, XDR, XTS, XXX...)
 * are left out: they are not amounts a deal is priced in.  Sorted.
 */
static const struct crm_currency currencies[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "AOA", 2 },
	{ "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 },
	{ "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 }, { "BIF", 0 },
	{ "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 }, { "BRL", 2 },
	{ "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 }, { "BZD", 2 },
	{ "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 }, { "CHW", 2 },
	{ "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "COU", 2 },
	{ "CRC", 2 }, { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 }, { "DJF", 0 },
	{ "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 },
	{ "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 },
	{ "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 }, { "GNF", 0 },
	{ "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 }, { "HTG", 2 },
	{ "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "IQD", 3 },
	{ "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 },
	{ "KES", 2 }, { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 },
	{ "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 },
	{ "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 },
	{ "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 },
	{ "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 },
	{ "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 },
	{ "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 },
	{ "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 },
	{ "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 },
	{ "RON", 2 }, { "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 },
	{ "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 },
	{ "SHP", 2 }, { "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 },
	{ "STN", 2 }, { "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 },
	{ "TJS", 2 }, { "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 },
	{ "TTD", 2 }, { "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 },
	{ "USD", 2 }, { "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 },
	{ "UZS", 2 }, { "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 },
	{ "WST", 2 }, { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 },
	{ "XPF", 0 }, { "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};
#define NCURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

static const int64_t p10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, INT64_C(10000000000), INT64_C(100000000000),
	INT64_C(1000000000000), INT64_C(10000000000000),
	INT64_C(100000000000000), INT64_C(1000000000000000),
	INT64_C(10000000000000000), INT64_C(100000000000000000),
	INT64_C(1000000000000000000)
};

const struct crm_currency *
crm_currency_table(size_t *n)
{
	*n = NCURRENCIES;
	return currencies;
}

static int
cmp_code(const void *key, const void *elem)
{
	return strcmp(key, ((const struct crm_currency *)elem)->code);
}

const struct crm_currency *
crm_currency_find(const char *code)
{
	char up[4];
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)code[i]))
			return NULL;
		up[i] = (char)toupper((unsigned char)code[i]);
	}
	if (code[3] != '\0')
		return NULL;
	up[3] = '\0';
	return bsearch(up, currencies, NCURRENCIES, sizeof(currencies[0]),
	    cmp_code);
}

struct crm_error *
crm_currency_parse(const char *text, const struct crm_currency **cur)
{
	const char *codes[NCURRENCIES], *hint;
	size_t i;

	if ((*cur = crm_currency_find(text)) != NULL)
		return NULL;
	for (i = 0; i < NCURRENCIES; i++)
		codes[i] = currencies[i].code;
	hint = strlen(text) == 3 ? crm_suggest(text, codes, NCURRENCIES) :
	    NULL;
	if (hint != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "unknown currency \"%s\" "
		    "(did you mean \"%s\"?)", text, hint);
	return crm_error_new(CRM_EXIT_USAGE, "unknown currency \"%s\": "
	    "expected an ISO 4217 code such as EUR, USD or JPY", text);
}

char *
crm_money_value_sql(const char *amount, const char *currency)
{
	struct crm_buf b = CRM_BUF_INIT;
	int d, first;
	size_t i;

	crm_buf_adds(&b, "(CASE");
	for (d = 0; d <= 4; d++) {
		if (d == 2)
			continue;
		first = 1;
		for (i = 0; i < NCURRENCIES; i++) {
			if (currencies[i].digits != d)
				continue;
			crm_buf_addf(&b, first ? " WHEN %s IN ('%s'" : ", '%s'",
			    first ? currency : currencies[i].code,
			    currencies[i].code);
			first = 0;
		}
		if (!first)
			crm_buf_addf(&b, ") THEN %s / %d.0", amount,
			    (int)p10[d]);
	}
	crm_buf_addf(&b, " ELSE %s / 100.0 END)", amount);
	return crm_buf_detach(&b);
}

/* The text of an amount for a message: at most 40 bytes of it. */
static const char *
quoted(const char *s, char buf[48])
{
	if (strlen(s) <= 40)
		return s;
	snprintf(buf, 48, "%.37s...", s);
	return buf;
}

/*
 * Digits "123" or "123.45" at s: the integer part in *ip (up to 18
 * digits past leading zeros), the fraction's digits at *fp, *nf of them.
 * -1 when s is not that shape, -2 when the integer part is too long.
 */
static int
decimal(const char *s, int64_t *ip, const char **fp, size_t *nf)
{
	size_t n = 0;

	/* Set before any return: crm_rate_parse reads them after -2. */
	*ip = 0;
	*fp = s;
	*nf = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	while (*s == '0' && isdigit((unsigned char)s[1]))
		s++;
	for (; isdigit((unsigned char)*s); s++) {
		if (++n > 18)
			return -2;
		*ip = *ip * 10 + (*s - '0');
	}
	*fp = s;
	*nf = 0;
	if (*s == '.') {
		*fp = ++s;
		for (; isdigit((unsigned char)*s); s++)
			(*nf)++;
		if (*nf == 0)
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

static struct crm_error *
bad_amount(const char *text, const char *why)
{
	char buf[48];

	return crm_error_new(CRM_EXIT_USAGE, "invalid amount \"%s\": %s",
	    quoted(text, buf), why);
}

static struct crm_error *
too_many_decimals(const char *text, const struct crm_currency *cur)
{
	char why[64];

	if (cur->digits == 0)
		snprintf(why, sizeof(why), "%s has no decimals", cur->code);
	else
		snprintf(why, sizeof(why), "%s has %d decimal%s", cur->code,
		    cur->digits, cur->digits == 1 ? "" : "s");
	return bad_amount(text, why);
}

struct crm_error *
crm_money_parse(const char *text, const struct crm_currency *cur,
    int64_t *minor)
{
	char *s = crm_trim(crm_xstrdup(text)), max[CRM_MONEY_LEN], why[80];
	struct crm_error *err = NULL;
	const char *frac = NULL;
	int64_t ip = 0, v;
	size_t nf = 0, i;
	int rc = 0;

	if (*s == '\0')
		err = bad_amount(s, "expected a number such as 1234.50");
	else if (*s == '-')
		err = bad_amount(s, "cannot be negative");
	else if (strchr(s, ',') != NULL)
		err = bad_amount(s, "use \".\" for the decimals and no "
		    "thousands separators");
	else if ((rc = decimal(s, &ip, &frac, &nf)) == -1)
		err = bad_amount(s, "expected digits with an optional \".\", "
		    "such as 1234.50");
	if (err != NULL)
		goto done;
	v = 0;
	for (i = (size_t)cur->digits; rc == 0 && i < nf; i++)
		if (frac[i] != '0') {
			err = too_many_decimals(s, cur);
			goto done;
		}
	for (i = 0; rc == 0 && i < (size_t)cur->digits; i++)
		v = v * 10 + (i < nf ? frac[i] - '0' : 0);
	if (rc == -2 || ip > CRM_MONEY_MAX / p10[cur->digits] ||
	    ip * p10[cur->digits] > CRM_MONEY_MAX - v) {
		crm_money_format(CRM_MONEY_MAX, cur->digits, max);
		snprintf(why, sizeof(why), "too large (at most %s %s)", max,
		    cur->code);
		err = bad_amount(s, why);
		goto done;
	}
	*minor = ip * p10[cur->digits] + v;
done:
	free(s);
	return err;
}

void
crm_money_format(int64_t minor, int digits, char out[CRM_MONEY_LEN])
{
	uint64_t u = minor < 0 ? (uint64_t)0 - (uint64_t)minor :
	    (uint64_t)minor;
	uint64_t p = (uint64_t)p10[digits];

	if (digits == 0)
		snprintf(out, CRM_MONEY_LEN, "%s%llu", minor < 0 ? "-" : "",
		    (unsigned long long)u);
	else
		snprintf(out, CRM_MONEY_LEN, "%s%llu.%0*llu",
		    minor < 0 ? "-" : "", (unsigned long long)(u / p), digits,
		    (unsigned long long)(u % p));
}

int
crm_money_rescale(int64_t minor, int from, int to, int64_t *out)
{
	int64_t p;

	if (to >= from) {
		p = p10[to - from];
		if (minor > INT64_MAX / p)
			return -1;
		*out = minor * p;
		return 0;
	}
	p = p10[from - to];
	if (minor % p != 0)
		return -1;
	*out = minor / p;
	return 0;
}

int64_t
crm_money_div_round(int64_t num, int64_t den)
{
	int64_t q = num / den, r = num % den;

	if (r > den - r || (r == den - r && (q & 1)))
		q++;
	return q;
}

uint64_t
crm_money_face(int64_t minor, int digits)
{
	return (uint64_t)minor * (uint64_t)p10[4 - digits];
}

/* Unsigned 128-bit integers, enough for amount * rate * 10^k. */
struct u128 {
	uint64_t hi, lo;
};

static struct u128
mul64(uint64_t a, uint64_t b)
{
	uint64_t a0 = a & 0xffffffff, a1 = a >> 32;
	uint64_t b0 = b & 0xffffffff, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
	struct u128 r;

	r.lo = (mid << 32) | (p00 & 0xffffffff);
	r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	return r;
}

/* a * b; -1 on overflow. */
static int
mul128(struct u128 a, uint64_t b, struct u128 *out)
{
	struct u128 lo = mul64(a.lo, b), hi = mul64(a.hi, b);

	if (hi.hi != 0 || lo.hi + hi.lo < lo.hi)
		return -1;
	out->lo = lo.lo;
	out->hi = lo.hi + hi.lo;
	return 0;
}

static int
cmp128(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static struct u128
sub128(struct u128 a, struct u128 b)
{
	struct u128 r;

	r.lo = a.lo - b.lo;
	r.hi = a.hi - b.hi - (a.lo < b.lo);
	return r;
}

/* n / d, by shift and subtract; *rem gets the remainder.  d != 0. */
static struct u128
div128(struct u128 n, struct u128 d, struct u128 *rem)
{
	struct u128 q = { 0, 0 }, r = { 0, 0 };
	int i;

	for (i = 127; i >= 0; i--) {
		r.hi = (r.hi << 1) | (r.lo >> 63);
		r.lo = (r.lo << 1) | (i >= 64 ? (n.hi >> (i - 64)) & 1 :
		    (n.lo >> i) & 1);
		if (cmp128(r, d) >= 0) {
			r = sub128(r, d);
			if (i >= 64)
				q.hi |= (uint64_t)1 << (i - 64);
			else
				q.lo |= (uint64_t)1 << i;
		}
	}
	*rem = r;
	return q;
}

struct crm_error *
crm_money_convert(int64_t amount, int from, int to, const struct crm_rate *r,
    int invert, int64_t *out)
{
	struct u128 num, den, q, rem, twice;
	int up;

	/* amount * mant * 10^to / (10^scale * 10^from), or inverted. */
	num = mul64((uint64_t)amount, invert ? (uint64_t)p10[r->scale] :
	    r->mant);
	den = mul64(invert ? r->mant : (uint64_t)p10[r->scale],
	    (uint64_t)p10[from]);
	if (amount < 0 || mul128(num, (uint64_t)p10[to], &num) != 0)
		goto overflow;
	q = div128(num, den, &rem);
	twice.hi = (rem.hi << 1) | (rem.lo >> 63);
	twice.lo = rem.lo << 1;
	up = rem.hi >> 63 || cmp128(twice, den) > 0 ||
	    (cmp128(twice, den) == 0 && (q.lo & 1));
	if (q.hi != 0 || q.lo + (uint64_t)up > (uint64_t)INT64_MAX)
		goto overflow;
	*out = (int64_t)(q.lo + (uint64_t)up);
	return NULL;
overflow:
	return crm_error_new(CRM_EXIT_FAIL, "amount too large to convert");
}

struct crm_error *
crm_rate_parse(const char *text, struct crm_rate *r)
{
	const char *s = text, *frac;
	char buf[48];
	int64_t ip;
	size_t nf, i;
	int rc;

	if (strchr(s, ',') != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "invalid rate \"%s\": use "
		    "\".\" for the decimals", quoted(text, buf));
	rc = decimal(s, &ip, &frac, &nf);
	if (rc == -1)
		return crm_error_new(CRM_EXIT_USAGE, "invalid rate \"%s\": "
		    "expected a positive decimal such as 1.08",
		    quoted(text, buf));
	while (nf > 0 && frac[nf - 1] == '0')
		nf--;
	r->mant = (uint64_t)ip;
	for (i = 0; rc == 0 && i < nf; i++) {
		if (r->mant > (UINT64_C(1000000000000000000) - 1) / 10)
			rc = -2;
		r->mant = r->mant * 10 + (uint64_t)(frac[i] - '0');
	}
	r->scale = (int)nf;
	if (rc == -2 || nf > CRM_RATE_SCALE ||
	    r->mant >= UINT64_C(1000000000000000000))
		return crm_error_new(CRM_EXIT_USAGE, "invalid rate \"%s\": at "
		    "most %d digits, %d of them after the point",
		    quoted(text, buf), CRM_RATE_DIGITS, CRM_RATE_SCALE);
	if (r->mant == 0)
		return crm_error_new(CRM_EXIT_USAGE, "invalid rate \"%s\": "
		    "must be above zero", quoted(text, buf));
	return NULL;
}

void
crm_rate_format(const struct crm_rate *r, char out[CRM_MONEY_LEN])
{
	uint64_t p = (uint64_t)p10[r->scale];

	if (r->scale == 0)
		snprintf(out, CRM_MONEY_LEN, "%llu",
		    (unsigned long long)r->mant);
	else
		snprintf(out, CRM_MONEY_LEN, "%llu.%0*llu",
		    (unsigned long long)(r->mant / p), r->scale,
		    (unsigned long long)(r->mant % p));
}

const char *const crm_rate_columns[] = {
	"from", "to", "rate", "updated_at", NULL
};

static struct crm_error *
rate_event(struct crm_db *db, sqlite3_int64 id, const char *action,
    const char *from, const char *to, const char *old, const char *new)
{
	struct crm_error *err;
	cJSON *c = cJSON_CreateObject(), *r;

	cJSON_AddStringToObject(c, "from", from);
	cJSON_AddStringToObject(c, "to", to);
	r = cJSON_AddObjectToObject(c, "rate");
	cJSON_AddItemToObject(r, "old", old ? cJSON_CreateString(old) :
	    cJSON_CreateNull());
	cJSON_AddItemToObject(r, "new", new ? cJSON_CreateString(new) :
	    cJSON_CreateNull());
	err = crm_db_event(db, "rate", id, action, c);
	cJSON_Delete(c);
	return err;
}

/* The id and text of the rate for a pair: *id 0 when none. */
static struct crm_error *
rate_row(struct crm_db *db, const char *from, const char *to,
    sqlite3_int64 *id, char text[CRM_MONEY_LEN])
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	text[0] = '\0';
	err = crm_db_prepare(db, "SELECT id, rate FROM rates"
	    " WHERE base = ? AND quote = ?", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(text, CRM_MONEY_LEN, "%s",
		    (const char *)sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_rate_set(struct crm_db *db, const struct crm_currency *from,
    const struct crm_currency *to, const struct crm_rate *r)
{
	char text[CRM_MONEY_LEN], old[CRM_MONEY_LEN], now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 id;

	if (strcmp(from->code, to->code) == 0)
		return crm_error_new(CRM_EXIT_USAGE, "a rate needs two "
		    "different currencies, got %s twice", from->code);
	crm_rate_format(r, text);
	if ((err = rate_row(db, from->code, to->code, &id, old)) != NULL ||
	    (id != 0 && strcmp(old, text) == 0))
		return err;
	crm_time_now(now);
	err = crm_db_prepare(db, "INSERT INTO rates (base, quote, rate,"
	    " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (base, quote)"
	    " DO UPDATE SET rate = excluded.rate,"
	    " updated_at = excluded.updated_at", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_text(st, 1, from->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	if (id == 0 && (err = rate_row(db, from->code, to->code, &id,
	    old)) != NULL)
		return err;
	return rate_event(db, id, "set", from->code, to->code,
	    *old != '\0' && strcmp(old, text) != 0 ? old : NULL, text);
}

struct crm_error *
crm_rate_delete(struct crm_db *db, const struct crm_currency *from,
    const struct crm_currency *to)
{
	char old[CRM_MONEY_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 id;

	if ((err = rate_row(db, from->code, to->code, &id, old)) != NULL)
		return err;
	if (id == 0)
		return crm_error_new(CRM_EXIT_FAIL, "no rate from %s to %s",
		    from->code, to->code);
	if ((err = crm_db_prepare(db, "DELETE FROM rates WHERE id = ?",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	return rate_event(db, id, "delete", from->code, to->code, old, NULL);
}

static cJSON *
rate_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; crm_rate_columns[i] != NULL; i++)
		cJSON_AddItemToObject(rec, crm_rate_columns[i],
		    crm_db_column_json(st, i));
	return rec;
}

struct crm_error *
crm_rate_list(struct crm_db *db, int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, "SELECT base, quote, rate, updated_at"
	    " FROM rates ORDER BY base, quote", &st)) != NULL)
		return err;
	return crm_db_each_row(db, st, rate_record, fn, arg);
}

struct crm_error *
crm_rate_get(struct crm_db *db, const char *from, const char *to,
    struct crm_rate *r, int *invert)
{
	char text[CRM_MONEY_LEN];
	struct crm_error *err;
	sqlite3_int64 id;

	*invert = 0;
	if ((err = rate_row(db, from, to, &id, text)) != NULL)
		return err;
	if (id == 0) {
		*invert = 1;
		if ((err = rate_row(db, to, from, &id, text)) != NULL)
			return err;
	}
	if (id == 0)
		return crm_error_new(CRM_EXIT_FAIL, "no rate from %s to %s "
		    "(set one with crm-deal rate set %s %s RATE)", from, to,
		    from, to);
	err = crm_rate_parse(text, r);
	if (err != NULL)
		err->code = CRM_EXIT_FAIL;
	return err;
}

/*
 * The converter: the rates of the currencies met so far into cv->to, a
 * short list, since a report or a pass meets a handful of currencies.
 */
static struct crm_money_conv_rate *
conv_find(struct crm_money_conv *cv, const char *code)
{
	size_t i;

	for (i = 0; i < cv->n; i++)
		if (strcmp(cv->v[i].cur->code, code) == 0)
			return &cv->v[i];
	return NULL;
}

void
crm_money_conv_init(struct crm_money_conv *cv, struct crm_db *db,
    const struct crm_currency *to)
{
	memset(cv, 0, sizeof(*cv));
	cv->db = db;
	cv->to = to;
}

struct crm_error *
crm_money_conv_add(struct crm_money_conv *cv, const char *code)
{
	struct crm_money_conv_rate *r;
	const struct crm_currency *cur;
	struct crm_error *err;

	if (cv->to == NULL || strcmp(code, cv->to->code) == 0 ||
	    conv_find(cv, code) != NULL)
		return NULL;
	if ((cur = crm_currency_find(code)) == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "amounts in unknown "
		    "currency \"%s\"", code);
	cv->v = crm_xrealloc(cv->v, (cv->n + 1) * sizeof(*cv->v));
	r = &cv->v[cv->n];
	r->cur = cur;
	if ((err = crm_rate_get(cv->db, cur->code, cv->to->code, &r->r,
	    &r->inv)) != NULL)
		return err;
	cv->n++;
	return NULL;
}

struct crm_error *
crm_money_conv_amount(struct crm_money_conv *cv, int64_t minor,
    const char *code, int64_t *out)
{
	struct crm_money_conv_rate *r;
	struct crm_error *err;

	if (cv->to == NULL || strcmp(code, cv->to->code) == 0) {
		*out = minor;
		return NULL;
	}
	if ((r = conv_find(cv, code)) == NULL) {
		if ((err = crm_money_conv_add(cv, code)) != NULL)
			return err;
		r = conv_find(cv, code);
	}
	return crm_money_convert(minor, r->cur->digits, cv->to->digits,
	    &r->r, r->inv, out);
}

/*
 * NAME(minor, currency).  A failure is kept in cv, whose error says more
 * (and with the right exit status) than the statement's "SQL logic
 * error" would.
 */
static void
conv_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct crm_money_conv *cv = sqlite3_user_data(ctx);
	const char *code = (const char *)sqlite3_value_text(argv[1]);
	struct crm_error *err;
	int64_t out;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (code == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "an amount without a "
		    "currency");
	else
		err = crm_money_conv_amount(cv, sqlite3_value_int64(argv[0]),
		    code, &out);
	if (err == NULL) {
		sqlite3_result_int64(ctx, out);
		return;
	}
	sqlite3_result_error(ctx, err->msg, -1);
	if (cv->err == NULL)
		cv->err = err;
	else
		crm_error_free(err);
}

struct crm_error *
crm_money_conv_register(struct crm_money_conv *cv, const char *name)
{
	if (sqlite3_create_function(cv->db->sql, name, 2,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, cv, conv_func, NULL,
	    NULL) != SQLITE_OK)
		return crm_db_error(cv->db, sqlite3_errcode(cv->db->sql));
	cv->name = name;
	return NULL;
}

struct crm_error *
crm_money_conv_error(struct crm_money_conv *cv, struct crm_error *err)
{
	if (cv->err == NULL)
		return err;
	crm_error_free(err);
	err = cv->err;
	cv->err = NULL;
	return err;
}

void
crm_money_conv_release(struct crm_money_conv *cv)
{
	if (cv->name != NULL)
		sqlite3_create_function(cv->db->sql, cv->name, 2, SQLITE_UTF8,
		    NULL, NULL, NULL, NULL);
	crm_error_free(cv->err);
	free(cv->v);
	memset(cv, 0, sizeof(*cv));
}
