/*
 * The board: per stage of a pipeline its count, totals and weighted
 * totals per currency (or converted into one) and its top deals.  Now,
 * each stage is two index range scans of deals_board; as of a bound,
 * one pass over the deals with their history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_deal.h"
#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_util.h"
#include "deal_int.h"

const char *const crm_board_columns[] = {
	"pipeline", "stage", "probability", "count", "totals", "weighted",
	"top", NULL
};

struct top {
	sqlite3_int64	 id;
	char		*title;
	int64_t		 amount;
	uint64_t	 key;		/* what top deals are ordered by */
};

struct sum {
	const struct crm_currency *cur;
	long		 count;
	int		 has;		/* some deal has an amount */
	int64_t		 sum;
	int64_t		 wsum;		/* of amount * percent */
	struct top	*top;		/* the largest, by amount */
	size_t		 ntop;
};

struct col {
	struct crm_stage st;
	struct sum	*sums;
	size_t		 nsums;
};

struct board {
	struct crm_db	*db;
	const struct crm_board_query *q;
	const struct crm_currency *to;	/* convert into, or NULL */
	struct col	*cols;
	size_t		 ncols;
	char		 pipeline[CRM_NAME_MAX + 1];
};

static void
board_release(struct board *b)
{
	size_t i, j, k;

	for (i = 0; i < b->ncols; i++) {
		for (j = 0; j < b->cols[i].nsums; j++) {
			for (k = 0; k < b->cols[i].sums[j].ntop; k++)
				free(b->cols[i].sums[j].top[k].title);
			free(b->cols[i].sums[j].top);
		}
		free(b->cols[i].sums);
	}
	free(b->cols);
}

static struct sum *
find_sum(struct col *c, const char *code)
{
	const struct crm_currency *cur = crm_currency_find(code);
	size_t i;

	if (cur == NULL)
		return NULL;
	for (i = 0; i < c->nsums; i++)
		if (c->sums[i].cur == cur)
			return &c->sums[i];
	c->sums = crm_xrealloc(c->sums, (c->nsums + 1) * sizeof(*c->sums));
	memset(&c->sums[c->nsums], 0, sizeof(*c->sums));
	c->sums[c->nsums].cur = cur;
	return &c->sums[c->nsums++];
}

/* Keep the q->top largest amounts of s; ties: the newer deal first. */
static void
add_top(struct sum *s, int n, sqlite3_int64 id, const char *title,
    int64_t amount)
{
	size_t i;

	if (n <= 0)
		return;
	if (s->top == NULL)
		s->top = crm_xcalloc((size_t)n, sizeof(*s->top));
	for (i = s->ntop; i > 0; i--) {
		if (s->top[i - 1].amount > amount ||
		    (s->top[i - 1].amount == amount && s->top[i - 1].id > id))
			break;
	}
	if (i >= (size_t)n)
		return;
	if (s->ntop == (size_t)n)
		free(s->top[--s->ntop].title);
	memmove(&s->top[i + 1], &s->top[i], (s->ntop - i) * sizeof(*s->top));
	s->top[i].id = id;
	s->top[i].title = crm_xstrdup(title != NULL ? title : "");
	s->top[i].amount = amount;
	s->ntop++;
}

/* Now: the sums of one stage, then the top deals of each currency. */
static struct crm_error *
stage_now(struct board *b, struct col *c)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	struct sum *s;
	size_t i;
	int rc;

	err = crm_db_prepare(b->db, "SELECT currency, count(*), sum(amount),"
	    " sum(amount * COALESCE(probability, ?2)) FROM deals"
	    " WHERE stage_id = ?1 GROUP BY currency", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, c->st.id);
	sqlite3_bind_int(st, 2, c->st.probability);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = find_sum(c, (const char *)sqlite3_column_text(st,
		    0))) == NULL)
			continue;
		s->count = (long)sqlite3_column_int64(st, 1);
		s->has = sqlite3_column_type(st, 2) != SQLITE_NULL;
		s->sum = sqlite3_column_int64(st, 2);
		s->wsum = c->st.kind == CRM_STAGE_OPEN ?
		    sqlite3_column_int64(st, 3) : c->st.kind ==
		    CRM_STAGE_WON ? s->sum * 100 : 0;
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(b->db, rc);
	sqlite3_finalize(st);
	if (err != NULL || b->q->top <= 0)
		return err;
	err = crm_db_prepare(b->db, "SELECT id, title, amount FROM deals"
	    " WHERE stage_id = ? AND currency = ? AND amount IS NOT NULL"
	    " ORDER BY amount DESC, id DESC LIMIT ?", &st);
	for (i = 0; err == NULL && i < c->nsums; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->st.id);
		sqlite3_bind_text(st, 2, c->sums[i].cur->code, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 3, b->q->top);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_top(&c->sums[i], b->q->top,
			    sqlite3_column_int64(st, 0),
			    (const char *)sqlite3_column_text(st, 1),
			    sqlite3_column_int64(st, 2));
		if (rc != SQLITE_DONE)
			err = crm_db_error(b->db, rc);
	}
	sqlite3_finalize(st);
	return err;
}

