/* Delivery status notifications (lib/dsn.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_dsn.h"
#include "crm_error.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "tap.h"

/* Postfix, one unknown user, the whole message returned. */
static const char postfix[] =
    "Return-Path: <>\n"
    "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
    "To: news@crm.example\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Message-Id: <20261122101500.4F2A1@mx.example.net>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"4F2A1.1700000000/mx.example.net\"\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--4F2A1.1700000000/mx.example.net\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients.\n"
    "\n"
    "--4F2A1.1700000000/mx.example.net\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "X-Postfix-Queue-ID: 4F2A1\n"
    "Arrival-Date: Sun, 22 Nov 2026 10:14:58 +0000 (UTC)\n"
    "\n"
    "Final-Recipient: rfc822; Bob@Example.NET\n"
    "Original-Recipient: rfc822;bob@example.net\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mail.example.net\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address\n"
    "    rejected: User unknown in virtual mailbox table\n"
    "\n"
    "--4F2A1.1700000000/mx.example.net\n"
    "Content-Description: Undelivered Message\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: News <news@crm.example>\n"
    "To: bob@example.net\n"
    "Subject: November news\n"
    "Message-ID: <c42.r7@crm.example>\n"
    "\n"
    "Hello Bob\n"
    "\n"
    "--4F2A1.1700000000/mx.example.net--\n";

static const char delayed[] =
    "From: Mail Delivery Subsystem <mailer-daemon@relay.example.org>\n"
    "To: news@crm.example\n"
    "In-Reply-To: <c42.r9@crm.example>\n"
    "Subject: Delivery Status Notification (Delay)\n"
    "Content-Type: multipart/report; report-type=\"Delivery-Status\"; "
    "boundary=b1\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain\n"
    "\n"
    "Still trying.\n"
    "--b1\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; relay.example.org\n"
    "\n"
    "Final-Recipient: rfc822; carol@example.org\n"
    "Action: delayed\n"
    "Status: 4.4.7\n"
    "Diagnostic-Code: smtp; 421 4.4.7 connection timed out\n"
    "Will-Retry-Until: Tue, 24 Nov 2026 10:00:00 +0000\n"
    "--b1--\n";

/* Three recipients; the report's References name the message. */
static const char several[] =
    "From: postmaster@mx.example.com\n"
    "References: <thread.1@crm.example>\n"
    "  <c42.r12@crm.example>\n"
    "Content-Type: multipart/mixed; boundary=outer\n"
    "\n"
    "--outer\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    "boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "Failures.\n"
    "--inner\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.com\n"
    "\n"
    "Final-Recipient: RFC822; <Dave@Example.COM>\n"
    "Action: Failed\n"
    "Status: 5.2.2 (mailbox full)\n"
    "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"
    "\n"
    "Final-Recipient: rfc822; erin@example.com\n"
    "Action: delivered\n"
    "Status: 2.0.0\n"
    "\n"
    "Final-Recipient: rfc822; frank@example.com\n"
    "Action: failed\n"
    "Status: 4.0.0\n"
    "Diagnostic-Code: X-Local;\tquota\t \x01\x7f exceeded\n"
    "--inner--\n"
    "--outer--\n";

/* Original-Recipient only, base64 status, text/rfc822-headers. */
static const char headers_only[] =
    "From: MAILER-DAEMON@example.org\n"
    "Content-Type: multipart/report; report-type=delivery-status;"
    " boundary=\"x y\"\n"
    "\n"
    "--x y\n"
    "Content-Type: text/plain\n"
    "\n"
    "Bounced.\n"
    "--x y\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; example.org\n"
    "\n"
    "Original-Recipient: rfc822;Gina@Example.org\n"
    "Action: failed\n"
    "Status: 5.7.1\n"
    "--x y\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "From: news@crm.example\n"
    "Message-ID: <c42.r15@crm.example>\n"
    "Subject: hi\n"
    "--x y--\n";

static const char base64_report[] =
    "From: MAILER-DAEMON@example.org\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    "boundary=z\n"
    "\n"
    "--z\n"
    "Content-Type: message/delivery-status\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    /* "Final-Recipient: rfc822; h@example.org\nAction: failed\n"
     * "Status: 5.1.2\n" */
    "RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGhAZXhhbXBsZS5vcmcKQWN0aW9uOiBm\n"
    "YWlsZWQKU3RhdHVzOiA1LjEuMgo=\n"
    "--z--\n";

static const char plain[] =
    "From: Bob <bob@example.net>\n"
    "To: news@crm.example\n"
    "Subject: Re: November news\n"
    "In-Reply-To: <c42.r7@crm.example>\n"
    "\n"
    "Thanks!\n";

