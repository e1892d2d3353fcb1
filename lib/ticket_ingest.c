/*
 * Mail in (crm_ticket_ingest.h): a parsed message (lib/mime.c) filed as
 * a new ticket or a comment on the ticket it answers, its sender found
 * or added as a contact, its attachments recorded.  Tickets and comments
 * are written through crm_ticket_open() and crm_ticket_note().
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_email.h"
#include "crm_mime.h"
#include "crm_ticket.h"
#include "crm_ticket_ingest.h"
#include "crm_util.h"

const char crm_ticket_ingest_schema_1[] =
	"CREATE TABLE ticket_attachments ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" comment_id INTEGER NOT NULL REFERENCES ticket_comments(id)"
	" ON DELETE CASCADE,"
	" name TEXT,"
	" type TEXT NOT NULL,"
	" size INTEGER NOT NULL);"
	"CREATE INDEX ticket_attachments_comment"
	" ON ticket_attachments(comment_id);"
	/* Message-IDs replies may name that are no ticket's or comment's. */
	"CREATE TABLE ticket_mail_refs ("
	" message_id TEXT PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id)"
	" ON DELETE CASCADE) WITHOUT ROWID;"
	"CREATE INDEX ticket_mail_refs_ticket ON ticket_mail_refs(ticket_id);";

/* The sender of a message without a usable From or envelope sender. */
#define UNKNOWN_SENDER	"unknown-sender@mail.invalid"

#define KNOWN_SQL "SELECT id FROM tickets WHERE message_id = ?1" \
	" UNION ALL SELECT ticket_id FROM ticket_comments" \
	" WHERE message_id = ?1"
#define THREAD_SQL KNOWN_SQL " UNION ALL SELECT ticket_id" \
	" FROM ticket_mail_refs WHERE message_id = ?1"

void
crm_ingest_result_release(struct crm_ingest_result *r)
{
	free(r->message_id);
	crm_strv_clear(&r->notes);
	memset(r, 0, sizeof(*r));
}

struct crm_error *
crm_ticket_ingest_retry(struct crm_db *db, struct crm_error *err)
{
	int rc;

	if (err == NULL || err->code != CRM_EXIT_FAIL || db == NULL)
		return err;
	rc = sqlite3_errcode(db->sql) & 0xFF;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL ||
	    rc == SQLITE_IOERR || rc == SQLITE_NOMEM || rc == SQLITE_CANTOPEN ||
	    rc == SQLITE_PROTOCOL)
		err->code = CRM_EXIT_TEMPFAIL;
	return err;
}

/* A Message-ID for a message without one: the same bytes, the same id. */
static char *
made_up_id(const char *raw, size_t len)
{
	uint64_t h = 14695981039346656037ULL, g = 5381;
	struct crm_buf b = CRM_BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		h = (h ^ (unsigned char)raw[i]) * 1099511628211ULL;
		g = g * 33 + (unsigned char)raw[i];
	}
	crm_buf_addf(&b, "<%016llx.%08llx.%zu@ingest.crm.invalid>",
	    (unsigned long long)h, (unsigned long long)(g & 0xFFFFFFFF),
	    len);
	return crm_buf_detach(&b);
}

static void
note(struct crm_ingest_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct crm_ingest_result *r, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT, u = CRM_BUF_INIT;
	va_list ap;

	crm_buf_addf(&b, "message %s: ", r->message_id);
	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* "%.80s" may have cut a character in two. */
	crm_mime_to_utf8("utf-8", crm_buf_str(&b), b.len, &u);
	crm_strv_push(&r->notes, crm_buf_str(&u));
	crm_buf_release(&b);
	crm_buf_release(&u);
}

/* The contact for addr (normalised), added with name when unknown. */
static struct crm_error *
find_contact(struct crm_db *db, const char *addr, const char *name,
    sqlite3_int64 *cid)
{
	struct crm_error *err;
	cJSON *v;

	err = crm_contact_resolve(db, addr, cid);
	if (err == NULL || err->code != CRM_EXIT_FAIL)
		return err;
	crm_error_free(err);
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "email", addr);
	if (name != NULL && *name != '\0')
		cJSON_AddStringToObject(v, "name", name);
	err = crm_contact_add(db, v, cid);
	if (err != NULL && err->code == CRM_EXIT_USAGE && name != NULL) {
		/* A display name the contact rules refuse: the email only. */
		crm_error_free(err);
		cJSON_DeleteItemFromObject(v, "name");
		err = crm_contact_add(db, v, cid);
	}
	cJSON_Delete(v);
	return err;
}

