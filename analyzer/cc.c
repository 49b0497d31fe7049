/*
 * cc.c - `lockhound cc` and `lockhound c++`: the system's C/C++ compiler
 * with thread-sanitizer instrumentation, linked against lockhound's
 * runtime (liblockhound.so) instead of libtsan.
 *
 * The driver looks at the arguments only to learn what kind of step this is
 * (compile only, link, or query), then runs the real compiler with the
 * program's arguments unchanged and a few of its own:
 *   every step       -fsanitize=thread (unless the program already asked)
 *   a link step      gcc: -B DIR/tsan-stub/, where libtsan.so and
 *                      libtsan_preinit.o are empty stand-ins (gcc links
 *                      libtsan for -fsanitize=thread and has no switch to
 *                      stop it); clang: -fno-sanitize-link-runtime.
 *                    Then the runtime by path, not as-needed, with an rpath
 *                    to its directory, and the options of LH_CC_LINK_OPTIONS
 *                    (lh_cc.h), all before the program's arguments: the
 *                    runtime comes before libc in the dynamic section, so
 *                    its pthread functions interpose.
 * A -r (partial) link gets no runtime: the final link does.  A query (no
 * input file: --version, -print-*, -dumpmachine) is passed through.
 *
 * Which compiler: LOCKHOUND_CC / LOCKHOUND_CXX, else CC / CXX, else cc /
 * c++.  `make CC="lockhound cc"` exports CC="lockhound cc" to the commands
 * it runs, so a CC or CXX that names lockhound itself is skipped, and a
 * nested driver (LOCKHOUND_CC_NESTED set by us) ignores CC/CXX.  The
 * value may hold arguments ("ccache gcc"), split at white space.
 *
 * Response files (@FILE) are read with the compilers' own quoting rules to
 * classify the step, and handed to the compiler unchanged.
 */
#include "cli.h"
#include "lh_cc.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* response files nested deeper than this are taken as plain arguments,
 * as a loop guard */
#define CC_MAX_RESPONSE_DEPTH 16

/* options whose value is the next argument (when given alone) */
static const char *const takes_value[] = {
	"-o", "-I", "-L", "-l", "-D", "-U", "-include", "-imacros", "-isystem", "-idirafter",
	"-iprefix", "-iwithprefix", "-iwithprefixbefore", "-iquote", "-isysroot", "-imultilib",
	"-MF", "-MT", "-MQ", "-x", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang",
	"-Xanalyzer", "-T", "-u", "-e", "-z", "--param", "-aux-info", "-dumpbase",
	"-dumpbase-ext", "-dumpdir", "-target", "--target", "-arch", "--sysroot", "-B",
	"-specs", "-wrapper", "-G", "-A", "-idirafter", "-ivfsoverlay", "-resource-dir",
	"-working-directory", "-Xopenmp-target", "-mllvm",
	NULL,
};

static int is_value_option(const char *a)
{
	int i;
	for (i = 0; takes_value[i]; i++)
		if (!strcmp(a, takes_value[i]))
			return 1;
	return 0;
}

static int has_thread_sanitizer(const char *a)
{
	const char *p;

	if (strncmp(a, "-fsanitize=", 11))
		return 0;
	for (p = a + 11; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 6 && !strncmp(p, "thread", 6))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* ---- response files: whitespace separates, quotes group, backslash
 * escapes (libiberty's buildargv, which gcc and clang's GNU mode use) ---- */

struct strv {
	char **v;
	int n, cap;
};

static void strv_push(struct strv *s, char *a)
{
	if (s->n + 1 >= s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, (size_t)s->cap, sizeof(char *));
	}
	s->v[s->n++] = a;
	s->v[s->n] = NULL;
}

/* the file's text, NUL-terminated, or NULL if it cannot be read */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* split a response file's text into words (each allocated, also pushed to
 * owned so the caller frees them) */
static void split_response(const char *text, size_t len, struct strv *out, struct strv *owned)
{
	size_t i = 0;

	while (i < len) {
		char *w;
		size_t wn = 0;
		char quote = 0;

		while (i < len && is_space(text[i]))
			i++;
		if (i >= len)
			break;
		w = xmalloc(len - i + 1);
		while (i < len) {
			char c = text[i];
			if (!quote && is_space(c))
				break;
			i++;
			if (c == '\\' && i < len)
				w[wn++] = text[i++];
			else if (quote && c == quote)
				quote = 0;
			else if (!quote && (c == '\'' || c == '"'))
				quote = c;
			else
				w[wn++] = c;
		}
		w[wn] = 0;
		strv_push(out, w);
		strv_push(owned, w);
	}
}

/* argv with every readable @FILE replaced by its words (recursively); an
 * unreadable @FILE stays as it is, as the compilers do */
