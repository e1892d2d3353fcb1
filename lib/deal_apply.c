/*
 * Deals: changes applied to a row, every value checked and every
 * reference resolved (contacts through crm_contact.h, pipelines and
 * stages through crm_pipeline.h, cached for the length of a command),
 * and the row written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_deal.h"
#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "deal_int.h"

static struct crm_error *
invalid(const char *field, const char *value, const char *why)
{
	char buf[48];

	if (strlen(value) > 40) {
		snprintf(buf, sizeof(buf), "%.37s...", value);
		value = buf;
	}
	return crm_error_new(CRM_EXIT_USAGE, "invalid %s \"%s\": %s", field,
	    value, why);
}

/* One line of text, at most max bytes, one word when word is set. */
static struct crm_error *
check_text(const char *field, const char *s, size_t max, int word)
{
	const char *p;

	if (!crm_utf8_check(s, strlen(s), NULL))
		return invalid(field, s, "invalid UTF-8");
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return invalid(field, s, "control character");
	if (strlen(s) > max)
		return invalid(field, s, "too long");
	if (word && (*s == '\0' || strpbrk(s, " \t") != NULL))
		return invalid(field, s, "expected one word");
	return NULL;
}

/* Contacts and companies */

struct by_name {
	sqlite3_int64	 id;
	int		 n;
};

static int
count_one(const cJSON *rec, void *arg)
{
	struct by_name *b = arg;

	if (b->n++ == 0)
		b->id = (sqlite3_int64)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(rec, "id"));
	return 0;
}

/* A company by its name, through crm-contact's own filter. */
static struct crm_error *
company_by_name(struct crm_db *db, const char *name, sqlite3_int64 *id)
{
	struct crm_contact_query q = { NULL, NULL, 2 };
	struct crm_buf w = CRM_BUF_INIT;
	struct by_name b = { 0, 0 };
	struct crm_error *err;
	const char *s;

	crm_buf_adds(&w, "kind = company and name = \"");
	for (s = name; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			crm_buf_addch(&w, '\\');
		crm_buf_addch(&w, *s);
	}
	crm_buf_addch(&w, '"');
	q.where = w.buf;
	err = crm_contact_list(db, &q, count_one, &b);
	crm_buf_release(&w);
	if (err == NULL && b.n > 1)
		err = crm_error_new(CRM_EXIT_FAIL, "%d companies are named "
		    "\"%s\": give the id", b.n, name);
	else if (err == NULL && b.n == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "no company \"%s\"", name);
	*id = b.id;
	return err;
}

static struct crm_error *
find_contact(struct deal_cx *cx, const char *ref, int company,
    sqlite3_int64 *id)
{
	struct crm_buf key = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	const char *kind;
	cJSON *rec;
	char small[128];
	size_t n;

	/* Most references are short: no allocation to look one up. */
	if ((n = strlen(ref)) + 3 <= sizeof(small)) {
		small[0] = company ? 'o' : 'c';
		small[1] = '\t';
		memcpy(small + 2, ref, n + 1);
		if (deal_memo_get(cx, small, id))
			return NULL;
	}
	crm_buf_adds(&key, company ? "o\t" : "c\t");
	crm_buf_adds(&key, ref);
	if (deal_memo_get(cx, key.buf, id))
		goto done;
	if ((err = crm_contact_resolve(cx->db, ref, id)) != NULL && company) {
		crm_error_free(err);
		err = company_by_name(cx->db, ref, id);
	}
	if (err == NULL && company &&
	    (err = crm_contact_get(cx->db, *id, &rec)) == NULL) {
		kind = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "kind"));
		if (kind == NULL || strcmp(kind, "company") != 0)
			err = crm_error_new(CRM_EXIT_FAIL, "contact %lld is "
			    "not a company", (long long)*id);
		cJSON_Delete(rec);
	}
	if (err == NULL)
		deal_memo_put(cx, key.buf, *id);
