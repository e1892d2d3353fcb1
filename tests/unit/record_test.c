/*
 * Unit tests of lib/record.c: every output format, --fields, the table's
 * alignment and fitting, closed pipes and full disks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "tap.h"

static const char *const known[] = {
	"id", "name", "email", "tags", "fields", "opt_in", "score", "amount",
	"city", NULL
};

/* A has nested fields, an array, null, true, a big integer. */
static const char *const people[] = {
	"{\"id\":1,\"name\":\"Ada\",\"tags\":[\"vip\",\"math\"],"
	"\"fields\":{\"industry\":\"computing\",\"size\":12},\"opt_in\":true,"
	"\"score\":null,\"amount\":3000000000}",
	"{\"id\":2,\"name\":\"Zo\xC3\xAB \\\"Z\\\", Jr.\",\"tags\":[],"
	"\"fields\":{\"industry\":\"retail\"},\"opt_in\":false,\"score\":4.5,"
	"\"amount\":-12}",
	"{\"id\":3,\"name\":\" tab\\there\\nnew\\\\back \",\"tags\":[\"a,b\"],"
	"\"fields\":{},\"opt_in\":false,\"score\":0.1,\"amount\":1e20}",
	NULL
};

/* CJK, accents precomposed and combining, a newline, null. */
static const char *const places[] = {
	"{\"id\":1,"
	"\"name\":\"\xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E\","
	"\"city\":\"\xE6\x9D\xB1\xE4\xBA\xAC\",\"amount\":1200}",
	"{\"id\":22,\"name\":\"Zoe\\u0308 No\xC3\xABl\","
	"\"city\":\"Paris\\nFR\","
	"\"amount\":3.5}",
	"{\"id\":333,\"name\":\"Ada\",\"city\":null,\"amount\":-7}",
	NULL
};

static const char *const place_cols[] = { "id", "name", "city", "amount",
	NULL };

static const char *const none[] = { NULL };

/*
 * What a writer prints for recs; *errp gets an error (else it is
 * reported as a failure and freed).
 */
static char *
render(enum crm_format fmt, const char *fields, const char *const *columns,
    const char *const *table_columns, const char *const *recs,
    struct crm_error **errp)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&buf, &len);
	cJSON *rec;

	err = crm_out_new(fp, fmt, fields, known, columns, table_columns,
	    &out);
	for (i = 0; err == NULL && recs[i] != NULL; i++) {
		if ((rec = cJSON_Parse(recs[i])) == NULL) {
			printf("# bad test record %zu\n", i);
			continue;
		}
		err = crm_out_write(out, rec);
		cJSON_Delete(rec);
	}
	if (err == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	fclose(fp);
	if (errp != NULL)
		*errp = err;
	else if (err != NULL) {
		printf("# unexpected error: %s\n", err->msg);
		crm_error_free(err);
	}
	return buf;
}

static void
check(enum crm_format fmt, const char *fields, const char *const *columns,
    const char *const *table_columns, const char *const *recs,
    const char *want, const char *name)
{
	char *got = render(fmt, fields, columns, table_columns, recs, NULL);

	is_str(got, want, "%s", name);
	free(got);
}

