/*
 * Deals, the read side: the schema, the fields filters know (now and as
 * of a past day), references, records, lists and the stage history.
 * Writes are in deal_edit.c, the board in deal_board.c, import in
 * deal_import.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_deal.h"
#include "crm_filter.h"
#include "crm_money.h"
#include "crm_util.h"
#include "deal_int.h"

const char crm_deal_schema_1[] =
	"CREATE TABLE deals ("
	/* Never reused: a deleted deal's events stay its own. */
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" title TEXT NOT NULL,"
	" contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	" company_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,"
	" stage_id INTEGER NOT NULL REFERENCES stages(id),"
	" amount INTEGER CHECK (amount >= 0),"
	" currency TEXT NOT NULL,"
	" probability INTEGER CHECK (probability BETWEEN 0 AND 100),"
	" expected_close TEXT,"
	" closed_at TEXT,"
	" lost_reason TEXT,"
	" owner TEXT,"
	" source TEXT,"
	" external_id TEXT,"
	" fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	/* Covers the board's sums, and --where on a stage. */
	"CREATE INDEX deals_board ON deals(stage_id, currency, amount,"
	" probability);"
	"CREATE INDEX deals_contact ON deals(contact_id);"
	"CREATE INDEX deals_company ON deals(company_id);"
	"CREATE UNIQUE INDEX deals_external_id ON deals(external_id);"
	"CREATE TABLE deal_tags ("
	" deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,"
	" tag TEXT NOT NULL,"
	" PRIMARY KEY (deal_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX deal_tags_tag ON deal_tags(tag, deal_id);"
	/*
	 * One row per change of stage: the state left (from_*) and the
	 * state entered (to_*), with names as they were, so that a stage
	 * deleted or renamed since still reads right.
	 */
	"CREATE TABLE deal_history ("
	" id INTEGER PRIMARY KEY,"
	" deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,"
	" at TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" from_pipeline TEXT NOT NULL,"
	" from_stage_id INTEGER NOT NULL,"
	" from_stage TEXT NOT NULL,"
	" from_status TEXT NOT NULL,"
	" from_closed_at TEXT,"
	" from_reason TEXT,"
	" to_pipeline TEXT NOT NULL,"
	" to_stage_id INTEGER NOT NULL,"
	" to_stage TEXT NOT NULL,"
	" to_status TEXT NOT NULL,"
	" to_reason TEXT);"
	"CREATE INDEX deal_history_deal ON deal_history(deal_id, at);";

const char *const crm_deal_columns[] = {
	"id", "title", "contact", "contact_id", "company", "company_id",
	"pipeline", "stage", "status", "amount", "currency", "probability",
	"expected_close", "closed_at", "lost_reason", "owner", "source",
	"external_id", "tags", "fields", "created_at", "updated_at", NULL
};

const char *const crm_deal_table_columns[] = {
	"id", "title", "contact", "stage", "status", "amount", "currency",
	"expected_close", NULL
};

enum { C_ID, C_TITLE, C_CONTACT, C_CONTACT_ID, C_COMPANY, C_COMPANY_ID,
	C_PIPELINE, C_STAGE, C_STATUS, C_AMOUNT, C_CURRENCY, C_PROB,
	C_EXPECTED, C_CLOSED, C_REASON, C_OWNER, C_SOURCE, C_EXT, C_TAGS,
	C_FIELDS, C_CREATED, C_UPDATED, NCOLS };

#define TAGS_SQL "EXISTS (SELECT 1 FROM deal_tags t" \
	" WHERE t.deal_id = d.id AND t.tag %s)"

/* The SQL of each column, now and as of a bound. */
static const char *const sel_now[NCOLS] = {
	"d.id", "d.title", "c.name", "d.contact_id", "co.name",
	"d.company_id", "p.name", "s.name", "s.kind", "d.amount",
	"d.currency", DEAL_PROB("s.kind"), "d.expected_close", "d.closed_at",
	"d.lost_reason", "d.owner", "d.source", "d.external_id",
	("(SELECT json_group_array(tag) FROM (SELECT tag FROM deal_tags t"
	" WHERE t.deal_id = d.id ORDER BY tag))"), "d.fields", "d.created_at",
	"d.updated_at"
};