done:
	crm_buf_release(&key);
	return err;
}

/* Pipelines and stages */

static struct crm_error *
find_pipeline(struct deal_cx *cx, const char *name, sqlite3_int64 *pid)
{
	struct crm_buf key = CRM_BUF_INIT;
	struct crm_error *err = NULL;

	if (name == NULL) {
		if (cx->def_pipeline == 0)
			err = crm_pipeline_find(cx->db, NULL, &cx->def_pipeline,
			    NULL);
		*pid = cx->def_pipeline;
		return err;
	}
	crm_buf_adds(&key, "p\t");
	crm_buf_adds(&key, name);
	if (!deal_memo_get(cx, key.buf, pid) &&
	    (err = crm_pipeline_find(cx->db, name, pid, NULL)) == NULL)
		deal_memo_put(cx, key.buf, *pid);
	crm_buf_release(&key);
	return err;
}

/* The stages of pid, loaded into cx once. */
static struct crm_error *
load_stages(struct deal_cx *cx, sqlite3_int64 pid)
{
	struct crm_stage *v = NULL;
	struct crm_error *err;
	size_t i, n;

	for (i = 0; i < cx->nseen; i++)
		if (cx->seen[i] == pid)
			return NULL;
	if ((err = crm_stage_all(cx->db, pid, &v, &n)) != NULL) {
		free(v);
		return err;
	}
	cx->stages = crm_xrealloc(cx->stages, (cx->nstages + n) *
	    sizeof(*cx->stages));
	memcpy(cx->stages + cx->nstages, v, n * sizeof(*v));
	cx->nstages += n;
	cx->seen = crm_xrealloc(cx->seen, (cx->nseen + 1) * sizeof(*cx->seen));
	cx->seen[cx->nseen++] = pid;
	free(v);
	return NULL;
}

static struct crm_error *
find_stage(struct deal_cx *cx, sqlite3_int64 pid, const char *name,
    struct crm_stage *st)
{
	struct crm_error *err;
	size_t i;

	if ((err = load_stages(cx, pid)) != NULL)
		return err;
	for (i = 0; i < cx->nstages; i++)
		if (cx->stages[i].pipeline_id == pid &&
		    strcmp(cx->stages[i].name, name) == 0) {
			*st = cx->stages[i];
			return NULL;
		}
	return crm_stage_find(cx->db, pid, name, st);
}

struct crm_error *
deal_stage_of_kind(struct deal_cx *cx, sqlite3_int64 pid, int kind,
    struct crm_stage *st)
{
	struct crm_error *err;
	size_t i;

	if ((err = load_stages(cx, pid)) != NULL)
		return err;
	for (i = 0; i < cx->nstages; i++)
		if (cx->stages[i].pipeline_id == pid &&
		    cx->stages[i].kind == kind) {
			*st = cx->stages[i];
			return NULL;
		}
	return crm_stage_of_kind(cx->db, pid, kind, st);
}

static int
status_kind(const char *s)
{
	if (strcmp(s, "open") == 0)
		return CRM_STAGE_OPEN;
	if (strcmp(s, "won") == 0)
		return CRM_STAGE_WON;
	if (strcmp(s, "lost") == 0)
		return CRM_STAGE_LOST;
	return -1;
}

/* The pipeline and stage ch asks for, into r->stage. */
static struct crm_error *
place(struct deal_cx *cx, const struct deal_changes *ch, int flags,
    struct deal_row *r)
{
	const char *sname = ch->set[F_STAGE] ? ch->val[F_STAGE] : NULL;
	struct crm_error *err;
	sqlite3_int64 pid = r->stage.pipeline_id;
	int kind = -1;