static const char mdn[] =
    "From: bob@example.net\n"
    "Content-Type: multipart/report; "
    "report-type=disposition-notification; boundary=m\n"
    "\n"
    "--m\n"
    "Content-Type: message/disposition-notification\n"
    "\n"
    "Final-Recipient: rfc822; bob@example.net\n"
    "Disposition: manual-action/MDN-sent-manually; displayed\n"
    "--m--\n";

static const char no_rcpt[] =
    "From: MAILER-DAEMON@example.org\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    "boundary=q\n"
    "\n"
    "--q\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; example.org\n"
    "--q--\n";

/* s with every "\n" as "\r\n"; free() it. */
static char *
crlf(const char *s, size_t *len)
{
	struct crm_buf b = CRM_BUF_INIT;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			crm_buf_addch(&b, '\r');
		crm_buf_addch(&b, *s);
	}
	*len = b.len;
	return crm_buf_detach(&b);
}

/* Parse s[0..n) from a buffer of exactly n bytes: a read past the end
 * is an error valgrind and ASan see. */
static struct crm_error *
parse(const char *s, size_t n, struct crm_dsn *d)
{
	struct crm_error *err;
	char *copy = malloc(n > 0 ? n : 1);

	memcpy(copy, s, n);
	err = crm_dsn_parse(copy, n, d);
	free(copy);
	return err;
}

static int
valid(const char *s)
{
	return s == NULL || crm_utf8_check(s, strlen(s), NULL);
}

/* Every string valid UTF-8, the diagnostic one clean line. */
static int
sane(const struct crm_dsn *d)
{
	size_t i, j;
	const char *g;

	if (!valid(d->message_id))
		return 0;
	for (i = 0; i < d->n; i++) {
		if (!valid(d->rcpt[i].email) || !valid(d->rcpt[i].original) ||
		    !valid(d->rcpt[i].diagnostic) ||
		    strlen(d->rcpt[i].status) >= CRM_DSN_STATUS)
			return 0;
		if ((g = d->rcpt[i].diagnostic) == NULL)
			continue;
		if (strlen(g) > CRM_DSN_DIAG)
			return 0;
		for (j = 0; g[j] != '\0'; j++)
			if ((unsigned char)g[j] < 0x20 || g[j] == 0x7f)
				return 0;
	}
	return 1;
}

static void
check_postfix(const char *s, size_t n, const char *how)
{
	struct crm_dsn d;
	struct crm_error *err = parse(s, n, &d);

	ok(err == NULL, "postfix %s: no error", how);
	is_int(d.is_dsn, 1, "postfix %s: a report", how);
	is_int(d.n, 1, "postfix %s: one recipient", how);
	if (d.n == 1) {
		is_str(d.rcpt[0].email, "bob@example.net",
		    "postfix %s: email lowercase, no rfc822;", how);
		is_str(d.rcpt[0].original, "bob@example.net",
		    "postfix %s: original", how);
		is_str(d.rcpt[0].action, "failed", "postfix %s: action", how);
		is_str(d.rcpt[0].status, "5.1.1", "postfix %s: status", how);
		is_str(d.rcpt[0].diagnostic, "550 5.1.1 <bob@example.net>: "
		    "Recipient address rejected: User unknown in virtual "
		    "mailbox table", "postfix %s: diagnostic unfolded", how);
		is_int(d.rcpt[0].hard, 1, "postfix %s: hard", how);
	}
	is_str(d.message_id, "c42.r7@crm.example",
	    "postfix %s: Message-ID of the enclosed message", how);
	is_int(d.truncated, 0, "postfix %s: whole", how);
	crm_dsn_free(&d);
	crm_error_free(err);
}

static void
test_postfix(void)
{
	size_t n;
	char *c = crlf(postfix, &n);

	check_postfix(postfix, strlen(postfix), "LF");
	check_postfix(c, n, "CRLF");
	free(c);
}

static void
test_delayed(void)
{
	struct crm_dsn d;
	struct crm_error *err = parse(delayed, strlen(delayed), &d);

	ok(err == NULL && d.is_dsn && d.n == 1, "delayed: one recipient");
	if (d.n == 1) {
		is_str(d.rcpt[0].email, "carol@example.org", "delayed: email");
		ok(d.rcpt[0].original == NULL, "delayed: no original");
		is_str(d.rcpt[0].action, "delayed", "delayed: action");
		is_str(d.rcpt[0].status, "4.4.7", "delayed: status");
		is_str(d.rcpt[0].diagnostic, "421 4.4.7 connection timed out",
		    "delayed: diagnostic");
		is_int(d.rcpt[0].hard, 0, "delayed: not hard");
	}
	is_str(d.message_id, "c42.r9@crm.example",
	    "delayed: Message-ID from In-Reply-To");
	crm_dsn_free(&d);
	crm_error_free(err);
}

