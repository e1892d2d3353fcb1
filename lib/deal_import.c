/*
 * Deal import: records (deal_read.c: CSV rows as fields, JSON Lines as
 * objects), their keys mapped to deal fields (--map, then the names the
 * usual exports use, then custom fields), each checked as add and update
 * check it; then added in batches (deal_bulk.c), or with upsert updated
 * by external id or added one by one, with statements kept prepared.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_deal.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "deal_int.h"

#define T_CUSTOM	(-1)
#define T_DROP		(-2)
#define MAX_KEYS	1024

/* Names as compared: lower-case letters and digits only. */
static const struct {
	const char	*key;
	int		 f;
	int		 prio;		/* the higher wins the field */
} known[] = {
	{ "title", F_TITLE, 2 }, { "name", F_TITLE, 1 },
	{ "dealname", F_TITLE, 1 }, { "opportunityname", F_TITLE, 1 },
	{ "subject", F_TITLE, 0 },
	{ "contactid", F_CONTACT, 2 }, { "contact", F_CONTACT, 1 },
	{ "contactemail", F_CONTACT, 1 }, { "email", F_CONTACT, 0 },
	{ "companyid", F_COMPANY, 2 }, { "company", F_COMPANY, 1 },
	{ "companyname", F_COMPANY, 1 }, { "account", F_COMPANY, 0 },
	{ "accountname", F_COMPANY, 0 }, { "organization", F_COMPANY, 0 },
	{ "pipeline", F_PIPELINE, 1 }, { "stage", F_STAGE, 1 },
	{ "dealstage", F_STAGE, 0 }, { "status", F_STATUS, 1 },
	{ "amount", F_AMOUNT, 1 }, { "dealamount", F_AMOUNT, 0 },
	{ "value", F_AMOUNT, 0 }, { "dealvalue", F_AMOUNT, 0 },
	{ "currency", F_CURRENCY, 1 }, { "currencycode", F_CURRENCY, 0 },
	{ "probability", F_PROB, 1 }, { "winprobability", F_PROB, 0 },
	{ "expectedclose", F_EXPECTED, 1 }, { "closedate", F_EXPECTED, 0 },
	{ "expectedclosedate", F_EXPECTED, 0 }, { "closedat", F_CLOSED, 1 },
	{ "lostreason", F_REASON, 1 }, { "closedlostreason", F_REASON, 0 },
	{ "owner", F_OWNER, 1 }, { "dealowner", F_OWNER, 0 },
	{ "source", F_SOURCE, 1 }, { "leadsource", F_SOURCE, 0 },
	{ "externalid", F_EXT, 1 }, { "dealid", F_EXT, 0 },
	{ "tags", F_TAGS, 1 }, { "tag", F_TAGS, 0 }, { "labels", F_TAGS, 0 },
	{ "createdat", F_CREATED, 1 }, { "createdate", F_CREATED, 0 },
	/* crm's own, read only: an export imports as it was. */
	{ "id", T_DROP, 0 }, { "updatedat", T_DROP, 0 },
};

struct target {
	char	*key;
	int	 f;		/* F_*, T_CUSTOM or T_DROP */
	char	*custom;	/* T_CUSTOM: the name */
	int	 prio;
};

struct imp {
	struct crm_deal_import *o;
	struct crm_db	*db;
	struct deal_cx	 cx;
	struct target	*user;		/* --map */
	size_t		 nuser;
	struct target	*keys;		/* keys seen */
	size_t		 nkeys;
	struct crm_out	*rej;
	int		 csv;
	struct crm_reader *rows;
	struct deal_bulk *bulk;		/* without upsert */
	sqlite3_int64	 first, last;	/* upsert: added, events unwritten */
};

static void
norm_key(const char *s, char *out, size_t n)
{
	size_t j = 0;

	for (; *s != '\0' && j + 1 < n; s++)
		if (isalnum((unsigned char)*s))
			out[j++] = (char)tolower((unsigned char)*s);
	out[j] = '\0';
}

