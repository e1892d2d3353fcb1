/*
 * Tickets, the write side: open, comment, assign, the status moves,
 * the rating and delete.  Each write is checked against the ticket as it
 * is (its record from crm_ticket_get), then goes out as one UPDATE of the
 * columns that change and one event that lists them, old and new, with
 * the ticket's contact_id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_ticket.h"
#include "crm_util.h"

/* One column to set; val NULL sets NULL.  col is never user text. */
struct set {
	const char	*col;
	const char	*val;
};

static const char *
str(const cJSON *rec, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(rec, name));
}

/* A fresh changes object carrying the ticket's contact_id. */
static cJSON *
changes_new(const cJSON *rec)
{
	cJSON *ch = cJSON_CreateObject();
	const cJSON *c = cJSON_GetObjectItem(rec, "contact_id");

	cJSON_AddItemToObject(ch, "contact_id", c != NULL ?
	    cJSON_Duplicate(c, 1) : cJSON_CreateNull());
	return ch;
}

/* The text of a scalar field of rec into buf, or NULL for null. */
static const char *
field_text(const cJSON *rec, const char *name, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItem(rec, name);

	if (cJSON_IsNumber(v)) {
		snprintf(buf, len, "%lld", (long long)v->valuedouble);
		return buf;
	}
	return cJSON_GetStringValue(v);
}

static cJSON *
value_json(const char *s, int number)
{
	if (s == NULL)
		return cJSON_CreateNull();
	return number ? cJSON_CreateNumber(atof(s)) : cJSON_CreateString(s);
}

/*
 * Set the columns of ticket id (whose record is old) that differ, with
 * updated_at, and record action with the changes (ch, taken over).
 * force: write and record even when no column differs (a comment).
 */
static struct crm_error *
apply(struct crm_db *db, sqlite3_int64 id, const cJSON *old,
    const struct set *s, size_t n, const char *action, cJSON *ch,
    int force, int *changed)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	const char *bind[16];
	char now[CRM_TIME_LEN], buf[32];
	const char *was;
	sqlite3_stmt *st;
	cJSON *c;
	size_t i, nb = 0;

	crm_buf_adds(&sql, "UPDATE tickets SET ");
	for (i = 0; i < n && nb < 15; i++) {
		was = field_text(old, s[i].col, buf, sizeof(buf));
		if (was == s[i].val || (was != NULL && s[i].val != NULL &&
		    strcmp(was, s[i].val) == 0))
			continue;
		crm_buf_addf(&sql, "%s = ?, ", s[i].col);
		bind[nb++] = s[i].val;
		c = cJSON_AddObjectToObject(ch, s[i].col);
		cJSON_AddItemToObject(c, "old", value_json(was,
		    strcmp(s[i].col, "csat") == 0));
		cJSON_AddItemToObject(c, "new", value_json(s[i].val,
		    strcmp(s[i].col, "csat") == 0));
	}
	if (changed != NULL)
		*changed = nb > 0 || force;
	if (nb == 0 && !force)
		goto done;
	crm_time_now(now);
	bind[nb++] = now;
	crm_buf_adds(&sql, "updated_at = ? WHERE id = ?");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	for (i = 0; i < nb; i++)
		crm_db_bind_text(st, (int)i + 1, bind[i]);
	sqlite3_bind_int64(st, (int)nb + 1, id);
	if ((err = crm_db_step_done(db, st)) == NULL &&
	    (err = crm_db_event(db, "ticket", id, action, ch)) == NULL)
		err = crm_ticket_sla_refresh(db, id);
done:
	cJSON_Delete(ch);
	crm_buf_release(&sql);
	return err;
}

/* "invalid priority "x" (use low, ...)" with a suggestion. */
static struct crm_error *
bad_value(const char *what, const char *v, const char *const *list,
    const char *use)
{
	size_t n;
	const char *hint;

	for (n = 0; list[n] != NULL; n++)
		if (strcmp(list[n], v) == 0)
			return NULL;
	if ((hint = crm_suggest(v, list, n)) != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "unknown %s \"%s\" (did "
		    "you mean \"%s\"?)", what, v, hint);
	return crm_error_new(CRM_EXIT_USAGE, "unknown %s \"%s\" (use %s)",
	    what, v, use);
}

