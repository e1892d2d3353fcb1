/*
 * Unit tests of lib/stream.c and lib/utf8.c: the JSONL and CSV readers,
 * references, UTF-8; and the public corpora under CRM_CORPORA.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "tap.h"

#define MiB	(1024 * 1024)

static FILE *
input(const char *s, size_t n)
{
	FILE *fp = tmpfile();

	if (fp == NULL) {
		perror("tmpfile");
		exit(1);
	}
	if (n > 0)
		fwrite(s, 1, n, fp);
	rewind(fp);
	return fp;
}

/*
 * All that a reader makes of s: one line a result, "LINE: {json}" for a
 * record, "LINE! message" for an error.
 */
static char *
transcript(const char *s, size_t n, enum crm_input kind)
{
	struct crm_buf out = CRM_BUF_INIT;
	struct crm_reader *r;
	struct crm_error *err;
	FILE *fp = input(s, n);
	cJSON *rec;
	char *js;
	int rc, guard = 0;

	r = crm_reader_new(fp, "test", kind);
	while ((rc = crm_reader_next(r, &rec, &err)) != 0 && guard++ < 1000) {
		if (rc < 0) {
			crm_buf_addf(&out, "%ld! %s\n", crm_reader_line(r),
			    err->msg);
			crm_error_free(err);
			continue;
		}
		js = cJSON_PrintUnformatted(rec);
		crm_buf_addf(&out, "%ld: %s\n", crm_reader_line(r), js);
		free(js);
		cJSON_Delete(rec);
	}
	crm_reader_free(r);
	fclose(fp);
	return crm_buf_detach(&out);
}

static void
check(const char *in, enum crm_input kind, const char *want,
    const char *name)
{
	char *got = transcript(in, strlen(in), kind);

	is_str(got, want, "%s", name);
	free(got);
}

static void
test_csv(void)
{
	check("name,email\r\nAda,ada@example.org\r\n"
	    "\"Lovelace, A\",\"a\"\"b\"\r\n",
	    CRM_IN_CSV,
	    "2: {\"name\":\"Ada\",\"email\":\"ada@example.org\"}\n"
	    "3: {\"name\":\"Lovelace, A\",\"email\":\"a\\\"b\"}\n",
	    "csv: CRLF rows, quoted comma and quote");
	check("a,b\n\"two\nlines\",x\n\"cr\r\nlf\",y\nz,\" sp \"\n",
	    CRM_IN_AUTO,
	    "2: {\"a\":\"two\\nlines\",\"b\":\"x\"}\n"
	    "4: {\"a\":\"cr\\r\\nlf\",\"b\":\"y\"}\n"
	    "6: {\"a\":\"z\",\"b\":\" sp \"}\n",
	    "csv: quoted LF and CR LF kept, lines counted inside quotes");
	check("\xEF\xBB\xBF id , name\n1,A\n", CRM_IN_AUTO,
	    "2: {\"id\":\"1\",\"name\":\"A\"}\n",
	    "csv: BOM skipped, header names trimmed");
	check("a,b,c\n1,2,3\n\n4,5\n6,7,8,9\n,,\nx\n10,11,12", CRM_IN_CSV,
	    "2: {\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}\n"
	    "4! line 4: 2 fields, expected 3 (header has 3)\n"
	    "5! line 5: 4 fields, expected 3 (header has 3)\n"
	    "6: {\"a\":\"\",\"b\":\"\",\"c\":\"\"}\n"
	    "7! line 7: 1 field, expected 3 (header has 3)\n"
	    "8: {\"a\":\"10\",\"b\":\"11\",\"c\":\"12\"}\n",
	    "csv: too few and too many fields, blank line, no final LF");
	check("a,b\n1,2\n\"\"\n3,4\n", CRM_IN_CSV,
	    "2: {\"a\":\"1\",\"b\":\"2\"}\n4: {\"a\":\"3\",\"b\":\"4\"}\n",
	    "csv: a line of one empty field is skipped");
	check("a\n\"\"\n", CRM_IN_CSV, "2: {\"a\":\"\"}\n",
	    "csv: one column: an empty field is a value");
	check("a,b\n1,2\n\"x\ny\",\"open\nand on\n", CRM_IN_CSV,
	    "2: {\"a\":\"1\",\"b\":\"2\"}\n"
	    "3! line 3: unterminated quoted field\n",
	    "csv: unterminated quote at the end of input");
	check("a,b\n1,x\"y\n\"p\"q,2\n3,4\n", CRM_IN_CSV,
	    "2! line 2: malformed quotes in field 2\n"
	    "3! line 3: malformed quotes in field 1\n"
	    "4: {\"a\":\"3\",\"b\":\"4\"}\n",
	    "csv: quotes inside unquoted fields refused, reading goes on");
}

