#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crm_config.h"
#include "crm_db.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "cli.h"

#define CLI_MAXOPTS 64

static const struct cli_opt db_opts[] = {
	{ "db", CLI_DB, "PATH", "the database file (default: CRM_DB, "
	    "then $XDG_DATA_HOME/crm/crm.db)" },
	CLI_OPT_END
};

static const struct cli_opt out_opts[] = {
	{ "format", CLI_FORMAT, "FORMAT", "jsonl, json, csv, tsv or table "
	    "(default: table on a terminal, else jsonl)" },
	{ "fields", CLI_FIELDS, "LIST", "print these fields, in this order "
	    "(comma-separated)" },
	CLI_OPT_END
};

static const struct cli_opt help_opts[] = {
	{ "help", CLI_HELP, NULL, "show this help and exit" },
	CLI_OPT_END
};

static void
print_opts(FILE *fp, const struct cli_opt *o)
{
	char left[64];

	for (; o != NULL && o->name != NULL; o++) {
		if (o->key < 256 && isalpha(o->key))
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key,
			    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(left) < 26)
			fprintf(fp, "  %-26s %s\n", left, o->help);
		else
			fprintf(fp, "  %s\n  %-26s %s\n", left, "", o->help);
	}
}

static void
usage_line(FILE *fp, const struct cli *cli)
{
	const struct cli_verb *v = cli->verb;

	fprintf(fp, "usage: %s %s [options]%s%s\n", cli->prog->name, v->name,
	    v->args ? " " : "", v->args ? v->args : "");
}

static void
verb_help(const struct cli *cli)
{
	const struct cli_verb *v = cli->verb;

	usage_line(stdout, cli);
	printf("\n%s\n\noptions:\n", v->summary);
	print_opts(stdout, v->opts);
	if (v->flags & CLI_OUTPUT)
		print_opts(stdout, out_opts);
	if (v->flags & CLI_DBOPT)
		print_opts(stdout, db_opts);
	print_opts(stdout, help_opts);
	printf("\nSee %s(1).\n", cli->prog->name);
}

static void
prog_help(const struct cli_prog *p, FILE *fp)
{
	const struct cli_verb *v;
	int w = 0;

	for (v = p->verbs; v->name != NULL; v++)
		if ((int)strlen(v->name) > w)
			w = (int)strlen(v->name);
	fprintf(fp, "usage: %s [--db PATH] COMMAND [options] [args]\n\n%s\n\n"
	    "commands:\n", p->name, p->summary);
	for (v = p->verbs; v->name != NULL; v++)
		fprintf(fp, "  %-*s  %s\n", w, v->name, v->summary);
	fprintf(fp, "\nRun '%s COMMAND --help' for the options of a command; "
	    "see %s(1).\n", p->name, p->name);
}

void
cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", cli->prog->name, cli->verb ? " " : "",
	    cli->verb ? cli->verb->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cli->verb != NULL)
		usage_line(stderr, cli);
	else
		fprintf(stderr, "usage: %s [--db PATH] COMMAND [options] "
		    "[args]\n", cli->prog->name);
	crm_db_close(cli->db);
	crm_error_free(cli->pending);
	crm_config_free();
	exit(CRM_EXIT_USAGE);
}

static void
raise_status(struct cli *cli, int code)
{
	if (cli->status == 0)
		cli->status = code;
}

/*
 * "PROG: msg" as one line whatever msg holds: a line break or another
 * control character (a value quoted from the input) is escaped.
 */
static void
put_message(const char *prog, const char *msg)
{
	const unsigned char *p;

	fprintf(stderr, "%s: ", prog);
	for (p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p == '\r')
			fputs("\\r", stderr);
		else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
}

int
cli_error(struct cli *cli, struct crm_error *err)
{
	int code;

	if (err == NULL)
		return 0;
	put_message(cli->prog->name, err->msg);
	code = err->code ? err->code : CRM_EXIT_FAIL;
	raise_status(cli, code);
	crm_error_free(err);
	return code;
}

long
cli_number(struct cli *cli, const char *what, const char *arg, long min,
    long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0' && errno == 0 && v >= min && v <= max)
		return v;
	if (max == LONG_MAX)
		cli_usage_error(cli, "%s: expected a %s number, got \"%s\"",
		    what, min > 0 ? "positive" : "non-negative", arg);
	cli_usage_error(cli, "%s: expected a number from %ld to %ld, got "
	    "\"%s\"", what, min, max, arg);
}