static struct crm_error *
closed(sqlite3_int64 id)
{
	return crm_error_new(CRM_EXIT_FAIL, "ticket %lld is closed: reopen "
	    "it first", (long long)id);
}

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* The contact ref names; an unknown email adds one. */
static struct crm_error *
open_contact(struct crm_db *db, const char *ref, sqlite3_int64 *cid)
{
	struct crm_error *err;
	cJSON *values;

	err = crm_contact_resolve(db, ref, cid);
	if (err == NULL || strchr(ref, '@') == NULL ||
	    strncmp(ref, "ext:", 4) == 0)
		return err;
	crm_error_free(err);
	values = cJSON_CreateObject();
	cJSON_AddStringToObject(values, "email", ref);
	err = crm_contact_add(db, values, cid);
	cJSON_Delete(values);
	return crm_error_prefix(err, "--contact");
}

static size_t move_sets(const cJSON *, const char *, const char *,
	    struct set *);

static struct crm_error *
insert_comment(struct crm_db *db, sqlite3_int64 id, sqlite3_int64 cid,
    const char *author, const char *body, int internal,
    const char *message_id, sqlite3_int64 *comment)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	char now[CRM_TIME_LEN];

	err = crm_db_prepare(db, "INSERT INTO ticket_comments (ticket_id,"
	    " contact_id, author, body, internal, created_at, message_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)", &st);
	if (err != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_int64(st, 1, id);
	if (cid != 0)
		sqlite3_bind_int64(st, 2, cid);
	crm_db_bind_text(st, 3, author);
	crm_db_bind_text(st, 4, body);
	sqlite3_bind_int(st, 5, internal != 0);
	crm_db_bind_text(st, 6, now);
	crm_db_bind_text(st, 7, message_id);
	if ((err = crm_db_step_done(db, st)) == NULL && comment != NULL)
		*comment = sqlite3_last_insert_rowid(db->sql);
	return err;
}

static struct crm_error *
check_new(const struct crm_ticket_new *t)
{
	if (t->contact == NULL || blank(t->contact))
		return crm_error_new(CRM_EXIT_USAGE, "a ticket needs a contact "
		    "(--contact)");
	if (blank(t->subject))
		return crm_error_new(CRM_EXIT_USAGE, "a ticket needs a subject "
		    "(--subject)");
	if (t->priority != NULL)
		return crm_error_prefix(bad_value("priority", t->priority,
		    crm_ticket_priorities, "low, normal, high or urgent"),
		    "--priority");
	return NULL;
}

/* A comment written by contact cid: signed with its email or name. */
static struct crm_error *
contact_comment(struct crm_db *db, sqlite3_int64 id, sqlite3_int64 cid,
    const char *body, const char *message_id, sqlite3_int64 *comment)
{
	struct crm_error *err;
	const char *author;
	cJSON *c;

	if ((err = crm_contact_get(db, cid, &c)) != NULL)
		return err;
	if ((author = str(c, "email")) == NULL && (author = str(c, "name")) ==
	    NULL)
		author = "contact";
	err = insert_comment(db, id, cid, author, body, 0, message_id,
	    comment);
	cJSON_Delete(c);
	return err;
}

/* The request as the first comment, written by the contact. */
static struct crm_error *
open_body(struct crm_db *db, sqlite3_int64 id, sqlite3_int64 cid,
    const char *body)
{
	if (blank(body))
		return NULL;
	return contact_comment(db, id, cid, body, NULL, NULL);
}