static void
test_csv_errors(void)
{
	check("id,email,name,email\n1,2,3,4\n", CRM_IN_CSV,
	    "1! line 1: duplicate column \"email\"\n",
	    "csv: duplicate header name ends the stream");
	check("\n\nid,,name\n1,2,3\n", CRM_IN_CSV,
	    "3! line 3: empty name for column 2\n",
	    "csv: empty header name, on its physical line");
	check("", CRM_IN_AUTO, "", "empty input: nothing, no error");
	check(" \n\r\n\n", CRM_IN_AUTO, "", "blank input: nothing");
	check("a,b\n", CRM_IN_CSV, "", "csv: header only: nothing");
	check("a,b\n\"multi\nline\",1\nx,\xC3\x28\n\xFF,ok\n", CRM_IN_CSV,
	    "2: {\"a\":\"multi\\nline\",\"b\":\"1\"}\n"
	    "4! line 4: invalid UTF-8 in field \"b\"\n"
	    "5! line 5: invalid UTF-8 in field \"a\"\n",
	    "csv: invalid UTF-8 named by line and column");
	check("a,b\n1,x\xC3\n", CRM_IN_CSV,
	    "2! line 2: invalid UTF-8 in field \"b\"\n",
	    "csv: truncated UTF-8 at the end of a field");
	check("a,b\n1,2\n3,4\n", CRM_IN_JSONL,
	    "1! line 1: invalid JSON near column 1\n"
	    "2! line 2: invalid JSON near column 2\n"
	    "3! line 3: invalid JSON near column 2\n",
	    "csv text read as JSONL: errors, never records");
}

static void
test_csv_header(void)
{
	const char *const *h;
	struct crm_reader *r;
	struct crm_error *err;
	FILE *fp = input("\xEF\xBB\xBF" "email,name\n", 14);
	cJSON *rec;
	size_t n = 9;

	r = crm_reader_new(fp, "test", CRM_IN_AUTO);
	ok(crm_reader_header(r, &n) == NULL && n == 0,
	    "header: NULL before reading");
	is_int(crm_reader_next(r, &rec, &err), 0, "header only: 0");
	ok(err == NULL, "header only: no error");
	h = crm_reader_header(r, &n);
	is_int(n, 2, "header: two names");
	ok(h != NULL && strcmp(h[0], "email") == 0 &&
	    strcmp(h[1], "name") == 0 && h[2] == NULL,
	    "header: BOM stripped from the first name, NULL-terminated");
	crm_reader_free(r);
	fclose(fp);
}