	if ((ch->set[F_PIPELINE] && ch->val[F_PIPELINE] == NULL) ||
	    (ch->set[F_STAGE] && sname == NULL) ||
	    (ch->set[F_STATUS] && ch->val[F_STATUS] == NULL))
		return crm_error_new(CRM_EXIT_USAGE, "pipeline, stage and "
		    "status cannot be unset");
	if (ch->set[F_STATUS] && (kind = status_kind(ch->val[F_STATUS])) < 0)
		return invalid("status", ch->val[F_STATUS], "use open, won or "
		    "lost");
	if (ch->set[F_PIPELINE] || (flags & D_ADD))
		err = find_pipeline(cx, ch->val[F_PIPELINE], &pid);
	else
		err = NULL;
	if (err != NULL)
		return err;
	if (sname != NULL) {
		if ((err = find_stage(cx, pid, sname, &r->stage)) != NULL)
			return err;
		if (kind >= 0 && kind != r->stage.kind)
			return crm_error_new(CRM_EXIT_USAGE, "status %s does "
			    "not match stage \"%s\"", ch->val[F_STATUS], sname);
		return NULL;
	}
	if ((flags & D_ADD) || pid != r->stage.pipeline_id ||
	    (kind >= 0 && kind != r->stage.kind))
		return deal_stage_of_kind(cx, pid, kind >= 0 ? kind :
		    CRM_STAGE_OPEN, &r->stage);
	return NULL;
}

/* Amount, currency, probability. */
static struct crm_error *
price(const struct deal_changes *ch, int flags, struct deal_row *r)
{
	const struct crm_currency *cur = r->cur;
	char was[CRM_MONEY_LEN];
	struct crm_error *err;

	if (ch->set[F_CURRENCY]) {
		if (ch->val[F_CURRENCY] == NULL)
			return crm_error_new(CRM_EXIT_USAGE, "currency cannot "
			    "be unset");
		if ((err = crm_currency_parse(ch->val[F_CURRENCY], &cur)))
			return err;
	}
	if (ch->set[F_AMOUNT]) {
		r->has_amount = ch->val[F_AMOUNT] != NULL;
		if (r->has_amount && (err = crm_money_parse(ch->val[F_AMOUNT],
		    cur, &r->amount)) != NULL)
			return err;
	} else if (r->has_amount && crm_money_rescale(r->amount,
	    r->cur->digits, cur->digits, &r->amount) != 0) {
		crm_money_format(r->amount, r->cur->digits, was);
		return crm_error_new(CRM_EXIT_USAGE, "amount %s %s cannot be "
		    "written in %s: give the amount too", was, r->cur->code,
		    cur->code);
	}
	r->cur = cur;
	if (ch->set[F_PROB]) {
		r->probability = ch->val[F_PROB] == NULL ? -1 :
		    crm_percent_parse(ch->val[F_PROB]);
		if (ch->val[F_PROB] != NULL && r->probability < 0)
			return invalid("probability", ch->val[F_PROB],
			    "expected a percentage from 0 to 100");
		/* An export's probability is the stage's more often than
		 * not: no override then. */
		if ((flags & D_IMPORT) && (r->probability ==
		    r->stage.probability || r->stage.kind != CRM_STAGE_OPEN))
			r->probability = -1;
	}
	return NULL;
}

static struct crm_error *
parse_time(const char *field, const char *s, char out[CRM_TIME_LEN])
{
	if (crm_time_parse(s, out, NULL) == 0)
		return NULL;
	return invalid(field, s, "expected a time such as 2026-11-22T10:00:00Z "
	    "or -3d");
}