/* Columns that differ as of a bound. */
static const char *
sel(int col, int as_of)
{
	if (!as_of)
		return sel_now[col];
	switch (col) {
	case C_PIPELINE:
		return "COALESCE(p.name, h.from_pipeline)";
	case C_STAGE:
		return "COALESCE(s.name, h.from_stage)";
	case C_STATUS:
		return DEAL_AS_OF_STATUS;
	case C_PROB:
		return DEAL_PROB(DEAL_AS_OF_STATUS);
	case C_CLOSED:
		return DEAL_AS_OF("closed_at");
	case C_REASON:
		return "(CASE WHEN h.id IS NULL THEN d.lost_reason"
		    " ELSE h.from_reason END)";
	default:
		return sel_now[col];
	}
}

static struct crm_field fields_now[24], fields_as_of[24], fields_where[24];
static struct crm_fieldset fs_now = { fields_now, 0, "d.fields", NULL };
static struct crm_fieldset fs_as_of = { fields_as_of, 0, "d.fields", NULL };
/*
 * --where as of now: a stage is a set of stage ids, one a pipeline, so
 * that the deals are filtered on their own column before the join.
 */
static struct crm_fieldset fs_where = { fields_where, 0, "d.fields", NULL };

static void
fieldset_init(struct crm_fieldset *fs, struct crm_field *f, int as_of)
{
	static char *amount;
	static const struct { const char *name; int col; enum crm_ftype t; }
	    map[] = {
		{ "id", C_ID, CRM_FT_INT }, { "title", C_TITLE, CRM_FT_TEXT },
		{ "contact", C_CONTACT, CRM_FT_TEXT },
		{ "contact_id", C_CONTACT_ID, CRM_FT_INT },
		{ "company", C_COMPANY, CRM_FT_TEXT },
		{ "company_id", C_COMPANY_ID, CRM_FT_INT },
		{ "pipeline", C_PIPELINE, CRM_FT_TEXT },
		{ "stage", C_STAGE, CRM_FT_TEXT },
		{ "status", C_STATUS, CRM_FT_TEXT },
		{ "amount", C_AMOUNT, CRM_FT_INT },
		{ "currency", C_CURRENCY, CRM_FT_TEXT },
		{ "probability", C_PROB, CRM_FT_INT },
		{ "expected_close", C_EXPECTED, CRM_FT_TIME },
		{ "closed_at", C_CLOSED, CRM_FT_TIME },
		{ "lost_reason", C_REASON, CRM_FT_TEXT },
		{ "owner", C_OWNER, CRM_FT_TEXT },
		{ "source", C_SOURCE, CRM_FT_TEXT },
		{ "external_id", C_EXT, CRM_FT_TEXT },
		{ "tag", C_TAGS, CRM_FT_SET }, { "tags", C_TAGS, CRM_FT_SET },
		{ "created_at", C_CREATED, CRM_FT_TIME },
		{ "updated_at", C_UPDATED, CRM_FT_TIME },
	};
	size_t i;

	if (fs->n > 0)
		return;
	if (amount == NULL)
		amount = crm_money_value_sql("d.amount", "d.currency");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		f[i].name = map[i].name;
		f[i].type = map[i].t;
		f[i].sql = sel(map[i].col, as_of);
		if (map[i].col == C_AMOUNT)
			f[i].sql = amount;
		else if (map[i].col == C_TAGS)
			f[i].sql = TAGS_SQL;
		else if (map[i].col == C_EXPECTED)
			/* Dates compare as the start of their day. */
			f[i].sql = "(d.expected_close || 'T00:00:00Z')";
	}
	fs->n = i;
}

