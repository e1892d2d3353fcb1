/*
 * Internal to lib/deal*.c: the write side shared by add, update, the
 * moves and import.  Values are parsed into struct deal_changes, applied
 * to a struct deal_row (checked, references resolved), then written.
 * A struct deal_cx keeps prepared statements and lookups for the length
 * of one command, so that an import of a million rows prepares each
 * statement once.
 */
#ifndef CRM_DEAL_INT_H
#define CRM_DEAL_INT_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_money.h"
#include "crm_pipeline.h"
#include "crm_stream.h"
#include "crm_util.h"

/*
 * SQL shared by the read side (deal.c, deal_board.c).  A deal's
 * probability is 100 when won, 0 when lost, else its own or its stage's.
 * As of a bound (?1), the first history row at or after it holds the
 * state the deal was in (h.from_*); without one, the deal is as it is.
 */
#define DEAL_PROB(status) "(CASE " status " WHEN 'won' THEN 100" \
	" WHEN 'lost' THEN 0 ELSE COALESCE(d.probability, s.probability) END)"
#define DEAL_AS_OF_STATUS "COALESCE(h.from_status, s.kind)"
#define DEAL_AS_OF(col) "(CASE WHEN h.id IS NULL THEN d." col \
	" ELSE h.from_" col " END)"
#define DEAL_HISTORY_JOIN " LEFT JOIN deal_history h" \
	" ON h.id = (SELECT min(h2.id) FROM deal_history h2" \
	" WHERE h2.deal_id = d.id AND h2.at >= ?1)" \
	" LEFT JOIN stages s ON s.id = (CASE WHEN h.id IS NULL" \
	" THEN d.stage_id ELSE h.from_stage_id END)"
#define DEAL_FROM_NOW " FROM deals d JOIN stages s ON s.id = d.stage_id" \
	" JOIN pipelines p ON p.id = s.pipeline_id" \
	" LEFT JOIN contacts c ON c.id = d.contact_id" \
	" LEFT JOIN contacts co ON co.id = d.company_id"
#define DEAL_FROM_AS_OF " FROM deals d" DEAL_HISTORY_JOIN \
	" LEFT JOIN pipelines p ON p.id = s.pipeline_id" \
	" LEFT JOIN contacts c ON c.id = d.contact_id" \
	" LEFT JOIN contacts co ON co.id = d.company_id" \
	" WHERE d.created_at < ?1 AND"

enum { F_TITLE, F_CONTACT, F_COMPANY, F_PIPELINE, F_STAGE, F_STATUS,
	F_AMOUNT, F_CURRENCY, F_PROB, F_EXPECTED, F_CLOSED, F_REASON,
	F_OWNER, F_SOURCE, F_EXT, F_TAGS, F_CREATED, NF };

/* Flags of deal_apply() and deal_modify(). */
#define D_ADD		0x01	/* a new deal */
#define D_STATUS	0x02	/* status, closed_at, lost_reason,
				 * created_at allowed */
#define D_CLOSE		0x04	/* may enter a won or lost stage */
#define D_REOPEN	0x08	/* may leave a won or lost stage */
#define D_IMPORT	0x10	/* the stage's probability is no
				 * override */

struct deal_changes {
	int		 set[NF];
	char		*val[NF];	/* trimmed text; NULL clears */
	cJSON		*custom;	/* name: string, null removes */
};

struct deal_row {
	sqlite3_int64	 id;
	char		*title;
	sqlite3_int64	 contact_id;	/* 0: none */
	sqlite3_int64	 company_id;
	struct crm_stage stage;
	int		 has_amount;
	int64_t		 amount;
	const struct crm_currency *cur;
	int		 probability;	/* -1: the stage's */
	char		 expected[11];	/* "": none */
	char		 closed_at[CRM_TIME_LEN];
	char		*reason, *owner, *source, *ext;
	char		*fields;	/* JSON object text */
	char		 created_at[CRM_TIME_LEN];
	char		 updated_at[CRM_TIME_LEN];
	struct crm_strv	 tags;		/* if tags_set */
	int		 tags_set;
};

enum { S_INSERT, S_UPDATE, S_TAG, S_UNTAG, S_HISTORY, S_EXT, NSTMT };

struct memo;

