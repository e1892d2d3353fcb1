/*
 * The decoders of incoming mail (crm_mime.h): transfer encodings,
 * charsets, RFC 2047 encoded words, RFC 2231 parameters and addresses,
 * and the line and boundary readers the MIME and DSN parsers share.
 * Everything is bounded by its input: no recursion, no allocation that
 * grows faster than the text.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm_charset.h"
#include "crm_mime.h"
#include "crm_stream.h"
#include "crm_util.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
crm_mime_qp_decode(const char *s, size_t n, struct crm_buf *out)
{
	size_t i, j;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] != '=') {
			crm_buf_addch(out, s[i]);
			continue;
		}
		/* A soft line break: "=", blanks, then the line end. */
		for (j = i + 1; j < n && (s[j] == ' ' || s[j] == '\t'); j++)
			;
		if (j < n && (s[j] == '\n' || s[j] == '\r')) {
			if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
				j++;
			i = j;
			continue;
		}
		if (j == n) {
			i = j - 1;
			continue;
		}
		if (i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
		    (l = hexval(s[i + 2])) >= 0) {
			crm_buf_addch(out, h * 16 + l);
			i += 2;
		} else
			crm_buf_addch(out, '=');
	}
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void
crm_mime_b64_decode(const char *s, size_t n, struct crm_buf *out)
{
	unsigned long acc = 0;
	size_t i;
	int v, bits = 0;

	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			continue;
		acc = (acc << 6 | (unsigned long)v) & 0xFFFFFF;
		if ((bits += 6) >= 8) {
			bits -= 8;
			crm_buf_addch(out, (int)(acc >> bits) & 0xFF);
		}
	}
}

static void
add_fffd(struct crm_buf *out)
{
	crm_buf_adds(out, "\xEF\xBF\xBD");
}

/* UTF-8 with each invalid byte replaced by U+FFFD. */
static void
utf8_lossy(const char *s, size_t n, struct crm_buf *out)
{
	size_t bad;

	while (n > 0 && !crm_utf8_check(s, n, &bad)) {
		crm_buf_add(out, s, bad);
		add_fffd(out);
		s += bad + 1;
		n -= bad + 1;
	}
	crm_buf_add(out, s, n);
}

/* Names mail uses that iconv(3) knows by another. */
static const char *const aliases[][2] = {
	{ "ks_c_5601-1987", "CP949" }, { "x-sjis", "SHIFT_JIS" },
	{ "x-euc-jp", "EUC-JP" }, { "gb2312", "GB18030" },
	{ "x-gbk", "GBK" }, { "unicode-1-1-utf-7", "UTF-7" },
};

