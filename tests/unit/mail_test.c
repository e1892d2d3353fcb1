/* The mail composer: encoded words, folding, quoted-printable, headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_mail.h"
#include "crm_util.h"
#include "tap.h"

/* Noon, 22 November 2026 UTC, as tests/lib.sh's CRM_NOW. */
#define NOON ((time_t)1795348800)

static char got[8192];

static const char *
header(const char *name, const char *value)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;

	if ((err = crm_mail_header_add(&b, name, value)) != NULL) {
		snprintf(got, sizeof(got), "! %s", err->msg);
		crm_error_free(err);
	} else {
		snprintf(got, sizeof(got), "%s", crm_buf_str(&b));
	}
	crm_buf_release(&b);
	return got;
}

static const char *
qp(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_mail_qp(&b, s, strlen(s));
	snprintf(got, sizeof(got), "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return got;
}

/* Every line of s (CRLF-separated) at most max octets. */
static int
lines_within(const char *s, size_t max)
{
	const char *e;

	for (; *s != '\0'; s = e + 2) {
		if ((e = strstr(s, "\r\n")) == NULL)
			return strlen(s) <= max;
		if ((size_t)(e - s) > max)
			return 0;
	}
	return 1;
}

static int
hexval(int c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/*
 * Decode a folded header's value as a reader would: unfold, decode the
 * Q encoded words, drop the blanks between adjacent encoded words.
 * Returns 0 when every encoded word is at most 75 octets and decodes to
 * whole UTF-8 characters.
 */
static int
decode(const char *h, char *out)
{
	const char *p = strchr(h, ':') + 1, *end;
	char *o = out, *mark = NULL;
	int prev_ew = 0;

	while (*p != '\0') {
		if (*p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (*p == ' ') {
			mark = o;
			*o++ = ' ';
			p++;
			continue;
		}
		if (strncmp(p, "=?UTF-8?Q?", 10) == 0) {
			if ((end = strstr(p + 10, "?=")) == NULL ||
			    end + 2 - p > 75)
				return -1;
			if (prev_ew && mark != NULL)
				o = mark;
			for (p += 10; p < end; p++) {
				if (*p == '=') {
					*o++ = (char)(hexval(p[1]) * 16 +
					    hexval(p[2]));
					p += 2;
				} else {
					*o++ = *p == '_' ? ' ' : *p;
				}
			}
			p += 2;
			prev_ew = 1;
			mark = NULL;
			continue;
		}
		prev_ew = 0;
		*o++ = *p++;
	}
	*o = '\0';
	/* The first blank is the one after the colon. */
	memmove(out, out + (out[0] == ' '), strlen(out) + 1);
	return 0;
}

static void
test_headers(void)
{
	char dec[4096], long_subject[600], want[600];
	int i;

	is_str(header("Subject", "Hello world"), "Subject: Hello world\r\n",
	    "an ASCII subject as it is");
	is_str(header("Subject", "Re: Café au lait [#12]"),
	    "Subject: Re: =?UTF-8?Q?Caf=C3=A9?= au lait [#12]\r\n",
	    "a non-ASCII word is encoded, the others are not");
	is_str(header("Subject", "Grüße aus Köln"),
	    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus "
	    "=?UTF-8?Q?K=C3=B6ln?=\r\n",
	    "two encoded words around a plain one");
	is_str(header("Subject", "Zoë Ørsted"),
	    "Subject: =?UTF-8?Q?Zo=C3=AB_=C3=98rsted?=\r\n",
	    "adjacent non-ASCII words share one encoded word, blank and all");
	is_str(header("Subject", "a =?UTF-8?Q?x?= b"),
	    "Subject: a =?UTF-8?Q?=3D=3FUTF-8=3FQ=3Fx=3F=3D?= b\r\n",
	    "text that looks like an encoded word is encoded");
	is_str(header("Subject", "100% _sure_ (really?)"),
	    "Subject: 100% _sure_ (really?)\r\n", "ASCII specials stay");
	is_str(header("Subject", "Hi\r\nBcc: victim@example.org"),
	    "! subject: CR or LF in a header value", "CR LF refused");
	is_str(header("Subject", "Hi\nBcc: victim@example.org"),
	    "! subject: CR or LF in a header value", "a lone LF refused");
	is_str(header("Subject", "bad \xff byte"),
	    "! subject: invalid UTF-8", "invalid UTF-8 refused");

	/* Folding: long ASCII and long non-ASCII subjects. */
	long_subject[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(long_subject, i ? " word" : "Start");
	header("Subject", long_subject);
	ok(strstr(got, "\r\n ") != NULL && lines_within(got, 78),
	    "a long subject is folded at 78");
	ok(decode(got, dec) == 0, "and unfolds");
	is_str(dec, long_subject, "to the same text");
	long_subject[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(long_subject, i % 7 == 6 ? "é " : "éü");
	header("Subject", long_subject);
	ok(strstr(got, "\r\n ") != NULL && lines_within(got, 78),
	    "a long non-ASCII subject is folded at 78");
	ok(decode(got, dec) == 0, "its encoded words are at most 75 "
	    "octets");
	snprintf(want, sizeof(want), "%s", long_subject);
	want[strlen(want) - 1] = want[strlen(want) - 1] == ' ' ? '\0' :
	    want[strlen(want) - 1];
	is_str(dec, want, "and decode to the same text");
	memset(long_subject, 'x', 100);
	long_subject[100] = '\0';
	header("Subject", long_subject);
	ok(lines_within(got, 78) && decode(got, dec) == 0 &&
	    strcmp(dec, long_subject) == 0, "a 100-octet word is encoded "
	    "to fold");
}

static void
test_qp(void)
{
	char line[200], want[300];

	is_str(qp("café = ok"), "caf=C3=A9 =3D ok\r\n", "QP: UTF-8 and =");
	is_str(qp("trailing \nblank\t\n"), "trailing=20\r\nblank=09\r\n",
	    "QP: blanks at line ends are encoded");
	is_str(qp("a\r\nb\rc\n\nd"), "a\r\nb\r\nc\r\n\r\nd\r\n",
	    "QP: any line end becomes CRLF");
	memset(line, 'a', 100);
	line[100] = '\0';
	memset(want, 'a', 75);
	snprintf(want + 75, sizeof(want) - 75, "=\r\n%.25s\r\n", line);
	is_str(qp(line), want, "QP: soft line break before column 76");
	memset(line, 0, sizeof(line));
	memset(line, 'a', 74);
	strcat(line, "é");
	memset(want, 'a', 74);
	snprintf(want + 74, sizeof(want) - 74, "=\r\n=C3=A9\r\n");
	is_str(qp(line), want, "QP: an escape is never split");
}

static const char *
compose(const struct crm_mail *m, char **id)
{
	struct crm_error *err;
	char *msg;

	if ((err = crm_mail_compose(m, &msg, id)) != NULL) {
		snprintf(got, sizeof(got), "! %s", err->msg);
		crm_error_free(err);
		return got;
	}
	snprintf(got, sizeof(got), "%s", msg);
	free(msg);
	return got;
}

static void
test_compose(void)
{
	struct crm_mail_addr to = { "Zoë Smith", "zoe@Example.ORG" };
	const char *refs[] = { "<first@example.org>", "second@example.org" };
	struct crm_mail_header extra[] = {
		{ "List-Unsubscribe", "<mailto:unsubscribe@example.org?subject="
		    "unsubscribe>, <https://example.org/unsubscribe/"
		    "0123456789abcdef0123456789abcdef>" },
		{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
	};
	struct crm_mail m = {
		{ "Support", "help@example.org" }, &to, 1, "Re: Hello [#1]",
		"Hi Zoë,\n.\nbye\n", NULL, "<second@example.org>", refs, 2,
		NULL, 0, NULL, NOON, NULL
	};
	const char *msg;
	char *id = NULL, want[1024];

	msg = compose(&m, &id);
	snprintf(want, sizeof(want), "Date: Sun, 22 Nov 2026 12:00:00 +0000\r\n"
	    "From: Support <help@example.org>\r\n"
	    "To: =?UTF-8?Q?Zo=C3=AB_Smith?= <zoe@example.org>\r\n"
	    "Subject: Re: Hello [#1]\r\n"
	    "Message-ID: %s\r\n"
	    "In-Reply-To: <second@example.org>\r\n"
	    "References: <first@example.org> <second@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "Hi Zo=C3=AB,\r\n.\r\nbye\r\n", id ? id : "");
	is_str(msg, want, "a whole message");
	ok(id != NULL && strncmp(id, "<20261122120000.", 16) == 0 &&
	    strlen(id) == 16 + 16 + strlen("@example.org>") &&
	    strcmp(id + 32, "@example.org>") == 0,
	    "the Message-ID: time, random, From's domain (%s)", id);
	free(id);

	m.text = "plain ASCII\nline two";
	m.domain = "mail.example.net";
	m.in_reply_to = NULL;
	m.nreferences = 0;
	m.headers = extra;
	m.nheaders = 2;
	msg = compose(&m, &id);
	ok(strstr(msg, "Content-Transfer-Encoding: 7bit\r\n\r\n"
	    "plain ASCII\r\nline two\r\n") != NULL, "ASCII goes as 7bit");
	ok(strstr(msg, "In-Reply-To") == NULL && strstr(msg, "References")
	    == NULL, "no In-Reply-To or References when none");
	ok(strstr(msg, "List-Unsubscribe: <mailto:unsubscribe@example.org?"
	    "subject=unsubscribe>,\r\n <https://") != NULL &&
	    strstr(msg, "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
	    "\r\n") != NULL, "extra headers, folded, never encoded");
	ok(id != NULL && strstr(id, "@mail.example.net>") != NULL,
	    "the Message-ID's domain from the caller");
	free(id);

	m.html = "<p>caf\xc3\xa9</p>";
	msg = compose(&m, &id);
	ok(strstr(msg, "Content-Type: multipart/alternative;\r\n boundary=\""
	    "=_crm_") != NULL && strstr(msg, "Content-Type: text/html; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n<p>caf=C3=A9</p>\r\n--=_crm_") != NULL,
	    "an HTML alternative");
	free(id);
}

/* Header injection and bad values: no message. */
static void
test_refusals(void)
{
	struct crm_mail_addr to = { NULL, "zoe@example.org" };
	struct crm_mail m = {
		{ "Support", "help@example.org" }, &to, 1, "x", "Hi\n", NULL,
		NULL, NULL, 0, NULL, 0, NULL, NOON, NULL
	};
	struct crm_mail_header bad = { "Subject", "x" };
	char *id = NULL;

	m.subject = "x\r\nBcc: victim@example.org";
	is_str(compose(&m, &id), "! subject: CR or LF in a header value",
	    "no message with CR LF in the subject");
	ok(id == NULL, "and no Message-ID");
	m.subject = "x";
	to.name = "Eve\r\nBcc: victim@example.org";
	is_str(compose(&m, &id), "! to: CR or LF in a header value",
	    "nor in a name");
	to.name = "Doe, Jane";
	ok(strstr(compose(&m, &id), "To: \"Doe, Jane\" <zoe@example.org>")
	    != NULL, "a name with specials is quoted");
	free(id);
	to.email = "zoe@example.org\r\nBcc: victim@example.org";
	is_str(compose(&m, &id), "! to: CR or LF in a header value",
	    "nor in an address");
	to.email = "zoë@example.org";
	is_str(compose(&m, &id), "! to: \"zoë@example.org\": a non-ASCII "
	    "address needs SMTPUTF8, which crm does not send",
	    "a non-ASCII address");
	to.email = "zoe@";
	is_str(compose(&m, &id), "! to: invalid email \"zoe@\": no domain",
	    "an invalid address");
	to.email = "zoe@example.org";
	m.headers = &bad;
	m.nheaders = 1;
	is_str(compose(&m, &id), "! header \"Subject\": set by the composer",
	    "an extra header may not repeat the composer's");
	bad.name = "X-Bad:";
	is_str(compose(&m, &id), "! invalid header name \"X-Bad:\"",
	    "an extra header's name is checked");
	bad.name = "X-Ok";
	bad.value = "a\nb";
	is_str(compose(&m, &id), "! x-ok: CR or LF in a header value",
	    "and its value");
	m.nheaders = 0;
	m.in_reply_to = "not an id";
	is_str(compose(&m, &id), "! in-reply-to: invalid message id \"not "
	    "an id\"", "a bad In-Reply-To");
}

static void
test_addr(void)
{
	static const char *const cases[][3] = {
		{ "help@Example.ORG", "", "help@example.org" },
		{ "<help@example.org>", "", "help@example.org" },
		{ "Support Team <help@example.org>", "Support Team",
		    "help@example.org" },
		{ "\"Doe, Jane\" <jane@example.org>", "Doe, Jane",
		    "jane@example.org" },
		{ "Zoë <zoe@example.org> ", "Zoë", "zoe@example.org" },
		{ "bob@", "!", "address: invalid email \"bob@\": no domain" },
		{ "Bob <bob@example.org", "!", "address \"Bob <bob@example.org"
		    "\": expected \"Name <email>\"" },
		{ "Bob <bob@example.org>\nBcc: x@example.org", "!",
		    "address: CR or LF in a header value" },
	};
	struct crm_error *err;
	char *name, *email;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = crm_mail_addr_parse(cases[i][0], &name, &email);
		if (err != NULL) {
			is_str("!", cases[i][1], "address %zu refused", i);
			is_str(err->msg, cases[i][2], "says why");
			crm_error_free(err);
			continue;
		}
		is_str(name ? name : "", cases[i][1], "name of \"%s\"",
		    cases[i][0]);
		is_str(email, cases[i][2], "email of \"%s\"", cases[i][0]);
		free(name);
		free(email);
	}
}

static void
test_msgid(void)
{
	char out[256];

	ok(crm_mail_msgid(" <a.b@example.org> ", out, sizeof(out)) == 0 &&
	    strcmp(out, "<a.b@example.org>") == 0, "msg-id with brackets");
	ok(crm_mail_msgid("a.b@example.org", out, sizeof(out)) == 0 &&
	    strcmp(out, "<a.b@example.org>") == 0, "msg-id without");
	ok(crm_mail_msgid("a b@example.org", out, sizeof(out)) != 0,
	    "a blank inside is no msg-id");
	is_int(crm_mail_msgid("nothing", out, sizeof(out)), -1, "nor no @");
	ok(crm_mail_msgid("<a@b>\r\nBcc: x", out, sizeof(out)) != 0,
	    "nor CR LF");
	ok(crm_mail_msgid("<a@b>", out, 5) != 0, "nor too long for out");
}

int
main(void)
{
	char date[CRM_MAIL_DATE_LEN];

	crm_mail_date(NOON, date);
	is_str(date, "Sun, 22 Nov 2026 12:00:00 +0000", "RFC 5322 date");
	test_headers();
	test_qp();
	test_compose();
	test_refusals();
	test_addr();
	test_msgid();
	return done_testing();
}
