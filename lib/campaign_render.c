/*
 * Campaigns, the rendering: loading a campaign with its templates, each
 * recipient's context and message, the mbox of a dry run, preview.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_config.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_email.h"
#include "crm_mail.h"
#include "crm_smtp.h"
#include "crm_template.h"
#include "crm_util.h"
#include "campaign_int.h"

void
campaign_release(struct campaign *k)
{
	size_t i;

	free(k->name);
	free(k->segment);
	free(k->from_name);
	free(k->from_email);
	free(k->reply_to);
	free(k->url);
	free(k->domain);
	for (i = 0; i < CAMPAIGN_NTPL; i++)
		crm_template_free(k->tpl[i]);
}

static char *
column_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? crm_xstrdup(s) : NULL;
}

static struct crm_error *
compile(sqlite3_stmt *st, int i, const char *what, struct crm_template **t)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	*t = NULL;
	return s != NULL ? crm_template_parse(s, what, t) : NULL;
}

struct crm_error *
campaign_load(struct crm_db *db, sqlite3_int64 id, struct campaign *k)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *from;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((err = campaign_complete(db, id)) != NULL)
		return err;
	if ((err = crm_db_prepare(db, "SELECT k.name, s.name, k.channel,"
	    " k.opt_in, k.from_addr, k.reply_to, k.subject, k.text_body,"
	    " k.html_body, k.json_body, k.status, k.url FROM campaigns k"
	    " JOIN segments s ON s.id = k.segment_id WHERE k.id = ?", &st)) !=
	    NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? crm_error_new(CRM_EXIT_USAGE,
		    "campaign %lld has no segment", (long long)id) :
		    crm_db_error(db, rc);
	}
	k->id = id;
	k->name = column_dup(st, 0);
	k->segment = column_dup(st, 1);
	k->webhook = strcmp((const char *)sqlite3_column_text(st, 2),
	    "webhook") == 0;
	k->opt_in = sqlite3_column_int(st, 3);
	snprintf(k->status, sizeof(k->status), "%s",
	    (const char *)sqlite3_column_text(st, 10));
	k->reply_to = column_dup(st, 5);
	k->url = column_dup(st, 11);
	if ((from = (const char *)sqlite3_column_text(st, 4)) != NULL)
		err = crm_mail_addr_parse(from, &k->from_name, &k->from_email);
	if (err == NULL)
		err = compile(st, 6, "subject", &k->tpl[TPL_SUBJECT]);
	if (err == NULL)
		err = compile(st, 7, "text", &k->tpl[TPL_TEXT]);
	if (err == NULL)
		err = compile(st, 8, "html", &k->tpl[TPL_HTML]);
	if (err == NULL)
		err = compile(st, 9, "body", &k->tpl[TPL_BODY]);
	sqlite3_finalize(st);
	if (err != NULL)
		return crm_error_prefix(err, "campaign \"%s\"", k->name);
	if (crm_config_get("mail_domain", NULL, NULL) != NULL)
		k->domain = crm_xstrdup(crm_config_get("mail_domain", NULL,
		    NULL));
	k->unsub_url = crm_config_get("unsubscribe_url", NULL, NULL);
	k->unsub_mailto = crm_config_get("unsubscribe_mailto", NULL, NULL);
	return NULL;
}

/* first_name and last_name from a name: the first word, and the rest. */
static void
add_names(cJSON *ctx)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ctx, "name");
	const char *s, *sp;

	if (!cJSON_IsString(name) || *name->valuestring == '\0')
		return;
	s = name->valuestring;
	if ((sp = strchr(s, ' ')) == NULL) {
		cJSON_AddStringToObject(ctx, "first_name", s);
		return;
	}
	{
		char *first = crm_xstrndup(s, (size_t)(sp - s));

		cJSON_AddStringToObject(ctx, "first_name", first);
		free(first);
	}
	sp += strspn(sp, " ");
	if (*sp != '\0')
		cJSON_AddStringToObject(ctx, "last_name", sp);
}

/* The token of a recipient's unsubscribe link: its send row, checked. */
static void
unsub_token(const struct campaign *k, sqlite3_int64 row, char out[48])
{
	char key[64];

	snprintf(key, sizeof(key), "%lld.%lld", (long long)k->id,
	    (long long)row);
	snprintf(out, 48, "%lld-%lld-%08x", (long long)k->id, (long long)row,
	    (unsigned)(crm_hash(key, strlen(key), 0, 0x63726d) &
	    0xffffffffu));
}

