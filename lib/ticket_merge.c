/*
 * Merging tickets, as helpdesks do it (Zendesk's merge): the kept ticket
 * takes the others' threads, the others are closed with an internal note
 * that points to it, and stay, so that their numbers, events and reports
 * still make sense.  Comments move with their ids, so that the events
 * that name them stay right and the thread, ordered by id, interleaves
 * them in the order they were written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_ticket.h"
#include "crm_util.h"

/*
 * Fields the kept ticket takes from the others when it has none.  Not
 * the contact: a ticket whose contact was deleted does not pass to
 * another person by a merge.
 */
static const char *const fill[] = {
	"queue", "channel", "assignee", NULL
};

static const char *
str(const cJSON *rec, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(rec, name));
}

static int
is_null(const cJSON *rec, const char *name)
{
	return cJSON_IsNull(cJSON_GetObjectItem(rec, name));
}

/*
 * Run sql binding ?1 and ?2 (when it has one) to ids a and b; *n (may be
 * NULL) is the number of rows changed.
 */
static struct crm_error *
exec2(struct crm_db *db, const char *sql, sqlite3_int64 a, sqlite3_int64 b,
    int *n)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if ((err = crm_db_step_done(db, st)) == NULL && n != NULL)
		*n = sqlite3_changes(db->sql);
	return err;
}

/* Does table have column (a table another module may add later)? */
static struct crm_error *
has_column(struct crm_db *db, const char *table, const char *column,
    int *yes)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT 1 FROM pragma_table_info(?1)"
	    " WHERE name = ?2", &st)) != NULL)
		return err;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW || rc == SQLITE_DONE)
		*yes = rc == SQLITE_ROW;
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
refuse(sqlite3_int64 keep, const sqlite3_int64 *others, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (others[i] == keep)
			return crm_error_new(CRM_EXIT_FAIL, "cannot merge "
			    "ticket %lld into itself", (long long)keep);
	return NULL;
}

/* A closed ticket is final: merging it, or into it, is refused. */
static struct crm_error *
get_open(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	struct crm_error *err;

	if ((err = crm_ticket_get(db, id, 0, rec)) != NULL)
		return err;
	if (strcmp(str(*rec, "status"), "closed") != 0)
		return NULL;
	cJSON_Delete(*rec);
	*rec = NULL;
	return crm_error_new(CRM_EXIT_FAIL, "ticket %lld is closed: reopen "
	    "it first", (long long)id);
}

/*
 * Move other's thread onto keep (attachments hang off comments), and
 * the Message-IDs that mail in threads by, where kept by ticket: a reply
 * to a message of other's then lands in keep.  Not the SLA's rows: they
 * are other's history.  *moved: the comments.
 */
static struct crm_error *
move_thread(struct crm_db *db, sqlite3_int64 keep, sqlite3_int64 other,
    int *moved)
{
	static const char *const by_ticket[] = {
		"ticket_attachments", "ticket_mail_refs", NULL
	};
	struct crm_error *err;
	char sql[128];
	size_t i;
	int yes = 0;

	err = exec2(db, "UPDATE ticket_comments SET ticket_id = ?1"
	    " WHERE ticket_id = ?2", keep, other, moved);
	for (i = 0; err == NULL && by_ticket[i] != NULL; i++) {
		if ((err = has_column(db, by_ticket[i], "ticket_id", &yes)) !=
		    NULL || !yes)
			continue;
		snprintf(sql, sizeof(sql), "UPDATE %s SET ticket_id = ?1"
		    " WHERE ticket_id = ?2", by_ticket[i]);
		err = exec2(db, sql, keep, other, NULL);
	}
	return err;
}

/*
 * What keep takes from other into fills (field: new value): the fields
 * keep lacks, the earliest first response, and other's Message-ID when
 * keep has none, so that a reply to other's first mail threads into keep
 * (taken off other, for Message-IDs are unique; noted in och).
 */
static struct crm_error *
take(struct crm_db *db, const cJSON *krec, sqlite3_int64 other,
    const cJSON *orec, cJSON *fills, cJSON *och)
{
	const char *kf, *of;
	cJSON *c;
	size_t i;

	for (i = 0; fill[i] != NULL; i++)
		if (is_null(krec, fill[i]) && !is_null(orec, fill[i]) &&
		    cJSON_GetObjectItem(fills, fill[i]) == NULL)
			cJSON_AddItemToObject(fills, fill[i], cJSON_Duplicate(
			    cJSON_GetObjectItem(orec, fill[i]), 1));
	kf = str(fills, "first_response_at");
	if (kf == NULL)
		kf = str(krec, "first_response_at");
	of = str(orec, "first_response_at");
	if (of != NULL && (kf == NULL || strcmp(of, kf) < 0)) {
		cJSON_DeleteItemFromObject(fills, "first_response_at");
		cJSON_AddStringToObject(fills, "first_response_at", of);
	}
	if (!is_null(krec, "message_id") || is_null(orec, "message_id") ||
	    cJSON_GetObjectItem(fills, "message_id") != NULL)
		return NULL;
	cJSON_AddStringToObject(fills, "message_id", str(orec, "message_id"));
	c = cJSON_AddObjectToObject(och, "message_id");
	cJSON_AddStringToObject(c, "old", str(orec, "message_id"));
	cJSON_AddNullToObject(c, "new");
	return exec2(db, "UPDATE tickets SET message_id = NULL WHERE id = ?1",
	    other, 0, NULL);
}

