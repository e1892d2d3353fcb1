/*
 * Lead scores: the rules, the scoring pass and its explanation, kept per
 * contact in contact_scores, which the contact filter reads (score).  The
 * schema is here for RFM too (rfm.c), whose scores share that table.
 *
 * The pass is one INSERT ... SELECT over every contact (the rules become
 * one sum of CASE expressions), so that a million contacts take one scan,
 * not a million statements.
 *
 * score_rule_uses records which segments each rule names, so that
 * segment.c refuses to rename or delete a segment a rule still names
 * instead of breaking it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_score.h"
#include "crm_util.h"
#include "score_int.h"

const char crm_score_schema_1[] =
	"CREATE TABLE score_rules ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" filter TEXT NOT NULL,"
	" points INTEGER NOT NULL,"
	" created_at TEXT NOT NULL);"
	/* The segments a rule's filter names itself. */
	"CREATE TABLE score_rule_uses ("
	" rule_id INTEGER NOT NULL"
	"  REFERENCES score_rules(id) ON DELETE CASCADE,"
	" uses_id INTEGER NOT NULL REFERENCES segments(id),"
	" PRIMARY KEY (rule_id, uses_id)) WITHOUT ROWID;"
	"CREATE INDEX score_rule_uses_uses ON score_rule_uses(uses_id);"
	"CREATE TABLE contact_scores ("
	" contact_id INTEGER PRIMARY KEY"
	"  REFERENCES contacts(id) ON DELETE CASCADE,"
	" score INTEGER,"
	" scored_at TEXT,"
	" rfm_r INTEGER CHECK (rfm_r BETWEEN 1 AND 5),"
	" rfm_f INTEGER CHECK (rfm_f BETWEEN 1 AND 5),"
	" rfm_m INTEGER CHECK (rfm_m BETWEEN 1 AND 5),"
	" rfm_group TEXT,"
	" rfm_at TEXT);"
	"CREATE INDEX contact_scores_score ON contact_scores(score);"
	"CREATE INDEX contact_scores_rfm ON contact_scores(rfm_group);";

const char *const crm_score_rule_columns[] = {
	"id", "where", "points", "created_at", NULL
};

const char *const crm_score_explain_columns[] = {
	"rule", "where", "points", "matched", "given", NULL
};

#define FROM_CONTACTS	" FROM contacts c" \
	" LEFT JOIN contacts co ON co.id = c.company_id"

struct rule {
	sqlite3_int64	 id;
	char		*where;
	long long	 points;
	struct crm_filter *f;
};

struct rules {
	struct rule	*v;
	size_t		 n;
};

static void
rules_release(struct rules *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].where);
		crm_filter_free(rs->v[i].f);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

/* The ids a rule names, for score_rule_uses. */
static void
note_use(void *arg, sqlite3_int64 id)
{
	struct crm_buf *ids = arg;

	crm_buf_add(ids, &id, sizeof(id));
}

/*
 * Compile where as a rule's filter into *f, adding the ids of the
 * segments it names to ids unless that is NULL.
 */
static struct crm_error *
compile(struct crm_db *db, const char *where, struct crm_buf *ids,
    struct crm_filter **f)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };

	*f = NULL;
	if (ids != NULL) {
		scope.named = note_use;
		scope.arg = ids;
	}
	/* A rule for everyone is a constant: surely a mistake. */
	if (where[strspn(where, " \t\r\n")] == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "a rule needs a filter");
	return crm_filter_compile_in(where, crm_contact_fieldset(), &scope, f);
}

/* Every rule by id, each compiled, into rs. */
static struct crm_error *
rules_load(struct crm_db *db, struct rules *rs)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	struct rule *r;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if ((err = crm_db_prepare(db, "SELECT id, filter, points"
	    " FROM score_rules ORDER BY id", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rs->v = crm_xrealloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
		r = &rs->v[rs->n++];
		r->id = sqlite3_column_int64(st, 0);
		r->where = crm_xstrdup((const char *)sqlite3_column_text(st,
		    1));
		r->points = sqlite3_column_int64(st, 2);
		r->f = NULL;
		if ((err = compile(db, r->where, NULL, &r->f)) != NULL) {
			err = crm_error_prefix(err, "rule %lld",
			    (long long)r->id);
			break;
		}
	}
	if (err == NULL && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err != NULL)
		rules_release(rs);
	return err;
}

/*
 * Bind the conditions of rs from parameter 1, each followed by its
 * points when points is set; returns the next free index.
 */
static int
rules_bind(const struct rules *rs, sqlite3_stmt *st, int points)
{
	size_t i;
	int k = 1;

	for (i = 0; i < rs->n; i++) {
		crm_filter_bind(rs->v[i].f, st, k);
		k += crm_filter_nparams(rs->v[i].f);
		if (points)
			sqlite3_bind_int64(st, k++, rs->v[i].points);
	}
	return k;
}

struct crm_error *
crm_score_points_parse(const char *text, long long *points)
{
	char *end;

	errno = 0;
	*points = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || text[strspn(text, "+-0123456789")]
	    != '\0')
		return crm_error_new(CRM_EXIT_USAGE, "points: expected a whole "
		    "number, got \"%s\"", text);
	if (errno != 0 || *points > CRM_SCORE_POINTS_MAX ||
	    *points < -CRM_SCORE_POINTS_MAX)
		return crm_error_new(CRM_EXIT_USAGE, "points: expected a whole "
		    "number from %lld to %lld, got \"%s\"",
		    -CRM_SCORE_POINTS_MAX, CRM_SCORE_POINTS_MAX, text);
	return NULL;
}