struct crm_error *
campaign_context(struct crm_db *db, const struct campaign *k,
    sqlite3_int64 contact, sqlite3_int64 row, cJSON **ctx, char **unsub)
{
	struct crm_buf url = CRM_BUF_INIT;
	struct crm_error *err;
	cJSON *camp;
	char token[48];

	if (unsub != NULL)
		*unsub = NULL;
	if ((err = crm_contact_get(db, contact, ctx)) != NULL)
		return err;
	add_names(*ctx);
	unsub_token(k, row, token);
	if (k->unsub_url != NULL) {
		crm_buf_addf(&url, "%s%s%s", k->unsub_url,
		    strchr(k->unsub_url, '?') != NULL ? "&t=" : "?t=", token);
		cJSON_AddStringToObject(*ctx, "unsubscribe_url", url.buf);
		if (unsub != NULL)
			*unsub = crm_buf_detach(&url);
		crm_buf_release(&url);
	}
	camp = cJSON_AddObjectToObject(*ctx, "campaign");
	cJSON_AddStringToObject(camp, "name", k->name);
	cJSON_AddNumberToObject(camp, "id", (double)k->id);
	return NULL;
}


void
campaign_rendered_release(struct campaign_msg *r)
{
	free(r->msg);
	free(r->msgid);
	free(r->email);
	memset(r, 0, sizeof(*r));
}

static char *
render(const struct crm_template *t, const cJSON *ctx, enum crm_tpl_mode m)
{
	struct crm_buf b = CRM_BUF_INIT;

	if (t == NULL)
		return NULL;
	crm_template_render(t, ctx, m, &b, NULL);
	crm_buf_addch(&b, '\0');	/* an empty rendering is "" */
	b.len--;
	return crm_buf_detach(&b);
}

/* Render row's message for contact into r. */
struct crm_error *
campaign_render(struct crm_db *db, const struct campaign *k, sqlite3_int64 row,
    sqlite3_int64 contact, struct campaign_msg *r)
{
	struct crm_mail_header h[4];
	struct crm_mail_addr to;
	struct crm_mail m;
	struct crm_buf lu = CRM_BUF_INIT, left = CRM_BUF_INIT;
	struct crm_error *err;
	const cJSON *v;
	char *subject = NULL, *text = NULL, *html = NULL, *unsub = NULL;
	char token[48];
	cJSON *ctx = NULL;
	size_t nh = 0;

	memset(r, 0, sizeof(*r));
	if ((err = campaign_context(db, k, contact, row, &ctx, &unsub)) !=
	    NULL)
		return err;
	v = cJSON_GetObjectItemCaseSensitive(ctx, "email");
	r->email = cJSON_IsString(v) ? crm_xstrdup(v->valuestring) : NULL;
	if (k->webhook) {
		cJSON *check;

		r->msg = render(k->tpl[TPL_BODY], ctx, CRM_TPL_JSON);
		/* The Idempotency-Key: the Message-ID's counterpart. */
		r->msgid = crm_xmalloc(64);
		snprintf(r->msgid, 64, "campaign-%lld.contact-%lld",
		    (long long)k->id, (long long)contact);
		if ((check = cJSON_Parse(r->msg)) == NULL)
			err = crm_error_new(CRM_EXIT_FAIL, "body: not JSON once "
			    "rendered for contact %lld", (long long)contact);
		cJSON_Delete(check);
		goto done;
	}
	subject = render(k->tpl[TPL_SUBJECT], ctx, CRM_TPL_TEXT);
	text = render(k->tpl[TPL_TEXT], ctx, CRM_TPL_TEXT);
	html = render(k->tpl[TPL_HTML], ctx, CRM_TPL_HTML);
	unsub_token(k, row, token);
	if (k->unsub_mailto != NULL)
		crm_buf_addf(&lu, "<mailto:%s?subject=unsubscribe%%20%s>",
		    k->unsub_mailto, token);
	if (unsub != NULL)
		crm_buf_addf(&lu, "%s<%s>", lu.len ? ", " : "", unsub);
	if (lu.len > 0) {
		h[nh].name = "List-Unsubscribe";
		h[nh++].value = lu.buf;
		if (unsub != NULL) {
			h[nh].name = "List-Unsubscribe-Post";
			h[nh++].value = "List-Unsubscribe=One-Click";
		}
	}
	h[nh].name = "Precedence";
	h[nh++].value = "bulk";
	if (k->reply_to != NULL) {
		h[nh].name = "Reply-To";
		h[nh++].value = k->reply_to;
	}
	v = cJSON_GetObjectItemCaseSensitive(ctx, "name");
	to.name = cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
	to.email = r->email;
	crm_buf_addf(&left, "campaign-%lld.contact-%lld", (long long)k->id,
	    (long long)contact);
	if (k->test_to != NULL) {
		/* A test goes to one address, under an id of its own. */
		to.name = NULL;
		to.email = k->test_to;
		crm_buf_addf(&left, ".test-%lld", (long long)crm_time_now_t());
	}
	memset(&m, 0, sizeof(m));
	m.from.name = k->from_name;
	m.from.email = k->from_email;
	m.to = &to;
	m.nto = 1;
	m.subject = subject;
	/* A body for every reader: HTML alone gets no text part. */
	m.text = text != NULL ? text : "";
	m.html = html;
	m.headers = h;
	m.nheaders = nh;
	m.domain = k->domain;
	m.msgid_left = left.buf;
	if (to.email == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "contact %lld has no email",
		    (long long)contact);
	else
		err = crm_mail_compose(&m, &r->msg, &r->msgid);
done:
	free(subject);
	free(text);
	free(html);
	free(unsub);
	crm_buf_release(&lu);
	crm_buf_release(&left);
	cJSON_Delete(ctx);
	if (err != NULL)
		campaign_rendered_release(r);
	return err;
}