static void expand(int argc, char **argv, struct strv *out, struct strv *owned, int depth)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '@' && argv[i][1] && depth < CC_MAX_RESPONSE_DEPTH) {
			size_t len;
			char *text = read_file(argv[i] + 1, &len);
			if (text) {
				struct strv words = { 0 };
				split_response(text, len, &words, owned);
				free(text);
				expand(words.n, words.v, out, owned, depth + 1);
				free(words.v);
				continue;
			}
		}
		strv_push(out, argv[i]);
	}
}

void cc_classify(int argc, char **argv, struct cc_step *st)
{
	struct strv all = { 0 }, owned = { 0 };
	int i;

	memset(st, 0, sizeof(*st));
	expand(argc, argv, &all, &owned, 0);
	for (i = 0; i < all.n; i++) {
		const char *a = all.v[i];

		if (a[0] != '-' || !strcmp(a, "-")) {
			st->n_inputs++;
			continue;
		}
		if (is_value_option(a)) {
			if (!strcmp(a, "-o"))
				st->has_output = 1;
			if (!strcmp(a, "-Xlinker") && i + 1 < all.n && !strcmp(all.v[i + 1], "-r"))
				st->relocatable = 1;
			i++;
			continue;
		}
		if (!strcmp(a, "-c") || !strcmp(a, "-S") || !strcmp(a, "-E") || !strcmp(a, "-M") ||
		    !strcmp(a, "-MM") || !strcmp(a, "-fsyntax-only"))
			st->compile_only = 1;
		else if (!strcmp(a, "-shared"))
			st->shared = 1;
		else if (!strcmp(a, "-r") || !strcmp(a, "-Wl,-r") || !strcmp(a, "-Wl,--relocatable"))
			st->relocatable = 1;
		else if (has_thread_sanitizer(a))
			st->has_tsan = 1;
		else if (!strncmp(a, "-o", 2))
			st->has_output = 1;
	}
	st->link = !st->compile_only && st->n_inputs > 0;
	for (i = 0; i < owned.n; i++)
		free(owned.v[i]);
	free(owned.v);
	free(all.v);
}

/* ---- which compiler ---- */

static int names_lockhound(const char *word)
{
	const char *base = strrchr(word, '/');
	base = base ? base + 1 : word;
	return !strncmp(base, "lockhound", 9);
}

/* words of the compiler command (static storage, NULL-terminated) */
static int compiler_words(int cxx, char **words, int max)
{
	static char buf[4096];
	const char *v = getenv(cxx ? "LOCKHOUND_CXX" : "LOCKHOUND_CC");
	char *p = NULL, *save = NULL;
	int n = 0;

	if (!v || !*v) {
		v = getenv(cxx ? "CXX" : "CC");
		if (getenv("LOCKHOUND_CC_NESTED"))
			v = NULL;
	}
	if (v && *v) {
		snprintf(buf, sizeof(buf), "%s", v);
		p = strtok_r(buf, " \t\n", &save);
		if (!p || names_lockhound(p))
			v = NULL;
	}
	if (!v || !*v) {
		snprintf(buf, sizeof(buf), "%s", cxx ? "c++" : "cc");
		save = NULL;
		p = strtok_r(buf, " \t\n", &save);
	}
	while (p && n < max - 1) {
		words[n++] = p;
		p = strtok_r(NULL, " \t\n", &save);
	}
	words[n] = NULL;
	return n;
}

/* find prog as execvp would; 0 with the path in out */
static int find_in_path(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK);
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (access(out, X_OK) == 0)
			return 0;
		if (!e)
			return -1;
		p = e + 1;
	}
}