void
cli_warn(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	raise_status(cli, CRM_EXIT_FAIL);
}

/* Append the options of o to the getopt tables. */
static void
add_opts(const struct cli_opt *o, struct option *lo, size_t *nlo,
    struct crm_buf *so)
{
	for (; o != NULL && o->name != NULL; o++) {
		if (*nlo >= CLI_MAXOPTS - 1)
			abort();	/* a verb with too many options: a bug */
		lo[*nlo].name = o->name;
		lo[*nlo].has_arg = o->arg ? required_argument : no_argument;
		lo[*nlo].flag = NULL;
		lo[*nlo].val = o->key;
		(*nlo)++;
		if (o->key < 256 && isalpha(o->key)) {
			crm_buf_addch(so, o->key);
			if (o->arg)
				crm_buf_addch(so, ':');
		}
	}
}

int
cli_getopt(struct cli *cli, int argc, char **argv, const char **arg,
    int *ind)
{
	const struct cli_verb *v = cli->verb;
	struct option lo[CLI_MAXOPTS];
	struct crm_buf so = CRM_BUF_INIT;
	size_t nlo = 0;
	int c;

	crm_buf_adds(&so, ":");
	add_opts(v->opts, lo, &nlo, &so);
	if (v->flags & CLI_OUTPUT)
		add_opts(out_opts, lo, &nlo, &so);
	if (v->flags & CLI_DBOPT)
		add_opts(db_opts, lo, &nlo, &so);
	add_opts(help_opts, lo, &nlo, &so);
	memset(&lo[nlo], 0, sizeof(lo[nlo]));
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, so.buf, lo, NULL);
		*ind = optind;
		*arg = optarg;
		switch (c) {
		case CLI_HELP:
			verb_help(cli);
			crm_buf_release(&so);
			crm_config_free();
			exit(fflush(stdout) == 0 ? 0 : 1);
		case CLI_DB:
			cli->db_flag = optarg;
			continue;
		case CLI_FORMAT:
			cli->format = optarg;
			continue;
		case CLI_FIELDS:
			cli->fields = optarg;
			continue;
		case '?':
		case ':':
			crm_buf_release(&so);
			if (optopt != 0 && optopt < 256)
				cli_usage_error(cli, "%s option -%c",
				    c == ':' ? "missing argument for" :
				    "unknown", optopt);
			cli_usage_error(cli, "%s option %s",
			    c == ':' ? "missing argument for" : "unknown",
			    argv[optind - 1]);
		default:
			crm_buf_release(&so);
			return c;
		}
	}
}

struct crm_error *
cli_db(struct cli *cli, int mode)
{
	struct crm_error *err;
	char *path;

	if (cli->db != NULL)
		return NULL;
	if ((err = crm_db_resolve(cli->db_flag, &path)) != NULL)
		return err;
	/* Completing a word must not create a database. */
	if (cli->completing && access(path, F_OK) != 0)
		err = crm_error_new(CRM_EXIT_FAIL, "%s: no database", path);
	else
		err = crm_db_open(path, mode, &cli->db);
	free(path);
	return err;
}

struct crm_error *
cli_format(struct cli *cli, enum crm_format *fmt)
{
	const char *name = crm_config_get("format", cli->format, NULL);

	return crm_error_prefix(crm_format_parse(name, stdout, fmt),
	    cli->format != NULL ? "--format" : "CRM_FORMAT");
}

struct crm_error *
cli_out(struct cli *cli, const char *const *known, const char *const *columns,
    const char *const *table_columns, struct crm_out **out)
{
	struct crm_error *err;
	enum crm_format fmt;

	if ((err = cli_format(cli, &fmt)) != NULL)
		return err;
	return crm_out_new(stdout, fmt, cli->fields, known, columns,
	    table_columns, out);
}

struct crm_error *
cli_columns(struct cli *cli,
    struct crm_error *(*flat)(struct crm_db *, struct crm_strv *),
    const char *const *plain, struct crm_strv *cols)
{
	struct crm_error *err;
	enum crm_format fmt;

	if ((err = cli_format(cli, &fmt)) != NULL)
		return err;
	if (fmt == CRM_FMT_CSV || fmt == CRM_FMT_TSV)
		return flat(cli->db, cols);
	for (; *plain != NULL; plain++)
		crm_strv_push(cols, *plain);
	return NULL;
}