static void
test_csv_big(void)
{
	struct crm_buf in = CRM_BUF_INIT;
	struct crm_reader *r;
	struct crm_error *err = NULL;
	cJSON *rec = NULL;
	const char *v;
	FILE *fp;
	size_t i;
	long rows = 0, last = 0;
	int rc, good = 1;

	/* A 1 MB quoted field with commas, quotes and newlines. */
	crm_buf_adds(&in, "id,body\n7,\"");
	for (i = 0; i < MiB / 8; i++)
		crm_buf_adds(&in, i % 1000 == 999 ? "ab,\"\"de\n" : "abcdefg,");
	crm_buf_adds(&in, "\"\n8,end\n");
	fp = input(in.buf, in.len);
	r = crm_reader_new(fp, "big", CRM_IN_AUTO);
	rc = crm_reader_next(r, &rec, &err);
	is_int(rc, 1, "csv: a 1 MB field is read");
	v = rec != NULL ? cJSON_GetStringValue(
	    cJSON_GetObjectItem(rec, "body")) : NULL;
	is_int(v != NULL ? strlen(v) : 0, MiB - MiB / 8 / 1000,
	    "csv: the 1 MB field is whole (doubled quotes undone)");
	ok(v != NULL && strncmp(v, "abcdefg,abc", 11) == 0 &&
	    strstr(v, "ab,\"de\nabc") != NULL, "csv: its content is intact");
	cJSON_Delete(rec);
	is_int(crm_reader_next(r, &rec, &err), 1, "csv: the row after it");
	is_int(crm_reader_line(r), 3 + MiB / 8 / 1000,
	    "csv: its line counts the newlines in the big field");
	cJSON_Delete(rec);
	crm_reader_free(r);
	fclose(fp);

	/* Many rows across chunk boundaries, some CR LF split by one. */
	crm_buf_reset(&in);
	crm_buf_adds(&in, "n,v\r\n");
	for (i = 0; i < 30000; i++)
		crm_buf_addf(&in, "%zu,\"q\r\n%zu\"\r\n", i, i * 7);
	fp = input(in.buf, in.len);
	r = crm_reader_new(fp, "rows", CRM_IN_CSV);
	while ((rc = crm_reader_next(r, &rec, &err)) == 1) {
		v = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "n"));
		if (v == NULL || strtol(v, NULL, 10) != rows)
			good = 0;
		last = crm_reader_line(r);
		rows++;
		cJSON_Delete(rec);
	}
	is_int(rc, 0, "csv: 30000 rows end cleanly");
	is_int(rows, 30000, "csv: every row read");
	ok(good, "csv: rows in order");
	is_int(last, 2 + 29999 * 2, "csv: line of the last row");
	crm_reader_free(r);
	fclose(fp);
	crm_buf_release(&in);
}

static void
test_jsonl(void)
{
	check("\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n"
	    "{\"b\":\"x\\ny\",\"c\":[1,{}]}\n"
	    "[1,2]\n\"s\"\n{\"a\":1} x\n{\"a\":01}\n{\"a\":\"\x01\"}\n"
	    "{\"a\":\"caf\xC3\xA9\xFF\"}\n{\"a\":\n{\"u\":\"\xE5\xB1\xB1\"}",
	    CRM_IN_AUTO,
	    "1: {\"a\":1}\n"
	    "4: {\"b\":\"x\\ny\",\"c\":[1,{}]}\n"
	    "5! line 5: expected a JSON object\n"
	    "6! line 6: expected a JSON object\n"
	    "7! line 7: invalid JSON near column 9\n"
	    "8! line 8: invalid JSON near column 6\n"
	    "9! line 9: invalid JSON near column 7\n"
	    "10! line 10: invalid UTF-8 at byte 12\n"
	    "11! line 11: invalid JSON near column 6\n"
	    "12: {\"u\":\"\xE5\xB1\xB1\"}\n",
	    "jsonl: BOM, CRLF, blanks, non-objects, garbage, bad numbers, "
	    "control characters, bad UTF-8, truncation, no final LF");
	check("{\"a\":1}\n", CRM_IN_CSV,
	    "1! line 1: malformed quotes in field 1\n",
	    "jsonl text read as CSV: a bad header ends the stream");
	check("{\"a\":\"\\u00e9\\ud83d\\ude00\",\"b\":-0.5e3,\"c\":true}\n",
	    CRM_IN_JSONL,
	    "1: {\"a\":\"\xC3\xA9\xF0\x9F\x98\x80\",\"b\":-500,\"c\":true}\n",
	    "jsonl: escapes decoded, numbers parsed");
	check("{\"a\":\"\\x\"}\n{\"a\":\"\\u12G4\"}\n{\"a\":1.}\n{\"a\":-}\n"
	    "{\"a\":1}\f\n", CRM_IN_JSONL,
	    "1! line 1: invalid JSON near column 7\n"
	    "2! line 2: invalid JSON near column 7\n"
	    "3! line 3: invalid JSON near column 6\n"
	    "4! line 4: invalid JSON near column 6\n"
	    "5! line 5: invalid JSON near column 8\n",
	    "jsonl: bad escapes, numbers and white space");
}