/* A custom field's name from a column's: [a-z0-9_-], "_" for the rest. */
static char *
custom_from(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	if (strncmp(s, "fields.", 7) == 0)
		s += 7;
	for (; *s != '\0' && b.len < 64; s++)
		crm_buf_addch(&b, isalnum((unsigned char)*s) || *s == '-' ?
		    tolower((unsigned char)*s) : '_');
	if (b.len == 0)
		crm_buf_adds(&b, "column");
	return crm_buf_detach(&b);
}

/* The target of a field name given to --map: "amount", "fields.x", "-". */
static struct crm_error *
map_field(const char *field, struct target *t)
{
	const char *hint;
	size_t i;

	if (*field == '\0' || strcmp(field, "-") == 0) {
		t->f = T_DROP;
		return NULL;
	}
	if (strncmp(field, "fields.", 7) == 0 && field[7] != '\0') {
		t->f = T_CUSTOM;
		t->custom = custom_from(field);
		return NULL;
	}
	for (i = 0; crm_deal_writable[i] != NULL; i++)
		if (strcmp(crm_deal_writable[i], field) == 0) {
			t->f = (int)i;
			t->prio = 3;
			return NULL;
		}
	hint = crm_suggest(field, crm_deal_writable, NF);
	if (hint != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "--map: unknown field "
		    "\"%s\" (did you mean \"%s\"?)", field, hint);
	return crm_error_new(CRM_EXIT_USAGE, "--map: unknown field \"%s\"",
	    field);
}

/* --map items "Column=field", each argument one or more, comma-separated. */
static struct crm_error *
parse_map(struct imp *im)
{
	struct crm_strv items = CRM_STRV_INIT;
	struct crm_error *err = NULL;
	const struct crm_strv *m = im->o->map;
	char *eq;
	size_t i;

	for (i = 0; m != NULL && i < m->n; i++)
		crm_strv_split(&items, m->v[i], ',');
	im->user = crm_xcalloc(items.n + 1, sizeof(*im->user));
	for (i = 0; i < items.n && err == NULL; i++) {
		eq = strchr(items.v[i], '=');
		if (eq == NULL || eq == items.v[i]) {
			err = crm_error_new(CRM_EXIT_USAGE, "--map: expected "
			    "COLUMN=FIELD, got \"%s\"", items.v[i]);
			break;
		}
		*eq = '\0';
		im->user[i].key = crm_xstrdup(crm_trim(items.v[i]));
		im->nuser++;
		err = map_field(crm_trim(eq + 1), &im->user[i]);
	}
	crm_strv_clear(&items);
	return err;
}

/* The target of an input key, worked out once. */
static const struct target *
target(struct imp *im, const char *key, size_t hint)
{
	struct target t = { NULL, T_CUSTOM, NULL, 0 };
	char k[64];
	size_t i;

	/* The keys of CSV rows, and mostly of JSON ones, come in order. */
	if (hint < im->nkeys && strcmp(im->keys[hint].key, key) == 0)
		return &im->keys[hint];
	for (i = 0; i < im->nkeys; i++)
		if (strcmp(im->keys[i].key, key) == 0)
			return &im->keys[i];
	if (im->nkeys == MAX_KEYS)
		return NULL;
	for (i = 0; i < im->nuser; i++)
		if (strcmp(im->user[i].key, key) == 0)
			break;
	if (i < im->nuser) {
		t = im->user[i];
		t.custom = t.custom ? crm_xstrdup(t.custom) : NULL;
	} else if (strcmp(key, "fields") != 0 &&
	    strncmp(key, "fields.", 7) != 0) {
		norm_key(key, k, sizeof(k));
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(known[i].key, k) == 0) {
				t.f = known[i].f;
				t.prio = known[i].prio;
				break;
			}
	} else if (strcmp(key, "fields") == 0)
		t.f = T_DROP - 1;	/* an object of custom fields */
	if (t.f == T_CUSTOM && t.custom == NULL)
		t.custom = custom_from(key);
	t.key = crm_xstrdup(key);
	im->keys = crm_xrealloc(im->keys, (im->nkeys + 1) * sizeof(*im->keys));
	im->keys[im->nkeys] = t;
	return &im->keys[im->nkeys++];
}