struct deal_cx {
	struct crm_db	*db;
	sqlite3_stmt	*st[NSTMT];
	char		 now[CRM_TIME_LEN];
	char		*actor;		/* crm_actor(), asked once */
	int		 compact;	/* import: add events and external
					 * ids left to the caller and the
					 * unique index */
	sqlite3_int64	 def_pipeline;	/* 0: not looked up yet */
	const struct crm_currency *def_cur;
	struct crm_stage *stages;	/* of the pipelines seen */
	size_t		 nstages;
	sqlite3_int64	*seen;		/* those pipelines */
	size_t		 nseen;
	struct memo	**memo;		/* references resolved */
};

void	 deal_cx_init(struct deal_cx *cx, struct crm_db *db);
void	 deal_cx_release(struct deal_cx *cx);
/* Statement i of cx, prepared on first use, reset for the caller. */
struct crm_error *deal_stmt(struct deal_cx *cx, int i, sqlite3_stmt **st);

/* References resolved before in this command (key "c\tREF", ...). */
int	 deal_memo_get(struct deal_cx *cx, const char *key,
	    sqlite3_int64 *id);
void	 deal_memo_put(struct deal_cx *cx, const char *key,
	    sqlite3_int64 id);

/* Parse values; flags say which fields are allowed (D_STATUS). */
struct crm_error *deal_changes_parse(const cJSON *values, int flags,
	    struct deal_changes *ch);
void	 deal_changes_release(struct deal_changes *ch);
/* Set field f, or custom field name, from a JSON value (borrowed). */
struct crm_error *deal_changes_field(struct deal_changes *ch, int f,
	    const cJSON *v);
struct crm_error *deal_changes_custom(struct deal_changes *ch,
	    const char *name, const cJSON *v);

void	 deal_row_release(struct deal_row *r);
/* *r is a fresh deal with the defaults (now, default currency). */
struct crm_error *deal_row_new(struct deal_cx *cx, struct deal_row *r);
struct crm_error *deal_row_load(struct deal_cx *cx, sqlite3_int64 id,
	    struct deal_row *r);
void	 deal_row_copy(struct deal_row *dst, const struct deal_row *src);
/* Apply ch to r: every value checked, references resolved. */
struct crm_error *deal_apply(struct deal_cx *cx, const struct deal_changes *ch,
	    int flags, struct deal_row *r);
/* An error when deal other than self has external id ext. */
struct crm_error *deal_check_ext(struct deal_cx *cx, const char *ext,
	    sqlite3_int64 self);
/* INSERT r (r->id is set), or UPDATE it by r->id; then its tags. */
struct crm_error *deal_write(struct deal_cx *cx, struct deal_row *r,
	    int insert);
/* The stage r would be in for a closed kind, or its first open one. */
struct crm_error *deal_stage_of_kind(struct deal_cx *cx, sqlite3_int64 pid,
	    int kind, struct crm_stage *st);

/* A new deal from ch, with its event unless cx->compact. */
struct crm_error *deal_insert(struct deal_cx *cx,
	    const struct deal_changes *ch, sqlite3_int64 *id);
/* Change deal id by ch; action names the event ("update", "move"...). */
struct crm_error *deal_modify(struct deal_cx *cx, sqlite3_int64 id,
	    const struct deal_changes *ch, int flags, const char *action,
	    int *changed);

/*
 * deal_bulk.c: import's writer of new deals, in batches, with their add
 * events and tags; in (borrowed) sizes the Bloom filter of external ids.
 * deal_bulk_new() sets *b even when it fails.  deal_bulk_add() takes a
 * row deal_apply() made (borrowed); a row refused (its external id
 * taken) is *bad, for the caller to free.  deal_bulk_finish() writes the
 * rest and builds the indexes; deal_bulk_free() frees b and puts foreign
 * keys back as they were, whatever happened.
 */
struct deal_bulk;

struct crm_error *deal_bulk_new(struct deal_cx *cx, FILE *in,
	    struct deal_bulk **b);
struct crm_error *deal_bulk_add(struct deal_bulk *b, const struct deal_row *r,
	    struct crm_error **bad);
struct crm_error *deal_bulk_finish(struct deal_bulk *b);
void	 deal_bulk_free(struct deal_bulk *b);

#endif
