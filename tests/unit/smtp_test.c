/*
 * The SMTP session: settings checked, and several messages sent in one
 * session, as a campaign will.  Sending needs a server:
 * tests/3030-ticket-reply.t runs this with CRM_TEST_SMTP_URL naming one
 * on 127.0.0.1 and counts what arrived and the connections (and with
 * CRM_TEST_SMTP_REFUSE when the server refuses recipients starting with
 * "refuse"); alone, the sending part is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_config.h"
#include "crm_mail.h"
#include "crm_smtp.h"
#include "tap.h"

static const char *
new_error(const char *url, const char *tls)
{
	static char msg[512];
	struct crm_smtp_conf c = { 0 };
	struct crm_smtp *s = NULL;
	struct crm_error *err;

	c.url = url;
	c.tls = tls;
	if ((err = crm_smtp_new(&c, &s)) == NULL) {
		snprintf(msg, sizeof(msg), "ok %s", crm_smtp_server(s));
		crm_smtp_free(s);
		return msg;
	}
	snprintf(msg, sizeof(msg), "%d %s", err->code, err->msg);
	crm_error_free(err);
	return msg;
}

/* A recipient the server refuses fails that message, not the session. */
static void
refused(struct crm_smtp *s, const char *msg)
{
	const char *bad = "refuse@example.org";
	struct crm_error *err;

	err = crm_smtp_send(s, "news@example.org", &bad, 1, msg);
	is_int(err ? err->code : 0, 1, "a refused recipient: %s",
	    err ? err->msg : "sent");
	crm_error_free(err);
}

static void
send_three(const char *url)
{
	static const char *const to[] = {
		"a@example.org", "b@example.org", "c@example.org"
	};
	struct crm_smtp_conf c = { 0 };
	struct crm_mail_addr rcpt = { NULL, NULL };
	static const struct crm_mail_header list[] = {
		{ "List-Unsubscribe", "<mailto:leave@example.org>, "
		    "<https://example.org/leave/c>" },
		{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
	};
	struct crm_mail m = { { "Campaign", "news@example.org" }, &rcpt, 1,
	    "Hello", "Body\n", NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL };
	struct crm_smtp *s = NULL;
	struct crm_error *err;
	char *msg, *id;
	size_t i;

	c.url = url;
	c.tls = "try";
	err = crm_smtp_new(&c, &s);
	ok(err == NULL, "a session with %s", url);
	for (i = 0; err == NULL && i < 3; i++) {
		rcpt.email = to[i];
		/* The last as campaigns send: HTML too, a way to leave. */
		if (i == 2) {
			m.subject = "Neuigkeiten für Sie";
			m.html = "<p>Hello <b>Zoë</b></p>\n";
			m.headers = list;
			m.nheaders = 2;
		}
		if ((err = crm_mail_compose(&m, &msg, &id)) != NULL)
			break;
		if (i == 1 && getenv("CRM_TEST_SMTP_REFUSE") != NULL)
			refused(s, msg);
		err = crm_smtp_send(s, "news@example.org", &to[i], 1, msg);
		ok(err == NULL, "message %zu sent%s%s", i + 1,
		    err ? ": " : "", err ? err->msg : "");
		ok(strncmp(crm_smtp_reply(s), "250", 3) == 0,
		    "the server's reply: %s", crm_smtp_reply(s));
		free(msg);
		free(id);
	}
	crm_error_free(err);
	crm_smtp_free(s);
}

static void
conf(void)
{
	struct crm_smtp_conf c;
	struct crm_error *err;

	unsetenv("CRM_CONFIG");
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	unsetenv("CRM_SMTP_URL");
	err = crm_smtp_conf_load(&c);
	is_int(err ? err->code : 0, 2, "no URL: a usage error");
	crm_error_free(err);
	setenv("CRM_SMTP_URL", "smtp://127.0.0.1:2525", 1);
	setenv("CRM_SMTP_CONNECT_TIMEOUT", "3", 1);
	err = crm_smtp_conf_load(&c);
	ok(err == NULL && strcmp(c.url, "smtp://127.0.0.1:2525") == 0,
	    "the URL from CRM_SMTP_URL");
	is_int(c.connect_timeout, 3, "smtp_connect_timeout");
	is_int(c.timeout, 60, "smtp_timeout's default");
	crm_error_free(err);
	setenv("CRM_SMTP_TIMEOUT", "0", 1);
	err = crm_smtp_conf_load(&c);
	is_str(err ? err->msg : "", "smtp_timeout: expected seconds from 1 "
	    "to 86400, got \"0\"", "a bad timeout");
	crm_error_free(err);
}

int
main(void)
{
	const char *url = getenv("CRM_TEST_SMTP_URL");

	conf();

	is_str(new_error("smtp://user:secret@mx.example.org:587/x", NULL),
	    "ok smtp://mx.example.org:587", "the server named without "
	    "credentials");
	is_str(new_error("SMTPS://mx.example.org", NULL),
	    "ok SMTPS://mx.example.org", "smtps");
	is_str(new_error("http://user:secret@mx.example.org/", NULL),
	    "2 smtp_url: expected smtp://host:port or smtps://host:port, got "
	    "\"http://mx.example.org\"", "not SMTP");
	is_str(new_error("smtp://mx.example.org", "always"),
	    "2 smtp_tls: expected try, require or none, got \"always\"",
	    "a bad smtp_tls");
	if (url == NULL || *url == '\0') {
		printf("ok %d # skip no CRM_TEST_SMTP_URL\n", ++tap_n);
		crm_config_free();
		return done_testing();
	}
	send_three(url);
	crm_config_free();
	return done_testing();
}
