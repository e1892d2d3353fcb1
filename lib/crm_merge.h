/*
 * Duplicate contacts: finding them (contact_dupes.c) and merging them
 * (contact_merge.c); crm-contact(1): dupes, merge.
 *
 * Finding is a few grouped queries, one per reason, never a comparison of
 * every pair.  Merging moves every reference to the contacts merged away
 * onto the one kept: a list of (table, column) pairs in contact_merge.c,
 * plus any other column declared as a foreign key to contacts(id); a pair
 * whose table does not exist (yet) is skipped.
 */
#ifndef CRM_MERGE_H
#define CRM_MERGE_H

#include <stddef.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_util.h"

/* Why contacts look like duplicates; bits for crm_merge_dupes(). */
#define CRM_DUPES_EMAIL	0x1	/* the same email, any case */
#define CRM_DUPES_PHONE	0x2	/* the same phone digits, 7 or more */
#define CRM_DUPES_NAME	0x4	/* people of the same name at the same
				 * company; companies of the same name */
#define CRM_DUPES_ALL	0x7

/* The fields of a group record, in output order; NULL-terminated. */
extern const char *const crm_dupes_columns[];

/*
 * Parse a --by list ("email,phone,name") into CRM_DUPES_* bits.  An
 * unknown word is a CRM_EXIT_USAGE error that names it.
 */
struct crm_error *crm_merge_parse_reasons(const char *s, int *reasons);

/*
 * Call fn with each group of likely duplicates, as a record borrowed for
 * the call: {"reason":"email","key":"ada@example.org","ids":[3,17]}, where
 * a "name" group also has "company_id" (null for companies).  Groups come
 * by reason (email, phone, name), then by key; ids ascend.  Stops when fn
 * returns non-zero.
 */
struct crm_error *crm_merge_dupes(struct crm_db *db, int reasons,
	    int (*fn)(const cJSON *group, void *arg), void *arg);

/*
 * Merge the contacts others[0..n) into keep, in the caller's
 * transaction: their references move to keep, keep's empty fields are
 * filled from them (the first non-empty in the order given), their emails
 * go to keep's fields.other_emails, and they are deleted (each with a
 * "delete" event holding its record as it was before the merge).  keep
 * gets a "merge" event {"merged": [ids], "filled": {field: value}}.
 * Refused with CRM_EXIT_FAIL: a contact merged into itself, an id that is
 * no contact, a company and a person, a forgotten contact.
 */
struct crm_error *crm_merge_contacts(struct crm_db *db, sqlite3_int64 keep,
	    const sqlite3_int64 *others, size_t n);

/*
 * The text names are compared by: lower case, accents removed (Latin,
 * Greek and Cyrillic letters), blanks collapsed, trimmed.  Appended to out.
 */
void	 crm_merge_fold(const char *s, struct crm_buf *out);

/*
 * The digits phones are compared by: digits up to an extension ("x12",
 * "ext"), a leading "00" read as "+".  Returns 0 and fills out, or -1 when
 * there are fewer than 7 digits or more than outsz - 1.
 */
int	 crm_merge_phone_key(const char *s, char *out, size_t outsz);

#endif
