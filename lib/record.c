/*
 * Record output: jsonl, json, csv, tsv and table writers over one FILE.
 * Records are borrowed; csv, tsv and table print a fixed list of columns
 * (--fields, the caller's list, or the first record's flattened keys);
 * table buffers its cells until crm_out_finish() knows every width.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "record_int.h"

static const char *const format_names[] = {
	"jsonl", "json", "csv", "tsv", "table", NULL
};

struct crm_error *
crm_format_parse(const char *name, FILE *fp, enum crm_format *fmt)
{
	const char *env;
	size_t i;

	if (name == NULL) {
		env = getenv("CRM_FORMAT");
		if (env == NULL || *env == '\0') {
			*fmt = fp != NULL && isatty(fileno(fp)) ?
			    CRM_FMT_TABLE : CRM_FMT_JSONL;
			return NULL;
		}
		name = env;
	}
	/* The names are in the order of enum crm_format. */
	for (i = 0; format_names[i] != NULL; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*fmt = (enum crm_format)i;
			return NULL;
		}
	/* The caller says where the name came from (--format, CRM_FORMAT). */
	return crm_error_new(CRM_EXIT_USAGE, "unknown format \"%s\" (use "
	    "jsonl, json, csv, tsv or table)", name);
}

static int
known_field(const char *name, const char *const *known)
{
	size_t i;

	if (known == NULL)
		return 1;
	if (strncmp(name, "fields.", 7) == 0 && name[7] != '\0')
		return 1;
	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], name) == 0)
			return 1;
	return 0;
}

static struct crm_error *
unknown_field(const char *name, const char *const *known)
{
	const char *sug;
	size_t n = 0;

	while (known[n] != NULL)
		n++;
	if ((sug = crm_suggest(name, known, n)) != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "--fields: unknown field "
		    "\"%s\" (did you mean \"%s\"?)", name, sug);
	return crm_error_new(CRM_EXIT_USAGE, "--fields: unknown field \"%s\"",
	    name);
}

/* Split --fields on commas into sv, checking each name against known. */
static struct crm_error *
parse_fields(struct crm_strv *sv, const char *text,
    const char *const *known)
{
	struct crm_error *err = NULL;
	const char *p = text, *e;
	char *name;

	for (;;) {
		e = strchr(p, ',');
		name = crm_xstrndup(p, e != NULL ? (size_t)(e - p) : strlen(p));
		crm_trim(name);
		if (*name == '\0')
			err = crm_error_new(CRM_EXIT_USAGE,
			    "--fields: empty field name");
		else if (!known_field(name, known))
			err = unknown_field(name, known);
		else
			crm_strv_push(sv, name);
		free(name);
		if (err != NULL || e == NULL)
			return err;
		p = e + 1;
	}
}

struct crm_error *
crm_out_new(FILE *fp, enum crm_format fmt, const char *fields,
    const char *const *known, const char *const *columns,
    const char *const *table_columns, struct crm_out **out)
{
	struct crm_out *o = crm_xcalloc(1, sizeof(*o));
	const char *const *list = columns;
	struct crm_error *err;
	size_t i;

	*out = NULL;
	o->fp = fp;
	o->fmt = fmt;
	if (fields != NULL) {
		if ((err = parse_fields(&o->fields, fields, known)) != NULL) {
			crm_out_free(o);
			return err;
		}
		o->have_fields = 1;
		list = (const char *const *)o->fields.v;
	} else if (fmt == CRM_FMT_TABLE && table_columns != NULL)
		list = table_columns;
	if (list != NULL && fmt != CRM_FMT_JSONL && fmt != CRM_FMT_JSON) {
		for (i = 0; list[i] != NULL; i++)
			crm_strv_push(&o->cols, list[i]);
		o->have_cols = 1;
	}
	*out = o;
	return NULL;
}

/* The value named name ("email", "fields.industry") in obj, or NULL. */
static const cJSON *
lookup(const cJSON *obj, const char *name)
{
	const cJSON *v;
	const char *dot;
	char *head;

	if (!cJSON_IsObject(obj))
		return NULL;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, name)) != NULL)
		return v;
	if ((dot = strchr(name, '.')) == NULL)
		return NULL;
	head = crm_xstrndup(name, (size_t)(dot - name));
	v = cJSON_GetObjectItemCaseSensitive(obj, head);
	free(head);
	return lookup(v, dot + 1);
}