/* The sender: From, else the envelope sender, else UNKNOWN_SENDER. */
static struct crm_error *
sender(struct crm_db *db, const struct crm_mime_msg *m,
    const struct crm_ingest_opts *o, struct crm_ingest_result *r,
    sqlite3_int64 *cid)
{
	struct crm_error *err;
	char email[CRM_EMAIL_MAX];
	const char *why = NULL;

	if (m->from_addr != NULL && crm_email_normalize(m->from_addr, email,
	    sizeof(email), &why) == 0) {
		err = find_contact(db, email, m->from_name, cid);
		if (err == NULL || err->code == CRM_EXIT_TEMPFAIL)
			return err;
		/* A contact refused is no reason to lose the mail. */
		note(r, "no contact for %s: %s", email, err->msg);
		crm_error_free(err);
	} else if (m->from_addr != NULL)
		note(r, "invalid From address \"%.80s\": %s", m->from_addr,
		    why ? why : "invalid");
	if (o->sender != NULL && crm_email_normalize(o->sender, email,
	    sizeof(email), NULL) == 0) {
		note(r, "filed under the envelope sender %s", email);
		return find_contact(db, email, NULL, cid);
	}
	note(r, "no usable sender: filed under %s", UNKNOWN_SENDER);
	return find_contact(db, UNKNOWN_SENDER, "Unknown sender", cid);
}

/* The ticket number of a "[#123]" token in s, or 0. */
static sqlite3_int64
subject_token(const char *s)
{
	const char *p;
	char *end;
	long long v;

	for (p = s; p != NULL && (p = strstr(p, "[#")) != NULL; p += 2) {
		if (!isdigit((unsigned char)p[2]))
			continue;
		v = strtoll(p + 2, &end, 10);
		if (*end == ']' && end - (p + 2) <= 18 && v > 0)
			return v;
	}
	return 0;
}

static struct crm_error *
lookup(struct crm_db *db, const char *sql, const char *id,
    sqlite3_int64 *tid)
{
	int n;

	if (id == NULL)
		return NULL;
	return crm_db_lookup(db, sql, id, tid, &n);
}

/* The ticket m answers, or 0. */
static struct crm_error *
thread_of(struct crm_db *db, const struct crm_mime_msg *m,
    struct crm_ingest_result *r, sqlite3_int64 *tid)
{
	struct crm_error *err;
	sqlite3_int64 num;
	char buf[32];
	size_t i;
	int n;

	*tid = 0;
	/* In-Reply-To names the parent; References may hold typos. */
	if ((err = lookup(db, THREAD_SQL, m->in_reply_to, tid)) != NULL ||
	    *tid != 0)
		return err;
	for (i = m->references.n; i > 0; i--)
		if ((err = lookup(db, THREAD_SQL, m->references.v[i - 1],
		    tid)) != NULL || *tid != 0)
			return err;
	if ((err = lookup(db, "SELECT ticket_id FROM ticket_mail_refs"
	    " WHERE message_id = ?", m->message_id, tid)) != NULL ||
	    *tid != 0)
		return err;
	if (m->subject == NULL || (num = subject_token(m->subject)) == 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%lld", (long long)num);
	if ((err = crm_db_lookup(db, "SELECT id FROM tickets WHERE id = ?",
	    buf, tid, &n)) == NULL && *tid == 0)
		note(r, "ticket %lld in the subject does not exist: opening "
		    "a new ticket", (long long)num);
	return err;
}

/* Text as stored: valid UTF-8 without NUL bytes. */
static void
add_text(struct crm_buf *b, const char *s, size_t n)
{
	struct crm_buf t = CRM_BUF_INIT;
	size_t i;

	crm_mime_to_utf8("utf-8", s, n, &t);
	for (i = 0; i < t.len; i++)
		if (t.buf[i] != '\0')
			crm_buf_addch(b, t.buf[i]);
	crm_buf_release(&t);
}

/* The comment to store: the text, or the whole message with a note. */
static char *
comment_body(const struct crm_mime_msg *m, const char *raw, size_t len,
    size_t total, int reply, struct crm_ingest_result *r)
{
	struct crm_buf b = CRM_BUF_INIT;
	char *stripped = NULL;
	const char *text = m->text;

	if (m->severe) {
		crm_buf_addf(&b, "[crm: this message could not be read "
		    "(%s); it is kept whole below]\n\n", m->problems.n > 0 ?
		    m->problems.v[0] : "unreadable");
		note(r, "kept whole: %s", m->problems.n > 0 ?
		    m->problems.v[0] : "unreadable");
		add_text(&b, raw, len);
	} else {
		if (reply && text != NULL)
			stripped = crm_mime_strip_quotes(text);
		if (stripped != NULL)
			text = stripped;
		if (text != NULL && *text != '\0')
			add_text(&b, text, strlen(text));
		else
			crm_buf_adds(&b, m->natt > 0 ? "[crm: no text, only "
			    "attachments]" : "[crm: no text]");
	}
	if (len < total) {
		crm_buf_addf(&b, "\n\n[crm: message truncated: %zu bytes, "
		    "only the first %zu read]", total, len);
		note(r, "truncated: %zu bytes, only the first %zu read",
		    total, len);
	}
	free(stripped);
	return crm_buf_detach(&b);
}

/* Remember the ids m refers to, so that replies to them find tid. */
static struct crm_error *
keep_refs(struct crm_db *db, const struct crm_mime_msg *m,
    sqlite3_int64 tid)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	size_t i;

