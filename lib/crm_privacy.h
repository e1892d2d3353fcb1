/*
 * Privacy: what is held about a person (GDPR export), erasing it
 * (forget), and consent to marketing mail (subscribe, unsubscribe, the
 * suppression list); crm-contact(1).  Owns the table suppressions and the
 * contacts columns consent_source, consent_at and forgotten_at.
 *
 * The tables that hold a contact's data are listed in privacy.c (what is
 * exported) and privacy_forget.c (what is erased), one line each
 * (activities, deals, tickets, campaign sends); a table that does not
 * exist yet is skipped.  Writes go into the caller's transaction
 * (crm_db_begin) and each records an event.
 */
#ifndef CRM_PRIVACY_H
#define CRM_PRIVACY_H

#include <stddef.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/*
 * Everything held about contact id, as one document (crm-contact(1),
 * gdpr-export): {"exported_at", "contact", "privacy", "merged_ids",
 * "activities", "deals", "tickets" (each with its thread, "comments"),
 * "campaign_sends", "events"}.  *doc is the caller's to cJSON_Delete().
 */
struct crm_error *crm_privacy_export(struct crm_db *db, sqlite3_int64 id,
	    cJSON **doc);

/*
 * Erase the personal data of the contacts ids[0..n) everywhere it is
 * held, leaving anonymised rows (name "forgotten", kind, stage, owner,
 * source and times kept, forgotten_at set), and record for each a
 * "forget" event that holds none of it.  Turns on PRAGMA secure_delete
 * for the connection, so that what is erased is overwritten in the file,
 * and merges the segments of every FTS5 index, which would otherwise keep
 * the words of the erased text (about 1.5 s for a million contacts).
 */
struct crm_error *crm_privacy_forget(struct crm_db *db,
	    const sqlite3_int64 *ids, size_t n);

/*
 * After the commit of a forget: checkpoint the write-ahead log into the
 * database file and truncate it, so that erased text does not linger in
 * the log.  A reader that holds the log open is not an error; the log is
 * then emptied by a later checkpoint.
 */
struct crm_error *crm_privacy_purge(struct crm_db *db);

/* Where and when consent changed. */
struct crm_consent {
	const char	*source;	/* "cli", "web-form", ...: not NULL */
	const char	*at;		/* ISO time; NULL: now */
};

/*
 * Unsubscribe the contact ref names (id, email, ext:ID): opt_in false,
 * unsubscribed_at, consent_source and consent_at set, its email put on
 * the suppression list.  An email address that no contact has goes on the
 * suppression list alone.  *changed (may be NULL) is 1 when anything
 * changed; an unsubscribed contact is left as it is.
 */
struct crm_error *crm_privacy_unsubscribe(struct crm_db *db,
	    const char *ref, const struct crm_consent *c, int *changed);

/*
 * Subscribe the contact ref names: opt_in true, unsubscribed_at cleared,
 * consent_source and consent_at set, its email taken off the suppression
 * list.  An email address that no contact has is taken off the list; one
 * that is not on it either is a CRM_EXIT_FAIL error `no contact "x"`, as
 * is a forgotten contact.
 */
struct crm_error *crm_privacy_subscribe(struct crm_db *db, const char *ref,
	    const struct crm_consent *c, int *changed);

/*
 * Apply the suppression list to the contacts whose id is first_id or
 * more, as the triggers do row by row: for a loader that dropped the
 * triggers named like "contacts\_suppressed\_%" while it wrote.
 */
struct crm_error *crm_privacy_suppress_since(struct crm_db *db,
	    sqlite3_int64 first_id);

#endif