/* Column names of a record: nested objects become "parent.key". */
static void
flatten_keys(const cJSON *obj, const char *prefix, struct crm_strv *sv)
{
	struct crm_buf b = CRM_BUF_INIT;
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		crm_buf_reset(&b);
		crm_buf_addf(&b, "%s%s", prefix, it->string);
		if (cJSON_IsObject(it)) {
			crm_buf_addch(&b, '.');
			flatten_keys(it, b.buf, sv);
		} else
			crm_strv_push(sv, b.buf);
	}
	crm_buf_release(&b);
}

static void
add_number(struct crm_buf *b, double d)
{
	/* Integral values print whole while a double holds them exactly. */
	if (d == floor(d) && fabs(d) < 1e17)
		crm_buf_addf(b, "%.0f", d == 0 ? 0.0 : d);
	else
		crm_buf_addf(b, "%.15g", d);
}

static void
add_json(struct crm_buf *b, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s != NULL)
		crm_buf_adds(b, s);
	free(s);
}

/* The flat text of a value into b; returns 1 for a number. */
static int
cell_text(const cJSON *v, struct crm_buf *b)
{
	const cJSON *it;

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsBool(v))
		crm_buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v)) {
		add_number(b, v->valuedouble);
		return 1;
	} else if (cJSON_IsString(v))
		crm_buf_adds(b, v->valuestring);
	else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(it, v) {
			if (it != v->child)
				crm_buf_addch(b, ';');
			if (cJSON_IsArray(it) || cJSON_IsObject(it))
				add_json(b, it);
			else
				cell_text(it, b);
		}
	} else
		add_json(b, v);
	return 0;
}

static struct crm_error *
write_failed(struct crm_out *o)
{
	int e = errno != 0 ? errno : EIO;

	if (e == EPIPE) {
		o->closed = 1;
		return NULL;
	}
	return crm_error_new(CRM_EXIT_FAIL, "write error: %s", strerror(e));
}

struct crm_error *
record_emit(struct crm_out *o, const char *s, size_t n)
{
	if (o->closed || n == 0)
		return NULL;
	errno = 0;
	if (fwrite(s, 1, n, o->fp) == n)
		return NULL;
	return write_failed(o);
}

/* A new object of exactly the --fields keys, in order; null if absent. */
static cJSON *
select_fields(const struct crm_out *o, const cJSON *rec)
{
	cJSON *sel = cJSON_CreateObject();
	const cJSON *v;
	size_t i;

	for (i = 0; i < o->fields.n; i++) {
		v = lookup(rec, o->fields.v[i]);
		cJSON_AddItemToObject(sel, o->fields.v[i], v != NULL ?
		    cJSON_Duplicate(v, 1) : cJSON_CreateNull());
	}
	return sel;
}

static struct crm_error *
write_json(struct crm_out *o, const cJSON *rec)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	cJSON *sel = NULL;
	char *s;

	if (o->have_fields)
		rec = sel = select_fields(o, rec);
	if ((s = cJSON_PrintUnformatted(rec)) == NULL) {
		err = crm_error_new(CRM_EXIT_FAIL, "cannot print a record");
		goto done;
	}
	if (o->fmt == CRM_FMT_JSON)
		crm_buf_adds(&b, o->n == 0 ? "[\n" : ",\n");
	crm_buf_adds(&b, s);
	if (o->fmt == CRM_FMT_JSONL)
		crm_buf_addch(&b, '\n');
	err = record_emit(o, b.buf, b.len);
done:
	free(s);
	cJSON_Delete(sel);
	crm_buf_release(&b);
	return err;
}

