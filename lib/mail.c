/*
 * Composing mail: the headers (mail_header.c encodes and folds them), a
 * text body and an HTML alternative in 7bit or quoted-printable, CRLF
 * line ends.  See crm_mail.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crm_email.h"
#include "crm_mail.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "mail_int.h"

#define LINE_MAX	998	/* RFC 5322: a line, without CRLF */
#define QP_COLS		76

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

void
crm_mail_date(time_t t, char out[CRM_MAIL_DATE_LEN])
{
	static const char days[][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm tm;

	/* English names whatever the locale, as RFC 5322 wants them. */
	gmtime_r(&t, &tm);
	snprintf(out, CRM_MAIL_DATE_LEN,
	    "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Hex of 8 random bytes, for Message-IDs and MIME boundaries. */
static void
random_hex(char out[17])
{
	static unsigned long counter;
	unsigned char r[8];
	struct timespec ts;
	unsigned long long x;
	size_t i;

	if (getentropy(r, sizeof(r)) != 0) {
		/* No entropy source: time, process and a counter. */
		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long long)ts.tv_nsec ^
		    ((unsigned long long)ts.tv_sec << 20) ^
		    ((unsigned long long)getpid() << 40) ^ ++counter;
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(x >> (i * 8));
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* "<YYYYMMDDhhmmss.RANDOM@domain>", the domain checked as an email's. */
static struct crm_error *
make_msgid(const struct crm_mail *m, time_t t, char **msgid)
{
	char email[CRM_EMAIL_MAX], probe[CRM_EMAIL_MAX + 2], hex[17];
	const char *domain;
	struct crm_error *err;
	struct tm tm;

	*msgid = NULL;
	if ((err = mail_check_email("from", m->from.email, email)) != NULL)
		return err;
	domain = strrchr(email, '@') + 1;
	if (m->domain != NULL) {
		snprintf(probe, sizeof(probe), "x@%s", m->domain);
		if ((err = mail_check_email("domain", probe, email)) != NULL)
			return err;
		domain = email + 2;
	}
	if (m->msgid_left != NULL) {
		if (m->msgid_left[strspn(m->msgid_left, "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0' ||
		    *m->msgid_left == '\0')
			return crm_error_new(CRM_EXIT_FAIL, "message-id: invalid "
			    "left part \"%s\"", m->msgid_left);
		*msgid = crm_xmalloc(strlen(m->msgid_left) + strlen(domain) +
		    4);
		sprintf(*msgid, "<%s@%s>", m->msgid_left, domain);
		return NULL;
	}
	random_hex(hex);
	gmtime_r(&t, &tm);
	*msgid = crm_xmalloc(strlen(domain) + 40);
	snprintf(*msgid, strlen(domain) + 40,
	    "<%04d%02d%02d%02d%02d%02d.%s@%s>", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, hex,
	    domain);
	return NULL;
}

/* A line of quoted-printable, with soft breaks before column 76. */
static void
qp_line(struct crm_buf *b, const unsigned char *s, size_t n)
{
	size_t i, w, col = 0;
	char enc[4];

	for (i = 0; i < n; i++) {
		/* Blanks at the end of a line are encoded: MTAs strip them. */
		if ((s[i] > 32 && s[i] < 127 && s[i] != '=') ||
		    (blank(s[i]) && i + 1 < n)) {
			enc[0] = (char)s[i];
			w = 1;
		} else {
			snprintf(enc, sizeof(enc), "=%02X", s[i]);
			w = 3;
		}
		if (col + w > QP_COLS - 1) {
			crm_buf_adds(b, "=\r\n");
			col = 0;
		}
		crm_buf_add(b, enc, w);
		col += w;
	}
	crm_buf_adds(b, "\r\n");
}

/* Call fn for each line of s[0..n), whatever its line ends (LF, CRLF,
 * CR); a final line end makes no empty line. */
static void
each_line(struct crm_buf *b, const char *s, size_t n,
    void (*fn)(struct crm_buf *, const unsigned char *, size_t))
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && s[j] != '\n' && s[j] != '\r'; j++)
			;
		fn(b, (const unsigned char *)s + i, j - i);
		if (j < n && s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
			j++;
		i = j + 1;
	}
}

void
crm_mail_qp(struct crm_buf *b, const char *s, size_t n)
{
	each_line(b, s, n, qp_line);
}

static void
plain_line(struct crm_buf *b, const unsigned char *s, size_t n)
{
	crm_buf_add(b, s, n);
	crm_buf_adds(b, "\r\n");
}

/* 7bit is safe: ASCII without controls but tab, lines <= 998 octets. */
static int
seven_bit(const char *s)
{
	size_t col = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\r' || *s == '\n') {
			col = 0;
			continue;
		}
		if ((unsigned char)*s >= 0x7f ||
		    ((unsigned char)*s < 0x20 && *s != '\t') ||
		    ++col > LINE_MAX)
			return 0;
	}
	return 1;
}

/* A text part: its Content-Type and encoding, a blank line, the body. */
static void
add_part(struct crm_buf *b, const char *subtype, const char *s)
{
	int seven = seven_bit(s);

	crm_buf_addf(b, "Content-Type: text/%s; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n", subtype,
	    seven ? "7bit" : "quoted-printable");
	each_line(b, s, strlen(s), seven ? plain_line : qp_line);
}

static struct crm_error *
check_body(const char *what, const char *s)
{
	if (s == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "%s: empty", what);
	if (!crm_utf8_check(s, strlen(s), NULL))
		return crm_error_new(CRM_EXIT_FAIL, "%s: invalid UTF-8", what);
	return NULL;
}

static void
add_body(struct crm_buf *b, const struct crm_mail *m)
{
	char boundary[32], hex[17];

	if (m->html == NULL) {
		add_part(b, "plain", m->text);
		return;
	}
	/* "=_" never appears in quoted-printable, and 7bit parts would
	 * have to guess the random part. */
	random_hex(hex);
	snprintf(boundary, sizeof(boundary), "=_crm_%s", hex);
	crm_buf_addf(b, "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n\r\n", boundary);
	crm_buf_addf(b, "--%s\r\n", boundary);
	add_part(b, "plain", m->text);
	crm_buf_addf(b, "--%s\r\n", boundary);
	add_part(b, "html", m->html);
	crm_buf_addf(b, "--%s--\r\n", boundary);
}

static struct crm_error *
add_headers(struct crm_buf *b, const struct crm_mail *m, time_t t,
    const char *msgid)
{
	struct crm_error *err;
	char date[CRM_MAIL_DATE_LEN];
	size_t i;

	crm_mail_date(t, date);
	crm_buf_addf(b, "Date: %s\r\n", date);
	if ((err = mail_add_addrs(b, "From", &m->from, 1)) != NULL ||
	    (err = mail_add_addrs(b, "To", m->to, m->nto)) != NULL ||
	    (err = crm_mail_header_add(b, "Subject", m->subject)) != NULL)
		return err;
	crm_buf_addf(b, "Message-ID: %s\r\n", msgid);
	if ((m->in_reply_to != NULL && (err = mail_add_ids(b, "In-Reply-To",
	    &m->in_reply_to, 1)) != NULL) ||
	    (err = mail_add_ids(b, "References", m->references,
	    m->nreferences)) != NULL)
		return err;
	for (i = 0; i < m->nheaders; i++)
		if ((err = mail_add_extra(b, &m->headers[i])) != NULL)
			return err;
	crm_buf_adds(b, "MIME-Version: 1.0\r\n");
	return NULL;
}

struct crm_error *
crm_mail_compose(const struct crm_mail *m, char **msg, char **msgid)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	time_t t = m->date ? m->date : crm_time_now_t();

	*msg = NULL;
	if ((err = check_body("body", m->text)) != NULL ||
	    (m->html != NULL && (err = check_body("html", m->html)) != NULL) ||
	    (err = make_msgid(m, t, msgid)) != NULL)
		return err;
	if ((err = add_headers(&b, m, t, *msgid)) != NULL) {
		crm_buf_release(&b);
		free(*msgid);
		*msgid = NULL;
		return err;
	}
	add_body(&b, m);
	*msg = crm_buf_detach(&b);
	return NULL;
}
