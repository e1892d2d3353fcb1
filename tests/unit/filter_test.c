/*
 * The filter language: generated SQL, error messages, and above all what
 * the filters select from a real SQLite database, hostile input included.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crm_error.h"
#include "crm_filter.h"
#include "crm_util.h"
#include "tap.h"

#define TAGS "EXISTS (SELECT 1 FROM contact_tags t" \
	" WHERE t.contact_id = c.id AND t.tag %s)"
#define TAGS_(cond) "EXISTS (SELECT 1 FROM contact_tags t" \
	" WHERE t.contact_id = c.id AND t.tag " cond ")"

static const struct crm_field fields[] = {
	{ "id", "c.id", CRM_FT_INT },
	{ "name", "c.name", CRM_FT_TEXT },
	{ "email", "c.email", CRM_FT_TEXT },
	{ "stage", "c.stage", CRM_FT_TEXT },
	{ "score", "c.score", CRM_FT_INT },
	{ "opt_in", "c.opt_in", CRM_FT_BOOL },
	{ "created_at", "c.created_at", CRM_FT_TIME },
	{ "tag", TAGS, CRM_FT_SET },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct crm_fieldset fs = { fields, NFIELDS, "c.fields", NULL };
static const struct crm_fieldset fs_plain = { fields, NFIELDS, NULL, NULL };

static sqlite3 *db;

static const char schema[] =
    "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT,"
    " email TEXT, stage TEXT, score INTEGER, opt_in INTEGER,"
    " created_at TEXT, fields TEXT);"
    "CREATE TABLE contact_tags (contact_id INTEGER, tag TEXT);"
    "INSERT INTO contacts VALUES"
    " (1, 'Ada', 'ada@example.org', 'customer', 50, 1,"
    "  '2026-11-22T08:00:00Z', '{\"industry\":\"retail\",\"size\":40}'),"
    " (2, 'Bob', 'bob@test.net', 'lead', 10, 0,"
    "  '2026-11-21T23:59:59Z', '{\"industry\":\"tech\",\"size\":\"120\"}'),"
    " (3, '100% Carol', 'carol@Example.ORG', 'customer', NULL, 1,"
    "  '2026-10-01T00:00:00Z', NULL),"
    " (4, 'a_b', NULL, NULL, 40, NULL, NULL, '{\"industry\":\"Retail\"}'),"
    " (5, 'Dan', 'dan@example.com', 'lead', 3, 0,"
    "  '2025-01-01T00:00:00Z', '{\"size\":3.5}'),"
    " (6, 'Eve\\', 'eve@x.io', '', 0, 1, '2026-11-23T00:00:00Z', '{}');"
    "INSERT INTO contact_tags VALUES (1, 'vip'), (1, 'newsletter'),"
    " (2, 'newsletter'), (3, 'vip'), (5, 'VIP-old'), (6, '');";

/* The error message of compiling expr, or "ok". */
static char *
compile_msg(const char *expr, const struct crm_fieldset *set)
{
	static char buf[512];
	struct crm_filter *f = NULL;
	struct crm_error *err = crm_filter_compile(expr, set, &f);

	if (err == NULL)
		snprintf(buf, sizeof(buf), "ok");
	else
		snprintf(buf, sizeof(buf), "%s%s",
		    err->code == CRM_EXIT_USAGE ? "" : "(not usage) ",
		    err->msg);
	crm_error_free(err);
	crm_filter_free(f);
	return buf;
}

static const char *
errmsg(const char *expr)
{
	return compile_msg(expr, &fs);
}

/* The SQL of expr, or its error. */
static const char *
sql_of(const char *expr)
{
	static char buf[1024];
	struct crm_filter *f = NULL;
	struct crm_error *err = crm_filter_compile(expr, &fs, &f);

	if (err != NULL)
		snprintf(buf, sizeof(buf), "error: %s", err->msg);
	else
		snprintf(buf, sizeof(buf), "%s", crm_filter_sql(f));
	crm_error_free(err);
	crm_filter_free(f);
	return buf;
}

