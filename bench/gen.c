/*
 * bench/gen: a deterministic, realistic contact export for the benchmark.
 *
 *	gen [-f csv|jsonl] [-s SEED] N > contacts.csv
 *
 * 16 columns named as a HubSpot export names them; names in Latin (with
 * accents), Cyrillic, Greek, Chinese, Japanese, Korean, Arabic and
 * Devanagari; emails with stray case and blanks; about 2% of the rows
 * repeat an earlier row's email differing only in case or blanks; company
 * names, titles, tags and notes with commas, quotes and newlines; empty
 * fields.  The same seed gives the same bytes on every machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t state = 0x5eed5eedULL;

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
rnd(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static int
chance(unsigned percent)
{
	return pick(100) < percent;
}

#define N(a) (sizeof(a) / sizeof(a[0]))

/* Each name: as written, and an ASCII form for the email. */
struct name {
	const char *s, *ascii;
};

static const struct name firsts[] = {
	{ "Ada", "ada" }, { "Grace", "grace" }, { "Jürgen", "juergen" },
	{ "Renée", "renee" }, { "José", "jose" }, { "Zoë", "zoe" },
	{ "Søren", "soren" }, { "Łukasz", "lukasz" }, { "Françoise", "francoise" },
	{ "Mary-Jane", "maryjane" }, { "O'Neil", "oneil" }, { "Ann", "ann" },
	{ "Владимир", "vladimir" }, { "Ольга", "olga" }, { "Νίκος", "nikos" },
	{ "明", "ming" }, { "美玲", "meiling" }, { "さくら", "sakura" },
	{ "太郎", "taro" }, { "지민", "jimin" }, { "서연", "seoyeon" },
	{ "محمد", "mohammed" }, { "فاطمة", "fatima" }, { "अनन्या", "ananya" },
	{ "Thomas", "thomas" }, { "Emma", "emma" }, { "Lucas", "lucas" },
	{ "Chloé", "chloe" }, { "Mateo", "mateo" }, { "Aisha", "aisha" },
	{ "Noah", "noah" }, { "Olivia", "olivia" },
};

static const struct name lasts[] = {
	{ "Lovelace", "lovelace" }, { "Hopper", "hopper" },
	{ "Müller", "mueller" }, { "García", "garcia" }, { "Dubois", "dubois" },
	{ "Østergaard", "ostergaard" }, { "Kowalski", "kowalski" },
	{ "Smith", "smith" }, { "O'Brien", "obrien" }, { "van der Berg", "vdberg" },
	{ "Иванов", "ivanov" }, { "Петрова", "petrova" },
	{ "Παπαδόπουλος", "papadopoulos" }, { "王", "wang" }, { "李", "li" },
	{ "佐藤", "sato" }, { "鈴木", "suzuki" }, { "김", "kim" }, { "박", "park" },
	{ "الهاشمي", "alhashimi" }, { "शर्मा", "sharma" }, { "Nguyễn", "nguyen" },
	{ "Johnson", "johnson" }, { "Rossi", "rossi" }, { "Silva", "silva" },
	{ "Schmidt", "schmidt" }, { "Jones", "jones" }, { "Novák", "novak" },
};

static const char *const co_first[] = {
	"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell",
	"Cyberdyne", "Soylent", "Hooli", "Vandelay", "Wonka", "Oscorp",
	"Nakatomi", "Gringotts", "Monarch", "Aperture", "Black Mesa",
	"Blue Sun", "Massive Dynamic", "Pied Piper", "Dunder Mifflin",
	"株式会社 山田", "ООО Ромашка", "Müller & Söhne", "Café \"Central\"",
};
static const char *const co_last[] = {
	"GmbH", "Inc.", "Ltd", "S.A.", "Logistics", "Labs", "Systems",
	"Holdings, Inc.", "AG", "& Co. KG", "Group", "Partners",
};

static const char *const titles[] = {
	"CEO", "CTO", "Engineer", "Sales Manager", "VP, Sales",
	"Head of \"Growth\"", "Buyer", "Office Manager", "Founder",
	"Director, Operations", "営業部長", "Менеджер",
};

static const char *const stages[] = {
	"lead", "lead", "lead", "subscriber", "Marketing Qualified Lead",
	"Sales Qualified Lead", "opportunity", "customer", "customer",
	"evangelist",
};

static const char *const owners[] = {
	"sam@example.org", "kim@example.org", "alex@example.org",
	"jo@example.org", "",
};

static const char *const sources[] = {
	"Organic Search", "Paid Social", "Direct Traffic", "Offline Sources",
	"Referrals", "Email Marketing", "",
};

static const char *const tagsets[] = {
	"", "", "", "vip", "newsletter", "vip;newsletter", "partner",
	"beta,early-adopter", "trade-fair-2025", "churn-risk;vip",
};

static const char *const cities[] = {
	"Berlin", "München", "Paris", "Lyon", "Madrid", "São Paulo", "Tokyo",
	"東京", "서울", "Москва", "Αθήνα", "Cairo", "New York, NY", "",
};

static const char *const countries[] = {
	"DE", "FR", "ES", "BR", "JP", "KR", "RU", "GR", "EG", "US", "",
};

static const char *const notes[] = {
	"Met at the fair, wants a demo",
	"Said \"call me in Q3\", then went quiet",
	"Prefers email.\nDo not call before 10:00",
	"Budget: 10,000 EUR; decision in March",
	"Reseller, see \"Partners\" sheet,\nrow 12",
	"日本語のメモ：来月フォローアップ",
	"Заметка: перезвонить",
};

static const char *const domains[] = {
	"example.org", "example.com", "example.net", "mail.example.org",
};