static int
via_iconv(const char *charset, const char *s, size_t n, struct crm_buf *out)
{
	iconv_t cd;
	char buf[4096], *in = (char *)s, *o;
	size_t left = n, room, i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(charset, aliases[i][0]) == 0)
			charset = aliases[i][1];
	if ((cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return -1;
	while (left > 0) {
		o = buf;
		room = sizeof(buf);
		if (iconv(cd, &in, &left, &o, &room) == (size_t)-1 &&
		    errno != E2BIG) {
			crm_buf_add(out, buf, (size_t)(o - buf));
			add_fffd(out);
			/* Skip the bad or incomplete byte and go on. */
			in++;
			left--;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		crm_buf_add(out, buf, (size_t)(o - buf));
	}
	iconv_close(cd);
	return 0;
}

int
crm_mime_to_utf8(const char *charset, const char *s, size_t n,
    struct crm_buf *out)
{
	enum crm_charset cs;
	size_t i, bad;

	if (charset == NULL || *charset == '\0' ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    strcasecmp(charset, "ascii") == 0) {
		/* Mislabelled 8-bit text is common: UTF-8 if it is. */
		if (crm_utf8_check(s, n, &bad))
			crm_buf_add(out, s, n);
		else
			crm_mime_to_utf8("windows-1252", s, n, out);
		return 0;
	}
	if (crm_charset_parse(charset, &cs) == 0) {
		if (cs == CRM_CS_UTF8) {
			utf8_lossy(s, n, out);
			return 0;
		}
		while (crm_charset_to_utf8(cs, s, n, out, &bad) != 0) {
			add_fffd(out);
			s += bad + 1;
			n -= bad + 1;
		}
		return 0;
	}
	if (via_iconv(charset, s, n, out) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x80)
			crm_buf_addch(out, s[i]);
		else
			add_fffd(out);
	return -1;
}

/*
 * An encoded word at s[0..n): "=?charset?B?text?=".  Returns its length
 * and sets the parts, or 0 when s does not start one.
 */
static size_t
encoded_word(const char *s, size_t n, char *cs, size_t cslen, int *enc,
    const char **text, size_t *tlen)
{
	size_t i, c;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	for (i = 2; i < n && i < cslen + 2 && s[i] != '?' &&
	    !isspace((unsigned char)s[i]); i++)
		;
	if (i >= n || s[i] != '?' || i == 2 || i - 2 >= cslen)
		return 0;
	memcpy(cs, s + 2, i - 2);
	cs[i - 2] = '\0';
	/* RFC 2231 language: "utf-8*en". */
	if (strchr(cs, '*') != NULL)
		*strchr(cs, '*') = '\0';
	if (i + 3 >= n || s[i + 2] != '?')
		return 0;
	*enc = toupper((unsigned char)s[i + 1]);
	if (*enc != 'B' && *enc != 'Q')
		return 0;
	c = i + 3;
	/* Bounded, so that a header of "=?" starts stays linear. */
	for (i = c; i + 1 < n && i < c + 2000 && !(s[i] == '?' &&
	    s[i + 1] == '='); i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r')
			return 0;
	if (i + 1 >= n || s[i] != '?' || s[i + 1] != '=')
		return 0;
	*text = s + c;
	*tlen = i - c;
	return i + 2;
}

static void
word_bytes(int enc, const char *t, size_t n, struct crm_buf *raw)
{
	struct crm_buf q = CRM_BUF_INIT;
	size_t i;

	if (enc == 'B') {
		crm_mime_b64_decode(t, n, raw);
		return;
	}
	for (i = 0; i < n; i++)
		crm_buf_addch(&q, t[i] == '_' ? ' ' : t[i]);
	crm_mime_qp_decode(q.buf ? q.buf : "", q.len, raw);
	crm_buf_release(&q);
}

/* Plain header text: UTF-8 if it is, else Windows-1252. */
static void
plain_text(const char *s, size_t n, struct crm_buf *out)
{
	size_t bad;

	if (crm_utf8_check(s, n, &bad))
		crm_buf_add(out, s, n);
	else
		crm_mime_to_utf8("windows-1252", s, n, out);
}

int
crm_mime_words(const char *s, size_t n, struct crm_buf *out)
{
	struct crm_buf raw = CRM_BUF_INIT;
	char cs[64], rawcs[64] = "";
	const char *text;
	size_t i = 0, start = 0, len, tlen, ws;
	int enc, rc = 0, prev = 0;

	while (i < n) {
		if ((len = encoded_word(s + i, n - i, cs, sizeof(cs), &enc,
		    &text, &tlen)) == 0) {
			i++;
			continue;
		}
		/* Blanks between two encoded words go; other text stays. */
		for (ws = start; ws < i && isspace((unsigned char)s[ws]); ws++)
			;
		if (!(prev && ws == i)) {
			if (raw.len > 0 && crm_mime_to_utf8(rawcs, raw.buf,
			    raw.len, out) != 0)
				rc = -1;
			crm_buf_reset(&raw);
			plain_text(s + start, i - start, out);
		} else if (strcasecmp(cs, rawcs) != 0 && raw.len > 0) {
			if (crm_mime_to_utf8(rawcs, raw.buf, raw.len, out) != 0)
				rc = -1;
			crm_buf_reset(&raw);
		}
		/* Same charset words join: a character may span two. */
		snprintf(rawcs, sizeof(rawcs), "%s", cs);
		word_bytes(enc, text, tlen, &raw);
		i += len;
		start = i;
		prev = 1;
	}
	if (raw.len > 0 && crm_mime_to_utf8(rawcs, raw.buf, raw.len, out) != 0)
		rc = -1;
	plain_text(s + start, n - start, out);
	crm_buf_release(&raw);
	return rc;
}

/* A quoted string at s[*i] (the opening quote), unquoted into out. */
static void
quoted(const char *s, size_t n, size_t *i, struct crm_buf *out)
{
	size_t j;

	for (j = *i + 1; j < n && s[j] != '"'; j++) {
		if (s[j] == '\\' && j + 1 < n)
			j++;
		if (s[j] != '\r' && s[j] != '\n')
			crm_buf_addch(out, s[j]);
	}
	*i = j < n ? j + 1 : n;
}

/* Skip a comment at s[*i] ("("), nested, bounded by the text. */
static void
comment(const char *s, size_t n, size_t *i)
{
	size_t j, depth = 0;

	for (j = *i; j < n; j++) {
		if (s[j] == '\\' && j + 1 < n)
			j++;
		else if (s[j] == '(')
			depth++;
		else if (s[j] == ')' && --depth == 0)
			break;
	}
	*i = j < n ? j + 1 : n;
}

#define NSEG 64

/* One parameter piece: name, name*, name*N or name*N*. */
struct seg {
	struct crm_buf	 val;
	int		 enc;
	int		 set;
};

/* Store value v of attribute a (length alen) when it is name's. */
static void
param_piece(const char *a, size_t alen, const char *name, struct crm_buf *v,
    struct crm_buf *plain, struct seg *segs, struct crm_buf *ext)
{
	size_t nl = strlen(name);
	char *end;
	long k;

	if (alen < nl || strncasecmp(a, name, nl) != 0)
		return;
	a += nl;
	alen -= nl;
	if (alen == 0) {
		crm_buf_reset(plain);
		crm_buf_add(plain, v->buf ? v->buf : "", v->len);
		return;
	}
	if (*a != '*')
		return;
	if (alen == 1) {
		crm_buf_reset(ext);
		crm_buf_add(ext, v->buf ? v->buf : "", v->len);
		return;
	}
	k = strtol(a + 1, &end, 10);
	if (end == a + 1 || k < 0 || k >= NSEG)
		return;
	if ((size_t)(end - a) != alen && !((size_t)(end - a) == alen - 1 &&
	    *end == '*'))
		return;
	crm_buf_reset(&segs[k].val);
	crm_buf_add(&segs[k].val, v->buf ? v->buf : "", v->len);
	segs[k].enc = *end == '*';
	segs[k].set = 1;
}

/* charset'lang'%XX text into out, converted; first: has the prefix. */
static void
ext_value(const char *s, int first, struct crm_buf *raw, char *cs,
    size_t cslen)
{
	const char *q;
	int h, l;

	if (first && (q = strchr(s, '\'')) != NULL &&
	    strchr(q + 1, '\'') != NULL) {
		snprintf(cs, cslen, "%.*s", (int)(q - s), s);
		s = strchr(q + 1, '\'') + 1;
	}
	for (; *s != '\0'; s++) {
		if (*s == '%' && (h = hexval(s[1])) >= 0 &&
		    (l = hexval(s[2])) >= 0) {
			crm_buf_addch(raw, h * 16 + l);
			s += 2;
		} else
			crm_buf_addch(raw, *s);
	}
}

static void
param_result(struct crm_buf *plain, struct seg *segs, struct crm_buf *ext,
    int have_plain, struct crm_buf *out)
{
	struct crm_buf raw = CRM_BUF_INIT;
	char cs[64] = "";
	int k;

	if (ext->len > 0) {
		ext_value(ext->buf, 1, &raw, cs, sizeof(cs));
		crm_mime_to_utf8(cs[0] ? cs : "utf-8", raw.buf ? raw.buf : "",
		    raw.len, out);
	} else if (segs[0].set) {
		for (k = 0; k < NSEG && segs[k].set; k++) {
			if (segs[k].enc)
				ext_value(crm_buf_str(&segs[k].val), k == 0,
				    &raw, cs, sizeof(cs));
			else
				crm_buf_add(&raw, crm_buf_str(&segs[k].val),
				    segs[k].val.len);
		}
		if (cs[0] != '\0')
			crm_mime_to_utf8(cs, raw.buf ? raw.buf : "", raw.len,
			    out);
		else
			crm_mime_words(crm_buf_str(&raw), raw.len, out);
	} else if (have_plain)
		crm_mime_words(crm_buf_str(plain), plain->len, out);
	crm_buf_release(&raw);
}

int
crm_mime_param(const char *value, const char *name, struct crm_buf *out)
{
	struct crm_buf plain = CRM_BUF_INIT, ext = CRM_BUF_INIT,
	    v = CRM_BUF_INIT;
	struct seg segs[NSEG];
	size_t i = 0, n = strlen(value), a, alen;
	int k, found = 0, have_plain = 0;

	memset(segs, 0, sizeof(segs));
	while (i < n) {
		/* To the next ";" outside quotes. */
		while (i < n && value[i] != ';') {
			if (value[i] == '"') {
				quoted(value, n, &i, &v);
				continue;
			}
			i++;
		}
		if (i >= n)
			break;
		for (i++; i < n && isspace((unsigned char)value[i]); i++)
			;
		for (a = i; i < n && value[i] != '=' && value[i] != ';' &&
		    !isspace((unsigned char)value[i]); i++)
			;
		alen = i - a;
		while (i < n && isspace((unsigned char)value[i]))
			i++;
		if (i >= n || value[i] != '=')
			continue;
		for (i++; i < n && isspace((unsigned char)value[i]); i++)
			;
		crm_buf_reset(&v);
		if (i < n && value[i] == '"')
			quoted(value, n, &i, &v);
		else
			for (; i < n && value[i] != ';' &&
			    !isspace((unsigned char)value[i]); i++)
				crm_buf_addch(&v, value[i]);
		if (alen == strlen(name) && strncasecmp(value + a, name,
		    alen) == 0)
			have_plain = 1;
		if (alen >= strlen(name) && strncasecmp(value + a, name,
		    strlen(name)) == 0 && (alen == strlen(name) ||
		    value[a + strlen(name)] == '*'))
			found = 1;
		param_piece(value + a, alen, name, &v, &plain, segs, &ext);
	}
	if (found)
		param_result(&plain, segs, &ext, have_plain, out);
	for (k = 0; k < NSEG; k++)
		crm_buf_release(&segs[k].val);
	crm_buf_release(&plain);
	crm_buf_release(&ext);
	crm_buf_release(&v);
	return found;
}

/* The addr-spec inside <...> from s[*i] (after "<"), CFWS dropped. */
static void
angle_addr(const char *s, size_t n, size_t *i, struct crm_buf *addr)
{
	size_t j = *i;

	while (j < n && s[j] != '>') {
		if (s[j] == '(') {
			comment(s, n, &j);
			continue;
		}
		if (s[j] == '"') {
			crm_buf_addch(addr, '"');
			quoted(s, n, &j, addr);
			crm_buf_addch(addr, '"');
			continue;
		}
		/* An obsolete route "@a,@b:" goes. */
		if (s[j] == ':') {
			crm_buf_reset(addr);
			j++;
			continue;
		}
		if (!isspace((unsigned char)s[j]))
			crm_buf_addch(addr, s[j]);
		j++;
	}
	*i = j < n ? j + 1 : n;
}

int
crm_mime_address(const char *s, struct crm_buf *name, struct crm_buf *addr)
{
	struct crm_buf phrase = CRM_BUF_INIT, spec = CRM_BUF_INIT;
	size_t i = 0, n = strlen(s);
	int rc = -1, gap = 0;

	while (i <= n && rc != 0) {
		if (i == n || s[i] == ',' || s[i] == ';' || s[i] == ':') {
			if (i < n && s[i] == ':') {
				crm_buf_reset(&phrase);
				crm_buf_reset(&spec);
			} else if (spec.len > 0 && strchr(spec.buf, '@')) {
				crm_buf_add(addr, spec.buf, spec.len);
				rc = 0;
			} else {
				crm_buf_reset(&phrase);
				crm_buf_reset(&spec);
			}
			i++;
			gap = 0;
			continue;
		}
		if (s[i] == '<') {
			i++;
			crm_buf_reset(&spec);
			angle_addr(s, n, &i, &spec);
			if (spec.len > 0 && strchr(spec.buf, '@')) {
				crm_mime_words(crm_buf_str(&phrase), phrase.len,
				    name);
				crm_buf_add(addr, spec.buf, spec.len);
				rc = 0;
			}
			crm_buf_reset(&spec);
			continue;
		}
		if (s[i] == '(') {
			comment(s, n, &i);
			gap = 1;
		} else if (isspace((unsigned char)s[i])) {
			i++;
			gap = 1;
		} else if (s[i] == '"') {
			if (gap && phrase.len > 0)
				crm_buf_addch(&phrase, ' ');
			crm_buf_addch(&spec, '"');
			quoted(s, n, &i, &phrase);
			crm_buf_addch(&spec, '"');
			gap = 0;
		} else {
			if (gap && phrase.len > 0)
				crm_buf_addch(&phrase, ' ');
			crm_buf_addch(&phrase, s[i]);
			crm_buf_addch(&spec, s[i]);
			i++;
			gap = 0;
		}
	}
	crm_buf_release(&phrase);
	crm_buf_release(&spec);
	return rc;
}

/* The end of the line at p (its '\n' or end) and its length sans CR. */
const char *
crm_mime_line_end(const char *p, const char *end, size_t *len)
{
	const char *e = memchr(p, '\n', (size_t)(end - p));

	if (e == NULL)
		e = end;
	*len = (size_t)(e - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return e;
}

/* Is the line s[0..n) the delimiter "--boundary" (*close: "--" too)? */
int
crm_mime_delimiter(const char *s, size_t n, const char *b, size_t bl, int *close)
{
	size_t i;

	if (n < bl + 2 || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, b, bl) != 0)
		return 0;
	i = bl + 2;
	*close = n >= i + 2 && s[i] == '-' && s[i + 1] == '-';
	for (i += *close ? 2 : 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}