static struct crm_error *
rule_event(struct crm_db *db, sqlite3_int64 id, const char *action,
    const char *where, long long points)
{
	struct crm_error *err;
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "where", where);
	cJSON_AddNumberToObject(c, "points", (double)points);
	err = crm_db_event(db, "score_rule", id, action, c);
	cJSON_Delete(c);
	return err;
}

/* Record that rule id names the segments in ids. */
static struct crm_error *
rule_uses(struct crm_db *db, sqlite3_int64 id, const struct crm_buf *ids)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	sqlite3_int64 u;
	size_t i;

	for (i = 0; i + sizeof(u) <= ids->len && err == NULL; i += sizeof(u)) {
		memcpy(&u, ids->buf + i, sizeof(u));
		if ((err = crm_db_prepare(db, "INSERT OR IGNORE INTO"
		    " score_rule_uses (rule_id, uses_id) VALUES (?, ?)",
		    &st)) != NULL)
			break;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, u);
		err = crm_db_step_done(db, st);
	}
	return err;
}

struct crm_error *
crm_score_rule_add(struct crm_db *db, const char *where, long long points,
    sqlite3_int64 *id)
{
	char now[CRM_TIME_LEN];
	struct crm_buf ids = CRM_BUF_INIT;
	struct crm_filter *f;
	struct crm_error *err;
	sqlite3_stmt *st;

	*id = 0;
	if ((err = compile(db, where, &ids, &f)) != NULL) {
		err = crm_error_prefix(err, "rule");
		goto done;
	}
	crm_filter_free(f);
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "INSERT INTO score_rules (filter,"
	    " points, created_at) VALUES (?, ?, ?)", &st)) != NULL)
		goto done;
	crm_db_bind_text(st, 1, where);
	sqlite3_bind_int64(st, 2, points);
	crm_db_bind_text(st, 3, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		goto done;
	*id = sqlite3_last_insert_rowid(db->sql);
	if ((err = rule_uses(db, *id, &ids)) == NULL)
		err = rule_event(db, *id, "add", where, points);
done:
	crm_buf_release(&ids);
	return err;
}

struct crm_error *
crm_score_rule_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	struct crm_error *err;
	int n;

	*id = 0;
	if (!crm_is_id(ref))
		return crm_error_new(CRM_EXIT_USAGE, "rule: expected a rule "
		    "id, got \"%s\"", ref);
	if ((err = crm_db_lookup(db, "SELECT id FROM score_rules"
	    " WHERE id = CAST(? AS INTEGER)", ref, id, &n)) != NULL)
		return err;
	if (n == 0)
		return crm_error_new(CRM_EXIT_FAIL, "no rule %s", ref);
	return NULL;
}

static cJSON *
rule_row(sqlite3_stmt *st)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddNumberToObject(rec, "id",
	    (double)sqlite3_column_int64(st, 0));
	cJSON_AddStringToObject(rec, "where",
	    (const char *)sqlite3_column_text(st, 1));
	cJSON_AddNumberToObject(rec, "points",
	    (double)sqlite3_column_int64(st, 2));
	cJSON_AddStringToObject(rec, "created_at",
	    (const char *)sqlite3_column_text(st, 3));
	return rec;
}

#define RULE_SELECT "SELECT id, filter, points, created_at FROM score_rules"

struct crm_error *
crm_score_rule_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	return crm_db_get_one(db, RULE_SELECT " WHERE id = ?", id, rule_row,
	    "rule", rec);
}