/* RFC 4180: quote what a reader would split or trim. */
static void
csv_field(struct crm_buf *b, const char *s, size_t n)
{
	int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
	size_t i;

	for (i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' ||
		    s[i] == '\n';
	if (!quote) {
		crm_buf_add(b, s, n);
		return;
	}
	crm_buf_addch(b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			crm_buf_addch(b, '"');
		crm_buf_addch(b, s[i]);
	}
	crm_buf_addch(b, '"');
}

static void
tsv_field(struct crm_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (s[i]) {
		case '\\':
			crm_buf_adds(b, "\\\\");
			break;
		case '\t':
			crm_buf_adds(b, "\\t");
			break;
		case '\n':
			crm_buf_adds(b, "\\n");
			break;
		case '\r':
			crm_buf_adds(b, "\\r");
			break;
		default:
			crm_buf_addch(b, s[i]);
		}
}

static void
add_field(const struct crm_out *o, struct crm_buf *b, size_t i,
    const char *s, size_t n)
{
	if (i > 0)
		crm_buf_addch(b, o->fmt == CRM_FMT_CSV ? ',' : '\t');
	if (o->fmt == CRM_FMT_CSV)
		csv_field(b, s, n);
	else
		tsv_field(b, s, n);
}

static void
header_line(const struct crm_out *o, struct crm_buf *b)
{
	size_t i;

	for (i = 0; i < o->cols.n; i++)
		add_field(o, b, i, o->cols.v[i], strlen(o->cols.v[i]));
	crm_buf_addch(b, '\n');
}

static struct crm_error *
write_delimited(struct crm_out *o, const cJSON *rec)
{
	struct crm_buf line = CRM_BUF_INIT, cell = CRM_BUF_INIT;
	struct crm_error *err;
	size_t i;

	if (o->n == 0)
		header_line(o, &line);
	for (i = 0; i < o->cols.n; i++) {
		crm_buf_reset(&cell);
		cell_text(lookup(rec, o->cols.v[i]), &cell);
		add_field(o, &line, i, crm_buf_str(&cell), cell.len);
	}
	crm_buf_addch(&line, '\n');
	err = record_emit(o, line.buf, line.len);
	crm_buf_release(&line);
	crm_buf_release(&cell);
	return err;
}

static void
table_row(struct crm_out *o, const cJSON *rec)
{
	struct crm_buf cell = CRM_BUF_INIT;
	size_t i;
	int num;

	for (i = 0; i < o->cols.n; i++) {
		crm_buf_reset(&cell);
		num = cell_text(lookup(rec, o->cols.v[i]), &cell);
		record_table_add(o, crm_buf_str(&cell), num);
	}
	crm_buf_release(&cell);
}

struct crm_error *
crm_out_write(struct crm_out *o, const cJSON *rec)
{
	struct crm_error *err = NULL;

	if (o->closed)
		return NULL;
	if (!o->have_cols && o->fmt != CRM_FMT_JSONL &&
	    o->fmt != CRM_FMT_JSON) {
		flatten_keys(rec, "", &o->cols);
		o->have_cols = 1;
	}
	switch (o->fmt) {
	case CRM_FMT_JSONL:
	case CRM_FMT_JSON:
		err = write_json(o, rec);
		break;
	case CRM_FMT_CSV:
	case CRM_FMT_TSV:
		err = write_delimited(o, rec);
		break;
	case CRM_FMT_TABLE:
		table_row(o, rec);
		break;
	}
	if (err == NULL)
		o->n++;
	return err;
}

struct crm_error *
crm_out_finish(struct crm_out *o)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err = NULL;

	if (o->closed || o->finished)
		return NULL;
	o->finished = 1;
	if (o->fmt == CRM_FMT_JSON)
		/* Both ends are three bytes long. */
		err = record_emit(o, o->n == 0 ? "[]\n" : "\n]\n", 3);
	else if ((o->fmt == CRM_FMT_CSV || o->fmt == CRM_FMT_TSV) &&
	    o->n == 0 && o->have_cols) {
		header_line(o, &b);
		err = record_emit(o, b.buf, b.len);
	} else if (o->fmt == CRM_FMT_TABLE)
		err = record_table_finish(o);
	crm_buf_release(&b);
	if (err != NULL || o->closed)
		return err;
	errno = 0;
	if (fflush(o->fp) != 0 || ferror(o->fp))
		return write_failed(o);
	return NULL;
}

int
crm_out_closed(const struct crm_out *o)
{
	return o != NULL && o->closed;
}

void
crm_out_free(struct crm_out *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->ncells; i++)
		free(o->cells[i].s);
	free(o->cells);
	crm_strv_clear(&o->fields);
	crm_strv_clear(&o->cols);
	free(o);
}