/* CSV: the column names of HubSpot's export. */
static const char *const header[16] = {
	"Record ID", "First Name", "Last Name", "Email", "Phone Number",
	"Company Name", "Job Title", "Lifecycle Stage", "Contact owner",
	"Original Source", "Tags", "City", "Country/Region", "Notes",
	"Create Date", "Unsubscribed from all email",
};

/* JSON Lines: the internal property names of HubSpot's API. */
static const char *const keys[16] = {
	"hs_object_id", "firstname", "lastname", "email", "phone", "company",
	"jobtitle", "lifecyclestage", "hubspot_owner_id",
	"hs_analytics_source", "hs_tag", "city", "country", "notes",
	"createdate", "hs_email_optout",
};

enum { CSV, JSONL } fmt = CSV;

static void
put_csv(const char *s, int last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL && *s != ' ' &&
	    (*s == '\0' || s[strlen(s) - 1] != ' '))
		fputs(s, stdout);
	else {
		putchar('"');
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				putchar('"');
			putchar(*p);
		}
		putchar('"');
	}
	putchar(last ? '\n' : ',');
}

static void
put_json(int col, const char *s, int last)
{
	const char *p;

	printf("%s\"%s\":\"", col == 0 ? "{" : "", keys[col]);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	}
	fputs(last ? "\"}\n" : "\",", stdout);
}

static void
put(int col, const char *s)
{
	if (fmt == CSV)
		put_csv(s, col == 15);
	else
		put_json(col, s, col == 15);
}

/*
 * The names and email of row i (before any mangling), from a state of
 * their own so that a later row can repeat an earlier one's email.
 */
static void
person(unsigned long i, const struct name **f, const struct name **l,
    char *email, size_t n)
{
	uint64_t saved = state;

	state = 0xe3a11ULL * (i + 1);
	*f = &firsts[pick(N(firsts))];
	*l = &lasts[pick(N(lasts))];
	snprintf(email, n, "%s.%s.%lu@%s", (*f)->ascii, (*l)->ascii, i,
	    domains[pick(N(domains))]);
	state = saved;
}

/* Stray case and blanks, as people and older systems type them. */
static void
mangle(char *s, size_t n, int force)
{
	char tmp[300];
	char *at = strchr(s, '@'), *p;

	if (force || chance(10))
		for (p = at != NULL ? at + 1 : s; *p != '\0'; p++)
			if (chance(50) && *p >= 'a' && *p <= 'z')
				*p -= 32;
	if (force && chance(50))
		s[0] = (char)(s[0] >= 'a' && s[0] <= 'z' ? s[0] - 32 : s[0]);
	if (force ? chance(40) : chance(5)) {
		snprintf(tmp, sizeof(tmp), "%s%s%s", chance(50) ? " " : "", s,
		    "  ");
		snprintf(s, n, "%s", tmp);
	}
}

static void
row(unsigned long i)
{
	char buf[512], email[300], date[32];
	const struct name *f, *l;
	unsigned long src;
	unsigned y;

	snprintf(buf, sizeof(buf), "%lu", 5000000 + i);
	put(0, buf);
	/* About 2%: the email of an earlier row, in another case. */
	if (i > 10 && chance(2)) {
		src = (unsigned long)(rnd() % i);
		person(src, &f, &l, email, sizeof(email));
		mangle(email, sizeof(email), 1);
	} else {
		person(i, &f, &l, email, sizeof(email));
		mangle(email, sizeof(email), 0);
	}
	put(1, f->s);
	put(2, l->s);
	put(3, email);
	if (chance(80))
		snprintf(buf, sizeof(buf), "+%u %u %07u", 1 + pick(98),
		    10 + pick(89), pick(10000000));
	else
		buf[0] = '\0';
	put(4, buf);
	if (chance(85))
		snprintf(buf, sizeof(buf), "%s %s %u", co_first[pick(
		    N(co_first))], co_last[pick(N(co_last))], pick(200));
	else
		buf[0] = '\0';
	put(5, buf);
	put(6, chance(85) ? titles[pick(N(titles))] : "");
	put(7, stages[pick(N(stages))]);
	put(8, owners[pick(N(owners))]);
	put(9, sources[pick(N(sources))]);
	put(10, tagsets[pick(N(tagsets))]);
	put(11, cities[pick(N(cities))]);
	put(12, countries[pick(N(countries))]);
	put(13, chance(30) ? notes[pick(N(notes))] : "");
	y = 2015 + pick(11);
	snprintf(date, sizeof(date), "%u-%02u-%02u %02u:%02u:%02u", y,
	    1 + pick(12), 1 + pick(28), pick(24), pick(60), pick(60));
	put(14, date);
	put(15, chance(4) ? "true" : "false");
}

int
main(int argc, char **argv)
{
	unsigned long n, i;
	int c;

	while ((c = getopt(argc, argv, "f:s:")) != -1) {
		if (c == 'f' && strcmp(optarg, "csv") == 0)
			fmt = CSV;
		else if (c == 'f' && strcmp(optarg, "jsonl") == 0)
			fmt = JSONL;
		else if (c == 's')
			state = strtoull(optarg, NULL, 10);
		else {
			fprintf(stderr, "usage: gen [-f csv|jsonl] [-s SEED] "
			    "N\n");
			return 2;
		}
	}
	if (optind != argc - 1 || (n = strtoul(argv[optind], NULL, 10)) == 0) {
		fprintf(stderr, "usage: gen [-f csv|jsonl] [-s SEED] N\n");
		return 2;
	}
	if (fmt == CSV)
		for (i = 0; i < 16; i++)
			put_csv(header[i], i == 15);
	for (i = 0; i < n; i++)
		row(i);
	return fflush(stdout) == 0 ? 0 : 1;
}
