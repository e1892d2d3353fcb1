/*
 * A contact's timeline: one SQL query, the UNION ALL of one SELECT per
 * source, sorted newest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_timeline.h"
#include "crm_util.h"

const char *const crm_timeline_columns[] = {
	"at", "kind", "type", "summary", "id", NULL
};

/*
 * A source of timeline entries: a SELECT of (at, kind, type, summary, id,
 * detail) for the contact ?1.  When summary cannot be written in SQL, fn
 * writes it from type and detail (the text of the sixth column).
 */
struct source {
	const char	*sql;
	void		(*fn)(const char *type, const char *detail,
			    struct crm_buf *out);
};

static void	contact_event(const char *, const char *, struct crm_buf *);

/* The sources, in no particular order (the query sorts). */
static const struct source sources[] = {
	/* Activities; a task says when it is due or was done. */
	{ "SELECT at, 'activity', type, subject || CASE"
	  " WHEN type <> 'task' THEN ''"
	  " WHEN done_at IS NOT NULL THEN ' (done ' || done_at || ')'"
	  " WHEN due_at IS NOT NULL THEN ' (due ' || due_at || ')'"
	  " ELSE '' END, id, NULL"
	  " FROM activities WHERE contact_id = ?1", NULL },
	/* Changes of the contact itself. */
	{ "SELECT at, 'event', action, NULL, id, changes"
	  " FROM events WHERE entity = 'contact' AND entity_id = ?1",
	  contact_event },
	/* Changes of its activities after they were added: tasks done. */
	{ "SELECT e.at, 'event', e.action, a.type || ' ' || a.id || ' ' ||"
	  " e.action || ': ' || a.subject, e.id, NULL"
	  " FROM activities a JOIN events e"
	  " ON e.entity = 'activity' AND e.entity_id = a.id"
	  " WHERE a.contact_id = ?1 AND e.action <> 'add'", NULL },
	/* Its deals' changes: added, moved, won, lost. */
	{ "SELECT e.at, 'event', e.action, 'deal ' || d.id || ' ' ||"
	  " e.action || ': ' || d.title, e.id, NULL"
	  " FROM deals d JOIN events e"
	  " ON e.entity = 'deal' AND e.entity_id = d.id"
	  " WHERE d.contact_id = ?1", NULL },
	/* Its tickets' changes, found through the ticket's own index. */
	{ "SELECT e.at, 'event', e.action, 'ticket ' || t.id || ' ' ||"
	  " e.action || ': ' || t.subject, e.id, NULL"
	  " FROM tickets t JOIN events e"
	  " ON e.entity = 'ticket' AND e.entity_id = t.id"
	  " WHERE t.contact_id = ?1", NULL },
	/* Campaign mail it was sent, or that failed or is in doubt. */
	{ "SELECT COALESCE(s.sent_at, s.claimed_at), 'campaign', s.status,"
	  " 'campaign ' || k.name || ': ' || s.status ||"
	  " CASE WHEN s.reason IS NULL THEN '' ELSE ' (' || s.reason || ')'"
	  " END, s.id, NULL FROM campaign_sends s"
	  " JOIN campaigns k ON k.id = s.campaign_id"
	  " WHERE s.contact_id = ?1 AND s.status IN ('sent', 'failed',"
	  " 'unknown')", NULL },
};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

static void
add_value(struct crm_buf *out, const cJSON *v)
{
	char *s;

	if (cJSON_IsString(v))
		crm_buf_adds(out, v->valuestring);
	else if (v == NULL || cJSON_IsNull(v))
		crm_buf_adds(out, "(none)");
	else {
		s = cJSON_PrintUnformatted(v);
		crm_buf_adds(out, s);
		cJSON_free(s);
	}
}

/* "tags: +a +b -c" from {"added": [...], "removed": [...]}. */
static void
add_tags(struct crm_buf *out, const cJSON *tags)
{
	const cJSON *t;

	crm_buf_adds(out, "tags:");
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(tags, "added"))
		crm_buf_addf(out, " +%s", cJSON_GetStringValue(t));
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(tags,
	    "removed"))
		crm_buf_addf(out, " -%s", cJSON_GetStringValue(t));
}

/* "stage: lead → customer, tags: +vip" from the changes of an update. */
static void
add_changes(struct crm_buf *out, const cJSON *changes)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, changes) {
		if (out->len > 0)
			crm_buf_adds(out, ", ");
		if (cJSON_HasObjectItem(c, "old") ||
		    cJSON_HasObjectItem(c, "new")) {
			crm_buf_addf(out, "%s: ", c->string);
			add_value(out, cJSON_GetObjectItemCaseSensitive(c,
			    "old"));
			crm_buf_adds(out, " → ");
			add_value(out, cJSON_GetObjectItemCaseSensitive(c,
			    "new"));
		} else if (cJSON_HasObjectItem(c, "added"))
			add_tags(out, c);
		else
			crm_buf_adds(out, c->string);
	}
}

/* The summary of a contact event: added, tagged, the fields changed. */
static void
contact_event(const char *type, const char *detail, struct crm_buf *out)
{
	cJSON *changes = cJSON_Parse(detail ? detail : "null");
	const char *name;

	if (strcmp(type, "add") == 0) {
		name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    changes, "name"));
		if (name == NULL || *name == '\0')
			name = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(changes, "email"));
		crm_buf_addf(out, "added %s", name ? name : "");
	} else if (cJSON_HasObjectItem(changes, "added") &&
	    cJSON_HasObjectItem(changes, "removed"))
		add_tags(out, changes);
	else if (cJSON_IsObject(changes))
		add_changes(out, changes);
	if (out->len == 0)
		crm_buf_adds(out, type);
	cJSON_Delete(changes);
}

static cJSON *
row_record(sqlite3_stmt *st)
{
	const struct source *src = &sources[sqlite3_column_int(st, 6)];
	struct crm_buf b = CRM_BUF_INIT;
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; i < 5; i++) {
		if (i == 3 && src->fn != NULL) {
			src->fn((const char *)sqlite3_column_text(st, 2),
			    (const char *)sqlite3_column_text(st, 5), &b);
			cJSON_AddStringToObject(rec, "summary",
			    crm_buf_str(&b));
			continue;
		}
		cJSON_AddItemToObject(rec, crm_timeline_columns[i],
		    crm_db_column_json(st, i));
	}
	crm_buf_release(&b);
	return rec;
}

struct crm_error *
crm_timeline_list(struct crm_db *db, sqlite3_int64 contact_id, long limit,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < NSOURCES; i++)
		crm_buf_addf(&sql, "%sSELECT *, %zu FROM (%s)",
		    i > 0 ? " UNION ALL " : "", i, sources[i].sql);
	crm_buf_adds(&sql, " ORDER BY 1 DESC, 2, 5 DESC LIMIT ?2");
	err = crm_db_prepare(db, sql.buf, &st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, contact_id);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	return crm_db_each_row(db, st, row_record, fn, arg);
}