static void
test_jsonl_big(void)
{
	struct crm_buf in = CRM_BUF_INIT;
	char *got, want[128];
	size_t i;

	/* 100000 nested arrays inside an object, then a good line. */
	crm_buf_adds(&in, "{\"a\":");
	for (i = 0; i < 100000; i++)
		crm_buf_addch(&in, '[');
	crm_buf_adds(&in, "\n{\"b\":");
	for (i = 0; i < 400; i++)
		crm_buf_addch(&in, '[');
	for (i = 0; i < 400; i++)
		crm_buf_addch(&in, ']');
	crm_buf_adds(&in, "}\n{\"ok\":1}\n");
	got = transcript(in.buf, in.len, CRM_IN_AUTO);
	ok(strncmp(got, "1! line 1: invalid JSON near column 517 (nested too "
	    "deep)\n2: {\"b\":[[[[", 64) == 0 && strstr(got,
	    "]]]]}\n3: {\"ok\":1}\n") != NULL,
	    "jsonl: deep nesting is an error, 400 levels are fine");
	free(got);

	/* A 1 MB line, split over many reads. */
	crm_buf_reset(&in);
	crm_buf_adds(&in, "{\"a\":1}\n{\"big\":\"");
	for (i = 0; i < MiB; i++)
		crm_buf_addch(&in, "0123456789abcdef"[i % 16]);
	crm_buf_adds(&in, "\"}\r\n{\"z\":2}\n");
	got = transcript(in.buf, in.len, CRM_IN_AUTO);
	snprintf(want, sizeof(want), "2: {\"big\":\"0123456789abcdef0123");
	ok(strncmp(got, "1: {\"a\":1}\n", 11) == 0 &&
	    strncmp(got + 11, want, strlen(want)) == 0 &&
	    strlen(got) == 11 + 11 + MiB + 3 + 11 &&
	    strcmp(got + strlen(got) - 12, "\n3: {\"z\":2}\n") == 0,
	    "jsonl: a 1 MB line is read whole");
	free(got);

	/* Over 64 MiB: refused, and the next line is still read. */
	crm_buf_reset(&in);
	crm_buf_adds(&in, "{\"huge\":\"");
	crm_buf_grow(&in, 65 * MiB);
	memset(in.buf + in.len, 'x', 65 * MiB);
	in.len += 65 * MiB;
	crm_buf_adds(&in, "\"}\n{\"after\":1}\n");
	got = transcript(in.buf, in.len, CRM_IN_JSONL);
	is_str(got, "1! line 1: line too long\n2: {\"after\":1}\n",
	    "jsonl: a line over 64 MiB is refused, the next one read");
	free(got);
	crm_buf_release(&in);
}

static char *
refs(const char *s, const char *const *keys)
{
	struct crm_buf out = CRM_BUF_INIT;
	struct crm_refs *r;
	struct crm_error *err;
	FILE *fp = input(s, strlen(s));
	char *ref;
	int rc;

	r = crm_refs_new(fp, "test", keys);
	while ((rc = crm_refs_next(r, &ref, &err)) != 0) {
		if (rc < 0) {
			crm_buf_addf(&out, "%ld! %s\n", crm_refs_line(r),
			    err->msg);
			crm_error_free(err);
		} else
			crm_buf_addf(&out, "%ld: [%s]\n", crm_refs_line(r),
			    ref);
		free(ref);
	}
	crm_refs_free(r);
	fclose(fp);
	return crm_buf_detach(&out);
}

static void
test_refs(void)
{
	static const char *const contact[] = { "contact_id", "id", NULL };
	char *got;

	got = refs("12\n  ada@example.org \r\n\n\text:A-17\n"
	    "{\"id\":42,\"name\":\"x\"}\n{\"id\":\"c-9\"}\n"
	    "{\"name\":\"no id\"}\n{\"id\":1.5}\n[1]\n{bad\n"
	    "b\xC3\xA9\n\xFF\n{\"id\":null}\n{\"id\":-3}\n", NULL);
	is_str(got,
	    "1: [12]\n"
	    "2: [ada@example.org]\n"
	    "4: [ext:A-17]\n"
	    "5: [42]\n"
	    "6: [c-9]\n"
	    "7! line 7: no \"id\" in record\n"
	    "8! line 8: \"id\" is not an integer\n"
	    "9: [[1]]\n"
	    "10! line 10: invalid JSON near column 3\n"
	    "11: [b\xC3\xA9]\n"
	    "12! line 12: invalid UTF-8 at byte 1\n"
	    "13! line 13: \"id\" is null\n"
	    "14: [-3]\n",
	    "refs: bare ids, emails, JSON records, errors by line");
	free(got);
	got = refs("{\"id\":7,\"contact_id\":3}\n{\"id\":8}\n"
	    "{\"title\":\"deal\"}\n{\"contact_id\":null,\"id\":9}\n"
	    "{\"contact_id\":\"\"}\n{\"contact_id\":[1]}\n", contact);
	is_str(got,
	    "1: [3]\n"
	    "2: [8]\n"
	    "3! line 3: no \"contact_id\" in record\n"
	    "4! line 4: \"contact_id\" is null\n"
	    "5! line 5: \"contact_id\" is empty\n"
	    "6! line 6: \"contact_id\" is not a string or number\n",
	    "refs: contact_id before id");
	free(got);
	got = refs("", contact);
	is_str(got, "", "refs: empty input");
	free(got);
}