	if ((err = crm_db_prepare(db, "INSERT OR IGNORE INTO ticket_mail_refs"
	    " (message_id, ticket_id) VALUES (?, ?)", &st)) != NULL)
		return err;
	for (i = 0; i <= m->references.n && err == NULL; i++) {
		const char *id = i == 0 ? m->in_reply_to :
		    m->references.v[i - 1];

		if (id == NULL)
			continue;
		sqlite3_reset(st);
		crm_db_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, tid);
		if (sqlite3_step(st) != SQLITE_DONE)
			err = crm_db_error(db, sqlite3_errcode(db->sql));
	}
	sqlite3_finalize(st);
	return err;
}

/* The attachments of m on comment cid, with one event. */
static struct crm_error *
keep_attachments(struct crm_db *db, const struct crm_mime_msg *m,
    sqlite3_int64 tid, sqlite3_int64 cid, sqlite3_int64 contact)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	cJSON *ch, *arr, *a;
	size_t i;

	if (m->natt == 0)
		return NULL;
	if ((err = crm_db_prepare(db, "INSERT INTO ticket_attachments"
	    " (comment_id, name, type, size) VALUES (?, ?, ?, ?)", &st)) !=
	    NULL)
		return err;
	ch = cJSON_CreateObject();
	cJSON_AddNumberToObject(ch, "contact_id", (double)contact);
	cJSON_AddNumberToObject(ch, "comment_id", (double)cid);
	arr = cJSON_AddArrayToObject(ch, "attachments");
	for (i = 0; i < m->natt && err == NULL; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, cid);
		crm_db_bind_text(st, 2, m->att[i].name);
		crm_db_bind_text(st, 3, m->att[i].type);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)m->att[i].size);
		if (sqlite3_step(st) != SQLITE_DONE)
			err = crm_db_error(db, sqlite3_errcode(db->sql));
		cJSON_AddItemToArray(arr, a = cJSON_CreateObject());
		cJSON_AddItemToObject(a, "name", m->att[i].name ?
		    cJSON_CreateString(m->att[i].name) : cJSON_CreateNull());
		cJSON_AddStringToObject(a, "type", m->att[i].type);
		cJSON_AddNumberToObject(a, "size", (double)m->att[i].size);
	}
	sqlite3_finalize(st);
	if (err == NULL)
		err = crm_db_event(db, "ticket", tid, "attach", ch);
	cJSON_Delete(ch);
	return err;
}