/* The closed state: closed_at and lost_reason follow the stage. */
static struct crm_error *
close_state(struct deal_cx *cx, const struct deal_changes *ch, int flags,
    const struct crm_stage *was, struct deal_row *r)
{
	int moved = (flags & D_ADD) || was->id != r->stage.id;
	struct crm_error *err;

	if (!(flags & D_ADD) && moved && was->kind != CRM_STAGE_OPEN &&
	    !(flags & D_REOPEN))
		return crm_error_new(CRM_EXIT_FAIL, "deal %lld is %s: reopen "
		    "it first", (long long)r->id,
		    crm_stage_kind_name(was->kind));
	if (!(flags & D_ADD) && moved && r->stage.kind != CRM_STAGE_OPEN &&
	    !(flags & D_CLOSE))
		return crm_error_new(CRM_EXIT_USAGE, "stage \"%s\" closes the "
		    "deal: use crm-deal %s", r->stage.name,
		    r->stage.kind == CRM_STAGE_WON ? "win" : "lose");
	if (r->stage.kind == CRM_STAGE_OPEN) {
		if ((ch->set[F_CLOSED] && ch->val[F_CLOSED] != NULL) ||
		    (ch->set[F_REASON] && ch->val[F_REASON] != NULL))
			return crm_error_new(CRM_EXIT_USAGE, "closed_at and "
			    "lost_reason are for won or lost deals");
		r->closed_at[0] = '\0';
		free(r->reason);
		r->reason = NULL;
		return NULL;
	}
	if (ch->set[F_CLOSED] && ch->val[F_CLOSED] != NULL) {
		if ((err = parse_time("closed_at", ch->val[F_CLOSED],
		    r->closed_at)) != NULL)
			return err;
	} else if (moved)
		memcpy(r->closed_at, (flags & D_ADD) ? r->created_at : cx->now,
		    CRM_TIME_LEN);
	if (moved || r->stage.kind != CRM_STAGE_LOST) {
		free(r->reason);
		r->reason = NULL;
	}
	if (ch->set[F_REASON] && ch->val[F_REASON] != NULL) {
		if (r->stage.kind != CRM_STAGE_LOST)
			return crm_error_new(CRM_EXIT_USAGE, "lost_reason is "
			    "for lost deals");
		if ((err = check_text("lost_reason", ch->val[F_REASON], 1000,
		    0)) != NULL)
			return err;
		free(r->reason);
		r->reason = crm_xstrdup(ch->val[F_REASON]);
	}
	return NULL;
}

/* Title, owner, source and external id. */
static struct crm_error *
texts(struct deal_cx *cx, const struct deal_changes *ch, struct deal_row *r)
{
	static const struct { int f; size_t max; int word; } t[] = {
		{ F_TITLE, 1000, 0 }, { F_OWNER, 200, 0 },
		{ F_SOURCE, 200, 0 }, { F_EXT, 200, 1 },
	};
	char **dst[] = { &r->title, &r->owner, &r->source, &r->ext };
	struct crm_error *err;
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!ch->set[t[i].f])
			continue;
		v = ch->val[t[i].f];
		if (v != NULL && (err = check_text(crm_deal_writable[t[i].f], v,
		    t[i].max, t[i].word)) != NULL)
			return err;
		if (t[i].f == F_EXT && v != NULL && !cx->compact &&
		    (*dst[i] == NULL || strcmp(*dst[i], v) != 0) &&
		    (err = deal_check_ext(cx, v, r->id)) != NULL)
			return err;
		free(*dst[i]);
		*dst[i] = v != NULL ? crm_xstrdup(v) : NULL;
	}
	return NULL;
}

static struct crm_error *
people(struct deal_cx *cx, const struct deal_changes *ch, struct deal_row *r)
{
	struct crm_error *err;

	if (ch->set[F_CONTACT]) {
		r->contact_id = 0;
		if (ch->val[F_CONTACT] != NULL && (err = find_contact(cx,
		    ch->val[F_CONTACT], 0, &r->contact_id)) != NULL)
			return err;
	}
	if (ch->set[F_COMPANY]) {
		r->company_id = 0;
		if (ch->val[F_COMPANY] != NULL && (err = find_contact(cx,
		    ch->val[F_COMPANY], 1, &r->company_id)) != NULL)
			return err;
	}
	return NULL;
}

