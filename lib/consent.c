/*
 * Consent to marketing mail: subscribe, unsubscribe, and the suppression
 * list of addresses that said no, contact or not (see crm_privacy.h; the
 * table and its triggers are in privacy.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_email.h"
#include "crm_privacy.h"
#include "crm_util.h"

/* A contact's consent as stored. */
struct state {
	int	 opt_in;
	char	*unsubscribed_at;
	char	*email;
	int	 forgotten;
};

static void
state_release(struct state *s)
{
	free(s->unsubscribed_at);
	free(s->email);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? crm_xstrdup(s) : NULL;
}

static struct crm_error *
load_state(struct crm_db *db, sqlite3_int64 id, struct state *s)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	err = crm_db_prepare(db, "SELECT opt_in, unsubscribed_at, email,"
	    " forgotten_at IS NOT NULL FROM contacts WHERE id = ?", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->opt_in = sqlite3_column_int(st, 0);
		s->unsubscribed_at = column_dup(st, 1);
		s->email = column_dup(st, 2);
		s->forgotten = sqlite3_column_int(st, 3);
	} else
		err = rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_FAIL,
		    "no contact %lld", (long long)id) : crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* {"old": a, "new": b} under name; a and b are taken over. */
static void
add_change(cJSON *changes, const char *name, cJSON *a, cJSON *b)
{
	cJSON *c = cJSON_AddObjectToObject(changes, name);

	cJSON_AddItemToObject(c, "old", a);
	cJSON_AddItemToObject(c, "new", b);
}

static cJSON *
text_or_null(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The suppression list entry for email: its id, 0 when none. */
static struct crm_error *
find_suppressed(struct crm_db *db, const char *email, sqlite3_int64 *id)
{
	int n;

	return crm_db_lookup(db, "SELECT id FROM suppressions WHERE email = ?",
	    email, id, &n);
}

/*
 * Put email on the suppression list (as of at, from source), or take it
 * off; with entity_event, record it as an event of entity "suppression".
 */
static struct crm_error *
suppress(struct crm_db *db, const char *email, int on,
    const struct crm_consent *c, const char *at, int entity_event,
    int *changed)
{
	struct crm_error *err;
	sqlite3_int64 id;
	sqlite3_stmt *st;
	cJSON *ch;

	*changed = 0;
	if (email == NULL)
		return NULL;
	if ((err = find_suppressed(db, email, &id)) != NULL)
		return err;
	if ((id != 0) == on)
		return NULL;
	err = crm_db_prepare(db, on ? "INSERT INTO suppressions (email,"
	    " source, created_at) VALUES (?1, ?2, ?3)" :
	    "DELETE FROM suppressions WHERE id = ?4", &st);
	if (err != NULL)
		return err;
	if (on) {
		crm_db_bind_text(st, 1, email);
		crm_db_bind_text(st, 2, c->source);
		crm_db_bind_text(st, 3, at);
	} else
		sqlite3_bind_int64(st, 4, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*changed = 1;
	if (!entity_event)
		return NULL;
	if (on)
		id = sqlite3_last_insert_rowid(db->sql);
	ch = cJSON_CreateObject();
	cJSON_AddStringToObject(ch, "email", email);
	cJSON_AddStringToObject(ch, "source", c->source);
	cJSON_AddStringToObject(ch, "at", at);
	err = crm_db_event(db, "suppression", id, on ? "unsubscribe" :
	    "subscribe", ch);
	cJSON_Delete(ch);
	return err;
}

/* Set the consent columns of contact id and record the event. */
static struct crm_error *
set_consent(struct crm_db *db, sqlite3_int64 id, const struct state *old,
    int opt_in, const char *at, const struct crm_consent *c)
{
	static const char sql[] = "UPDATE contacts SET opt_in = ?1,"
	    " unsubscribed_at = ?2, consent_source = ?3, consent_at = ?4,"
	    " updated_at = ?5 WHERE id = ?6";
	const char *unsub = opt_in ? NULL : at;
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *ch;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_int(st, 1, opt_in);
	crm_db_bind_text(st, 2, unsub);
	crm_db_bind_text(st, 3, c->source);
	crm_db_bind_text(st, 4, at);
	crm_db_bind_text(st, 5, now);
	sqlite3_bind_int64(st, 6, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	ch = cJSON_CreateObject();
	if (old->opt_in != opt_in)
		add_change(ch, "opt_in", cJSON_CreateBool(old->opt_in),
		    cJSON_CreateBool(opt_in));
	add_change(ch, "unsubscribed_at", text_or_null(old->unsubscribed_at),
	    text_or_null(unsub));
	cJSON_AddStringToObject(ch, "source", c->source);
	err = crm_db_event(db, "contact", id, opt_in ? "subscribe" :
	    "unsubscribe", ch);
	cJSON_Delete(ch);
	return err;
}

/*
 * The contact ref names into *id, or 0 with the normalised address in
 * email when ref is an address no contact has.
 */
static struct crm_error *
resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id,
    char email[CRM_EMAIL_MAX])
{
	struct crm_error *err = crm_contact_resolve(db, ref, id);

	if (err == NULL || strchr(ref, '@') == NULL ||
	    crm_email_normalize(ref, email, CRM_EMAIL_MAX, NULL) != 0)
		return err;
	crm_error_free(err);
	*id = 0;
	return NULL;
}

static struct crm_error *
change(struct crm_db *db, const char *ref, int on,
    const struct crm_consent *c, int *changed)
{
	char email[CRM_EMAIL_MAX], at[CRM_TIME_LEN];
	struct crm_error *err;
	struct state s;
	sqlite3_int64 id;
	int dummy, done = 0;

	if (changed == NULL)
		changed = &dummy;
	*changed = 0;
	if (c->at != NULL)
		snprintf(at, sizeof(at), "%s", c->at);
	else
		crm_time_now(at);
	if ((err = resolve(db, ref, &id, email)) != NULL)
		return err;
	if (id == 0) {
		err = suppress(db, email, !on, c, at, 1, changed);
		if (err == NULL && on && !*changed)
			err = crm_error_new(CRM_EXIT_FAIL, "no contact \"%s\"",
			    ref);
		return err;
	}
	if ((err = load_state(db, id, &s)) != NULL)
		return err;
	if (s.forgotten && on)
		err = crm_error_new(CRM_EXIT_FAIL, "contact %lld was "
		    "forgotten", (long long)id);
	else if (s.forgotten)
		done = 1;
	else if (on ? !s.opt_in || s.unsubscribed_at != NULL :
	    s.opt_in || s.unsubscribed_at == NULL) {
		err = set_consent(db, id, &s, on, at, c);
		*changed = err == NULL;
	}
	if (err == NULL && !done)
		err = suppress(db, s.email, !on, c, at, 0, &dummy);
	state_release(&s);
	return err;
}

struct crm_error *
crm_privacy_unsubscribe(struct crm_db *db, const char *ref,
    const struct crm_consent *c, int *changed)
{
	return change(db, ref, 0, c, changed);
}

struct crm_error *
crm_privacy_subscribe(struct crm_db *db, const char *ref,
    const struct crm_consent *c, int *changed)
{
	return change(db, ref, 1, c, changed);
}