/* Is the compiler clang?  Asks it (`--version`) once. */
static int compiler_is_clang(char **words, int n_words)
{
	char *argv[72];
	char out[4096], rest[4096];
	int pfd[2], i, status;
	ssize_t got = 0, r;
	pid_t pid;

	if (n_words > 64)
		n_words = 64;
	for (i = 0; i < n_words; i++)
		argv[i] = words[i];
	argv[i++] = "--version";
	argv[i] = NULL;
	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(pfd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(pfd[0]);
		close(pfd[1]);
		cli_restore_env();
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((size_t)got < sizeof(out) - 1 &&
	       ((r = read(pfd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0 ||
	        (r < 0 && errno == EINTR)))
		if (r > 0)
			got += r;
	out[got] = 0;
	/* drain the rest so the compiler is not stopped by a full pipe */
	while ((r = read(pfd[0], rest, sizeof(rest))) > 0 || (r < 0 && errno == EINTR))
		;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return strstr(out, "clang") != NULL;
}

/* The runtime's directory: LOCKHOUND_SHIM's, or next to this executable
 * (build tree), or ../lib/lockhound (installed).  Canonical, for the rpath. */
static int runtime_dir(char *out, size_t len)
{
	char self[PATH_MAX], cand[PATH_MAX + 64], *slash;
	const char *env = getenv("LOCKHOUND_SHIM");
	ssize_t n;

	if (env && *env) {
		if (!realpath(env, self))
			return -1;
		slash = strrchr(self, '/');
		if (!slash || strcmp(slash + 1, LH_CC_RUNTIME))
			return -1;
		*slash = 0;
		snprintf(out, len, "%s", self);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	snprintf(cand, sizeof(cand), "%s/" LH_CC_RUNTIME, self);
	if (access(cand, R_OK) != 0) {
		snprintf(cand, sizeof(cand), "%s/../lib/lockhound/" LH_CC_RUNTIME, self);
		if (access(cand, R_OK) != 0)
			return -1;
	}
	if (!realpath(cand, self))
		return -1;
	*strrchr(self, '/') = 0;
	snprintf(out, len, "%s", self);
	return 0;
}

static const char *const link_options[] = LH_CC_LINK_OPTIONS;

int cc_build_argv(char **words, int n_words, int argc, char **argv, const struct cc_step *st,
                  int clang, const char *rtdir, char **out, int max)
{
	static char stub[PATH_MAX + 64], rt[PATH_MAX + 64], rpath[PATH_MAX + 64];
	int n = 0, i;

#define PUSH(x)                        \
	do {                           \
		if (n >= max - 1)      \
			return -1;     \
		out[n++] = (char *)(x); \
	} while (0)
	for (i = 0; i < n_words; i++)
		PUSH(words[i]);
	if (!st->has_tsan)
		PUSH("-fsanitize=thread");
	if (st->link && !st->relocatable) {
		if (clang) {
			PUSH("-fno-sanitize-link-runtime");
		} else {
			snprintf(stub, sizeof(stub), "-B%s/" LH_CC_STUB_DIR "/", rtdir);
			PUSH(stub);
		}
		snprintf(rt, sizeof(rt), "%s/" LH_CC_RUNTIME, rtdir);
		snprintf(rpath, sizeof(rpath), "-Wl,-rpath,%s", rtdir);
		PUSH("-Wl,--push-state,--no-as-needed");
		PUSH(rt);
		PUSH("-Wl,--pop-state");
		PUSH(rpath);
		for (i = 0; link_options[i]; i++)
			PUSH(link_options[i]);
	}
	for (i = 0; i < argc; i++)
		PUSH(argv[i]);
	out[n] = NULL;
#undef PUSH
	return n;
}

int cli_cc(int argc, char **argv, int cxx)
{
	const char *me = cxx ? "lockhound c++" : "lockhound cc";
	char *words[64], rtdir[PATH_MAX], path[PATH_MAX], stubdir[PATH_MAX + 64];
	char **nargv;
	struct cc_step st;
	int n_words, clang = 0, max;

	/* argv[0] is "cc" / "c++"; the compiler's arguments follow */
	argc--;
	argv++;
	n_words = compiler_words(cxx, words, (int)(sizeof(words) / sizeof(words[0])));
	if (find_in_path(words[0], path, sizeof(path))) {
		fprintf(stderr, "%s: compiler '%s' not found (set %s to a C%s compiler)\n", me, words[0],
		        cxx ? "CXX" : "CC", cxx ? "++" : "");
		return 127;
	}
	cc_classify(argc, argv, &st);
	if (st.link && !st.relocatable) {
		if (runtime_dir(rtdir, sizeof(rtdir))) {
			fprintf(stderr, "%s: cannot find lockhound's runtime " LH_CC_RUNTIME
			                " next to this lockhound or in ../lib/lockhound (set LOCKHOUND_SHIM)\n",
			        me);
			return 2;
		}
		clang = compiler_is_clang(words, n_words);
		if (clang < 0) {
			fprintf(stderr, "%s: the compiler '%s' does not answer --version\n", me, words[0]);
			return 2;
		}
		snprintf(stubdir, sizeof(stubdir), "%s/" LH_CC_STUB_DIR "/libtsan_preinit.o", rtdir);
		if (!clang && access(stubdir, R_OK) != 0) {
			fprintf(stderr, "%s: the runtime directory %s lacks " LH_CC_STUB_DIR
			                "/ (reinstall lockhound)\n",
			        me, rtdir);
			return 2;
		}
	}
	max = n_words + argc + 16 + (int)(sizeof(link_options) / sizeof(link_options[0]));
	nargv = xcalloc((size_t)max, sizeof(char *));
	if (cc_build_argv(words, n_words, argc, argv, &st, clang, rtdir, nargv, max) < 0) {
		fprintf(stderr, "%s: internal error: command line too long\n", me);
		return 2;
	}
	if (getenv("LOCKHOUND_CC_VERBOSE")) {
		int i;
		fprintf(stderr, "%s:", me);
		for (i = 0; nargv[i]; i++)
			fprintf(stderr, " %s", nargv[i]);
		fputc('\n', stderr);
	}
	setenv("LOCKHOUND_CC_NESTED", "1", 1);
	cli_restore_env();
	execv(path, nargv);
	fprintf(stderr, "%s: cannot run %s: %s\n", me, path, strerror(errno));
	return 127;
}