static void
test_utf8(void)
{
	size_t bad = 99;

	ok(crm_utf8_check("h\xC3\xA9llo \xE5\xB1\xB1 \xF0\x9F\x91\x8D", 15,
	    &bad), "utf8: valid text");
	ok(!crm_utf8_check("ab\xC0\x80", 4, &bad) && bad == 2,
	    "utf8: overlong refused at its offset");
	ok(!crm_utf8_check("\xED\xA0\x80", 3, &bad) && bad == 0,
	    "utf8: surrogate refused");
	ok(!crm_utf8_check("x\xF4\x90\x80\x80", 5, &bad) && bad == 1,
	    "utf8: above U+10FFFF refused");
	ok(!crm_utf8_check("\xE5\xB1", 2, NULL), "utf8: truncated refused");
	ok(!crm_utf8_check("a\x80", 2, &bad) && bad == 1,
	    "utf8: stray continuation byte refused");
	is_int(crm_utf8_width("abc", 3), 3, "width: ASCII");
	is_int(crm_utf8_width("\xE5\xB1\xB1\xE7\x94\xB0", 6), 4,
	    "width: CJK is two");
	is_int(crm_utf8_width("Zoe\xCC\x88", 5), 3,
	    "width: combining mark is zero");
	is_int(crm_utf8_width("\xF0\x9F\x91\x8D", 4), 2, "width: emoji");
	is_int(crm_utf8_width("\xEF\xBC\xA1\xED\x95\x9C", 6), 4,
	    "width: fullwidth A and Hangul");
	is_int(crm_utf8_width("a\xE2\x80\x8D\xEF\xB8\x8F\t", 8), 1,
	    "width: ZWJ, variation selector and control are zero");
	is_int(crm_utf8_width("\xE3\x81\x8B\xE3\x82\x99", 6), 2,
	    "width: kana with a combining voiced mark");
}

/* A directory opens but does not read: a read error, then the end. */
static void
test_read_error(void)
{
	struct crm_reader *r;
	struct crm_refs *refs;
	struct crm_error *err;
	enum crm_input kind;
	cJSON *rec;
	char *ref;
	FILE *fp;

	for (kind = CRM_IN_AUTO; kind <= CRM_IN_CSV; kind++) {
		if ((fp = fopen("/", "r")) == NULL) {
			printf("ok %d # skip cannot open /\n", ++tap_n);
			return;
		}
		r = crm_reader_new(fp, "/", kind);
		is_int(crm_reader_next(r, &rec, &err), -1,
		    "read error (kind %d): -1", (int)kind);
		is_str(err != NULL ? err->msg : NULL,
		    "read error: Is a directory",
		    "read error (kind %d): the message", (int)kind);
		crm_error_free(err);
		is_int(crm_reader_next(r, &rec, &err), 0,
		    "read error (kind %d): then the end", (int)kind);
		crm_reader_free(r);
		fclose(fp);
	}
	fp = fopen("/", "r");
	refs = crm_refs_new(fp, "/", NULL);
	is_int(crm_refs_next(refs, &ref, &err), -1, "refs: read error");
	crm_error_free(err);
	is_int(crm_refs_next(refs, &ref, &err), 0, "refs: then the end");
	crm_refs_free(refs);
	fclose(fp);
	crm_reader_free(NULL);
	crm_refs_free(NULL);
}