static void
test_json(void)
{
	const char *a = "{\"id\":1,\"name\":\"Ada\","
	    "\"tags\":[\"vip\",\"math\"],"
	    "\"fields\":{\"industry\":\"computing\",\"size\":12},"
	    "\"opt_in\":true,\"score\":null,\"amount\":3000000000}";
	const char *b = "{\"id\":2,\"name\":\"Zo\xC3\xAB \\\"Z\\\", Jr.\","
	    "\"tags\":[],\"fields\":{\"industry\":\"retail\"},"
	    "\"opt_in\":false,\"score\":4.5,\"amount\":-12}";
	const char *c = "{\"id\":3,\"name\":\" tab\\there\\nnew\\\\back \","
	    "\"tags\":[\"a,b\"],\"fields\":{},\"opt_in\":false,\"score\":0.1,"
	    "\"amount\":1e+20}";
	char want[2048];

	snprintf(want, sizeof(want), "%s\n%s\n%s\n", a, b, c);
	check(CRM_FMT_JSONL, NULL, NULL, NULL, people, want,
	    "jsonl: one compact object a line, UTF-8 unescaped");
	snprintf(want, sizeof(want), "[\n%s,\n%s,\n%s\n]\n", a, b, c);
	check(CRM_FMT_JSON, NULL, NULL, NULL, people, want,
	    "json: an array, one record a line");
	check(CRM_FMT_JSON, NULL, NULL, NULL, none, "[]\n",
	    "json: no records is []");
	check(CRM_FMT_JSONL, NULL, NULL, NULL, none, "", "jsonl: no records");
	check(CRM_FMT_JSONL, "email,fields.industry,id,tags,id", NULL, NULL,
	    people,
	    "{\"email\":null,\"fields.industry\":\"computing\",\"id\":1,"
	    "\"tags\":[\"vip\",\"math\"],\"id\":1}\n"
	    "{\"email\":null,\"fields.industry\":\"retail\",\"id\":2,"
	    "\"tags\":[],\"id\":2}\n"
	    "{\"email\":null,\"fields.industry\":null,\"id\":3,"
	    "\"tags\":[\"a,b\"],\"id\":3}\n",
	    "jsonl --fields: exactly those keys, in order, null when absent");
	check(CRM_FMT_JSON, " fields , id ", NULL, NULL, people + 2,
	    "[\n{\"fields\":{},\"id\":3}\n]\n",
	    "json --fields: names trimmed, objects kept whole");
}

static void
test_delimited(void)
{
	check(CRM_FMT_CSV, NULL, NULL, NULL, people,
	    "id,name,tags,fields.industry,fields.size,opt_in,score,amount\n"
	    "1,Ada,vip;math,computing,12,true,,3000000000\n"
	    "2,\"Zo\xC3\xAB \"\"Z\"\", Jr.\",,retail,,false,4.5,-12\n"
	    "3,\" tab\there\nnew\\back \",\"a,b\",,,false,0.1,1e+20\n",
	    "csv: flattened header, quoting, arrays joined, null empty");
	check(CRM_FMT_TSV, NULL, NULL, NULL, people,
	    "id\tname\ttags\tfields.industry\tfields.size\topt_in\tscore\t"
	    "amount\n"
	    "1\tAda\tvip;math\tcomputing\t12\ttrue\t\t3000000000\n"
	    "2\tZo\xC3\xAB \"Z\", Jr.\t\tretail\t\tfalse\t4.5\t-12\n"
	    "3\t tab\\there\\nnew\\\\back \ta,b\t\t\tfalse\t0.1\t1e+20\n",
	    "tsv: backslash escapes");
	check(CRM_FMT_CSV, "name,fields.size,amount", NULL, NULL, people,
	    "name,fields.size,amount\n"
	    "Ada,12,3000000000\n"
	    "\"Zo\xC3\xAB \"\"Z\"\", Jr.\",,-12\n"
	    "\" tab\there\nnew\\back \",,1e+20\n",
	    "csv --fields: picked and ordered");
	check(CRM_FMT_CSV, NULL, place_cols, NULL, none,
	    "id,name,city,amount\n",
	    "csv: no records, known columns: the header alone");
	check(CRM_FMT_TSV, "id,email", NULL, NULL, none, "id\temail\n",
	    "tsv --fields: no records: the header alone");
	check(CRM_FMT_CSV, NULL, NULL, NULL, none, "",
	    "csv: no records, no columns: nothing");
	check(CRM_FMT_CSV, NULL, place_cols, NULL, places + 2,
	    "id,name,city,amount\n333,Ada,,-7\n",
	    "csv: the caller's columns");
}

