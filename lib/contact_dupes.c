/*
 * Likely duplicate contacts: one grouped query per reason, over keys
 * computed by two SQL functions registered on the connection for the
 * call (crm_fold for names, crm_phone_key for phones), so that a million
 * contacts cost a scan and a sort each, never a comparison of pairs.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_merge.h"
#include "crm_util.h"

const char *const crm_dupes_columns[] = {
	"reason", "key", "company_id", "ids", NULL
};

/* U+00C0..U+00FF and U+0100..U+017F without their accents; '*': kept. */
static const char latin1[] =
	"AAAAAA*CEEEEIIIIDNOOOOO*OUUUUY**aaaaaa*ceeeeiiiidnooooo*ouuuuy*y";
static const char latin_a[] =
	"aaaaaa" "cccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh"
	"iiiiiiiiii" "**" "jj" "kkk" "llllllllll" "nnnnnnnnn" "oooooo" "**"
	"rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";
_Static_assert(sizeof(latin1) == 65 && sizeof(latin_a) == 129,
    "one letter per code point");

/* Greek letters with a tonos, and final sigma, to their plain letter. */
static const uint32_t greek[][2] = {
	{ 0x386, 0x3B1 }, { 0x388, 0x3B5 }, { 0x389, 0x3B7 },
	{ 0x38A, 0x3B9 }, { 0x38C, 0x3BF }, { 0x38E, 0x3C5 },
	{ 0x38F, 0x3C9 }, { 0x3AC, 0x3B1 }, { 0x3AD, 0x3B5 },
	{ 0x3AE, 0x3B7 }, { 0x3AF, 0x3B9 }, { 0x3CC, 0x3BF },
	{ 0x3CD, 0x3C5 }, { 0x3CE, 0x3C9 }, { 0x3C2, 0x3C3 },
};

/* One code point at s into *cp; its length.  A bad byte is itself. */
static size_t
decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] >= 0xC2 && s[0] < 0xE0 && (s[1] & 0xC0) == 0x80) {
		*cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
		return 2;
	}
	if (s[0] >= 0xE0 && s[0] < 0xF0 && (s[1] & 0xC0) == 0x80 &&
	    (s[2] & 0xC0) == 0x80) {
		*cp = (uint32_t)(s[0] & 0x0F) << 12 |
		    (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
		return 3;
	}
	*cp = s[0];
	return 1;
}

static void
encode(uint32_t cp, struct crm_buf *out)
{
	if (cp < 0x80)
		crm_buf_addch(out, (int)cp);
	else if (cp < 0x800) {
		crm_buf_addch(out, (int)(0xC0 | cp >> 6));
		crm_buf_addch(out, (int)(0x80 | (cp & 0x3F)));
	} else {
		crm_buf_addch(out, (int)(0xE0 | cp >> 12));
		crm_buf_addch(out, (int)(0x80 | (cp >> 6 & 0x3F)));
		crm_buf_addch(out, (int)(0x80 | (cp & 0x3F)));
	}
}

/* The folded form of one letter: text in *s, or a code point. */
static uint32_t
fold_cp(uint32_t cp, const char **s)
{
	size_t i;
	char c;

	*s = NULL;
	if (cp == 0xC6 || cp == 0xE6)
		*s = "ae";
	else if (cp == 0xDE || cp == 0xFE)
		*s = "th";
	else if (cp == 0xDF)
		*s = "ss";
	else if (cp == 0x152 || cp == 0x153)
		*s = "oe";
	else if (cp == 0x132 || cp == 0x133)
		*s = "ij";
	else if (cp >= 0xC0 && cp < 0x180) {
		c = cp < 0x100 ? latin1[cp - 0xC0] : latin_a[cp - 0x100];
		return c == '*' ? cp : (uint32_t)tolower((unsigned char)c);
	} else if (cp >= 0x391 && cp <= 0x3A9)
		return cp + 0x20;
	else if (cp >= 0x410 && cp <= 0x42F)
		return cp + 0x20;
	else if (cp == 0x401 || cp == 0x451)
		return 0x435;		/* ё is written е as often as not */
	else if (cp >= 0x400 && cp <= 0x40F)
		return cp + 0x50;
	for (i = 0; i < sizeof(greek) / sizeof(greek[0]); i++)
		if (greek[i][0] == cp)
			return greek[i][1];
	return cp < 0x80 ? (uint32_t)tolower((int)cp) : cp;
}

void
crm_merge_fold(const char *s, struct crm_buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *text;
	size_t start = out->len;
	uint32_t cp;
	size_t n;
	int blank = 0, bad;

	while (*p != '\0') {
		n = decode(p, &cp);
		bad = n == 1 && *p >= 0x80;	/* kept as it is */
		p += n;
		if (cp >= 0x300 && cp <= 0x36F)
			continue;	/* a combining accent */
		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
		    cp == 0xA0) {
			blank = out->len > start;
			continue;
		}
		if (blank)
			crm_buf_addch(out, ' ');
		blank = 0;
		if (bad) {
			crm_buf_addch(out, (int)cp);
			continue;
		}
		cp = fold_cp(cp, &text);
		if (text != NULL)
			crm_buf_adds(out, text);
		else
			encode(cp, out);
	}
}

int
crm_merge_phone_key(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (isalpha((unsigned char)*s) || *s == '#')
			break;	/* an extension: "x12", "ext. 12" */
		if (!isdigit((unsigned char)*s))
			continue;
		if (n + 1 >= outsz)
			return -1;
		out[n++] = *s;
	}
	out[n] = '\0';
	if (n >= 2 && out[0] == '0' && out[1] == '0') {
		memmove(out, out + 2, n - 1);	/* "0049" is "+49" */
		n -= 2;
	}
	return n >= 7 ? 0 : -1;
}