/* A new ticket for m; *cid its first comment. */
static struct crm_error *
open_ticket(struct crm_db *db, const struct crm_mime_msg *m,
    const struct crm_ingest_opts *o, sqlite3_int64 contact,
    const char *body, const char *mid, sqlite3_int64 *tid,
    sqlite3_int64 *cid)
{
	struct crm_ticket_new t = { 0 };
	struct crm_error *err;
	char ref[32], *subject;
	int n;

	snprintf(ref, sizeof(ref), "%lld", (long long)contact);
	subject = crm_xstrdup(m->subject ? m->subject : "");
	crm_trim(subject);
	t.contact = ref;
	t.subject = *subject != '\0' ? subject : "(no subject)";
	t.body = body;
	t.priority = o->priority;
	t.queue = o->queue;
	t.channel = "email";
	t.message_id = mid;
	if ((err = crm_ticket_open(db, &t, tid)) == NULL) {
		snprintf(ref, sizeof(ref), "%lld", (long long)*tid);
		err = crm_db_lookup(db, "SELECT id FROM ticket_comments"
		    " WHERE ticket_id = ? ORDER BY id LIMIT 1", ref, cid, &n);
	}
	free(subject);
	return err;
}

/* File the parsed m (its body ready) as a comment or a new ticket. */
static struct crm_error *
file_message(struct crm_db *db, const struct crm_mime_msg *m,
    const struct crm_ingest_opts *o, sqlite3_int64 contact, char **body,
    sqlite3_int64 tid, struct crm_ingest_result *r)
{
	struct crm_ticket_note n = { NULL, 0, contact, r->message_id };
	struct crm_error *err;
	struct crm_buf b = CRM_BUF_INIT;
	cJSON *rec = NULL;
	const char *status;

	if (tid != 0) {
		if ((err = crm_ticket_get(db, tid, 0, &rec)) != NULL)
			return err;
		status = cJSON_GetStringValue(cJSON_GetObjectItem(rec,
		    "status"));
		if (status != NULL && strcmp(status, "closed") == 0) {
			note(r, "ticket %lld is closed: opening a new ticket",
			    (long long)tid);
			crm_buf_addf(&b, "[crm: follow-up to closed ticket "
			    "#%lld]\n\n%s", (long long)tid, *body);
			free(*body);
			*body = crm_buf_detach(&b);
			tid = 0;
		}
		cJSON_Delete(rec);
	}
	if (tid != 0) {
		n.body = *body;
		r->action = "commented";
		r->ticket_id = tid;
		return crm_ticket_note(db, tid, &n, &r->comment_id);
	}
	r->action = "opened";
	return open_ticket(db, m, o, contact, *body, r->message_id,
	    &r->ticket_id, &r->comment_id);
}

/*
 * A delivery report on a mail a ticket sent: an internal note on that
 * ticket (r->action set), unless the ticket is unknown or closed.
 */
static struct crm_error *
bounce(struct crm_db *db, const struct crm_mime_msg *m,
    struct crm_ingest_result *r, sqlite3_int64 *contact)
{
	struct crm_ticket_note n = { NULL, 1, 0, r->message_id };
	struct crm_error *err;
	struct crm_buf b = CRM_BUF_INIT;
	sqlite3_int64 tid = 0;
	const char *status;
	cJSON *rec;

	if ((err = lookup(db, KNOWN_SQL, m->enclosed_id, &tid)) != NULL ||
	    tid == 0 || (err = crm_ticket_get(db, tid, 0, &rec)) != NULL)
		return err;
	status = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "status"));
	*contact = (sqlite3_int64)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    rec, "contact_id"));
	if (status == NULL || strcmp(status, "closed") != 0) {
		crm_buf_addf(&b, "[crm: delivery failure report from %s]\n\n",
		    m->from_addr ? m->from_addr : "the mail system");
		add_text(&b, m->text ? m->text : "", m->text ? strlen(m->text) :
		    0);
		n.body = crm_buf_str(&b);
		if ((err = crm_ticket_note(db, tid, &n, &r->comment_id)) ==
		    NULL) {
			r->action = "noted";
			r->ticket_id = tid;
			note(r, "a delivery failure report: an internal "
			    "note on ticket %lld", (long long)tid);
		}
	}
	crm_buf_release(&b);
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_ticket_ingest(struct crm_db *db, const char *raw, size_t len,
    size_t total, const struct crm_ingest_opts *o,
    struct crm_ingest_result *r)
{
	struct crm_mime_msg m;
	struct crm_error *err;
	sqlite3_int64 contact = 0, tid = 0;
	char *body = NULL;
	size_t i;