/*
 * A message in mboxrd form: a "From " line, the lines with LF ends and
 * ">" before any line that is a run of ">" and "From ", a blank line.
 */
void
campaign_mbox_write(FILE *fp, const char *sender, const char *msg)
{
	char date[CRM_MAIL_DATE_LEN];
	time_t t = crm_time_now_t();
	struct tm tm;
	const char *p, *e;
	size_t n;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(fp, "From %s %s\n", sender, date);
	for (p = msg; *p != '\0'; p = e + (*e != '\0')) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (strncmp(p + strspn(p, ">"), "From ", 5) == 0)
			fputc('>', fp);
		fwrite(p, 1, n, fp);
		fputc('\n', fp);
	}
	fputc('\n', fp);
}

struct crm_error *
crm_campaign_test(struct crm_db *db, sqlite3_int64 id, sqlite3_int64 contact,
    const char *to, char **reply)
{
	struct crm_smtp_conf conf;
	struct crm_smtp *smtp = NULL;
	struct campaign_msg r;
	struct crm_error *err;
	struct campaign k;
	sqlite3_stmt *st = NULL;
	char email[CRM_EMAIL_MAX];
	const char *rcpt = email;
	cJSON *c;

	*reply = NULL;
	memset(&r, 0, sizeof(r));
	if (crm_email_normalize(to, email, sizeof(email), NULL) != 0)
		return crm_error_new(CRM_EXIT_USAGE, "--to: invalid email "
		    "\"%s\"", to);
	if ((err = crm_smtp_conf_load(&conf)) != NULL ||
	    (err = campaign_load(db, id, &k)) != NULL)
		return err;
	k.test_to = email;
	if (contact == 0) {
		/* The first of the audience it would send to now. */
		if ((err = campaign_audience(db, &k, &st)) != NULL)
			goto done;
		while (sqlite3_step(st) == SQLITE_ROW)
			if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
				contact = sqlite3_column_int64(st, 0);
				break;
			}
		if (contact == 0) {
			err = crm_error_new(CRM_EXIT_FAIL, "campaign \"%s\" has "
			    "nobody to send to: give --as REF", k.name);
			goto done;
		}
	}
	if ((err = campaign_render(db, &k, 0, contact, &r)) != NULL ||
	    (err = crm_smtp_new(&conf, &smtp)) != NULL ||
	    (err = crm_smtp_send(smtp, k.from_email, &rcpt, 1, r.msg)) != NULL)
		goto done;
	*reply = crm_xstrdup(crm_smtp_reply(smtp));
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "to", email);
	cJSON_AddNumberToObject(c, "contact_id", (double)contact);
	err = crm_db_event(db, "campaign", id, "test", c);
	cJSON_Delete(c);
done:
	sqlite3_finalize(st);
	crm_smtp_free(smtp);
	campaign_rendered_release(&r);
	campaign_release(&k);
	return err;
}

struct crm_error *
crm_campaign_preview(struct crm_db *db, sqlite3_int64 id,
    sqlite3_int64 contact, char **msg)
{
	struct campaign k;
	struct campaign_msg r;
	struct crm_error *err;

	*msg = NULL;
	if ((err = campaign_load(db, id, &k)) == NULL &&
	    (err = campaign_render(db, &k, 0, contact, &r)) == NULL) {
		*msg = r.msg;
		r.msg = NULL;
		campaign_rendered_release(&r);
	}
	campaign_release(&k);
	return err;
}