static int
empty(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) ||
	    (cJSON_IsString(v) && *v->valuestring == '\0');
}

/* The changes a record asks for; an error names the field. */
static struct crm_error *
changes(struct imp *im, const cJSON *rec, struct deal_changes *ch)
{
	int prio[NF];
	const struct target *t;
	struct crm_error *err = NULL;
	const cJSON *v, *it;
	size_t n = 0;

	memset(ch, 0, sizeof(*ch));
	memset(prio, 0, sizeof(prio));
	cJSON_ArrayForEach(v, rec) {
		if ((t = target(im, v->string, n++)) == NULL || empty(v) ||
		    t->f == T_DROP)
			continue;
		if (t->f == T_DROP - 1 && cJSON_IsObject(v)) {
			cJSON_ArrayForEach(it, v)
				if (err == NULL && !empty(it))
					err = deal_changes_custom(ch,
					    it->string, it);
		} else if (t->f == T_CUSTOM)
			err = deal_changes_custom(ch, t->custom, v);
		else if (t->f >= 0 && (!ch->set[t->f] || t->prio >
		    prio[t->f])) {
			prio[t->f] = t->prio;
			err = deal_changes_field(ch, t->f, v);
		}
		if (err != NULL)
			return err;
	}
	return NULL;
}

/*
 * The value of a CSV field, trimmed: the field itself when there is
 * nothing to trim (most are), else a copy, marked in own.
 */