static void
test_table(void)
{
	const char *const esc[] = { "{\"note\":\"a\\tb\\u001b[31mc\\r\"}",
		NULL };
	const char *const nested[] = { "{\"id\":1,\"fields\":{\"x\":\"y\"}}",
		"{\"id\":2.5,\"fields\":{\"x\":\"zz\"}}", NULL };

	unsetenv("COLUMNS");
	check(CRM_FMT_TABLE, NULL, NULL, place_cols, places,
	    "id   name      city      amount\n"
	    "  1  \xE5\xB1\xB1\xE7\x94\xB0\xE5\xA4\xAA\xE9\x83\x8E  "
	    "\xE6\x9D\xB1\xE4\xBA\xAC        1200\n"
	    " 22  Zoe\xCC\x88 No\xC3\xABl  Paris FR     3.5\n"
	    "333  Ada                     -7\n",
	    "table: aligned by display width, numbers right, names left, "
	    "no trailing blanks");
	setenv("COLUMNS", "24", 1);
	check(CRM_FMT_TABLE, NULL, NULL, place_cols, places,
	    "id   name   city   amou\xE2\x80\xA6\n"
	    "  1  \xE5\xB1\xB1\xE7\x94\xB0\xE2\x80\xA6  "
	    "\xE6\x9D\xB1\xE4\xBA\xAC"
	    "    1200\n"
	    " 22  Zoe\xCC\x88 \xE2\x80\xA6  Pari\xE2\x80\xA6    3.5\n"
	    "333  Ada              -7\n",
	    "table: COLUMNS=24 shrinks the widest columns with an ellipsis");
	setenv("COLUMNS", "20", 1);
	check(CRM_FMT_TABLE, NULL, NULL, place_cols, places,
	    "id  name  city  amo\xE2\x80\xA6\n"
	    " 1  \xE5\xB1\xB1\xE2\x80\xA6   \xE6\x9D\xB1\xE4\xBA\xAC  1200\n"
	    "22  Zoe\xCC\x88\xE2\x80\xA6  Par\xE2\x80\xA6   3.5\n"
	    "3\xE2\x80\xA6  Ada           -7\n",
	    "table: COLUMNS=20 cuts at character boundaries, down to the "
	    "floors");
	setenv("COLUMNS", "1", 1);
	check(CRM_FMT_TABLE, "id", NULL, NULL, places,
	    "id\n 1\n22\n3\xE2\x80\xA6\n",
	    "table: never below the floor, however narrow");
	unsetenv("COLUMNS");
	check(CRM_FMT_TABLE, NULL, NULL, NULL, esc, "note\na b [31mc\n",
	    "table: control characters shown as spaces");
	check(CRM_FMT_TABLE, NULL, NULL, NULL, nested,
	    "id   fields.x\n  1  y\n2.5  zz\n",
	    "table: columns from the first record, flattened");
	check(CRM_FMT_TABLE, NULL, place_cols, NULL, none, "",
	    "table: no records: nothing, not even a header");
	check(CRM_FMT_TABLE, "name,amount", NULL, place_cols, places + 1,
	    "name      amount\n"
	    "Zoe\xCC\x88 No\xC3\xABl     3.5\n"
	    "Ada           -7\n",
	    "table --fields: over the table columns");
}

