/*
 * Lead scores and RFM (crm-segment(1), score and rfm).
 *
 * A scoring rule is a contact filter and a number of points; a contact's
 * score is the sum of the points of the rules it matches, 0 when it
 * matches none.  RFM scores the contacts with won deals from 1 to 5 on
 * recency (of the last won deal), frequency (how many) and monetary value
 * (their total), and names their group.  Both are computed for every
 * contact in one statement and kept in contact_scores, where the contact
 * filter reads them (score, rfm_r, rfm_f, rfm_m, rfm_group).
 *
 * Owns the tables score_rules, score_rule_uses (the segments each rule
 * names, which segment.c reads to refuse renaming or deleting them) and
 * contact_scores.  Rules and scores are score.c, RFM is rfm.c.
 */
#ifndef CRM_SCORE_H
#define CRM_SCORE_H

#include <stddef.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/* The points of one rule lie within plus or minus this. */
#define CRM_SCORE_POINTS_MAX	1000000000LL

/* The fields of the records below, in output order; NULL-terminated. */
extern const char *const crm_score_rule_columns[];	/* id, where, ... */
extern const char *const crm_score_explain_columns[];	/* rule, ... */
extern const char *const crm_rfm_columns[];		/* group, ... */
/* The RFM groups in their printed order (static); *n is their count. */
const char *const *crm_rfm_groups(size_t *n);

/*
 * Points as a user writes them ("15", "-5") into *points; anything else
 * is a CRM_EXIT_USAGE error `points: expected a whole number, got "x"`.
 */
struct crm_error *crm_score_points_parse(const char *text,
	    long long *points);

/*
 * Add the rule "contacts matching where get points" into *id.  A filter
 * that does not compile (crm-filter(7); segments may be named) or is
 * blank is a CRM_EXIT_USAGE error prefixed "rule: ".  The segments the
 * filter names cannot be renamed or deleted while the rule lasts.  In the
 * caller's transaction, with an event.
 */
struct crm_error *crm_score_rule_add(struct crm_db *db, const char *where,
	    long long points, sqlite3_int64 *id);
/* The rule with id ref (digits) into *id; none is a CRM_EXIT_FAIL error. */
struct crm_error *crm_score_rule_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);
/* Delete rule id, with an event, in the caller's transaction. */
struct crm_error *crm_score_rule_delete(struct crm_db *db, sqlite3_int64 id);
/* Rule id's record; *rec is the caller's to cJSON_Delete(). */
struct crm_error *crm_score_rule_get(struct crm_db *db, sqlite3_int64 id,
	    cJSON **rec);
/* Every rule's record by id, handed to fn (borrowed) until it returns 1. */
struct crm_error *crm_score_rule_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * Score every contact by the rules, in one statement, with one event, in
 * the caller's transaction: *contacts scored, by *rules rules.  A stored
 * rule that no longer compiles (say, a segment it names now nests too
 * deeply) is an error naming the rule, and nothing is scored.
 */
struct crm_error *crm_score_run(struct crm_db *db, long long *contacts,
	    long long *rules);

/*
 * Why contact has the score it has now: a record per rule, by id,
 * {rule, where, points, matched, given} handed to fn (borrowed) until it
 * returns non-zero; *total is the sum of given, *stored the score kept
 * by the last run (*scored 0 when it has none).
 */
struct crm_error *crm_score_explain(struct crm_db *db, sqlite3_int64 contact,
	    int (*fn)(const cJSON *rec, void *arg), void *arg,
	    long long *total, long long *stored, int *scored);

struct crm_rfm_query {
	const char	*since;		/* won on or after, or NULL: all */
	const char	*currency;	/* convert into, or NULL */
};

/*
 * RFM over the won deals: score every contact that has any (closed on or
 * after q->since) and clear the others, in one pass, with one event, in
 * the caller's transaction.  Won deals in more than one currency need
 * q->currency (a CRM_EXIT_USAGE error names them), and then a rate for
 * each (CRM_EXIT_FAIL, named).  *groups is a cJSON array of a record per
 * group, in the order of crm-segment(1), {group, contacts, revenue,
 * currency}, the caller's to cJSON_Delete(); *contacts how many were
 * scored.
 */
struct crm_error *crm_rfm_run(struct crm_db *db,
	    const struct crm_rfm_query *q, cJSON **groups, long long *contacts);

#endif