const struct crm_fieldset *
crm_deal_fieldset(int as_of)
{
	if (as_of) {
		fieldset_init(&fs_as_of, fields_as_of, 1);
		return &fs_as_of;
	}
	fieldset_init(&fs_now, fields_now, 0);
	return &fs_now;
}

struct crm_error *
crm_deal_as_of(const char *text, char bound[CRM_TIME_LEN])
{
	char t[CRM_TIME_LEN];
	struct tm tm;
	int day;

	if (crm_time_parse(text, t, &day) != 0)
		return crm_error_new(CRM_EXIT_USAGE, "--as-of: expected a date "
		    "or time such as 2026-11-01 or -30d, got \"%s\"", text);
	if (day) {
		crm_time_add_days(t, 1, bound);
		return NULL;
	}
	/* One second on: the state at t includes the changes made at t. */
	memset(&tm, 0, sizeof(tm));
	sscanf(t, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	crm_time_format(timegm(&tm) + 1, bound);
	return NULL;
}

struct crm_error *
crm_deal_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	struct crm_error *err = NULL;
	int n = 0;

	if (crm_is_id(ref))
		err = crm_db_lookup(db, "SELECT id FROM deals WHERE id = ?",
		    ref, id, &n);
	else if (strncmp(ref, "ext:", 4) == 0 && ref[4] != '\0')
		err = crm_db_lookup(db, "SELECT id FROM deals"
		    " WHERE external_id = ?", ref + 4, id, &n);
	if (err == NULL && n == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "no deal \"%s\"", ref);
	return err;
}

/* The record for the current row of a query over the columns. */
static cJSON *
row_record(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject(), *v;
	const struct crm_currency *cur;
	char buf[CRM_MONEY_LEN];
	const char *text;
	int i;

	for (i = 0; i < NCOLS; i++) {
		text = (const char *)sqlite3_column_text(st, i);
		if (i == C_TAGS || i == C_FIELDS) {
			v = cJSON_Parse(text != NULL ? text : "null");
			if (v == NULL)
				v = cJSON_CreateNull();
		} else if (i == C_AMOUNT && text != NULL) {
			cur = crm_currency_find((const char *)
			    sqlite3_column_text(st, C_CURRENCY));
			crm_money_format(sqlite3_column_int64(st, i),
			    cur != NULL ? cur->digits : 2, buf);
			v = cJSON_CreateString(buf);
		} else
			v = crm_db_column_json(st, i);
		cJSON_AddItemToObject(rec, crm_deal_columns[i], v);
	}
	return rec;
}

/*
 * Call row with each row of the deals matching f (NULL: all) and, when
 * id is not 0, of deal id, in order, as of bound (NULL: now), until it
 * returns non-zero.
 */
static struct crm_error *
query(struct crm_db *db, const char *bound, const struct crm_filter *f,
    const char *order, long limit, sqlite3_int64 id,
    int (*row)(sqlite3_stmt *, void *), void *arg)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	int i, n = 1, rc, stop = 0;

	/* Reads jump about the table: mapped pages spare a pread each. */
	sqlite3_exec(db->sql, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);
	crm_buf_adds(&sql, "SELECT ");
	for (i = 0; i < NCOLS; i++)
		crm_buf_addf(&sql, "%s%s", i ? ", " : "",
		    sel(i, bound != NULL));
	crm_buf_addf(&sql, "%s (%s)%s ORDER BY %s%s", bound != NULL ?
	    DEAL_FROM_AS_OF : DEAL_FROM_NOW " WHERE",
	    f ? crm_filter_sql(f) : "1", id != 0 ? " AND d.id = ?" : "", order,
	    limit > 0 ? " LIMIT ?" : "");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	if (bound != NULL)
		sqlite3_bind_text(st, n++, bound, -1, SQLITE_STATIC);
	if (f != NULL) {
		crm_filter_bind(f, st, n);
		n += crm_filter_nparams(f);
	}
	if (id != 0)
		sqlite3_bind_int64(st, n++, id);
	if (limit > 0)
		sqlite3_bind_int64(st, n++, limit);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = row(st, arg);
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
done:
	sqlite3_finalize(st);
	crm_buf_release(&sql);
	return err;
}