static int
edge(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *
csv_value(char *v, int *own)
{
	size_t n = strlen(v);

	*own = 0;
	if (n > 0 && !edge(v[0]) && !edge(v[n - 1]))
		return v;
	*own = 1;
	return crm_trim(crm_xstrdup(v));
}

/*
 * changes() for a CSV row, the values borrowed from vals where they can
 * be: own[f] says which are the change's own.  changes_done() then.
 */
static struct crm_error *
changes_csv(struct imp *im, char **vals, struct deal_changes *ch, int *own)
{
	const char *const *h;
	int prio[NF], o;
	const struct target *t;
	struct crm_error *err = NULL;
	cJSON *tmp;
	size_t i, n;

	h = crm_reader_header(im->rows, &n);
	memset(ch, 0, sizeof(*ch));
	memset(prio, 0, sizeof(prio));
	memset(own, 0, NF * sizeof(*own));
	for (i = 0; i < n && err == NULL; i++) {
		if ((t = target(im, h[i], i)) == NULL || *vals[i] == '\0' ||
		    t->f == T_DROP || t->f == T_DROP - 1)
			continue;
		if (t->f == T_CUSTOM) {
			tmp = cJSON_CreateString(vals[i]);
			err = deal_changes_custom(ch, t->custom, tmp);
			cJSON_Delete(tmp);
		} else if (!ch->set[t->f] || t->prio > prio[t->f]) {
			prio[t->f] = t->prio;
			if (own[t->f])
				free(ch->val[t->f]);
			ch->set[t->f] = 1;
			ch->val[t->f] = csv_value(vals[i], &o);
			own[t->f] = o;
		}
	}
	return err;
}

/* Release ch, whose values own does not mark are borrowed. */
static void
changes_done(struct deal_changes *ch, const int *own)
{
	int i;

	for (i = 0; own != NULL && i < NF; i++)
		if (!own[i])
			ch->val[i] = NULL;
	deal_changes_release(ch);
}

/*
 * Upsert: the add events of the deals added since the last flush, in one
 * statement: one INSERT a deal costs as much as the deal itself (events
 * counts its ids in sqlite_sequence).  An import's add event is short,
 * {"title", "contact_id", "company_id"}: the deal itself holds the rest,
 * and a million full records would outweigh the deals.
 */
static struct crm_error *
flush_events(struct imp *im)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if (im->first == 0)
		return NULL;
	err = crm_db_prepare(im->db, "INSERT INTO events (entity, entity_id,"
	    " action, actor, at, changes) SELECT 'deal', id, 'add', ?1, ?2,"
	    " json_object('title', title, 'contact_id', contact_id,"
	    " 'company_id', company_id) FROM deals"
	    " WHERE id BETWEEN ?3 AND ?4 ORDER BY id", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_text(st, 1, im->cx.actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, im->cx.now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, im->first);
	sqlite3_bind_int64(st, 4, im->last);
	im->first = im->last = 0;
	return crm_db_step_done(im->db, st);
}

/* Upsert: update the deal with the change's external id, or add one. */
static struct crm_error *
upsert(struct imp *im, const struct deal_changes *ch)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	sqlite3_int64 id = 0;
	int changed = 0, rc;

	if (ch->val[F_EXT] != NULL) {
		if ((err = deal_stmt(&im->cx, S_EXT, &st)) != NULL)
			return err;
		sqlite3_bind_text(st, 1, ch->val[F_EXT], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		else if (rc != SQLITE_DONE)
			err = crm_db_error(im->db, rc);
		sqlite3_reset(st);
	}
	/* The events stay in order: the adds before an update. */
	if (err == NULL && id != 0 && (err = flush_events(im)) == NULL) {
		err = deal_modify(&im->cx, id, ch, D_STATUS | D_CLOSE |
		    D_IMPORT, "update", &changed);
		if (err == NULL && changed)
			im->o->updated++;
		else if (err == NULL)
			im->o->unchanged++;
	} else if (err == NULL && (err = deal_insert(&im->cx, ch,
	    &id)) == NULL) {
		im->o->added++;
		if (im->first == 0)
			im->first = id;
		im->last = id;
	}
	return err;
}

/* A new deal into the batch; a row's fault in *bad. */
static struct crm_error *
add(struct imp *im, const struct deal_changes *ch, struct crm_error **bad)
{
	struct crm_error *err = NULL;
	struct deal_row r;

	if ((*bad = deal_row_new(&im->cx, &r)) == NULL &&
	    (*bad = deal_apply(&im->cx, ch, D_ADD | D_STATUS, &r)) == NULL &&
	    (err = deal_bulk_add(im->bulk, &r, bad)) == NULL && *bad == NULL)
		im->o->added++;
	deal_row_release(&r);
	return err;
}

/* CSV: the columns --map names must be in the header. */
static struct crm_error *
check_header(struct imp *im)
{
	const char *const *h;
	size_t i, j, n;

	if ((h = crm_reader_header(im->rows, &n)) == NULL)
		return NULL;
	im->csv = 1;
	for (i = 0; i < im->nuser; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(h[j], im->user[i].key) == 0)
				break;
		if (j == n)
			return crm_error_new(CRM_EXIT_USAGE, "--map: no column "
			    "\"%s\" in %s", im->user[i].key, im->o->name);
	}
	return NULL;
}

/*
 * A bad record: reported with its line (which the reader's own errors
 * carry already), kept for --rejects as read.
 */