static void
test_several(void)
{
	struct crm_dsn d;
	struct crm_error *err = parse(several, strlen(several), &d);

	ok(err == NULL && d.is_dsn, "several: nested report found");
	is_int(d.n, 3, "several: three recipients");
	if (d.n == 3) {
		is_str(d.rcpt[0].email, "dave@example.com",
		    "several: brackets and case gone");
		is_str(d.rcpt[0].action, "failed", "several: Action: Failed");
		is_str(d.rcpt[0].status, "5.2.2", "several: comment dropped");
		is_int(d.rcpt[0].hard, 1, "several: 1 hard");
		is_str(d.rcpt[1].email, "erin@example.com", "several: 2");
		is_str(d.rcpt[1].action, "delivered", "several: 2 delivered");
		ok(d.rcpt[1].diagnostic == NULL, "several: 2 no diagnostic");
		is_int(d.rcpt[1].hard, 0, "several: 2 not hard");
		is_str(d.rcpt[2].status, "4.0.0", "several: 3 status");
		is_int(d.rcpt[2].hard, 0, "several: failed 4.x.x not hard");
		is_str(d.rcpt[2].diagnostic, "quota exceeded",
		    "several: 3 controls removed, blanks squeezed");
	}
	is_str(d.message_id, "c42.r12@crm.example",
	    "several: the last of References");
	crm_dsn_free(&d);
	crm_error_free(err);
}

static void
test_headers_only(void)
{
	struct crm_dsn d;
	struct crm_error *err = parse(headers_only, strlen(headers_only), &d);

	ok(err == NULL && d.is_dsn && d.n == 1, "original only: parsed");
	if (d.n == 1) {
		is_str(d.rcpt[0].email, "gina@example.org",
		    "original only: email from Original-Recipient");
		is_str(d.rcpt[0].original, "gina@example.org",
		    "original only: original");
		is_int(d.rcpt[0].hard, 1, "original only: hard");
	}
	is_str(d.message_id, "c42.r15@crm.example",
	    "text/rfc822-headers: Message-ID");
	crm_dsn_free(&d);
	crm_error_free(err);

	err = parse(base64_report, strlen(base64_report), &d);
	ok(err == NULL && d.n == 1, "base64 status part");
	if (d.n == 1) {
		is_str(d.rcpt[0].email, "h@example.org", "base64: email");
		is_str(d.rcpt[0].status, "5.1.2", "base64: status");
	}
	ok(d.message_id == NULL, "base64: no Message-ID anywhere");
	crm_dsn_free(&d);
	crm_error_free(err);
}

static void
test_not_dsn(void)
{
	struct crm_dsn d;
	struct crm_error *err;

	err = parse(plain, strlen(plain), &d);
	ok(err == NULL, "plain mail: no error");
	ok(d.is_dsn == 0 && d.n == 0 && d.rcpt == NULL &&
	    d.message_id == NULL, "plain mail: not a bounce, nothing kept");
	crm_dsn_free(&d);
	err = parse(mdn, strlen(mdn), &d);
	ok(err == NULL && d.is_dsn == 0 && d.n == 0,
	    "read receipt (MDN): not a bounce");
	crm_dsn_free(&d);
	err = parse("", 0, &d);
	ok(err == NULL && d.is_dsn == 0, "empty message: not a bounce");
	crm_dsn_free(&d);
	err = parse(no_rcpt, strlen(no_rcpt), &d);
	ok(err != NULL && d.is_dsn == 1 && d.n == 0,
	    "report without recipients: an error");
	if (err != NULL)
		is_str(err->msg, "delivery report without a recipient",
		    "report without recipients: message");
	crm_error_free(err);
	crm_dsn_free(&d);
	crm_dsn_free(NULL);
	ok(1, "crm_dsn_free(NULL)");
}

static void
test_dirty(void)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_dsn d;
	struct crm_error *err;
	size_t i;

	crm_buf_adds(&b, "From: MAILER-DAEMON@example.org\n"
	    "Content-Type: multipart/report; boundary=k\n\n--k\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; \xff@example.org\n"
	    "Action: failed\nStatus: 5.1.10000\n"
	    "Diagnostic-Code: smtp; caf\xc3\xa9 \xc2\x85 ");
	for (i = 0; i < 600; i++)
		crm_buf_addch(&b, 'x');
	crm_buf_adds(&b, "\n\nFinal-Recipient: rfc822; i@example.org\n"
	    "Action: failed\nStatus: 5.0.0\n"
	    "Diagnostic-Code: smtp; 550 caf\xe9\n--k--\n");
	err = parse(b.buf, b.len, &d);
	ok(err == NULL && d.n == 2, "dirty: two recipients");
	if (d.n == 2) {
		ok(d.rcpt[0].email == NULL, "dirty: invalid address dropped");
		is_str(d.rcpt[0].status, "", "dirty: bad status dropped");
		is_int(d.rcpt[0].hard, 0, "dirty: no status, not hard");
		is_int(strlen(d.rcpt[0].diagnostic), CRM_DSN_DIAG,
		    "dirty: diagnostic cut at 500 bytes");
		ok(strncmp(d.rcpt[0].diagnostic, "caf\xc3\xa9 xxx", 9) == 0,
		    "dirty: C1 control (U+0085) removed");
		is_str(d.rcpt[1].diagnostic, "550 caf\xc3\xa9",
		    "dirty: 8-bit text not UTF-8 read as Windows-1252");
	}
	ok(sane(&d), "dirty: all UTF-8");
	crm_dsn_free(&d);
	crm_error_free(err);
	crm_buf_release(&b);
}