struct to_rec {
	int	(*fn)(const cJSON *, void *);
	void	*arg;
};

static int
to_record(sqlite3_stmt *st, void *arg)
{
	struct to_rec *t = arg;
	cJSON *rec = row_record(st);
	int stop = t->fn(rec, t->arg);

	cJSON_Delete(rec);
	return stop;
}

static int
keep_one(const cJSON *rec, void *arg)
{
	*(cJSON **)arg = cJSON_Duplicate(rec, 1);
	return 1;
}

struct crm_error *
crm_deal_get(struct crm_db *db, sqlite3_int64 id, const char *as_of,
    cJSON **rec)
{
	struct crm_error *err;
	struct to_rec t = { keep_one, rec };

	*rec = NULL;
	err = query(db, as_of, NULL, "d.id", 0, id, to_record, &t);
	if (err == NULL && *rec == NULL)
		err = as_of != NULL ? crm_error_new(CRM_EXIT_FAIL, "deal %lld "
		    "did not exist before %s", (long long)id, as_of) :
		    crm_error_new(CRM_EXIT_FAIL, "no deal %lld", (long long)id);
	return err;
}

static const struct crm_fieldset *
where_fieldset(void)
{
	size_t i;

	if (fs_where.n == 0) {
		fieldset_init(&fs_where, fields_where, 0);
		for (i = 0; i < fs_where.n; i++)
			if (strcmp(fields_where[i].name, "stage") == 0) {
				fields_where[i].sql = "d.stage_id IN (SELECT"
				    " st.id FROM stages st WHERE st.name %s)";
				fields_where[i].type = CRM_FT_SET;
			}
	}
	return &fs_where;
}

static struct crm_error *
list_rows(struct crm_db *db, const struct crm_deal_query *q,
    int (*row)(sqlite3_stmt *, void *), void *arg)
{
	const struct crm_fieldset *fs = crm_deal_fieldset(q->as_of != NULL);
	const struct crm_fieldset *wfs = q->as_of != NULL ? fs :
	    where_fieldset();
	struct crm_filter *f;
	struct crm_error *err;
	char *order;

	if ((err = crm_list_compile(q->where, q->sort, wfs, fs, NULL, "d.id", &f,
	    &order)) != NULL)
		return err;
	err = query(db, q->as_of, f, order, q->limit, 0, row, arg);
	crm_filter_free(f);
	free(order);
	return err;
}

struct crm_error *
crm_deal_list(struct crm_db *db, const struct crm_deal_query *q,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct to_rec t = { fn, arg };

	return list_rows(db, q, to_record, &t);
}