int
cli_write_one(const cJSON *rec, void *arg)
{
	struct crm_out *out = arg;
	struct crm_error *err = crm_out_write(out, rec);

	if (err != NULL) {
		crm_error_free(err);
		return 1;
	}
	return crm_out_closed(out);
}

long
cli_each_ref(struct cli *cli, int argc, char **argv, const char *const *keys,
    void (*fn)(struct cli *, const char *, void *), void *arg)
{
	struct crm_error *err;
	struct crm_refs *refs;
	char *ref;
	long n = 0;
	int i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0) {
			fn(cli, argv[i], arg);
			n++;
			continue;
		}
		refs = crm_refs_new(stdin, "stdin", keys);
		while ((rc = crm_refs_next(refs, &ref, &err)) != 0) {
			if (rc < 0) {
				cli_error(cli, crm_error_prefix(err, "stdin"));
				continue;
			}
			fn(cli, ref, arg);
			free(ref);
			n++;
		}
		crm_refs_free(refs);
	}
	return n;
}

/*
 * --completion-helper [VERB | values OPTION | values VERB:N]: the verbs, the
 * options of VERB, or the values of OPTION's argument or of operand N of
 * VERB (from 1, options and their arguments not counted), one a line:
 * --format's here, the others from the program's values hook.
 */
static int
completion(struct cli *cli, int argc, char **argv)
{
	const struct cli_verb *v;
	const struct cli_opt *sets[4], *o;
	size_t i, n = 0;

	if (argc == 0) {
		for (v = cli->prog->verbs; v->name != NULL; v++)
			printf("%s\n", v->name);
		return 0;
	}
	if (strcmp(argv[0], "values") == 0 && argc == 2) {
		/* A command may draw in formats of its own (svg). */
		if (strcmp(argv[1], "format") == 0)
			printf("jsonl\njson\ncsv\ntsv\ntable\n");
		if (cli->prog->values != NULL)
			cli->prog->values(cli, argv[1]);
		return 0;
	}
	for (v = cli->prog->verbs; v->name != NULL; v++)
		if (strcmp(v->name, argv[0]) == 0)
			break;
	if (v->name == NULL)
		return 0;
	sets[n++] = v->opts;
	if (v->flags & CLI_OUTPUT)
		sets[n++] = out_opts;
	if (v->flags & CLI_DBOPT)
		sets[n++] = db_opts;
	sets[n++] = help_opts;
	for (i = 0; i < n; i++)
		for (o = sets[i]; o != NULL && o->name != NULL; o++)
			printf("--%s%s\n", o->name, o->arg ? "=" : "");
	return 0;
}

static int
finish(struct cli *cli, int status)
{
	crm_error_free(cli->pending);
	cli->pending = NULL;
	crm_db_close(cli->db);
	cli->db = NULL;
	crm_config_free();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE) {
			fprintf(stderr, "%s: write error: %s\n",
			    cli->prog->name, strerror(errno));
			if (status == 0)
				status = CRM_EXIT_FAIL;
		}
	}
	return status;
}

static const struct cli_verb *
find_verb(struct cli *cli, const char *name)
{
	const struct cli_verb *v;
	const char *names[64], *hint;
	size_t n = 0;

	for (v = cli->prog->verbs; v->name != NULL; v++) {
		if (strcmp(v->name, name) == 0)
			return v;
		if (n < 64)
			names[n++] = v->name;
	}
	hint = crm_suggest(name, names, n);
	if (hint != NULL)
		cli_usage_error(cli, "unknown command \"%s\" (did you mean "
		    "\"%s\"?)", name, hint);
	cli_usage_error(cli, "unknown command \"%s\"", name);
}