/* Set keep's fields to fills, noting {old, new} of each in kch. */
static struct crm_error *
write_fills(struct crm_db *db, sqlite3_int64 keep, const cJSON *krec,
    const cJSON *fills, cJSON *kch)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	char now[CRM_TIME_LEN];
	const cJSON *v;
	sqlite3_stmt *st;
	cJSON *c;
	int i = 1;

	if (fills->child == NULL)
		return NULL;
	crm_buf_adds(&sql, "UPDATE tickets SET ");
	cJSON_ArrayForEach(v, fills) {
		crm_buf_addf(&sql, "%s = ?, ", v->string);
		c = cJSON_AddObjectToObject(kch, v->string);
		cJSON_AddItemToObject(c, "old", cJSON_Duplicate(
		    cJSON_GetObjectItem(krec, v->string), 1));
		cJSON_AddItemToObject(c, "new", cJSON_Duplicate(v, 1));
	}
	crm_buf_adds(&sql, "updated_at = ? WHERE id = ?");
	if ((err = crm_db_prepare(db, sql.buf, &st)) == NULL) {
		cJSON_ArrayForEach(v, fills) {
			if (cJSON_IsNumber(v))
				sqlite3_bind_int64(st, i++,
				    (sqlite3_int64)v->valuedouble);
			else
				crm_db_bind_text(st, i++, v->valuestring);
		}
		crm_time_now(now);
		crm_db_bind_text(st, i++, now);
		sqlite3_bind_int64(st, i, keep);
		err = crm_db_step_done(db, st);
	}
	crm_buf_release(&sql);
	return err;
}

/* An internal note by the acting user on ticket id. */
static struct crm_error *
note(struct crm_db *db, sqlite3_int64 id, const char *body)
{
	struct crm_ticket_note n = { body, 1, 0, NULL };

	return crm_ticket_note(db, id, &n, NULL);
}

/* A fresh changes object carrying rec's contact_id. */
static cJSON *
changes_new(const cJSON *rec)
{
	cJSON *ch = cJSON_CreateObject();

	cJSON_AddItemToObject(ch, "contact_id", cJSON_Duplicate(
	    cJSON_GetObjectItem(rec, "contact_id"), 1));
	return ch;
}

/* Merge other into keep: its thread, then the note and the close. */
static struct crm_error *
merge_one(struct crm_db *db, sqlite3_int64 keep, const cJSON *krec,
    sqlite3_int64 other, cJSON *fills, int *moved)
{
	struct crm_error *err;
	cJSON *orec, *och = NULL;
	char text[64];

	if ((err = get_open(db, other, &orec)) != NULL)
		return err;
	och = changes_new(orec);
	if ((err = move_thread(db, keep, other, moved)) != NULL ||
	    (err = take(db, krec, other, orec, fills, och)) != NULL)
		goto done;
	snprintf(text, sizeof(text), "merged into #%lld", (long long)keep);
	if ((err = note(db, other, text)) != NULL ||
	    (err = crm_ticket_status(db, other, "closed", NULL)) != NULL)
		goto done;
	cJSON_AddNumberToObject(och, "merged_into", (double)keep);
	cJSON_AddNumberToObject(och, "comments", *moved);
	err = crm_db_event(db, "ticket", other, "merge", och);
done:
	cJSON_Delete(och);
	cJSON_Delete(orec);
	return err;
}

struct crm_error *
crm_ticket_merge(struct crm_db *db, sqlite3_int64 keep,
    const sqlite3_int64 *others, size_t n)
{
	struct crm_buf text = CRM_BUF_INIT;
	struct crm_error *err;
	cJSON *krec = NULL, *kch = NULL, *fills, *ids;
	size_t i, j;
	int moved, total = 0;

	if ((err = refuse(keep, others, n)) != NULL ||
	    (err = get_open(db, keep, &krec)) != NULL)
		return err;
	fills = cJSON_CreateObject();
	ids = cJSON_CreateArray();
	crm_buf_adds(&text, "merged ");
	for (i = 0; i < n && err == NULL; i++) {
		for (j = 0; j < i && others[j] != others[i]; j++)
			;
		if (j < i)
			continue;
		moved = 0;
		err = merge_one(db, keep, krec, others[i], fills, &moved);
		total += moved;
		cJSON_AddItemToArray(ids, cJSON_CreateNumber(
		    (double)others[i]));
		crm_buf_addf(&text, "%s#%lld", i ? ", " : "",
		    (long long)others[i]);
	}
	crm_buf_adds(&text, " into this ticket");
	if (err != NULL)
		goto done;
	kch = changes_new(krec);
	/*
	 * The note last: a change made through crm_ticket_note() brings
	 * along what follows every change of a ticket (its SLA due times).
	 */
	if ((err = write_fills(db, keep, krec, fills, kch)) != NULL ||
	    (err = note(db, keep, text.buf)) != NULL)
		goto done;
	cJSON_AddItemToObject(kch, "merged", ids);
	ids = NULL;
	cJSON_AddNumberToObject(kch, "comments", total);
	err = crm_db_event(db, "ticket", keep, "merge", kch);
done:
	cJSON_Delete(ids);
	cJSON_Delete(fills);
	cJSON_Delete(kch);
	cJSON_Delete(krec);
	crm_buf_release(&text);
	return err;
}