static const char *
corpora(void)
{
	static char path[4096];
	const char *s = getenv("CRM_CORPORA"), *top = getenv("CRM_TOP");

	if (s != NULL && *s != '\0')
		return s;
	if (top != NULL && *top != '\0') {
		snprintf(path, sizeof(path), "%s/../shared/corpora", top);
		return path;
	}
	return "../shared/corpora";
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that start with prefix and end with suffix, sorted. */
static void
list_dir(const char *dir, const char *prefix, const char *suffix,
    struct crm_strv *sv)
{
	struct dirent *de;
	DIR *d;
	size_t n, ls = strlen(suffix);

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    n > ls && strcmp(de->d_name + n - ls, suffix) == 0)
			crm_strv_push(sv, de->d_name);
	}
	closedir(d);
	if (sv->n > 0)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp_names);
}

/* The content of dir/name (free() it), or NULL. */
static char *
slurp(const char *dir, const char *name, size_t *n)
{
	struct crm_buf b = CRM_BUF_INIT;
	char tmp[65536];
	size_t k;
	FILE *fp;

	crm_buf_addf(&b, "%s/%s", dir, name);
	fp = fopen(b.buf, "rb");
	crm_buf_reset(&b);
	if (fp == NULL) {
		crm_buf_release(&b);
		return NULL;
	}
	while ((k = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		crm_buf_add(&b, tmp, k);
	fclose(fp);
	*n = b.len;
	return crm_buf_detach(&b);
}

/* The transcript a csv-spectrum JSON file expects of the CSV reader. */
static char *
expected(const char *json)
{
	struct crm_buf out = CRM_BUF_INIT;
	cJSON *doc = cJSON_Parse(json), *it;
	char *s;

	if (!cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		return crm_xstrdup("(not an array of records)");
	}
	cJSON_ArrayForEach(it, doc) {
		s = cJSON_PrintUnformatted(it);
		crm_buf_addf(&out, "%s\n", s);
		free(s);
	}
	cJSON_Delete(doc);
	return crm_buf_detach(&out);
}

/* A transcript without line numbers, as expected() makes. */
static char *
records_only(const char *t)
{
	struct crm_buf out = CRM_BUF_INIT;
	const char *p = t, *e;

	for (; *p != '\0'; p = e + 1) {
		e = strchr(p, '\n');
		p += strcspn(p, ":!") + 2;
		crm_buf_add(&out, p, (size_t)(e - p + 1));
	}
	return crm_buf_detach(&out);
}

static void
test_csv_spectrum(const char *root)
{
	struct crm_strv names = CRM_STRV_INIT;
	char dir[4096], jdir[4096], base[512], *csv, *json, *got, *want, *t;
	size_t i, n, m;

	snprintf(dir, sizeof(dir), "%s/csv/csv-spectrum/csvs", root);
	snprintf(jdir, sizeof(jdir), "%s/csv/csv-spectrum/json", root);
	list_dir(dir, "", ".csv", &names);
	ok(names.n >= 12, "csv-spectrum: %zu files", names.n);
	for (i = 0; i < names.n; i++) {
		csv = slurp(dir, names.v[i], &n);
		snprintf(base, sizeof(base), "%.*s.json",
		    (int)(strlen(names.v[i]) - 4), names.v[i]);
		json = slurp(jdir, base, &m);
		if (csv == NULL) {
			ok(0, "csv-spectrum %s: cannot read", names.v[i]);
			free(json);
			continue;
		}
		t = transcript(csv, n, CRM_IN_CSV);
		got = records_only(t);
		want = json != NULL ? expected(json) : crm_xstrdup("");
		if (strcmp(names.v[i], "location_coordinates.csv") == 0) {
			/*
			 * Its JSON is one object, not an array, with another
			 * phone number than the CSV; and the CSV has bare
			 * quotes in unquoted fields, which RFC 4180 forbids.
			 */
			is_str(t, "2! line 2: malformed quotes in field 2\n",
			    "csv-spectrum %s: refused (corpus case is broken)",
			    names.v[i]);
		} else if (strcmp(names.v[i], "newlines_crlf.csv") == 0 &&
		    memchr(csv, '\r', n) == NULL) {
			/*
			 * The file lost its CRs (it has LF only) while the
			 * JSON still expects "\r\n" inside the quotes.
			 */
			is_str(got, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}\n"
			    "{\"a\":\"Once upon \\na time\",\"b\":\"5\","
			    "\"c\":\"6\"}\n"
			    "{\"a\":\"7\",\"b\":\"8\",\"c\":\"9\"}\n",
			    "csv-spectrum %s: as its bytes say (the corpus "
			    "file has no CR)", names.v[i]);
		} else
			is_str(got, want, "csv-spectrum %s", names.v[i]);
		free(csv);
		free(json);
		free(t);
		free(got);
		free(want);
	}
	crm_strv_clear(&names);
}

static void
diag_count(const char *what, int n)
{
	printf("# %s: %d\n", what, n);
}

/* Read a whole file as JSONL: counts of records and errors. */
static void
jsonl_counts(const char *s, size_t n, int *recs, int *errs)
{
	struct crm_reader *r;
	struct crm_error *err;
	FILE *fp = input(s, n);
	cJSON *rec;
	int rc;

	*recs = *errs = 0;
	r = crm_reader_new(fp, "test", CRM_IN_JSONL);
	while ((rc = crm_reader_next(r, &rec, &err)) != 0) {
		if (rc > 0)
			(*recs)++;
		else
			(*errs)++;
		cJSON_Delete(rec);
		crm_error_free(err);
	}
	crm_reader_free(r);
	fclose(fp);
}

static int
blank_text(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	for (; i < n; i++)
		if (strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

static void
test_json_suite(const char *root)
{
	struct crm_strv names = CRM_STRV_INIT;
	char dir[4096], *s;
	size_t i, n;
	int recs, errs, pass, y = 0, multi = 0, blank = 0;

	snprintf(dir, sizeof(dir), "%s/json/JSONTestSuite/test_parsing", root);
	list_dir(dir, "n_", ".json", &names);
	ok(names.n >= 188, "JSONTestSuite: %zu n_ files", names.n);
	for (i = 0; i < names.n; i++) {
		if ((s = slurp(dir, names.v[i], &n)) == NULL)
			continue;
		jsonl_counts(s, n, &recs, &errs);
		if (blank_text(s, n)) {
			/* No data is an empty stream in JSONL. */
			blank++;
			pass = recs == 0 && errs == 0;
		} else {
			multi += memchr(s, '\n', n) != NULL &&
			    memchr(s, '\n', n) != s + n - 1;
			pass = recs == 0 && errs >= 1;
		}
		ok(pass, "JSONTestSuite %s: %d records, %d errors", names.v[i],
		    recs, errs);
		free(s);
	}
	diag_count("n_ files of several lines, each line refused", multi);
	diag_count("n_ files with no data: an empty stream", blank);
	crm_strv_clear(&names);
	list_dir(dir, "y_", ".json", &names);
	for (i = 0; i < names.n; i++) {
		if ((s = slurp(dir, names.v[i], &n)) == NULL)
			continue;
		if (n > 0 && s[0] == '{' && memchr(s, '\n', n) == NULL) {
			jsonl_counts(s, n, &recs, &errs);
			ok(recs == 1 && errs == 0,
			    "JSONTestSuite %s: one record", names.v[i]);
			y++;
		}
		free(s);
	}
	ok(y >= 11, "JSONTestSuite: %d one-line y_ objects read", y);
	crm_strv_clear(&names);
	list_dir(dir, "i_", ".json", &names);
	for (i = 0; i < names.n; i++) {
		if ((s = slurp(dir, names.v[i], &n)) == NULL)
			continue;
		jsonl_counts(s, n, &recs, &errs);
		free(s);
	}
	ok(names.n > 0, "JSONTestSuite: %zu i_ files read without a crash",
	    names.n);
	crm_strv_clear(&names);
}

int
main(void)
{
	const char *root = corpora();
	DIR *d;

	test_utf8();
	test_csv();
	test_csv_errors();
	test_csv_header();
	test_csv_big();
	test_jsonl();
	test_jsonl_big();
	test_refs();
	test_read_error();
	if ((d = opendir(root)) == NULL) {
		printf("ok %d # skip corpora not found\n", ++tap_n);
		return done_testing();
	}
	closedir(d);
	test_csv_spectrum(root);
	test_json_suite(root);
	return done_testing();
}