int
cli_main(const struct cli_prog *prog, int argc, char **argv)
{
	struct cli cli;
	struct crm_error *cfg_err;
	int i, status;

	memset(&cli, 0, sizeof(cli));
	cli.prog = prog;
	signal(SIGPIPE, SIG_IGN);
	/* A broken config file must not keep --help from working. */
	cfg_err = cli.pending = crm_config_load();
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			prog_help(prog, stdout);
			return finish(&cli, 0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("%s (crm) %s\n", prog->name, CRM_VERSION);
			return finish(&cli, 0);
		} else if (strcmp(argv[i], "--completion-helper") == 0) {
			cli.completing = 1;
			return finish(&cli, completion(&cli, argc - i - 1,
			    argv + i + 1));
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			cli.db_flag = argv[++i];
		else if (strncmp(argv[i], "--db=", 5) == 0)
			cli.db_flag = argv[i] + 5;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			cli_usage_error(&cli, "unknown option %s", argv[i]);
	}
	if (i >= argc) {
		prog_help(prog, stderr);
		return finish(&cli, CRM_EXIT_USAGE);
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 >= argc) {
			prog_help(prog, stdout);
			return finish(&cli, 0);
		}
		cli.verb = find_verb(&cli, argv[i + 1]);
		verb_help(&cli);
		return finish(&cli, 0);
	}
	cli.verb = find_verb(&cli, argv[i]);
	if (cfg_err != NULL) {
		cli.pending = NULL;
		return finish(&cli, cli_error(&cli, cfg_err));
	}
	if (crm_config_warning() != NULL)
		fprintf(stderr, "%s: warning: %s\n", prog->name,
		    crm_config_warning());
	status = cli.verb->run(&cli, argc - i, argv + i);
	if (status == 0)
		status = cli.status;
	return finish(&cli, status);
}

/* The body from stdin: UTF-8, no NUL, trailing line ends dropped. */
struct crm_error *
cli_read_body(char **body)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	char chunk[8192];
	size_t n, bad;

	while (b.len <= CLI_BODY_MAX &&
	    (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		crm_buf_add(&b, chunk, n);
	while (b.len > 0 && (b.buf[b.len - 1] == '\n' ||
	    b.buf[b.len - 1] == '\r'))
		b.buf[--b.len] = '\0';
	if (ferror(stdin))
		err = crm_error_new(CRM_EXIT_FAIL, "stdin: %s",
		    strerror(errno));
	else if (b.len > CLI_BODY_MAX)
		err = crm_error_new(CRM_EXIT_FAIL, "stdin: the body is longer "
		    "than 1 MiB");
	else if (!crm_utf8_check(crm_buf_str(&b), b.len, &bad))
		err = crm_error_new(CRM_EXIT_FAIL, "stdin: invalid UTF-8 at "
		    "byte %zu", bad + 1);
	else if ((bad = strlen(crm_buf_str(&b))) < b.len)
		err = crm_error_new(CRM_EXIT_FAIL, "stdin: NUL at byte %zu",
		    bad + 1);
	if (err != NULL)
		crm_buf_release(&b);
	*body = err == NULL ? crm_buf_detach(&b) : NULL;
	return err;
}

/* Add n bytes to msg, keeping at most max; count them all. */
static void
add_bytes(struct crm_buf *msg, size_t max, size_t *total, const char *s,
    size_t n)
{
	*total += n;
	if (msg->len < max)
		crm_buf_add(msg, s, msg->len + n > max ? max - msg->len : n);
}

static struct crm_error *
read_mbox(FILE *fp, const char *name, size_t max,
    void (*fn)(const char *, size_t, size_t, void *), void *arg)
{
	struct crm_buf msg = CRM_BUF_INIT;
	char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	int blank = 1, started = 0;
	const char *p;

	while ((n = getline(&line, &cap, fp)) > 0) {
		if (blank && strncmp(line, "From ", 5) == 0) {
			if (started && total > 0)
				fn(crm_buf_str(&msg), msg.len, total, arg);
			crm_buf_reset(&msg);
			total = 0;
			started = 1;
			blank = 0;
			continue;
		}
		blank = line[0] == '\n' || (line[0] == '\r' && line[1] == '\n');
		/* mboxrd: ">From " stands for "From ", ">>From " for
		 * ">From ". */
		for (p = line; *p == '>'; p++)
			;
		p = p > line && strncmp(p, "From ", 5) == 0 ? line + 1 : line;
		started = 1;
		add_bytes(&msg, max, &total, p, (size_t)n - (size_t)(p - line));
	}
	if (started && total > 0)
		fn(crm_buf_str(&msg), msg.len, total, arg);
	free(line);
	crm_buf_release(&msg);
	if (ferror(fp))
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: %s", name,
		    strerror(errno));
	return NULL;
}