static void
test_fields_errors(void)
{
	struct crm_error *err = NULL;
	struct crm_out *out = (struct crm_out *)1;
	char *got;

	got = render(CRM_FMT_CSV, "id,emial", NULL, NULL, people, &err);
	is_str(err != NULL ? err->msg : NULL,
	    "--fields: unknown field \"emial\" (did you mean \"email\"?)",
	    "--fields: unknown field, with a suggestion");
	is_int(err != NULL ? err->code : 0, CRM_EXIT_USAGE,
	    "--fields: a usage error");
	is_str(got, "", "--fields: nothing written on error");
	crm_error_free(err);
	free(got);
	got = render(CRM_FMT_JSONL, "id,qqqqqqq", NULL, NULL, people, &err);
	is_str(err != NULL ? err->msg : NULL,
	    "--fields: unknown field \"qqqqqqq\"",
	    "--fields: unknown field, nothing like it");
	crm_error_free(err);
	free(got);
	got = render(CRM_FMT_JSONL, "id,,name", NULL, NULL, people, &err);
	is_str(err != NULL ? err->msg : NULL, "--fields: empty field name",
	    "--fields: an empty name");
	crm_error_free(err);
	free(got);
	got = render(CRM_FMT_JSONL, "fields.", NULL, NULL, people, &err);
	is_str(err != NULL ? err->msg : NULL,
	    "--fields: unknown field \"fields.\" (did you mean \"fields\"?)",
	    "--fields: fields. needs a name");
	crm_error_free(err);
	free(got);
	err = crm_out_new(stdout, CRM_FMT_JSONL, "anything,fields.x", NULL,
	    NULL, NULL, &out);
	ok(err == NULL && out != NULL, "--fields: no known list: all taken");
	crm_out_free(out);
	crm_out_free(NULL);
	err = crm_out_new(stdout, CRM_FMT_JSONL, "nope", known, NULL, NULL,
	    &out);
	ok(err != NULL && out == NULL, "crm_out_new: NULL writer on error");
	crm_error_free(err);
}

static void
test_format_parse(void)
{
	enum crm_format fmt = CRM_FMT_JSON;
	struct crm_error *err;
	FILE *fp;
	char *buf = NULL;
	size_t len = 0;

	fp = open_memstream(&buf, &len);
	unsetenv("CRM_FORMAT");
	err = crm_format_parse("tsv", fp, &fmt);
	ok(err == NULL && fmt == CRM_FMT_TSV, "format: tsv");
	err = crm_format_parse("table", fp, &fmt);
	ok(err == NULL && fmt == CRM_FMT_TABLE, "format: table");
	err = crm_format_parse("xml", fp, &fmt);
	is_str(err != NULL ? err->msg : NULL, "unknown format \"xml\" (use "
	    "jsonl, json, csv, tsv or table)", "format: unknown name");
	is_int(err != NULL ? err->code : 0, CRM_EXIT_USAGE,
	    "format: a usage error");
	crm_error_free(err);
	err = crm_format_parse(NULL, fp, &fmt);
	ok(err == NULL && fmt == CRM_FMT_JSONL,
	    "format: default jsonl when not a terminal");
	setenv("CRM_FORMAT", "csv", 1);
	err = crm_format_parse(NULL, fp, &fmt);
	ok(err == NULL && fmt == CRM_FMT_CSV, "format: CRM_FORMAT");
	err = crm_format_parse("json", fp, &fmt);
	ok(err == NULL && fmt == CRM_FMT_JSON, "format: a name beats the env");
	setenv("CRM_FORMAT", "yaml", 1);
	err = crm_format_parse(NULL, fp, &fmt);
	is_str(err != NULL ? err->msg : NULL, "unknown format "
	    "\"yaml\" (use jsonl, json, csv, tsv or table)",
	    "format: a bad CRM_FORMAT");
	crm_error_free(err);
	unsetenv("CRM_FORMAT");
	fclose(fp);
	free(buf);
}

static void
test_term_width(void)
{
	FILE *fp = tmpfile();

	setenv("COLUMNS", "132", 1);
	is_int(crm_term_width(fp), 132, "width: COLUMNS");
	setenv("COLUMNS", "-3", 1);
	is_int(crm_term_width(fp), 0, "width: negative COLUMNS ignored");
	setenv("COLUMNS", "80x", 1);
	is_int(crm_term_width(fp), 0, "width: bad COLUMNS ignored");
	unsetenv("COLUMNS");
	is_int(crm_term_width(fp), 0, "width: not a terminal: 0");
	fclose(fp);
}