/* The values expr binds, quoted by SQLite, separated by spaces. */
static const char *
binds_of(const char *expr)
{
	static char out[1024];
	struct crm_buf q = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err = crm_filter_compile(expr, &fs, &f);
	sqlite3_stmt *st = NULL;
	int i, n;

	snprintf(out, sizeof(out), "error");
	if (err != NULL || (n = crm_filter_nparams(f)) == 0)
		goto done;
	crm_buf_adds(&q, "SELECT quote(?)");
	for (i = 1; i < n; i++)
		crm_buf_adds(&q, " || ' ' || quote(?)");
	if (sqlite3_prepare_v2(db, q.buf, -1, &st, NULL) == SQLITE_OK &&
	    crm_filter_bind(f, st, 1) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
done:
	sqlite3_finalize(st);
	crm_buf_release(&q);
	crm_error_free(err);
	crm_filter_free(f);
	return out;
}

/*
 * Run sql (with "%s" for the condition) on the test database: the ids
 * it returns as "1,3", "error: ..." for a filter error, "sqlite: ..."
 * for an SQLite error.
 */
static const char *
run_sql(const char *expr, const struct crm_fieldset *set, const char *tmpl)
{
	static char out[4096];
	struct crm_buf q = CRM_BUF_INIT, ids = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err = crm_filter_compile(expr, set, &f);
	sqlite3_stmt *st = NULL;
	int rc;

	if (err != NULL) {
		snprintf(out, sizeof(out), "error: %s", err->msg);
		goto done;
	}
	crm_buf_addf(&q, tmpl, crm_filter_sql(f));
	if ((rc = sqlite3_prepare_v2(db, q.buf, -1, &st, NULL)) != SQLITE_OK ||
	    (rc = crm_filter_bind(f, st, 1)) != SQLITE_OK) {
		snprintf(out, sizeof(out), "sqlite: %s", sqlite3_errmsg(db));
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_buf_addf(&ids, "%s%lld", ids.len ? "," : "",
		    (long long)sqlite3_column_int64(st, 0));
	if (rc != SQLITE_DONE)
		snprintf(out, sizeof(out), "sqlite: %s", sqlite3_errmsg(db));
	else
		snprintf(out, sizeof(out), "%s", crm_buf_str(&ids));
done:
	sqlite3_finalize(st);
	crm_buf_release(&q);
	crm_buf_release(&ids);
	crm_error_free(err);
	crm_filter_free(f);
	return out;
}

static const char *
ids(const char *expr)
{
	return run_sql(expr, &fs,
	    "SELECT c.id FROM contacts c WHERE (%s) ORDER BY c.id");
}

static char *
repeat(const char *s, size_t n, const char *tail)
{
	size_t len = strlen(s), i;
	char *p = crm_xmalloc(len * n + strlen(tail) + 1);

	for (i = 0; i < n; i++)
		memcpy(p + i * len, s, len);
	strcpy(p + n * len, tail);
	return p;
}

static void
test_sql(void)
{
	is_str(sql_of(""), "1", "empty expression is 1");
	is_str(sql_of(" \t\n "), "1", "blank expression is 1");
	is_str(sql_of("stage = customer"), "c.stage = ?", "=");
	is_str(sql_of("stage != customer"),
	    "(c.stage IS NULL OR c.stage != ?)", "!= is NULL-safe");
	is_str(sql_of("email ~ \"@example.org\""),
	    "c.email LIKE ? ESCAPE '\\'", "~ is LIKE");
	is_str(sql_of("email !~ x"),
	    "(c.email IS NULL OR c.email NOT LIKE ? ESCAPE '\\')", "!~");
	is_str(sql_of("tag = vip"), TAGS_("= ?"), "set =");
	is_str(sql_of("tag != vip"), "NOT " TAGS_("= ?"), "set !=");
	is_str(sql_of("tag ~ v"), TAGS_("LIKE ? ESCAPE '\\'"), "set ~");
	is_str(sql_of("tag in (a, b)"), TAGS_("IN (?, ?)"), "set in");
	is_str(sql_of("tag not in (a)"), "NOT " TAGS_("IN (?)"),
	    "set not in");
	is_str(sql_of("tag is set"), TAGS_("IS NOT NULL"), "set is set");
	is_str(sql_of("tag is empty"), "NOT " TAGS_("IS NOT NULL"),
	    "set is empty");
	is_str(sql_of("stage = customer and tag = vip or not opt_in"),
	    "((c.stage = ? AND " TAGS_("= ?") ") OR (c.opt_in = ?) IS NOT "
	    "TRUE)", "and, or, not");
	is_str(sql_of("a = 1 or (stage = a or stage = b)"),
	    "error: column 1: unknown field \"a\"", "unknown field");
	is_str(sql_of("stage = x or (stage = a or stage = b)"),
	    "(c.stage = ? OR c.stage = ? OR c.stage = ?)",
	    "nested or is flattened");
	is_str(sql_of("opt_in"), "c.opt_in = ?", "bare bool");
	is_str(sql_of("not not opt_in"), "c.opt_in = ?", "not not cancels");
	is_str(sql_of("not (stage = a or score > 3)"),
	    "(c.stage = ? OR c.score > ?) IS NOT TRUE", "not of a group");
	is_str(sql_of("fields.industry = retail"),
	    "json_extract(c.fields, ?) = ?", "custom field");
	is_str(sql_of("fields.size >= 40"),
	    "CAST(json_extract(c.fields, ?) AS NUMERIC) >= ?",
	    "custom field compared as a number");
	is_str(sql_of("fields.size >= '40'"),
	    "json_extract(c.fields, ?) >= ?", "quoted: as text");
	is_str(sql_of("created_at = 2026-11-01"),
	    "(c.created_at >= ? AND c.created_at < ?)", "day =");
	is_str(sql_of("created_at > -30d"), "c.created_at > ?", "relative");
	is_str(sql_of("score not in (1, 2)"),
	    "(c.score IS NULL OR c.score NOT IN (?, ?))", "not in");
	is_str(sql_of("name is set"),
	    "(c.name IS NOT NULL AND c.name != '')", "is set");
	is_str(sql_of("name is not set"), "(c.name IS NULL OR c.name = '')",
	    "is not set");
	is_str(sql_of("opt_in is empty"), "(c.opt_in IS NULL OR c.opt_in = 0)",
	    "bool is empty");
	is_str(sql_of("STAGE = x"), "error: column 1: unknown field "
	    "\"STAGE\" (did you mean \"stage\"?)", "fields are case-sensitive");
	is_str(sql_of("stage = x AND Not opt_in"),
	    "(c.stage = ? AND (c.opt_in = ?) IS NOT TRUE)",
	    "keywords in any case");
	is_str(sql_of("stage=x"), "c.stage = ?", "no blanks needed");
}

static void
test_binds(void)
{
	is_str(binds_of("email ~ \"50%_a\\\\b\""), "'%50\\%\\_a\\\\b%'",
	    "LIKE pattern escapes %% _ \\");
	is_str(binds_of("fields.industry = retail"), "'$.\"industry\"' "
	    "'retail'", "JSON path bound");
	is_str(binds_of("fields.size != 40"), "'$.\"size\"' '$.\"size\"' 40",
	    "path bound twice for !=");
	is_str(binds_of("score > 3.5 or score < -2"), "3.5 -2", "numbers");
	is_str(binds_of("opt_in = no or opt_in = TRUE"), "0 1", "booleans");
	is_str(binds_of("created_at > -30d"), "'2026-10-23T12:00:00Z'",
	    "-30d from CRM_NOW");
	is_str(binds_of("created_at = today"),
	    "'2026-11-22T00:00:00Z' '2026-11-23T00:00:00Z'", "today");
	is_str(binds_of("created_at > 2026-11-01"), "'2026-11-02T00:00:00Z'",
	    "> day means from the next day");
	is_str(binds_of("created_at <= 2026-11-01"), "'2026-11-02T00:00:00Z'",
	    "<= day means before the next day");
	is_str(binds_of("created_at < 2026-11-01"), "'2026-11-01T00:00:00Z'",
	    "< day");
	is_str(binds_of("created_at >= '2026-11-01 10:30:00+01:00'"),
	    "'2026-11-01T09:30:00Z'", "time with offset");
	is_str(binds_of("name = 'it''s'"), "error",
	    "single quotes have no escapes");
	is_str(binds_of("name = \"say \\\"hi\\\"\""), "'say \"hi\"'",
	    "\\\" in double quotes");
	is_str(binds_of("score = 99999999999999999999"), "1.0e+20",
	    "huge integer binds as a real");
}

static const struct {
	const char	*expr;
	const char	*want;
	const char	*name;
} errors[] = {
	{ "stag = x",
	    "column 1: unknown field \"stag\" (did you mean \"stage\"?)",
	    "unknown field with suggestion" },
	{ "opt_in and xyzzy = 1", "column 12: unknown field \"xyzzy\"",
	    "unknown, no suggestion" },
	{ "stage = and tag = vip", "column 9: expected a value after \"=\"",
	    "missing value" },
	{ "stage = ", "column 9: expected a value after \"=\"",
	    "missing value at end" },
	{ "name = ada foo", "column 12: unexpected \"foo\"",
	    "unexpected token after expression" },
	{ "(stage = x", "column 1: \"(\" is never closed",
	    "unclosed parenthesis" },
	{ "opt_in)", "column 7: unexpected \")\"",
	    "unopened parenthesis" },
	{ "(stage = x y)", "column 12: unexpected \"y\"",
	    "unexpected inside parentheses" },
	{ "()", "column 2: expected a field name, got \")\"",
	    "empty parentheses" },
	{ "stage customer", "column 7: expected an operator after \"stage\"",
	    "no operator" },
	{ "stage", "column 6: expected an operator after \"stage\"",
	    "field alone" },
	{ "tag in ()", "column 9: empty list after \"in\"",
	    "empty in list" },
	{ "tag in (a,", "column 11: expected a value after \",\"",
	    "list ends after a comma" },
	{ "tag in (a b)", "column 11: expected \",\" or \")\", got \"b\"",
	    "list separator" },
	{ "tag in (a", "column 8: \"(\" is never closed",
	    "list never closed" },
	{ "tag in a", "column 8: expected \"(\" after \"in\"",
	    "in without list" },
	{ "name = \"abc", "column 8: unterminated string",
	    "unterminated string" },
	{ "name = 'abc", "column 8: unterminated string",
	    "unterminated single-quoted string" },
	{ "score > abc",
	    "column 9: expected a number for \"score\", got \"abc\"",
	    "number expected" },
	{ "score in (1, 2x)",
	    "column 14: expected a number for \"score\", got \"2x\"",
	    "number expected in a list" },
	{ "created_at > xyz",
	    "column 14: expected a time for \"created_at\", got \"xyz\"",
	    "time expected" },
	{ "created_at ~ 2026", "column 12: cannot use \"~\" on \"created_at\"",
	    "~ on a time" },
	{ "tag < x", "column 5: cannot use \"<\" on \"tag\"",
	    "< on a set" },
	{ "opt_in > 0", "column 8: cannot use \">\" on \"opt_in\"",
	    "> on a bool" },
	{ "opt_in = maybe",
	    "column 10: expected true or false for \"opt_in\", got \"maybe\"",
	    "bool expected" },
	{ "fields.a.b = 1",
	    "column 1: invalid custom field name \"fields.a.b\"",
	    "deeper custom path" },
	{ "fields. = 1", "column 1: invalid custom field name \"fields.\"",
	    "empty name" },
	{ "stage = 'a' or",
	    "column 15: expected a field name at end of expression",
	    "dangling or" },
	{ "-30d = x", "column 1: expected a field name, got \"-30d\"",
	    "not a field" },
	{ "\"stage\" = x", "column 1: expected a field name, got \"\"stage\"\"",
	    "quoted field" },
	{ "stage ! x", "column 7: unexpected \"!\"",
	    "lone !" },
	{ "stage not x", "column 11: expected \"in\" after \"not\"",
	    "not without in" },
	{ "stage is x", "column 10: expected \"set\" or \"empty\" after \"is\"",
	    "is x" },
	{ "stage is not",
	    "column 13: expected \"set\" or \"empty\" after \"is not\"",
	    "is not at end" },
	{ "stage = \001x", "column 9: control character 0x01",
	    "control byte" },
	{ "name = \"a\x7f\"", "column 10: control character 0x7f",
	    "DEL" },
	{ "name = \xff", "column 8: invalid UTF-8",
	    "bad UTF-8" },
	{ "name = \xc3\xa9t\xc3\xa9", "ok",
	    "UTF-8 value" },
	{ "name = \xed\xa0\x80", "column 8: invalid UTF-8",
	    "surrogate" },
	{ "stage = x and",
	    "column 14: expected a field name at end of expression",
	    "dangling and" },
	{ "not", "column 4: expected a field name at end of expression",
	    "not alone" },
	{ "stage = x and and y", "column 15: expected a field name, got \"and\"",
	    "keyword for a field" },
};

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		is_str(errmsg(errors[i].expr), errors[i].want, "%s",
		    errors[i].name);
	is_str(compile_msg("fields.x = 1", &fs_plain),
	    "column 1: unknown field \"fields.x\"", "no custom fields");
}

static char	*close_parens(const char *);

/* s with as many ")" appended as it has "(" (s is reallocated). */
static char *
closed(char *s)
{
	char *t = close_parens(s);

	s = crm_xrealloc(s, strlen(s) + strlen(t) + 1);
	strcat(s, t);
	free(t);
	return s;
}

static void
test_depth(void)
{
	char *s;

	s = repeat("(", 100000, "");
	is_str(errmsg(s), "expression too long", "100,000 open parentheses");
	s[60000] = '\0';
	is_str(errmsg(s), "column 65: expression nested too deeply",
	    "60,000 open parentheses");
	free(s);
	s = repeat("not ", 100000, "opt_in");
	is_str(errmsg(s), "expression too long", "100,000 nots");
	s[16000 * 4] = '\0';
	is_str(errmsg(s), "column 257: expression nested too deeply",
	    "16,000 nots");
	free(s);
	s = closed(repeat("(", 64, "opt_in"));
	is_str(ids(s), "1,3,6", "64 parentheses are fine");
	s[0] = ' ';
	is_str(errmsg(s), "column 134: unexpected \")\"", "one too many )");
	free(s);
	s = repeat("not ", 64, "opt_in");
	is_str(ids(s), "1,3,6", "64 nots are fine");
	free(s);
	s = repeat("not ", 63, "opt_in");
	is_str(ids(s), "2,4,5", "63 nots");
	free(s);
	s = closed(repeat("score = 1 or (tag = a and (", 20, "tag = vip"));
	is_str(ids(s), "", "40 levels of or and and");
	free(s);
	s = closed(repeat("not (stage = a or ", 30, "tag = vip"));
	is_str(ids(s), "1,3", "60 levels of not and or");
	free(s);
	/* SQL too deep for SQLite is refused before SQLite sees it */
	s = closed(repeat("score = 1 or (tag = a and (", 30, "tag = vip"));
	is_str(errmsg(s), "column 258: expression nested too deeply",
	    "60 levels of or and and");
	free(s);
}

static void
test_size(void)
{
	char *s, *t;

	s = repeat("x", 1 << 20, "");
	is_str(errmsg(s), "expression too long", "1 MB expression");
	s[65537] = '\0';
	is_str(errmsg(s), "expression too long", "65,537 bytes");
	s[65536] = '\0';
	is_str(errmsg(s), "column 1: unknown field \"xxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx...\"", "65,536 bytes of field name, shortened");
	memset(s, ' ', 65536);
	is_str(sql_of(s), "1", "64 KB of blanks");
	free(s);
	/* SQLite refuses expressions more than 1000 deep: not this one */
	s = repeat("score = 1 or ", 4000, "score = 50");
	is_str(ids(s), "1", "4,000 operands in one or");
	free(s);
	s = repeat("1,", 12000, "50)");
	t = crm_xmalloc(strlen(s) + 32);
	sprintf(t, "score in (%s", s);
	is_str(errmsg(t), "column 1: too many values in expression",
	    "more than 10,000 values");
	t[20000] = '\0';
	strcat(t, "50)");
	is_str(ids(t), "1", "10,000 values");
	free(s);
	free(t);
}

/* As many ")" as s has "(". */
static char *
close_parens(const char *s)
{
	char *t = crm_xmalloc(strlen(s) + 1), *p = t;

	for (; *s != '\0'; s++)
		if (*s == '(')
			*p++ = ')';
	*p = '\0';
	return t;
}

/* Whatever shape: either a usage error or SQL that SQLite runs. */
static void
test_deep_shapes(void)
{
	static const char *const shapes[] = {
		"score = 1 or (tag = a and (", "not (stage = a or ",
		"tag = a or (not tag = b and (", "(not tag ~ x or (",
		"not (tag = a and not (tag = b or ", "opt_in and not (",
		"fields.x > 1 or (fields.y !~ 2 and (", "(((",
		"score = 1 and stage = 2 or (",
		/* 16 operands a level: SQLite's expression depth */
		"score = 1 or score = 1 or score = 1 or score = 1 or "
		"score = 1 or score = 1 or score = 1 or score = 1 or "
		"score = 1 or score = 1 or score = 1 or score = 1 or "
		"score = 1 or score = 1 or score = 1 or (id = 1 and id = 1 "
		"and id = 1 and id = 1 and id = 1 and id = 1 and id = 1 and "
		"id = 1 and id = 1 and id = 1 and id = 1 and id = 1 and "
		"id = 1 and id = 1 and id = 1 and ("
	};
	const char *r;
	char *s, *t;
	size_t i, d, bad = 0, ran = 0;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		for (d = 1; d <= 70; d++) {
			s = repeat(shapes[i], d, "tag = vip");
			t = close_parens(s);
			s = crm_xrealloc(s, strlen(s) + strlen(t) + 1);
			strcat(s, t);
			r = run_sql(s, &fs, "SELECT c.id FROM contacts c LEFT "
			    "JOIN contacts co ON co.id = c.id WHERE (%s) "
			    "ORDER BY c.id LIMIT 10");
			if (strncmp(r, "error: ", 7) == 0 &&
			    strstr(r, "nested too deeply") == NULL)
				bad++;
			else if (strncmp(r, "sqlite: ", 8) == 0) {
				bad++;
				printf("# %s: %s\n", shapes[i], r);
			} else if (strncmp(r, "error: ", 7) != 0)
				ran++;
			free(s);
			free(t);
		}
	is_int(bad, 0, "deep shapes: usage error or SQL that runs");
	ok(ran > 200, "deep shapes: most run (%zu)", ran);
}

static uint32_t seed = 12345;

static uint32_t
lcg(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 16;
}

static void
fuzz_one(const char *s, size_t *bad, size_t *good)
{
	const char *r = ids(s);

	if (strncmp(r, "sqlite: ", 8) == 0) {
		printf("# sqlite error for [%s]: %s\n", s, r);
		(*bad)++;
	} else if (strncmp(r, "error: column ", 14) != 0 &&
	    strncmp(r, "error: ", 7) == 0 && strstr(r, "too long") == NULL) {
		printf("# odd error for [%s]: %s\n", s, r);
		(*bad)++;
	} else if (strncmp(r, "error: ", 7) != 0)
		(*good)++;
	r = compile_msg(s, &fs);
	if (strncmp(r, "(not usage)", 11) == 0)
		(*bad)++;
}

/* A random expression, mostly well-formed, into b. */
static void
gen(struct crm_buf *b, int depth)
{
	static const char *const f[] = {
		"stage", "name", "email", "score", "opt_in", "created_at",
		"tag", "fields.size", "fields.industry", "id"
	};
	static const char *const op[] = {
		"=", "!=", "<", "<=", ">", ">=", "~", "!~"
	};
	static const char *const v[] = {
		"customer", "lead", "vip", "40", "3.5", "-30d", "today",
		"2026-11-01", "true", "no", "''", "\"a b\"", "'%'", "_", "x",
		"0", "retail", "\"\\\"\""
	};
#define PICK(a) (a)[lcg() % (sizeof(a) / sizeof((a)[0]))]

	switch (lcg() % (depth > 5 ? 3 : 7)) {
	case 0:
		crm_buf_addf(b, "%s %s %s", PICK(f), PICK(op), PICK(v));
		break;
	case 1:
		crm_buf_addf(b, "%s %sin (%s, %s)", PICK(f),
		    lcg() % 2 ? "not " : "", PICK(v), PICK(v));
		break;
	case 2:
		crm_buf_addf(b, "%s is %s%s", PICK(f), lcg() % 2 ? "not " : "",
		    lcg() % 2 ? "set" : "empty");
		break;
	case 3:
		crm_buf_adds(b, "not ");
		gen(b, depth + 1);
		break;
	case 4:
	case 5:
		crm_buf_addch(b, '(');
		gen(b, depth + 1);
		crm_buf_adds(b, lcg() % 2 ? " and " : " or ");
		gen(b, depth + 1);
		crm_buf_addch(b, ')');
		break;
	default:
		gen(b, depth + 1);
		crm_buf_adds(b, " or ");
		gen(b, depth + 1);
	}
}

static void
test_fuzz(void)
{
	static const char *const alpha[] = {
		"stage", "tag", "opt_in", "score", "created_at", "fields.x",
		"name", "and", "or", "not", "in", "is", "set", "empty", "(",
		")", ",", "=", "!=", "<", "<=", ">", ">=", "~", "!~", "\"",
		"'", "\\", "vip", "-30d", "today", "40", "3.5", "x", " ", "!",
		"fields.", "stag", "\t", "true", "2026-11-01", "\xc3\xa9",
		"\x01", "%", "_", " ", " ", "AND", "Not", "id", "email",
		"fields.size", "'a b'", "\"c\\\"d\"", "yes", "-1", "1e5"
	};
	size_t na = sizeof(alpha) / sizeof(alpha[0]);
	char buf[512];
	size_t i, k, n, len, bad = 0, good = 0;

	for (i = 0; i < 5000; i++) {
		n = 1 + lcg() % 24;
		buf[0] = '\0';
		for (k = 0, len = 0; k < n; k++) {
			const char *tok = alpha[lcg() % na];

			if (len + strlen(tok) + 2 >= sizeof(buf))
				break;
			strcat(buf, tok);
			if (lcg() % 2)
				strcat(buf, " ");
			len = strlen(buf);
		}
		fuzz_one(buf, &bad, &good);
	}
	for (i = 0; i < 3000; i++) {
		n = lcg() % 64;
		for (k = 0; k < n; k++)
			buf[k] = (char)(1 + lcg() % 255);
		buf[n] = '\0';
		fuzz_one(buf, &bad, &good);
	}
	is_int(bad, 0, "8,000 random strings: no SQLite error");
	ok(good > 50, "some random strings compile and run (%zu)", good);
	bad = good = 0;
	for (i = 0; i < 3000; i++) {
		struct crm_buf b = CRM_BUF_INIT;

		gen(&b, 0);
		if (i % 3 == 0 && b.len > 0)	/* and a typo */
			b.buf[lcg() % b.len] = " ()=!<>~,'\"x"[lcg() % 13];
		fuzz_one(b.buf, &bad, &good);
		crm_buf_release(&b);
	}
	is_int(bad, 0, "3,000 random expressions: no SQLite error");
	ok(good > 600, "most random expressions compile and run (%zu)", good);
}

static const struct {
	const char	*expr;
	const char	*want;
} runs[] = {
	{ "", "1,2,3,4,5,6" },
	{ "stage = customer", "1,3" },
	{ "stage = Customer", "" },
	{ "stage != customer", "2,4,5,6" },
	{ "not stage = customer", "2,4,5,6" },
	{ "stage in (lead, customer)", "1,2,3,5" },
	{ "stage not in (lead)", "1,3,4,6" },
	{ "stage is set", "1,2,3,5" },
	{ "stage is empty", "4,6" },
	{ "stage is not empty", "1,2,3,5" },
	{ "email ~ example", "1,3,5" },
	{ "email ~ \"@EXAMPLE.org\"", "1,3" },
	{ "email !~ example", "2,4,6" },
	{ "name ~ \"%\"", "3" },
	{ "name ~ _", "4" },
	{ "name ~ '\\'", "6" },
	{ "name = 'Eve\\'", "6" },
	{ "name = \"Eve\\\\\"", "6" },
	{ "name = \"100% Carol\"", "3" },
	{ "score > 10", "1,4" },
	{ "score >= 10", "1,2,4" },
	{ "score < 10", "5,6" },
	{ "score <= 3.5", "5,6" },
	{ "score = 40", "4" },
	{ "score != 40", "1,2,3,5,6" },
	{ "score in (0, 3, 50)", "1,5,6" },
	{ "score not in (0, 3, 50)", "2,3,4" },
	{ "score is set", "1,2,4,5,6" },
	{ "score is empty", "3" },
	{ "score = \"40\"", "4" },
	{ "opt_in", "1,3,6" },
	{ "not opt_in", "2,4,5" },
	{ "opt_in = false", "2,5" },
	{ "opt_in != true", "2,4,5" },
	{ "opt_in = YES", "1,3,6" },
	{ "opt_in is empty", "2,4,5" },
	{ "opt_in is set", "1,3,6" },
	{ "opt_in in (0, no)", "2,5" },
	{ "tag = vip", "1,3" },
	{ "tag = VIP", "" },
	{ "tag != vip", "2,4,5,6" },
	{ "tag ~ vip", "1,3,5" },
	{ "tag !~ vip", "2,4,6" },
	{ "tag in (newsletter, vip)", "1,2,3" },
	{ "tag not in (newsletter, vip)", "4,5,6" },
	{ "tag is set", "1,2,3,5,6" },
	{ "tag is empty", "4" },
	{ "tag = ''", "6" },
	{ "created_at = today", "1" },
	{ "created_at = yesterday", "2" },
	{ "created_at = 2026-11-22", "1" },
	{ "created_at != 2026-11-22", "2,3,4,5,6" },
	{ "created_at > 2026-11-21", "1,6" },
	{ "created_at >= 2026-11-21", "1,2,6" },
	{ "created_at < 2026-11-21", "3,5" },
	{ "created_at <= 2026-11-21", "2,3,5" },
	{ "created_at > -30d", "1,2,6" },
	{ "created_at > -1y", "1,2,3,6" },
	{ "created_at < now", "1,2,3,5" },
	{ "created_at >= \"2026-11-22 08:00\"", "1,6" },
	{ "created_at in (today, 2025-01-01)", "1,5" },
	{ "created_at not in (today, 2025-01-01)", "2,3,4,6" },
	{ "created_at in (2026-11-23T00:00:00Z)", "6" },
	{ "created_at is empty", "4" },
	{ "fields.industry = retail", "1" },
	{ "fields.industry ~ retail", "1,4" },
	{ "fields.industry != retail", "2,3,4,5,6" },
	{ "fields.industry in (tech, Retail)", "2,4" },
	{ "fields.industry is set", "1,2,4" },
	{ "fields.industry is empty", "3,5,6" },
	{ "fields.size > 39", "1,2" },
	{ "fields.size = 120", "2" },
	{ "fields.size < 10", "5" },
	{ "fields.size != 40", "2,3,4,5,6" },
	{ "fields.size = '120'", "2" },
	{ "fields.size in (40, 3.5)", "1,5" },
	{ "fields.no-such_field is set", "" },
	{ "id = 3 or id = 5", "3,5" },
	{ "stage = customer and tag = vip and created_at > -30d", "1" },
	{ "email ~ \"@example.org\" or (stage in (DE, lead) and "
	    "not opt_in)", "1,2,3,5" },
	{ "fields.industry = retail and score >= 40", "1" },
	{ "not (stage = lead or opt_in)", "4" },
	{ "stage = customer or stage = lead and opt_in", "1,3" },
	{ "(stage = customer or stage = lead) and opt_in", "1,3" },
	{ "not not not opt_in", "2,4,5" },
	{ "NOT opt_in OR id IN (1)", "1,2,4,5" },
	{ "name = \"x'); drop table contacts; --\"", "" },
	{ "name = 'x\"); drop table contacts; --'", "" },
	{ "name = x;drop", "" },
};

static void
test_run(void)
{
	size_t i;

	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		is_str(ids(runs[i].expr), runs[i].want, "%s", runs[i].expr);
	is_str(run_sql("", &fs, "SELECT count(*) FROM contacts c WHERE %s"),
	    "6", "contacts still there after the injection attempts");
	is_str(run_sql("tag = vip", &fs, "SELECT count(*) FROM contact_tags "
	    "WHERE %s IS NOT NULL"), "sqlite: no such column: c.id",
	    "sanity: the runner reports SQLite errors");
}

static void
test_bind_offset(void)
{
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	int n = 0;

	err = crm_filter_compile("stage = customer and score > ?", &fs, &f);
	is_str(err ? err->msg : "", "column 30: expected a number for "
	    "\"score\", got \"?\"", "a ? is a value, not a parameter");
	crm_error_free(err);
	err = crm_filter_compile("stage = customer or score > 5", &fs, &f);
	ok(err == NULL, "compiles");
	is_int(crm_filter_nparams(f), 2, "two parameters");
	sqlite3_prepare_v2(db, "SELECT c.id FROM contacts c WHERE c.id > ? "
	    "AND (" "(c.stage = ? OR c.score > ?)" ") ORDER BY c.id", -1, &st,
	    NULL);
	is_str(crm_filter_sql(f), "(c.stage = ? OR c.score > ?)", "sql");
	sqlite3_bind_int64(st, 1, 2);
	is_int(crm_filter_bind(f, st, 2), SQLITE_OK, "binds from 2");
	while (sqlite3_step(st) == SQLITE_ROW)
		n = n * 10 + sqlite3_column_int(st, 0);
	is_int(n, 34, "own parameter first, the filter's after it");
	sqlite3_reset(st);
	is_int(crm_filter_bind(f, st, 3), SQLITE_RANGE,
	    "SQLite's rc on a bad index");
	sqlite3_finalize(st);
	crm_filter_free(f);
	crm_filter_free(NULL);
	ok(1, "crm_filter_free(NULL)");
}

static const char *
sort_of(const char *spec, const char *tiebreak)
{
	static char buf[512];
	struct crm_error *err;
	char *sql = NULL;

	if ((err = crm_sort_compile(spec, &fs, tiebreak, &sql)) != NULL) {
		snprintf(buf, sizeof(buf), "error%s: %s",
		    err->code == CRM_EXIT_USAGE ? "" : " (not usage)",
		    err->msg);
		crm_error_free(err);
		ok(sql == NULL, "no SQL on error");
	} else
		snprintf(buf, sizeof(buf), "%s", sql);
	free(sql);
	return buf;
}

static void
test_sort(void)
{
	char q[512];

	is_str(sort_of("name,-created_at", "c.id"),
	    "c.name ASC, c.created_at DESC, c.id", "sort list");
	is_str(sort_of(" name , +score ", NULL), "c.name ASC, c.score ASC",
	    "blanks, +, no tiebreak");
	is_str(sort_of("", "c.id"), "c.id", "empty: tiebreak");
	is_str(sort_of("", NULL), "", "empty, no tiebreak");
	is_str(sort_of(NULL, NULL), "", "NULL spec");
	is_str(sort_of("-fields.industry", "c.id"),
	    "json_extract(c.fields, '$.\"industry\"') DESC, c.id",
	    "custom field");
	is_str(sort_of("stag", "c.id"), "error: column 1: unknown field "
	    "\"stag\" (did you mean \"stage\"?)", "unknown sort field");
	is_str(sort_of("name,-nmae", "c.id"), "error: column 7: unknown field "
	    "\"nmae\" (did you mean \"name\"?)", "column in the spec");
	is_str(sort_of("tag", "c.id"), "error: column 1: cannot sort by "
	    "\"tag\"", "sets cannot sort");
	is_str(sort_of("name,", "c.id"),
	    "error: column 6: expected a field name", "trailing comma");
	is_str(sort_of("name,,id", "c.id"),
	    "error: column 6: expected a field name", "empty item");
	is_str(sort_of("-", "c.id"), "error: column 2: expected a field name",
	    "lone -");
	is_str(sort_of("name desc", "c.id"),
	    "error: column 6: unexpected \"desc\"", "words after a name");
	is_str(sort_of("fields.a\"b", "c.id"), "error: column 1: invalid "
	    "custom field name \"fields.a\"b\"", "no quotes in a JSON path");
	is_str(sort_of("name;drop", "c.id"),
	    "error: column 1: expected a field name, got \"name;drop\"",
	    "no SQL in a sort list");
	is_str(sort_of("name\001", "c.id"),
	    "error: column 5: control character 0x01", "control byte");
	snprintf(q, sizeof(q), "SELECT c.id FROM contacts c WHERE %%s "
	    "ORDER BY %s", sort_of("-score,name", "c.id"));
	is_str(run_sql("", &fs, q), "1,4,2,5,6,3", "sorted by -score,name");
	snprintf(q, sizeof(q), "SELECT c.id FROM contacts c WHERE %%s "
	    "ORDER BY %s", sort_of("-fields.industry", "c.id"));
	is_str(run_sql("", &fs, q), "2,1,4,3,5,6", "sorted by a custom field");
}

static void
test_names(void)
{
	const char **v = crm_fieldset_names(&fs);
	size_t n;

	for (n = 0; v[n] != NULL; n++)
		;
	is_int(n, NFIELDS, "crm_fieldset_names: every field");
	is_str(v[0], "id", "first name");
	is_str(v[NFIELDS - 1], "tag", "last name");
	free(v);
}

int
main(void)
{
	char *msg = NULL;

	setenv("CRM_NOW", "2026-11-22T12:00:00Z", 1);
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		printf("Bail out! %s\n", msg ? msg : sqlite3_errmsg(db));
		return 1;
	}
	test_sql();
	test_binds();
	test_errors();
	test_run();
	test_bind_offset();
	test_depth();
	test_size();
	test_deep_shapes();
	test_fuzz();
	test_sort();
	test_names();
	sqlite3_close(db);
	return done_testing();
}