struct crm_error *
crm_ticket_open(struct crm_db *db, const struct crm_ticket_new *t,
    sqlite3_int64 *id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 cid = 0;
	char now[CRM_TIME_LEN];
	cJSON *rec = NULL;

	if ((err = check_new(t)) != NULL ||
	    (err = open_contact(db, t->contact, &cid)) != NULL)
		return err;
	err = crm_db_prepare(db, "INSERT INTO tickets (contact_id, subject,"
	    " priority, queue, channel, assignee, message_id, created_at,"
	    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
	if (err != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_int64(st, 1, cid);
	crm_db_bind_text(st, 2, t->subject);
	crm_db_bind_text(st, 3, t->priority ? t->priority : "normal");
	crm_db_bind_text(st, 4, blank(t->queue) ? NULL : t->queue);
	crm_db_bind_text(st, 5, blank(t->channel) ? NULL : t->channel);
	crm_db_bind_text(st, 6, blank(t->assignee) ? NULL : t->assignee);
	crm_db_bind_text(st, 7, t->message_id);
	crm_db_bind_text(st, 8, now);
	crm_db_bind_text(st, 9, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*id = sqlite3_last_insert_rowid(db->sql);
	if ((err = open_body(db, *id, cid, t->body)) == NULL &&
	    (err = crm_ticket_sla_refresh(db, *id)) == NULL &&
	    (err = crm_ticket_get(db, *id, 0, &rec)) == NULL)
		err = crm_db_event(db, "ticket", *id, "open", rec);
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_comment(struct crm_db *db, sqlite3_int64 id, const char *body,
    int internal, sqlite3_int64 *cid)
{
	struct crm_ticket_note n = { body, internal, 0, NULL };

	return crm_ticket_note(db, id, &n, cid);
}

/* The status a comment moves a ticket to, or NULL. */
static const char *
note_status(const cJSON *rec, const struct crm_ticket_note *n)
{
	const char *status = str(rec, "status");

	if (n->internal)
		return NULL;
	/* The customer answers: the ticket is theirs no longer. */
	if (n->contact_id != 0)
		return strcmp(status, "pending") == 0 ||
		    strcmp(status, "resolved") == 0 ? "open" : NULL;
	return strcmp(status, "new") == 0 ? "open" : NULL;
}

struct crm_error *
crm_ticket_note(struct crm_db *db, sqlite3_int64 id,
    const struct crm_ticket_note *n, sqlite3_int64 *cid)
{
	struct set s[5];
	struct crm_error *err;
	sqlite3_int64 comment = 0;
	char now[CRM_TIME_LEN];
	const char *to;
	cJSON *rec, *ch;
	size_t k = 0;

	if (blank(n->body))
		return crm_error_new(CRM_EXIT_USAGE, "the comment is empty");
	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	if (strcmp(str(rec, "status"), "closed") == 0) {
		err = closed(id);
		goto done;
	}
	if (n->contact_id != 0)
		err = contact_comment(db, id, n->contact_id, n->body,
		    n->message_id, &comment);
	else
		err = insert_comment(db, id, 0, crm_actor(), n->body,
		    n->internal, n->message_id, &comment);
	if (err != NULL)
		goto done;
	crm_time_now(now);
	/* The first public word from an agent is the first response. */
	if (!n->internal && n->contact_id == 0 &&
	    str(rec, "first_response_at") == NULL)
		s[k++] = (struct set){ "first_response_at", now };
	if ((to = note_status(rec, n)) != NULL)
		k += move_sets(rec, to, now, s + k);
	ch = changes_new(rec);
	cJSON_AddNumberToObject(ch, "comment_id", (double)comment);
	cJSON_AddBoolToObject(ch, "internal", n->internal != 0);
	err = apply(db, id, rec, s, k, "comment", ch, 1, NULL);
	if (err == NULL && cid != NULL)
		*cid = comment;
done:
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_assign(struct crm_db *db, sqlite3_int64 id, const char *assignee,
    int *changed)
{
	struct set s = { "assignee", assignee };
	struct crm_error *err;
	cJSON *rec;

	if (assignee != NULL && blank(assignee))
		return crm_error_new(CRM_EXIT_USAGE, "--to: the assignee is "
		    "empty");
	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	if (strcmp(str(rec, "status"), "closed") == 0)
		err = closed(id);
	else
		err = apply(db, id, rec, &s, 1, "assign", changes_new(rec), 0,
		    changed);
	cJSON_Delete(rec);
	return err;
}

/* The columns a move from status from to status to sets. */
static size_t
move_sets(const cJSON *rec, const char *to, const char *now, struct set *s)
{
	size_t n = 0;

	s[n++] = (struct set){ "status", to };
	if (strcmp(to, "resolved") == 0 ||
	    (strcmp(to, "closed") == 0 && str(rec, "resolved_at") == NULL))
		s[n++] = (struct set){ "resolved_at", now };
	if (strcmp(to, "closed") == 0)
		s[n++] = (struct set){ "closed_at", now };
	if (strcmp(to, "open") == 0 || strcmp(to, "pending") == 0) {
		s[n++] = (struct set){ "resolved_at", NULL };
		s[n++] = (struct set){ "closed_at", NULL };
	}
	return n;
}

struct crm_error *
crm_ticket_status(struct crm_db *db, sqlite3_int64 id, const char *status,
    int *changed)
{
	struct set s[4];
	struct crm_error *err;
	char now[CRM_TIME_LEN];
	const char *was;
	cJSON *rec;

	if (changed != NULL)
		*changed = 0;
	if (strcmp(status, "new") == 0)
		return crm_error_new(CRM_EXIT_USAGE, "a ticket cannot go back "
		    "to new");
	if ((err = bad_value("status", status, crm_ticket_statuses,
	    "open, pending, resolved or closed")) != NULL)
		return err;
	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	was = str(rec, "status");
	if (strcmp(was, status) == 0)
		goto done;
	if (strcmp(was, "closed") == 0) {
		err = closed(id);
		goto done;
	}
	crm_time_now(now);
	err = apply(db, id, rec, s, move_sets(rec, status, now, s),
	    strcmp(status, "closed") == 0 ? "close" : "status",
	    changes_new(rec), 0, changed);
done:
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_reopen(struct crm_db *db, sqlite3_int64 id)
{
	struct set s[4];
	struct crm_error *err;
	const char *was;
	cJSON *rec;

	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	was = str(rec, "status");
	if (strcmp(was, "resolved") != 0 && strcmp(was, "closed") != 0)
		err = crm_error_new(CRM_EXIT_FAIL, "ticket %lld is %s: only "
		    "resolved or closed tickets reopen", (long long)id, was);
	else
		err = apply(db, id, rec, s, move_sets(rec, "open", NULL, s),
		    "reopen", changes_new(rec), 0, NULL);
	cJSON_Delete(rec);
	return err;
}

static struct crm_error *
set_one(struct crm_db *db, sqlite3_int64 id, struct set *s,
    const char *action, int *changed)
{
	struct crm_error *err;
	cJSON *rec;

	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	if (strcmp(str(rec, "status"), "closed") == 0)
		err = closed(id);
	else
		err = apply(db, id, rec, s, 1, action, changes_new(rec), 0,
		    changed);
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_priority(struct crm_db *db, sqlite3_int64 id,
    const char *priority, int *changed)
{
	struct set s = { "priority", priority };
	struct crm_error *err;

	if ((err = bad_value("priority", priority, crm_ticket_priorities,
	    "low, normal, high or urgent")) != NULL)
		return err;
	return set_one(db, id, &s, "priority", changed);
}

struct crm_error *
crm_ticket_queue(struct crm_db *db, sqlite3_int64 id, const char *queue,
    int *changed)
{
	struct set s = { "queue", blank(queue) ? NULL : queue };

	return set_one(db, id, &s, "queue", changed);
}

struct crm_error *
crm_ticket_rate(struct crm_db *db, sqlite3_int64 id, int score,
    const char *comment)
{
	struct set s[2];
	struct crm_error *err;
	const char *was;
	char buf[4];
	cJSON *rec;

	if (score < 1 || score > 5)
		return crm_error_new(CRM_EXIT_USAGE, "a rating is 1 to 5, got "
		    "%d", score);
	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	was = str(rec, "status");
	if (strcmp(was, "resolved") != 0 && strcmp(was, "closed") != 0) {
		err = crm_error_new(CRM_EXIT_FAIL, "ticket %lld is %s: only "
		    "resolved or closed tickets take a rating", (long long)id,
		    was);
		goto done;
	}
	snprintf(buf, sizeof(buf), "%d", score);
	s[0] = (struct set){ "csat", buf };
	s[1] = (struct set){ "csat_comment", blank(comment) ? NULL : comment };
	err = apply(db, id, rec, s, 2, "rate", changes_new(rec), 0, NULL);
done:
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;

	if ((err = crm_ticket_get(db, id, 0, &rec)) != NULL)
		return err;
	/* The comments go with it (ON DELETE CASCADE). */
	if ((err = crm_db_prepare(db, "DELETE FROM tickets WHERE id = ?",
	    &st)) == NULL) {
		sqlite3_bind_int64(st, 1, id);
		if ((err = crm_db_step_done(db, st)) == NULL)
			err = crm_db_event(db, "ticket", id, "delete", rec);
	}
	cJSON_Delete(rec);
	return err;
}