	memset(r, 0, sizeof(*r));
	crm_mime_parse(raw, len, &m);
	r->message_id = m.message_id ? crm_xstrdup(m.message_id) :
	    made_up_id(raw, len);
	if ((err = lookup(db, KNOWN_SQL, r->message_id, &tid)) != NULL)
		goto done;
	if (tid != 0) {
		r->action = "duplicate";
		r->ticket_id = tid;
		goto done;
	}
	if (m.bounce && (err = bounce(db, &m, r, &contact)) != NULL)
		goto done;
	if (r->action == NULL) {
		if ((err = sender(db, &m, o, r, &contact)) != NULL ||
		    (err = thread_of(db, &m, r, &tid)) != NULL)
			goto done;
		for (i = 0; i < m.problems.n && !m.severe; i++)
			note(r, "%s", m.problems.v[i]);
		body = comment_body(&m, raw, len, total, tid != 0, r);
		err = file_message(db, &m, o, contact, &body, tid, r);
	}
	if (err == NULL && (err = keep_refs(db, &m, r->ticket_id)) == NULL)
		err = keep_attachments(db, &m, r->ticket_id, r->comment_id,
		    contact);
done:
	free(body);
	crm_mime_msg_release(&m);
	return crm_ticket_ingest_retry(db, err);
}

static cJSON *
str_or_null(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

cJSON *
crm_ticket_ingest_preview(const char *raw, size_t len, size_t total)
{
	struct crm_mime_msg m;
	cJSON *rec = cJSON_CreateObject(), *arr, *a;
	size_t i;

	crm_mime_parse(raw, len, &m);
	cJSON_AddItemToObject(rec, "message_id", str_or_null(m.message_id));
	cJSON_AddItemToObject(rec, "from_name", str_or_null(m.from_name));
	cJSON_AddItemToObject(rec, "from_addr", str_or_null(m.from_addr));
	cJSON_AddItemToObject(rec, "subject", str_or_null(m.subject));
	cJSON_AddItemToObject(rec, "date", str_or_null(m.date));
	cJSON_AddItemToObject(rec, "in_reply_to", str_or_null(m.in_reply_to));
	arr = cJSON_AddArrayToObject(rec, "references");
	for (i = 0; i < m.references.n; i++)
		cJSON_AddItemToArray(arr,
		    cJSON_CreateString(m.references.v[i]));
	cJSON_AddItemToObject(rec, "content_type", str_or_null(m.content_type));
	cJSON_AddBoolToObject(rec, "bounce", m.bounce);
	cJSON_AddItemToObject(rec, "enclosed_id", str_or_null(m.enclosed_id));
	cJSON_AddItemToObject(rec, "body_type", str_or_null(m.body_type));
	cJSON_AddItemToObject(rec, "body", str_or_null(m.body));
	cJSON_AddItemToObject(rec, "text", str_or_null(m.text));
	arr = cJSON_AddArrayToObject(rec, "attachments");
	for (i = 0; i < m.natt; i++) {
		cJSON_AddItemToArray(arr, a = cJSON_CreateObject());
		cJSON_AddItemToObject(a, "name", str_or_null(m.att[i].name));
		cJSON_AddStringToObject(a, "type", m.att[i].type);
		cJSON_AddNumberToObject(a, "size", (double)m.att[i].size);
	}
	arr = cJSON_AddArrayToObject(rec, "problems");
	for (i = 0; i < m.problems.n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(m.problems.v[i]));
	cJSON_AddBoolToObject(rec, "severe", m.severe);
	cJSON_AddNumberToObject(rec, "size", (double)total);
	cJSON_AddBoolToObject(rec, "truncated", len < total);
	crm_mime_msg_release(&m);
	return rec;
}

struct crm_error *
crm_ticket_attachments(struct crm_db *db, cJSON *rec)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *c, *arr, *a;
	int rc = SQLITE_DONE;

	if ((err = crm_db_prepare(db, "SELECT name, type, size FROM"
	    " ticket_attachments WHERE comment_id = ? ORDER BY id", &st)) !=
	    NULL)
		return err;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(rec, "comments")) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(c, "id")));
		arr = NULL;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (arr == NULL)
				arr = cJSON_AddArrayToObject(c, "attachments");
			cJSON_AddItemToArray(arr, a = cJSON_CreateObject());
			cJSON_AddItemToObject(a, "name",
			    crm_db_column_json(st, 0));
			cJSON_AddItemToObject(a, "type",
			    crm_db_column_json(st, 1));
			cJSON_AddItemToObject(a, "size",
			    crm_db_column_json(st, 2));
		}
		if (rc != SQLITE_DONE)
			break;
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}