/* Every prefix of s: no crash, no read past it, strings sane. */
static void
truncations(const char *s, size_t n, const char *how)
{
	struct crm_dsn d;
	struct crm_error *err;
	size_t i, bad = 0, dsn = 0;

	for (i = 0; i <= n; i++) {
		err = parse(s, i, &d);
		if (!sane(&d))
			bad++;
		dsn += d.n > 0;
		crm_dsn_free(&d);
		crm_error_free(err);
	}
	is_int(bad, 0, "truncated %s at every byte: all sane", how);
	ok(dsn > 0, "truncated %s: partial results (%zu of %zu)", how, dsn,
	    n + 1);
}

static void
test_truncated(void)
{
	struct crm_dsn d;
	struct crm_error *err;
	const char *cut = strstr(postfix, "Content-Description: Undelivered");
	size_t n;
	char *c = crlf(postfix, &n);

	err = parse(postfix, (size_t)(cut - postfix), &d);
	ok(err == NULL && d.n == 1 && d.rcpt[0].hard,
	    "cut before the third part: the recipient");
	is_int(d.truncated, 1, "cut before the third part: truncated");
	ok(d.message_id == NULL, "cut before the third part: no Message-ID");
	crm_dsn_free(&d);
	crm_error_free(err);

	truncations(postfix, strlen(postfix), "postfix LF");
	truncations(c, n, "postfix CRLF");
	truncations(several, strlen(several), "several");
	free(c);
}

static char *
slurp(const char *path, size_t *n)
{
	struct crm_buf b = CRM_BUF_INIT;
	char chunk[4096];
	size_t k;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return NULL;
	while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		crm_buf_add(&b, chunk, k);
	fclose(fp);
	*n = b.len;
	return crm_buf_detach(&b);
}

static void
test_corpus(void)
{
	const char *dir = getenv("CRM_CORPORA");
	char path[4096], *s;
	struct crm_dsn d;
	struct crm_error *err;
	size_t n;

	snprintf(path, sizeof(path), "%s/email-inbound/mikel-mail/"
	    "multipart_report_emails/multi_address_bounce1.eml",
	    dir ? dir : "../shared/corpora");
	if ((s = slurp(path, &n)) == NULL) {
		printf("ok %d # skip corpora not found at %s\n", ++tap_n, path);
		printf("ok %d # skip corpora not found\n", ++tap_n);
		printf("ok %d # skip corpora not found\n", ++tap_n);
		return;
	}
	err = parse(s, n, &d);
	ok(err == NULL && d.n == 5 && sane(&d),
	    "corpus multi_address_bounce1: five recipients");
	ok(d.n == 5 && d.rcpt[4].hard && strcmp(d.rcpt[0].status, "5.1.1") ==
	    0, "corpus multi_address_bounce1: hard 5.1.1");
	crm_dsn_free(&d);
	crm_error_free(err);
	free(s);

	snprintf(path, sizeof(path), "%s/email-inbound/mikel-mail/"
	    "multipart_report_emails/report_530.eml",
	    dir ? dir : "../shared/corpora");
	if ((s = slurp(path, &n)) == NULL) {
		printf("ok %d # skip %s not found\n", ++tap_n, path);
		return;
	}
	err = parse(s, n, &d);
	ok(err == NULL && d.n == 1 && d.rcpt[0].email != NULL &&
	    strcmp(d.rcpt[0].email, "edwin@zzzzzzz.com") == 0 &&
	    strcmp(d.rcpt[0].status, "5.3.0") == 0 && d.message_id != NULL &&
	    strcmp(d.message_id, "200712232303.lBNN3jDq002941@"
	    "mail12.rrrr.com.au") == 0,
	    "corpus report_530: edwin, 5.3.0, enclosed Message-Id");
	crm_dsn_free(&d);
	crm_error_free(err);
	free(s);
}

int
main(void)
{
	test_postfix();
	test_delayed();
	test_several();
	test_headers_only();
	test_not_dsn();
	test_dirty();
	test_truncated();
	test_corpus();
	return done_testing();
}