static struct crm_error *
write_people(FILE *fp, enum crm_format fmt, struct crm_out **outp)
{
	struct crm_error *err;
	cJSON *rec;
	size_t i;

	if ((err = crm_out_new(fp, fmt, NULL, NULL, NULL, NULL, outp)) != NULL)
		return err;
	for (i = 0; err == NULL && i < 2000; i++) {
		rec = cJSON_Parse(people[i % 3]);
		err = crm_out_write(*outp, rec);
		cJSON_Delete(rec);
	}
	return err != NULL ? err : crm_out_finish(*outp);
}

static void
test_write_errors(void)
{
	struct crm_error *err;
	struct crm_out *out = NULL;
	FILE *fp;
	int fd[2];

	signal(SIGPIPE, SIG_IGN);
	if (pipe(fd) != 0 || (fp = fdopen(fd[1], "w")) == NULL) {
		ok(0, "pipe");
		return;
	}
	close(fd[0]);
	err = write_people(fp, CRM_FMT_JSONL, &out);
	ok(err == NULL, "closed pipe: not an error");
	ok(crm_out_closed(out), "closed pipe: the writer says closed");
	err = crm_out_write(out, NULL);
	ok(err == NULL, "closed pipe: later writes do nothing");
	ok(crm_out_finish(out) == NULL, "closed pipe: finish is quiet");
	crm_out_free(out);
	fclose(fp);
	out = NULL;
	if ((fp = fopen("/dev/full", "w")) == NULL) {
		printf("ok %d # skip no /dev/full\n", ++tap_n);
		return;
	}
	err = write_people(fp, CRM_FMT_CSV, &out);
	is_str(err != NULL ? err->msg : NULL,
	    "write error: No space left on device", "full disk: an error");
	is_int(err != NULL ? err->code : 0, CRM_EXIT_FAIL,
	    "full disk: a failure");
	ok(!crm_out_closed(out), "full disk: not a closed pipe");
	crm_error_free(err);
	crm_out_free(out);
	fclose(fp);
}

/* What the CSV writer prints, the CSV reader reads back unchanged. */
static void
test_roundtrip(void)
{
	const char *const recs[] = {
		"{\"a\":\" lead\",\"b\":\"trail \",\"c\":\"a,b\"}",
		"{\"a\":\"q\\\"uote\",\"b\":\"cr\\r\\nlf\",\"c\":\"lf\\n\"}",
		"{\"a\":\"\xE5\xB1\xB1\xE7\x94\xB0\",\"b\":\"\","
		"\"c\":\"t\\tx\"}",
		"{\"a\":\"\",\"b\":\"\",\"c\":\"\"}",
		NULL
	};
	struct crm_reader *r;
	struct crm_error *err;
	char *csv = render(CRM_FMT_CSV, NULL, NULL, NULL, recs, NULL);
	FILE *fp = fmemopen(csv, strlen(csv), "r");
	cJSON *rec, *want;
	size_t i = 0;
	int same = 1, rc;

	r = crm_reader_new(fp, "roundtrip", CRM_IN_CSV);
	while ((rc = crm_reader_next(r, &rec, &err)) != 0) {
		want = recs[i] != NULL ? cJSON_Parse(recs[i++]) : NULL;
		same &= rc == 1 && cJSON_Compare(rec, want, 1);
		cJSON_Delete(want);
		cJSON_Delete(rec);
		crm_error_free(err);
	}
	ok(same && recs[i] == NULL, "csv: read back exactly as written");
	crm_reader_free(r);
	fclose(fp);
	free(csv);
}

static void
test_finish_twice(void)
{
	struct crm_out *out = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	crm_out_new(fp, CRM_FMT_JSON, NULL, NULL, NULL, NULL, &out);
	ok(crm_out_finish(out) == NULL && crm_out_finish(out) == NULL,
	    "finish twice: no error");
	crm_out_free(out);
	fclose(fp);
	is_str(buf, "[]\n", "finish twice: the array closed once");
	free(buf);
}

int
main(void)
{
	test_json();
	test_delimited();
	test_table();
	test_fields_errors();
	test_format_parse();
	test_term_width();
	test_write_errors();
	test_roundtrip();
	test_finish_twice();
	return done_testing();
}