static struct crm_error *
tags(const struct deal_changes *ch, struct deal_row *r)
{
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_error *err = NULL;
	const char *why;
	char *copy, *p;
	size_t i;

	if (!ch->set[F_TAGS])
		return NULL;
	r->tags_set = 1;
	crm_strv_clear(&r->tags);
	if (ch->val[F_TAGS] == NULL)
		return NULL;
	copy = crm_xstrdup(ch->val[F_TAGS]);
	for (p = copy; *p != '\0'; p++)
		if (*p == ',')
			*p = ';';
	crm_strv_split(&sv, copy, ';');
	free(copy);
	for (i = 0; i < sv.n && err == NULL; i++) {
		if ((why = crm_contact_tag_invalid(sv.v[i])) != NULL)
			err = invalid("tag", sv.v[i], why);
		else if (!crm_strv_has(&r->tags, sv.v[i]))
			crm_strv_push(&r->tags, sv.v[i]);
	}
	crm_strv_clear(&sv);
	return err;
}

static void
custom(const struct deal_changes *ch, struct deal_row *r)
{
	cJSON *fields;
	const cJSON *v;

	if (ch->custom == NULL)
		return;
	fields = cJSON_Parse(r->fields != NULL ? r->fields : "{}");
	if (!cJSON_IsObject(fields)) {
		cJSON_Delete(fields);
		fields = cJSON_CreateObject();
	}
	cJSON_ArrayForEach(v, ch->custom) {
		cJSON_DeleteItemFromObjectCaseSensitive(fields, v->string);
		if (!cJSON_IsNull(v))
			cJSON_AddItemToObject(fields, v->string,
			    cJSON_Duplicate(v, 1));
	}
	free(r->fields);
	r->fields = cJSON_PrintUnformatted(fields);
	cJSON_Delete(fields);
}

/* "2026-12-31", checked by hand: imports are full of them. */
static int
plain_date(const char *s, char out[11])
{
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int i, y, m, d;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return -1;
	if (s[10] != '\0')
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1] || (m == 2 &&
	    d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))))
		return -1;
	memcpy(out, s, 11);
	return 0;
}

static struct crm_error *
dates(const struct deal_changes *ch, int flags, struct deal_row *r)
{
	char t[CRM_TIME_LEN];
	struct crm_error *err;

	if ((flags & D_ADD) && ch->set[F_CREATED] && ch->val[F_CREATED] &&
	    (err = parse_time("created_at", ch->val[F_CREATED],
	    r->created_at)) != NULL)
		return err;
	if (!ch->set[F_EXPECTED])
		return NULL;
	r->expected[0] = '\0';
	if (ch->val[F_EXPECTED] == NULL ||
	    plain_date(ch->val[F_EXPECTED], r->expected) == 0)
		return NULL;
	if (crm_time_parse(ch->val[F_EXPECTED], t, NULL) != 0)
		return invalid("expected_close", ch->val[F_EXPECTED],
		    "expected a date such as 2026-12-31 or +30d");
	/* A date: the day (UTC) of the time given. */
	snprintf(r->expected, sizeof(r->expected), "%.10s", t);
	return NULL;
}

struct crm_error *
deal_apply(struct deal_cx *cx, const struct deal_changes *ch, int flags,
    struct deal_row *r)
{
	struct crm_stage was = r->stage;
	struct crm_error *err;

	if ((err = dates(ch, flags, r)) != NULL ||
	    (err = texts(cx, ch, r)) != NULL ||
	    (err = people(cx, ch, r)) != NULL ||
	    (err = place(cx, ch, flags, r)) != NULL ||
	    (err = price(ch, flags, r)) != NULL ||
	    (err = close_state(cx, ch, flags, &was, r)) != NULL ||
	    (err = tags(ch, r)) != NULL)
		return err;
	custom(ch, r);
	if (r->title == NULL || *r->title == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "a deal needs a title");
	return NULL;
}