static void
fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	struct crm_buf b = CRM_BUF_INIT;

	if (s != NULL)
		crm_merge_fold(s, &b);
	if (b.len == 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, crm_buf_detach(&b), -1, free);
}

static void
phone_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	char key[32];

	if (s == NULL || crm_merge_phone_key(s, key, sizeof(key)) != 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
}

/* One query per reason: key, company id (or NULL), ids as a JSON array. */
static const struct reason {
	const char	*name;
	int		 bit;
	const char	*sql;
} reasons[] = {
	{ "email", CRM_DUPES_EMAIL,
	    "SELECT lower(trim(email, ' ' || char(9, 10, 13))) AS k, NULL,"
	    " json_group_array(id) FROM contacts WHERE email IS NOT NULL"
	    " GROUP BY k HAVING k != '' AND count(*) > 1 ORDER BY k" },
	{ "phone", CRM_DUPES_PHONE,
	    "SELECT crm_phone_key(phone) AS k, NULL, json_group_array(id)"
	    " FROM contacts WHERE phone IS NOT NULL"
	    " GROUP BY k HAVING k IS NOT NULL AND count(*) > 1 ORDER BY k" },
	/* People at the same company; companies whatever their parent. */
	{ "name", CRM_DUPES_NAME,
	    "SELECT crm_fold(name) AS k,"
	    " CASE kind WHEN 'person' THEN company_id END AS co,"
	    " json_group_array(id) FROM contacts"
	    " WHERE name != '' AND forgotten_at IS NULL"
	    " AND (kind = 'company' OR company_id IS NOT NULL)"
	    " GROUP BY k, kind, co HAVING k IS NOT NULL AND count(*) > 1"
	    " ORDER BY k, kind, co" },
};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

struct crm_error *
crm_merge_parse_reasons(const char *s, int *bits)
{
	const char *names[NREASONS], *hint;
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_error *err = NULL;
	size_t i, k;

	*bits = 0;
	for (k = 0; k < NREASONS; k++)
		names[k] = reasons[k].name;
	crm_strv_split(&sv, s, ',');
	for (i = 0; i < sv.n && err == NULL; i++) {
		for (k = 0; k < NREASONS; k++)
			if (strcmp(sv.v[i], reasons[k].name) == 0)
				break;
		if (k < NREASONS) {
			*bits |= reasons[k].bit;
			continue;
		}
		hint = crm_suggest(sv.v[i], names, NREASONS);
		err = crm_error_new(CRM_EXIT_USAGE, "unknown reason \"%s\" "
		    "(%s%s%s)", sv.v[i], hint ? "did you mean \"" :
		    "use email, phone or name", hint ? hint : "",
		    hint ? "\"?" : "");
	}
	if (err == NULL && *bits == 0)
		err = crm_error_new(CRM_EXIT_USAGE, "no reason given (use "
		    "email, phone or name)");
	crm_strv_clear(&sv);
	return err;
}

static int
cmp_id(const void *a, const void *b)
{
	sqlite3_int64 x = *(const sqlite3_int64 *)a;
	sqlite3_int64 y = *(const sqlite3_int64 *)b;

	return x < y ? -1 : x > y;
}

/* The group record of the current row; the caller deletes it. */
static cJSON *
group_record(sqlite3_stmt *st, const struct reason *r)
{
	cJSON *rec = cJSON_CreateObject(), *ids, *v;
	sqlite3_int64 *v64;
	size_t i = 0, n;

	cJSON_AddStringToObject(rec, "reason", r->name);
	cJSON_AddItemToObject(rec, "key", crm_db_column_json(st, 0));
	if (r->bit == CRM_DUPES_NAME)
		cJSON_AddItemToObject(rec, "company_id",
		    crm_db_column_json(st, 1));
	ids = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
	n = (size_t)cJSON_GetArraySize(ids);
	v64 = crm_xcalloc(n + 1, sizeof(*v64));
	cJSON_ArrayForEach(v, ids)
		v64[i++] = (sqlite3_int64)cJSON_GetNumberValue(v);
	qsort(v64, n, sizeof(*v64), cmp_id);
	cJSON_Delete(ids);
	ids = cJSON_AddArrayToObject(rec, "ids");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)v64[i]));
	free(v64);
	return rec;
}

struct crm_error *
crm_merge_dupes(struct crm_db *db, int bits,
    int (*fn)(const cJSON *, void *), void *arg)
{
	const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	cJSON *rec;
	size_t k;
	int rc, stop = 0;

	if (sqlite3_create_function(db->sql, "crm_fold", 1, flags, NULL,
	    fold_fn, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db->sql, "crm_phone_key", 1, flags, NULL,
	    phone_fn, NULL, NULL) != SQLITE_OK)
		return crm_db_error(db, sqlite3_errcode(db->sql));
	for (k = 0; k < NREASONS && err == NULL && !stop; k++) {
		if (!(bits & reasons[k].bit))
			continue;
		if ((err = crm_db_prepare(db, reasons[k].sql, &st)) != NULL)
			break;
		while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			rec = group_record(st, &reasons[k]);
			stop = fn(rec, arg);
			cJSON_Delete(rec);
		}
		if (!stop && rc != SQLITE_DONE)
			err = crm_db_error(db, rc);
		sqlite3_finalize(st);
	}
	return err;
}