/* As of: the column of a stage then; one of its own when deleted since. */
static struct col *
col_of(struct board *b, sqlite3_int64 sid, const char *name)
{
	size_t i;

	for (i = 0; i < b->ncols; i++)
		if (sid != 0 ? b->cols[i].st.id == sid :
		    b->cols[i].st.id == 0 && strcmp(b->cols[i].st.name,
		    name) == 0)
			return &b->cols[i];
	b->cols = crm_xrealloc(b->cols, (b->ncols + 1) * sizeof(*b->cols));
	memset(&b->cols[b->ncols], 0, sizeof(*b->cols));
	snprintf(b->cols[b->ncols].st.name, sizeof(b->cols[0].st.name), "%s",
	    name);
	memcpy(b->cols[b->ncols].st.pipeline, b->pipeline, sizeof(b->pipeline));
	return &b->cols[b->ncols++];
}

static struct crm_error *
all_as_of(struct board *b, sqlite3_int64 pid)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	struct sum *s;
	struct col *c;
	int rc;

	err = crm_db_prepare(b->db, "SELECT COALESCE(s.id, 0),"
	    " COALESCE(s.name, h.from_stage), d.currency, d.amount, "
	    DEAL_PROB(DEAL_AS_OF_STATUS) ", d.id, d.title FROM deals d"
	    DEAL_HISTORY_JOIN " WHERE d.created_at < ?1 AND (s.pipeline_id = ?2"
	    " OR (s.id IS NULL AND h.from_pipeline = ?3))", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_text(st, 1, b->q->as_of, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_text(st, 3, b->pipeline, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = col_of(b, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
		if ((s = find_sum(c, (const char *)sqlite3_column_text(st,
		    2))) == NULL)
			continue;
		s->count++;
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue;
		s->has = 1;
		s->sum += sqlite3_column_int64(st, 3);
		s->wsum += sqlite3_column_int64(st, 3) *
		    sqlite3_column_int64(st, 4);
		add_top(s, b->q->top, sqlite3_column_int64(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    sqlite3_column_int64(st, 3));
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(b->db, rc);
	sqlite3_finalize(st);
	return err;
}

/* The rate from cur into b->to, looked up once per currency. */
struct rates {
	const struct crm_currency *cur[8];
	struct crm_rate	 r[8];
	int		 inv[8];
	size_t		 n;
};

/* amount (with extra more decimals than cur has) in b->to's units. */
static struct crm_error *
convert(struct board *b, struct rates *rs, const struct crm_currency *cur,
    int64_t amount, int extra, int64_t *out)
{
	struct crm_rate one = { 1, 0 };
	struct crm_error *err;
	size_t i;

	if (cur == b->to)
		return crm_money_convert(amount, cur->digits + extra,
		    cur->digits, &one, 0, out);
	for (i = 0; i < rs->n; i++)
		if (rs->cur[i] == cur)
			break;
	if (i == rs->n) {
		if ((err = crm_rate_get(b->db, cur->code, b->to->code,
		    &rs->r[i % 8], &rs->inv[i % 8])) != NULL)
			return err;
		i %= 8;
		rs->cur[i] = cur;
		if (rs->n < 8)
			rs->n++;
	}
	return crm_money_convert(amount, cur->digits + extra, b->to->digits,
	    &rs->r[i], rs->inv[i], out);
}

static int
by_code(const void *a, const void *b)
{
	return strcmp(((const struct sum *)a)->cur->code,
	    ((const struct sum *)b)->cur->code);
}

static void
add_money(cJSON *obj, const struct crm_currency *cur, int64_t v)
{
	char buf[CRM_MONEY_LEN];

	crm_money_format(v, cur->digits, buf);
	cJSON_AddStringToObject(obj, cur->code, buf);
}

/* Totals and weighted totals, per currency or converted. */
static struct crm_error *
totals(struct board *b, struct rates *rs, struct col *c, cJSON *rec)
{
	cJSON *tot = cJSON_AddObjectToObject(rec, "totals");
	cJSON *w = cJSON_AddObjectToObject(rec, "weighted");
	int64_t t = 0, wt = 0, v, wv;
	struct crm_error *err;
	size_t i;
	int any = 0;

	for (i = 0; i < c->nsums; i++) {
		struct sum *s = &c->sums[i];

		if (!s->has)
			continue;
		if (b->to == NULL) {
			add_money(tot, s->cur, s->sum);
			add_money(w, s->cur, crm_money_div_round(s->wsum, 100));
			continue;
		}
		if ((err = convert(b, rs, s->cur, s->sum, 0, &v)) != NULL ||
		    (err = convert(b, rs, s->cur, s->wsum, 2, &wv)) != NULL)
			return err;
		if (v > INT64_MAX - t || wv > INT64_MAX - wt)
			return crm_error_new(CRM_EXIT_FAIL, "stage \"%s\": "
			    "total too large", c->st.name);
		t += v;
		wt += wv;
		any = 1;
	}
	if (any) {
		add_money(tot, b->to, t);
		add_money(w, b->to, wt);
	}
	return NULL;
}

struct pick {
	const struct sum *s;
	const struct top *t;
	uint64_t	 key;
};

static int
by_key(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->t->id < y->t->id ? 1 : x->t->id > y->t->id ? -1 : 0;
}

/* The top deals of all currencies, by face or converted value. */
static struct crm_error *
top(struct board *b, struct rates *rs, struct col *c, cJSON *rec)
{
	cJSON *arr = cJSON_AddArrayToObject(rec, "top"), *d;
	struct pick *p = NULL;
	struct crm_error *err = NULL;
	char buf[CRM_MONEY_LEN];
	size_t i, j, n = 0;
	int64_t v;

	for (i = 0; i < c->nsums; i++)
		n += c->sums[i].ntop;
	p = crm_xcalloc(n + 1, sizeof(*p));
	for (i = 0, n = 0; i < c->nsums && err == NULL; i++)
		for (j = 0; j < c->sums[i].ntop && err == NULL; j++) {
			p[n].s = &c->sums[i];
			p[n].t = &c->sums[i].top[j];
			if (b->to == NULL)
				p[n].key = crm_money_face(p[n].t->amount,
				    p[n].s->cur->digits);
			else if ((err = convert(b, rs, p[n].s->cur,
			    p[n].t->amount, 0, &v)) == NULL)
				p[n].key = (uint64_t)v;
			n++;
		}
	qsort(p, n, sizeof(*p), by_key);
	for (i = 0; err == NULL && i < n && i < (size_t)b->q->top; i++) {
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "id", (double)p[i].t->id);
		cJSON_AddStringToObject(d, "title", p[i].t->title);
		crm_money_format(p[i].t->amount, p[i].s->cur->digits, buf);
		cJSON_AddStringToObject(d, "amount", buf);
		cJSON_AddStringToObject(d, "currency", p[i].s->cur->code);
		cJSON_AddItemToArray(arr, d);
	}
	free(p);
	return err;
}

static struct crm_error *
emit(struct board *b, int (*fn)(const cJSON *, void *), void *arg)
{
	struct rates rs = { { NULL }, { { 0, 0 } }, { 0 }, 0 };
	struct crm_error *err = NULL;
	struct col *c;
	cJSON *rec;
	size_t i, j;
	long count;
	int stop = 0;

	for (i = 0; i < b->ncols && !stop && err == NULL; i++) {
		c = &b->cols[i];
		if (c->nsums > 1)
			qsort(c->sums, c->nsums, sizeof(*c->sums), by_code);
		for (j = 0, count = 0; j < c->nsums; j++)
			count += c->sums[j].count;
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "pipeline", c->st.pipeline);
		cJSON_AddStringToObject(rec, "stage", c->st.name);
		cJSON_AddItemToObject(rec, "probability", c->st.id != 0 ?
		    cJSON_CreateNumber(c->st.probability) : cJSON_CreateNull());
		cJSON_AddNumberToObject(rec, "count", (double)count);
		if ((err = totals(b, &rs, c, rec)) == NULL &&
		    (err = top(b, &rs, c, rec)) == NULL)
			stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	return err;
}

struct crm_error *
crm_deal_board(struct crm_db *db, const struct crm_board_query *q,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct board b = { db, q, NULL, NULL, 0, "" };
	struct crm_stage *v = NULL;
	struct crm_error *err;
	sqlite3_int64 pid;
	size_t i, n = 0;

	if ((q->currency != NULL && (err = crm_currency_parse(q->currency,
	    &b.to)) != NULL) ||
	    (err = crm_pipeline_find(db, q->pipeline, &pid,
	    b.pipeline)) != NULL ||
	    (err = crm_stage_all(db, pid, &v, &n)) != NULL)
		goto done;
	b.cols = crm_xcalloc(n + 1, sizeof(*b.cols));
	for (b.ncols = 0; b.ncols < n; b.ncols++)
		b.cols[b.ncols].st = v[b.ncols];
	if (q->as_of != NULL)
		err = all_as_of(&b, pid);
	for (i = 0; q->as_of == NULL && i < b.ncols && err == NULL; i++)
		err = stage_now(&b, &b.cols[i]);
	if (err == NULL)
		err = emit(&b, fn, arg);
done:
	board_release(&b);
	free(v);
	return err;
}