struct crm_error *
crm_score_rule_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;

	/* The event keeps what the rule was. */
	if ((err = crm_score_rule_get(db, id, &rec)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, "DELETE FROM score_rules WHERE id = ?",
	    &st)) == NULL) {
		sqlite3_bind_int64(st, 1, id);
		if ((err = crm_db_step_done(db, st)) == NULL)
			err = rule_event(db, id, "delete",
			    cJSON_GetObjectItem(rec, "where")->valuestring,
			    (long long)cJSON_GetObjectItem(rec,
			    "points")->valuedouble);
	}
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_score_rule_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, RULE_SELECT " ORDER BY id", &st)) !=
	    NULL)
		return err;
	return crm_db_each_row(db, st, rule_row, fn, arg);
}

struct crm_error *
score_pass_event(struct crm_db *db, const char *action, cJSON *c)
{
	struct crm_error *err;

	err = crm_db_event(db, "score", 0, action, c);
	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_score_run(struct crm_db *db, long long *contacts, long long *rules)
{
	char now[CRM_TIME_LEN];
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	struct rules rs;
	sqlite3_stmt *st;
	cJSON *ev;
	size_t i;

	*contacts = *rules = 0;
	if ((err = rules_load(db, &rs)) != NULL)
		return err;
	sqlite3_exec(db->sql, SCORE_PASS_PRAGMA, NULL, NULL, NULL);
	crm_buf_adds(&sql, "INSERT INTO contact_scores (contact_id, score,"
	    " scored_at) SELECT c.id, 0");
	for (i = 0; i < rs.n; i++)
		crm_buf_addf(&sql, " + CASE WHEN (%s) THEN ? ELSE 0 END",
		    crm_filter_sql(rs.v[i].f));
	/* WHERE true: an upsert after a join needs it to parse. */
	crm_buf_adds(&sql, ", ?" FROM_CONTACTS " WHERE true"
	    " ON CONFLICT (contact_id) DO UPDATE SET score = excluded.score,"
	    " scored_at = excluded.scored_at");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	crm_time_now(now);
	crm_db_bind_text(st, rules_bind(&rs, st, 1), now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		goto done;
	*contacts = sqlite3_changes64(db->sql);
	*rules = (long long)rs.n;
	ev = cJSON_CreateObject();
	cJSON_AddNumberToObject(ev, "contacts", (double)*contacts);
	cJSON_AddNumberToObject(ev, "rules", (double)*rules);
	err = score_pass_event(db, "score", ev);
done:
	crm_buf_release(&sql);
	rules_release(&rs);
	return err;
}

static cJSON *
explain_record(const struct rule *r, int matched)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddNumberToObject(rec, "rule", (double)r->id);
	cJSON_AddStringToObject(rec, "where", r->where);
	cJSON_AddNumberToObject(rec, "points", (double)r->points);
	cJSON_AddBoolToObject(rec, "matched", matched);
	cJSON_AddNumberToObject(rec, "given",
	    matched ? (double)r->points : 0);
	return rec;
}

struct crm_error *
crm_score_explain(struct crm_db *db, sqlite3_int64 contact,
    int (*fn)(const cJSON *, void *), void *arg, long long *total,
    long long *stored, int *scored)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	struct rules rs;
	sqlite3_stmt *st = NULL;
	cJSON *rec;
	size_t i;
	int rc, m, stop = 0;

	*total = *stored = 0;
	*scored = 0;
	if ((err = rules_load(db, &rs)) != NULL)
		return err;
	/* The whole explanation from one row: the same SQL as the pass. */
	crm_buf_adds(&sql, "SELECT (SELECT cs.score FROM contact_scores cs"
	    " WHERE cs.contact_id = c.id)");
	for (i = 0; i < rs.n; i++)
		crm_buf_addf(&sql, ", CASE WHEN (%s) THEN 1 ELSE 0 END",
		    crm_filter_sql(rs.v[i].f));
	crm_buf_adds(&sql, FROM_CONTACTS " WHERE c.id = ?");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, rules_bind(&rs, st, 0), contact);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_FAIL,
		    "no contact %lld", (long long)contact) :
		    crm_db_error(db, rc);
		goto done;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*scored = 1;
		*stored = sqlite3_column_int64(st, 0);
	}
	for (i = 0; i < rs.n; i++) {
		m = sqlite3_column_int(st, (int)i + 1);
		if (m)
			*total += rs.v[i].points;
		if (!stop) {
			rec = explain_record(&rs.v[i], m);
			stop = fn(rec, arg);
			cJSON_Delete(rec);
		}
	}
done:
	sqlite3_finalize(st);
	crm_buf_release(&sql);
	rules_release(&rs);
	return err;
}