static struct crm_error *
reject(struct imp *im, const cJSON *rec, char **vals, struct crm_error *err)
{
	const char *const *h;
	cJSON *row = NULL;
	size_t i, n;

	err->code = CRM_EXIT_FAIL;
	if (rec != NULL || vals != NULL)
		err = crm_error_prefix(err, "line %ld",
		    crm_reader_line(im->rows));
	im->o->report(err, im->o->arg);
	crm_error_free(err);
	im->o->rejected++;
	if (im->o->rejects == NULL || (rec == NULL && vals == NULL))
		return NULL;
	h = crm_reader_header(im->rows, &n);
	if (im->rej == NULL && (err = crm_out_new(im->o->rejects, im->csv ?
	    CRM_FMT_CSV : CRM_FMT_JSONL, NULL, NULL, h, NULL,
	    &im->rej)) != NULL)
		return err;
	if (vals != NULL) {
		row = cJSON_CreateObject();
		for (i = 0; i < n; i++)
			cJSON_AddItemToObject(row, h[i],
			    cJSON_CreateString(vals[i]));
		rec = row;
	}
	err = crm_out_write(im->rej, rec);
	cJSON_Delete(row);
	return err;
}

/* One record: its changes, then added or upserted; a fault rejects it. */
static struct crm_error *
record(struct imp *im, const cJSON *rec, char **vals)
{
	struct crm_error *err = NULL, *bad;
	struct deal_changes ch;
	int own[NF];

	if (vals != NULL)
		bad = changes_csv(im, vals, &ch, own);
	else
		bad = changes(im, rec, &ch);
	if (bad == NULL && im->o->upsert)
		bad = upsert(im, &ch);
	else if (bad == NULL)
		err = add(im, &ch, &bad);
	changes_done(&ch, vals != NULL ? own : NULL);
	if (err == NULL && bad != NULL)
		err = reject(im, rec, vals, bad);
	else
		crm_error_free(bad);
	return err;
}

static struct crm_error *
run(struct imp *im)
{
	struct crm_error *err = NULL, *bad;
	cJSON *rec;
	char **vals;
	int rc, first = 1;

	if ((err = parse_map(im)) != NULL || (!im->o->upsert &&
	    (err = deal_bulk_new(&im->cx, im->o->in, &im->bulk)) != NULL))
		return err;
	im->rows = crm_reader_new(im->o->in, im->o->name, im->o->kind);
	while (err == NULL &&
	    (rc = crm_reader_next_row(im->rows, &vals, &rec, &bad)) != 0) {
		if (first && (err = check_header(im)) != NULL) {
			cJSON_Delete(rec);
			crm_error_free(bad);
			break;
		}
		first = 0;
		if (rc < 0)
			err = reject(im, NULL, NULL, bad);
		else
			err = record(im, rec, vals);
		cJSON_Delete(rec);
	}
	if (err == NULL && im->bulk != NULL)
		err = deal_bulk_finish(im->bulk);
	if (err == NULL && im->o->upsert)
		err = flush_events(im);
	if (err == NULL && im->o->upsert && im->o->added >= 10000)
		err = crm_db_exec(im->db, "ANALYZE deals");
	if (err == NULL && im->rej != NULL)
		err = crm_out_finish(im->rej);
	return err;
}

struct crm_error *
crm_deal_import(struct crm_db *db, struct crm_deal_import *o)
{
	struct crm_error *err;
	struct imp im;
	size_t i;

	memset(&im, 0, sizeof(im));
	im.o = o;
	im.db = db;
	o->added = o->updated = o->unchanged = o->rejected = 0;
	deal_cx_init(&im.cx, db);
	im.cx.compact = 1;
	err = run(&im);
	deal_bulk_free(im.bulk);
	crm_error_free(crm_db_exec(db, "PRAGMA ignore_check_constraints = OFF;"
	    " PRAGMA threads = 0"));
	crm_reader_free(im.rows);
	deal_cx_release(&im.cx);
	crm_out_free(im.rej);
	for (i = 0; i < im.nuser; i++) {
		free(im.user[i].key);
		free(im.user[i].custom);
	}
	for (i = 0; i < im.nkeys; i++) {
		free(im.keys[i].key);
		free(im.keys[i].custom);
	}
	free(im.user);
	free(im.keys);
	return err;
}