struct crm_error *
cli_read_messages(const char *mbox, size_t max,
    void (*fn)(const char *, size_t, size_t, void *), void *arg)
{
	struct crm_buf msg = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	char chunk[65536];
	size_t n, total = 0;
	FILE *fp;

	if (mbox != NULL && strcmp(mbox, "-") == 0)
		return read_mbox(stdin, "stdin", max, fn, arg);
	if (mbox != NULL) {
		if ((fp = fopen(mbox, "r")) == NULL)
			return crm_error_new(CRM_EXIT_FAIL, "%s: %s", mbox,
			    strerror(errno));
		err = read_mbox(fp, mbox, max, fn, arg);
		fclose(fp);
		return err;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		add_bytes(&msg, max, &total, chunk, n);
	if (ferror(stdin))
		err = crm_error_new(CRM_EXIT_TEMPFAIL, "stdin: %s",
		    strerror(errno));
	else if (total == 0)
		err = crm_error_new(CRM_EXIT_FAIL, "stdin: no message");
	else
		fn(crm_buf_str(&msg), msg.len, total, arg);
	crm_buf_release(&msg);
	return err;
}

struct crm_error *
cli_begin(struct cli *cli)
{
	struct crm_error *err;

	if ((err = cli_db(cli, CRM_DB_WRITE)) != NULL)
		return err;
	return crm_db_begin(cli->db);
}

struct crm_error *
cli_commit(struct cli *cli, struct crm_error *err)
{
	if (err == NULL)
		return crm_db_commit(cli->db);
	crm_db_rollback(cli->db);
	return err;
}

struct batch_run {
	const struct cli_batch *b;
	sqlite3_int64	*ids;
	size_t		 n, alloc;
	int		 failed;
	int		 usage;		/* a usage error: stop at once */
};

static void
batch_one(struct cli *cli, const char *ref, void *arg)
{
	struct batch_run *r = arg;
	struct crm_error *err;
	sqlite3_int64 id;

	if (r->usage)
		return;
	if ((err = r->b->resolve(cli->db, ref, &id)) == NULL &&
	    r->b->apply != NULL)
		err = r->b->apply(cli, id, r->b->arg);
	if (err != NULL) {
		r->failed++;
		r->usage = err->code == CRM_EXIT_USAGE;
		cli_error(cli, err);
		return;
	}
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 16;
		r->ids = crm_xrealloc(r->ids, r->alloc * sizeof(*r->ids));
	}
	r->ids[r->n++] = id;
}

int
cli_batch(struct cli *cli, const struct cli_batch *b, int argc, char **argv)
{
	struct batch_run r = { b, NULL, 0, 0, 0, 0 };
	struct crm_error *err;
	int status = 0;

	if (argc == 0)
		cli_usage_error(cli, "no %s given (use %s or -)", b->noun,
		    b->operand);
	if ((err = cli_db(cli, b->write ? CRM_DB_WRITE : CRM_DB_READ)) !=
	    NULL || (b->write && (err = crm_db_begin(cli->db)) != NULL))
		return cli_error(cli, err);
	cli_each_ref(cli, argc, argv, b->ref_keys, batch_one, &r);
	if (b->write && (r.failed || cli->status)) {
		crm_db_rollback(cli->db);
		if (r.n > 0 || r.failed > 1)
			cli_warn(cli, "nothing changed: %d of %zu %ss failed",
			    r.failed, r.n + (size_t)r.failed, b->noun);
		status = cli->status;
	} else if (b->write && (err = crm_db_commit(cli->db)) != NULL)
		status = cli_error(cli, err);
	else if (b->print != NULL)
		status = b->print(cli, r.ids, r.n, b->arg);
	free(r.ids);
	return status ? status : cli->status;
}

int
cli_print_ids(struct cli *cli, const char *const *known,
    const char *const *columns, const char *const *table_columns,
    const sqlite3_int64 *ids, size_t n,
    struct crm_error *(*get)(struct cli *, sqlite3_int64, void *, cJSON **),
    void *arg)
{
	struct crm_error *err;
	struct crm_out *out;
	cJSON *rec;
	size_t i;

	if ((err = cli_out(cli, known, columns, table_columns, &out)) != NULL)
		return cli_error(cli, err);
	for (i = 0; i < n && err == NULL && !crm_out_closed(out); i++) {
		if ((err = get(cli, ids[i], arg, &rec)) != NULL)
			break;
		err = crm_out_write(out, rec);
		cJSON_Delete(rec);
	}
	if (err == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}