/* s as cJSON prints a string; runs of plain bytes copied at once. */
static void
json_text(struct crm_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	static const char short_esc[] = "\"\\\b\f\n\r\t";
	const unsigned char *p = (const unsigned char *)s, *run;
	const char *e;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	crm_buf_addch(b, '"');
	for (;;) {
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		crm_buf_add(b, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if ((e = strchr(short_esc, *p)) != NULL) {
			crm_buf_addch(b, '\\');
			crm_buf_addch(b, "\"\\bfnrt"[e - short_esc]);
		} else {
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			crm_buf_add(b, esc, 6);
		}
		p++;
	}
	crm_buf_addch(b, '"');
}

struct jsonl {
	FILE		*fp;
	struct crm_buf	 b;
	int		 errnum;	/* a write error other than EPIPE */
	const struct crm_currency *cur;	/* of the last row */
};

/*
 * One row as JSON text, byte for byte as row_record() then cJSON.  The
 * type of each column is known from the schema ('i' integer, 'r' JSON
 * text, 'm' money, 't' text): no sqlite3_column_type() call a column.
 */
static int
json_row(sqlite3_stmt *st, void *arg)
{
	static const char kind[NCOLS + 1] = "ittititttmtittttttrrtt";
	struct jsonl *j = arg;
	char buf[CRM_MONEY_LEN];
	const char *text, *code;
	int i;

	crm_buf_reset(&j->b);
	for (i = 0; i < NCOLS; i++) {
		crm_buf_add(&j->b, i ? ",\"" : "{\"", 2);
		crm_buf_adds(&j->b, crm_deal_columns[i]);
		crm_buf_add(&j->b, "\":", 2);
		if ((text = (const char *)sqlite3_column_text(st, i)) == NULL)
			crm_buf_add(&j->b, "null", 4);
		else if (kind[i] == 'i' || kind[i] == 'r')
			crm_buf_adds(&j->b, text);
		else if (kind[i] == 'm') {
			code = (const char *)sqlite3_column_text(st,
			    C_CURRENCY);
			if (j->cur == NULL || strcmp(j->cur->code, code) != 0)
				j->cur = crm_currency_find(code);
			crm_money_format(sqlite3_column_int64(st, i),
			    j->cur != NULL ? j->cur->digits : 2, buf);
			json_text(&j->b, buf);
		} else
			json_text(&j->b, text);
	}
	crm_buf_add(&j->b, "}\n", 2);
	if (fwrite(j->b.buf, 1, j->b.len, j->fp) == j->b.len)
		return 0;
	j->errnum = errno != 0 ? errno : EIO;
	return 1;
}

struct crm_error *
crm_deal_list_jsonl(struct crm_db *db, const struct crm_deal_query *q,
    FILE *fp, int *closed)
{
	struct jsonl j = { fp, CRM_BUF_INIT, 0, NULL };
	struct crm_error *err;

	*closed = 0;
	errno = 0;
	err = list_rows(db, q, json_row, &j);
	if (err == NULL && j.errnum == 0 && fflush(fp) != 0)
		j.errnum = errno != 0 ? errno : EIO;
	crm_buf_release(&j.b);
	if (err != NULL || j.errnum == 0)
		return err;
	if (j.errnum == EPIPE) {
		*closed = 1;
		return NULL;
	}
	return crm_error_new(CRM_EXIT_FAIL, "write error: %s",
	    strerror(j.errnum));
}

#define TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)))

struct crm_error *
crm_deal_count(struct crm_db *db, sqlite3_int64 pid, sqlite3_int64 sid,
    long *n)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	err = crm_db_prepare(db, sid != 0 ?
	    "SELECT count(*) FROM deals WHERE stage_id = ?" :
	    "SELECT count(*) FROM deals WHERE stage_id IN"
	    " (SELECT id FROM stages WHERE pipeline_id = ?)", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, sid != 0 ? sid : pid);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(st, 0);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_deal_values(struct crm_db *db, const char *field,
    void (*fn)(const char *, void *), void *arg)
{
	static const char *const known[][2] = {
		{ "owner", "SELECT DISTINCT owner FROM deals"
		    " WHERE owner IS NOT NULL ORDER BY 1" },
		{ "source", "SELECT DISTINCT source FROM deals"
		    " WHERE source IS NOT NULL ORDER BY 1" },
		{ "tag", "SELECT DISTINCT tag FROM deal_tags ORDER BY 1" },
	};
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i][0], field) == 0)
			break;
	if (i == sizeof(known) / sizeof(known[0]))
		return NULL;
	if ((err = crm_db_prepare(db, known[i][1], &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(TEXT(st, 0), arg);
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_deal_flat_columns(struct crm_db *db, struct crm_strv *cols)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char name[300];
	size_t i;
	int rc = SQLITE_DONE;

	err = crm_db_prepare(db, "SELECT DISTINCT j.key FROM deals d,"
	    " json_each(d.fields) j ORDER BY 1", &st);
	if (err != NULL)
		return err;
	for (i = 0; crm_deal_columns[i] != NULL; i++) {
		if (i != C_FIELDS) {
			crm_strv_push(cols, crm_deal_columns[i]);
			continue;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			snprintf(name, sizeof(name), "fields.%s", TEXT(st, 0));
			crm_strv_push(cols, name);
		}
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}
