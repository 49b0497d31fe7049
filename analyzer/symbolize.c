/*
 * symbolize.c - recorded pcs -> function / file / line, offline, via
 * elfutils libdwfl + libdw.  Interface and contract: symbolize.h.
 *
 * How it works
 *   - Modules are kept in a plain array in the order they were added.  A pc
 *     is mapped to a module by the *recorded* [lo, hi) ranges, scanning from
 *     the newest module down, so a later dlopen that reuses an address range
 *     wins, and a module whose file is gone still gives module + offset.
 *   - Files are opened lazily, the first time a lookup lands in a module:
 *     logs list every object of the process (vdso, libm, ...) but stacks
 *     touch few of them, and a warning about a file nobody needed is noise.
 *     Consequence: sym_warnings() only reports modules that some lookup
 *     has needed so far.
 *   - All modules live in one Dwfl with the offline callbacks; each is
 *     reported with dwfl_report_elf(name = path, base = load bias,
 *     add_p_vaddr = false), which is what makes libdw's addresses equal to
 *     the recorded run-time pcs for PIE executables and shared libraries
 *     (and for non-PIE executables, where the bias is 0 and libdwfl ignores
 *     it).  Later modules are added with dwfl_report_begin_add, so lookups
 *     can be interleaved with sym_add_module.  We never ask libdwfl which
 *     module an address is in (dwfl_addrmodule): our own ranges decide, and
 *     libdwfl is then queried through that module's Dwfl_Module only, so
 *     two modules overlapping in libdwfl's view do not confuse anything.
 *   - Separate debug info (/usr/lib/debug/.build-id/xx/yyyy.debug, or a
 *     .gnu_debuglink) is found by dwfl_standard_find_debuginfo.
 *   - A recorded build-id is compared with the file's; on mismatch the
 *     module is never used for symbols (wrong symbols are worse than none).
 *   - Function names: the innermost DWARF scope chain (dwarf_getscopes for
 *     the innermost DIE, then dwarf_getscopes_die for its full parent
 *     chain, as eu-addr2line -i does) yields one frame per inlined
 *     subroutine plus the containing subprogram; an outer frame's file/line
 *     is the inner inline instance's DW_AT_call_file/line/column.  Names are
 *     the demangled DW_AT_linkage_name (C++ "ns::C::m(int)"), else
 *     DW_AT_name.  Without DWARF for the pc, the ELF symbol table
 *     (dwfl_module_addrinfo; .symtab from the debug file if there is one,
 *     else .dynsym) names the function; file/line come from the line table
 *     whenever there is one.
 *   - Results are cached per (pc, is_return_addr); strings are interned in a
 *     table owned by the context, so frames handed out stay valid until
 *     sym_free even if a later sym_add_module invalidates cache entries.
 *
 * Frame flags: frame.inlined is 1 for a frame whose function was inlined
 * into the next (outer) frame, i.e. every frame of an expansion except the
 * last one, which is the real, out-of-line function (gdb's notion).
 *
 * Honest limits
 *   - Not thread-safe: one sym_ctx per thread, or lock around it.
 *   - Module lookup is a linear scan over the modules (newest first); fine
 *     for hundreds of modules since results are cached per pc.
 *   - Without a recorded build-id, a different file at the same path cannot
 *     be detected except when its address range does not overlap the
 *     recorded one at all; its symbols are then simply wrong.
 *   - libelf/libdw are trusted to survive corrupt ELF/DWARF; we guard what
 *     we can (non-regular files, non-ELF files, missing files, pc 0, pcs in
 *     no module) but a maliciously crafted ELF could still hit a libdw bug.
 *   - The vdso has no file; pcs in it show module + offset (and a warning
 *     if the log names it as a module).
 *   - dwfl_standard_find_debuginfo may consult debuginfod if the user has
 *     set DEBUGINFOD_URLS; that is the user's choice and can be slow.
 *   - Inline chains deeper than SYM_MAX_CHAIN frames are cut (outer end).
 *   - Demangling uses the C++ runtime's __cxa_demangle (Itanium ABI only;
 *     other manglings, e.g. Rust v0, are shown raw).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "symbolize.h"
#include "xalloc.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* out of memory, in uthash as anywhere else in the analyzer: xalloc.h's
 * one policy (a one-line error and exit status 2) */
#define uthash_fatal(msg) xalloc_die(0)
#include <uthash.h>

/* The C++ runtime's demangler (we link with -lstdc++). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
                            int *status);

#define SYM_MAX_CHAIN 64 /* inline depth cap; real code rarely exceeds 10 */

enum mod_state {
	MOD_UNOPENED = 0, /* file not looked at yet */
	MOD_OK,           /* symbols usable */
	MOD_UNUSABLE,     /* missing / not ELF / build-id mismatch: offsets only */
};

struct mod {
	const char *path;  /* interned; what frames show as module */
	uint64_t base, lo, hi;
	uint8_t *build_id; /* NULL when none was recorded */
	size_t build_id_len;
	enum mod_state state;
	Dwfl_Module *dm;   /* reported to libdwfl; symbols used only if MOD_OK */
};

struct istr {
	UT_hash_handle hh;
	char s[];
};

struct cache_key {
	uint64_t pc;
	uint64_t ra; /* is_return_addr, 0 or 1 */
};

struct cache_ent {
	struct cache_key key;
	size_t n;
	struct sym_frame *frames;
	UT_hash_handle hh;
};

struct sym_ctx {
	struct mod *mods;
	size_t nmods, capmods;
	Dwfl *dwfl;        /* created on first open */
	int dwfl_failed;
	struct istr *strs; /* interned strings, freed in sym_free */
	struct cache_ent *cache;
	char *warn;        /* "line\nline\n", NULL when empty */
	size_t warn_len;
};

/* Is there something at path that is not a regular file?  (Nothing there
 * at all is fine: libdw moves on to the next place.) */
static int not_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* dwfl_standard_find_debuginfo opens the places a .gnu_debuglink names
 * (next to the file, in its .debug/ and under /usr/lib/debug, the default
 * debuginfo_path) blindly: a FIFO or a device planted there, in a
 * directory others can write to, would block or have side effects.  If
 * one of those places holds anything but a regular file, the module gets
 * no separate debug info (its symbol table still names functions). */
static int guarded_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                                  Dwarf_Addr base, const char *file_name,
                                  const char *debuglink_file, GElf_Word debuglink_crc,
                                  char **debuginfo_file_name)
{
	if (debuglink_file && *debuglink_file) {
		const char *f = file_name && *file_name ? file_name : modname;
		const char *slash = f ? strrchr(f, '/') : NULL;
		int dl = slash ? (int)(slash - f) : 0;
		char p[PATH_MAX];

		if (debuglink_file[0] == '/') {
			if (not_regular(debuglink_file))
				return -1;
		} else if (slash) {
			snprintf(p, sizeof(p), "%.*s/%s", dl, f, debuglink_file);
			if (not_regular(p))
				return -1;
			snprintf(p, sizeof(p), "%.*s/.debug/%s", dl, f, debuglink_file);
			if (not_regular(p))
				return -1;
			snprintf(p, sizeof(p), "/usr/lib/debug%.*s/%s", dl, f, debuglink_file);
			if (not_regular(p))
				return -1;
		} else if (not_regular(debuglink_file)) {
			return -1;
		}
	}
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
	                                    debuglink_crc, debuginfo_file_name);
}

/* Offline callbacks.  find_elf is only consulted for modules reported
 * without a file (we always pass one), but build-id lookup is the sensible
 * default should that ever happen.  find_debuginfo: the standard search,
 * behind the regular-file guard above. */
static const Dwfl_Callbacks sym_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = guarded_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = NULL, /* default: ":.debug:/usr/lib/debug" */
};

/* ---- strings ---- */

/* Return the context's copy of str (NULL for NULL).  Interning
 * keeps one copy of each file and module name however many frames use it,
 * and makes "owned by the ctx until sym_free" trivially true. */
static const char *intern(struct sym_ctx *s, const char *str)
{
	if (!str)
		return NULL;
	size_t len = strlen(str);
	struct istr *e;
	HASH_FIND(hh, s->strs, str, len, e);
	if (e)
		return e->s;
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->s, str, len + 1);
	HASH_ADD_KEYPTR(hh, s->strs, e->s, len, e);
	return e->s;
}

char *sym_demangle(const char *name)
{
	/* __cxa_demangle also accepts bare type manglings ("i" -> "int"), so
	 * only hand it real Itanium symbol names. */
	if (!name || name[0] != '_' || name[1] != 'Z')
		return NULL;
	int status = 0;
	char *out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Demangled if possible, interned. */
static const char *intern_symbol(struct sym_ctx *s, const char *name)
{
	if (!name || !*name)
		return NULL;
	char *d = sym_demangle(name);
	const char *r = intern(s, d ? d : name);
	free(d);
	return r;
}

/* ---- warnings ---- */

static void build_id_hex(char *out, size_t outsz, const uint8_t *id,
                         size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && o + 3 <= outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%02x", id[i]);
	if (len == 0)
		snprintf(out, outsz, "none");
}

/* Append one warning line; an identical line is not repeated, so a module
 * that is added twice (dlclose + dlopen of the same missing file) warns
 * once.  Control characters from a garbled path are replaced so that the
 * result stays one line per warning. */
static void add_warning(struct sym_ctx *s, const char *path, const char *what)
{
	char line[4096];
	int n = snprintf(line, sizeof(line),
	                 "lockhound: warning: %s: %s; frames show module+offset\n",
	                 (path && *path) ? path : "[unnamed module]", what);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	line[len - 1] = '\n';
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (s->warn) {
		/* match whole lines only */
		const char *p = s->warn;
		while ((p = strstr(p, line)) != NULL) {
			if (p == s->warn || p[-1] == '\n')
				return;
			p++;
		}
	}
	char *nw = xrealloc(s->warn, s->warn_len + len + 1);
	memcpy(nw + s->warn_len, line, len + 1);
	s->warn = nw;
	s->warn_len += len;
}

const char *sym_warnings(const struct sym_ctx *s)
{
	return (s && s->warn) ? s->warn : "";
}

/* ---- context and modules ---- */

struct sym_ctx *sym_new(void)
{
	return xcalloc(1, sizeof(struct sym_ctx));
}

void sym_free(struct sym_ctx *s)
{
	if (!s)
		return;
	struct cache_ent *ce, *ctmp;
	HASH_ITER(hh, s->cache, ce, ctmp) {
		HASH_DEL(s->cache, ce);
		free(ce->frames);
		free(ce);
	}
	struct istr *is, *itmp;
	HASH_ITER(hh, s->strs, is, itmp) {
		HASH_DEL(s->strs, is);
		free(is);
	}
	for (size_t i = 0; i < s->nmods; i++)
		free(s->mods[i].build_id);
	free(s->mods);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s->warn);
	free(s);
}

static uint64_t lookup_addr(uint64_t pc, uint64_t ra)
{
	/* A return address points after the call; pc - 1 is inside the call
	 * instruction, which carries the call's line and inline context.  pc 0
	 * stays 0 rather than wrapping to the top of the address space. */
	return (ra && pc) ? pc - 1 : pc;
}

int sym_add_module(struct sym_ctx *s, const struct sym_module_desc *m)
{
	if (!s || !m)
		return -1;
	if (s->nmods == s->capmods) {
		size_t nc = s->capmods ? s->capmods * 2 : 16;
		struct mod *nm = xreallocarray(s->mods, nc, sizeof(*nm));
		s->mods = nm;
		s->capmods = nc;
	}
	struct mod md = { 0 };
	md.path = intern(s, m->path ? m->path : "");
	md.base = m->base;
	md.lo = m->lo;
	md.hi = m->hi;
	if (m->build_id && m->build_id_len > 0) {
		md.build_id = xmalloc(m->build_id_len);
		memcpy(md.build_id, m->build_id, m->build_id_len);
		md.build_id_len = m->build_id_len;
	}
	s->mods[s->nmods++] = md;

	/* Cached results for addresses in the new range may now belong to this
	 * module (later wins, or the pc was in no module before).  Dropping the
	 * entries is enough: their strings stay interned. */
	struct cache_ent *ce, *tmp;
	HASH_ITER(hh, s->cache, ce, tmp) {
		uint64_t a = lookup_addr(ce->key.pc, ce->key.ra);
		if (a >= md.lo && a < md.hi) {
			HASH_DEL(s->cache, ce);
			free(ce->frames);
			free(ce);
		}
	}
	return 0;
}

static struct mod *find_module(struct sym_ctx *s, uint64_t addr)
{
	for (size_t i = s->nmods; i-- > 0;) {
		struct mod *m = &s->mods[i];
		if (addr >= m->lo && addr < m->hi)
			return m;
	}
	return NULL;
}

/* Open the module's file and decide whether its symbols can be trusted.
 * Every failure leaves MOD_UNUSABLE plus one warning. */
static void open_module(struct sym_ctx *s, struct mod *m)
{
	char msg[512];
	m->state = MOD_UNUSABLE;

	if (!*m->path) {
		add_warning(s, m->path, "no file name recorded");
		return;
	}
	/* stat first: opening a FIFO or device named by a garbled log could
	 * block or have side effects; libdwfl would open() it blindly. */
	struct stat st;
	if (stat(m->path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			add_warning(s, m->path, "file not found");
		else {
			snprintf(msg, sizeof(msg), "cannot access file (%s)",
			         strerror(errno));
			add_warning(s, m->path, msg);
		}
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		add_warning(s, m->path, "not a regular file");
		return;
	}
	if (!s->dwfl && !s->dwfl_failed) {
		s->dwfl = dwfl_begin(&sym_callbacks);
		if (!s->dwfl)
			s->dwfl_failed = 1;
	}
	if (!s->dwfl) {
		add_warning(s, m->path, "cannot initialise libdwfl");
		return;
	}

	/* The same file at the same bias (dlclose + dlopen at the same place,
	 * or a log that repeats a module) must reuse the Dwfl_Module: a second
	 * dwfl_report_elf for an identical name and range is refused by
	 * libdwfl, which also marks the existing module for removal, leaving
	 * the earlier pointer dangling after dwfl_report_end. */
	Dwfl_Module *dm = NULL;
	for (struct mod *o = s->mods; o < s->mods + s->nmods; o++)
		if (o != m && o->dm && o->base == m->base && o->path == m->path) {
			dm = o->dm;
			break;
		}
	if (!dm) {
		dwfl_report_begin_add(s->dwfl);
		dm = dwfl_report_elf(s->dwfl, m->path, m->path, -1, m->base,
		                     false);
		const char *err = dm ? NULL : dwfl_errmsg(-1);
		/* copy before dwfl_report_end can overwrite the error */
		if (err)
			snprintf(msg, sizeof(msg), "cannot read as ELF (%s)",
			         err);
		dwfl_report_end(s->dwfl, NULL, NULL);
		if (!dm) {
			add_warning(s, m->path, msg);
			return;
		}
	}
	m->dm = dm; /* kept even if unusable, for the reuse above */

	if (m->build_id_len > 0) {
		const unsigned char *bits = NULL;
		GElf_Addr vaddr;
		int n = dwfl_module_build_id(dm, &bits, &vaddr);
		size_t flen = n > 0 ? (size_t)n : 0;
		if (flen != m->build_id_len ||
		    memcmp(bits, m->build_id, flen) != 0) {
			char rec[2 * 64 + 1], fil[2 * 64 + 1];
			build_id_hex(rec, sizeof(rec), m->build_id,
			             m->build_id_len);
			build_id_hex(fil, sizeof(fil), bits, flen);
			snprintf(msg, sizeof(msg),
			         "build-id mismatch (recorded %s, file has %s)",
			         rec, fil);
			add_warning(s, m->path, msg);
			return;
		}
	} else {
		/* No build-id to check: at least reject a file whose load range
		 * cannot possibly be the one that was mapped. */
		Dwarf_Addr start = 0, end = 0;
		dwfl_module_info(dm, NULL, &start, &end, NULL, NULL, NULL,
		                 NULL);
		if (end <= m->lo || start >= m->hi) {
			add_warning(s, m->path,
			            "file does not match the recorded address range");
			return;
		}
	}
	m->state = MOD_OK;
}

/* ---- DWARF ---- */

/* Function name of a subprogram / inlined-subroutine DIE.  The integrate
 * variants follow DW_AT_abstract_origin and DW_AT_specification, which is
 * where inline instances and out-of-class C++ definitions keep them. */
static const char *die_function_name(struct sym_ctx *s, Dwarf_Die *die)
{
	Dwarf_Attribute am;
	const char *link = dwarf_formstring(
		dwarf_attr_integrate(die, DW_AT_linkage_name, &am));
	if (!link)
		link = dwarf_formstring(
			dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &am));
	if (link) {
		char *d = sym_demangle(link);
		if (d) {
			const char *r = intern(s, d);
			free(d);
			return r;
		}
	}
	const char *name = dwarf_diename(die);
	if (name)
		return intern(s, name);
	return link ? intern(s, link) : NULL;
}

/* Call site of an inline instance: where the caller's frame is. */
static void call_site(struct sym_ctx *s, Dwarf_Die *inl, Dwarf_Die *cudie,
                      const char **file, int *line, int *col)
{
	Dwarf_Attribute am;
	Dwarf_Word v;
	*file = NULL;
	*line = 0;
	*col = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &am), &v) == 0)
		*line = v > (Dwarf_Word)INT32_MAX ? 0 : (int)v;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_column, &am), &v) == 0)
		*col = v > (Dwarf_Word)INT32_MAX ? 0 : (int)v;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &am), &v) != 0)
		return;
	/* The file index refers to the line table of the unit holding the DIE;
	 * fall back to the unit that covers the address. */
	Dwarf_Die cu;
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	if (!(dwarf_diecu(inl, &cu, NULL, NULL) &&
	      dwarf_getsrcfiles(&cu, &files, &nfiles) == 0) &&
	    !(cudie && dwarf_getsrcfiles(cudie, &files, &nfiles) == 0))
		return;
	if (v >= nfiles)
		return;
	const char *f = dwarf_filesrc(files, (size_t)v, NULL, NULL);
	/* libdw's placeholder for DWARF < 5 file index 0 ("no file") */
	if (f && strcmp(f, "???") != 0)
		*file = intern(s, f);
}

static int is_function_tag(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* Fill out[] for a pc in a usable module; returns the number of frames
 * (>= 1).  out[0] arrives with pc/module/offset set. */
static size_t resolve_in_module(struct sym_ctx *s, struct mod *m,
                                uint64_t addr, struct sym_frame *out,
                                size_t max)
{
	Dwfl_Module *dm = m->dm;
	struct sym_frame proto = out[0];

	/* innermost source position from the line table */
	const char *file = NULL;
	int line = 0, col = 0;
	Dwfl_Line *ln = dwfl_module_getsrc(dm, addr);
	if (ln) {
		const char *f = dwfl_lineinfo(ln, NULL, &line, &col, NULL, NULL);
		file = intern(s, f);
		if (line < 0)
			line = 0;
		if (col < 0)
			col = 0;
	}

	size_t n = 0;
	Dwarf_Addr bias = 0;
	Dwarf_Die *cudie = dwfl_module_addrdie(dm, addr, &bias);
	Dwarf_Die *scopes = NULL;
	int nscopes = 0;
	if (cudie) {
		Dwarf_Die *inner = NULL;
		int k = dwarf_getscopes(cudie, addr - bias, &inner);
		if (k > 0) {
			/* dwarf_getscopes stops at the innermost inline
			 * instance and continues with its abstract origin's
			 * parents; the physical nesting (which function the
			 * code was inlined into) comes from the DIE's parent
			 * chain. */
			Dwarf_Die innermost = inner[0];
			nscopes = dwarf_getscopes_die(&innermost, &scopes);
		}
		free(inner);
	}

	for (int i = 0; i < nscopes && n < max; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (!is_function_tag(tag))
			continue;
		struct sym_frame f = proto;
		f.function = die_function_name(s, &scopes[i]);
		f.file = file;
		f.line = line;
		f.column = col;
		f.inlined = tag == DW_TAG_inlined_subroutine;
		out[n++] = f;
		if (tag != DW_TAG_inlined_subroutine)
			break;
		call_site(s, &scopes[i], cudie, &file, &line, &col);
	}
	free(scopes);

	if (n == 0) {
		out[0] = proto;
		out[0].file = file;
		out[0].line = line;
		out[0].column = col;
		n = 1;
	}
	/* No DWARF function (stripped, no debuginfo, assembly) or a nameless
	 * one: the symbol table names the out-of-line function, which is the
	 * last frame of the chain. */
	struct sym_frame *last = &out[n - 1];
	if (!last->function) {
		GElf_Off off;
		GElf_Sym sym;
		const char *name = dwfl_module_addrinfo(dm, addr, &off, &sym,
		                                        NULL, NULL, NULL);
		last->function = intern_symbol(s, name);
	}
	return n;
}

/* m opened on first use: whether its file could be read */
static int module_ready(struct sym_ctx *s, struct mod *m)
{
	if (m->state == MOD_UNOPENED)
		open_module(s, m);
	return m->state == MOD_OK;
}

/* the module holding addr, opened, or NULL */
static struct mod *ready_module(struct sym_ctx *s, uint64_t addr)
{
	struct mod *m = find_module(s, addr);

	return m && module_ready(s, m) ? m : NULL;
}

static size_t resolve(struct sym_ctx *s, uint64_t pc, uint64_t addr,
                      struct sym_frame *out, size_t max)
{
	memset(&out[0], 0, sizeof(out[0]));
	out[0].pc = pc;
	struct mod *m = find_module(s, addr);
	if (!m)
		return 1;
	out[0].module = m->path;
	out[0].offset = pc - m->base;
	if (!module_ready(s, m))
		return 1;
	return resolve_in_module(s, m, addr, out, max);
}

int sym_data_lookup(struct sym_ctx *s, uint64_t addr, struct sym_data *out)
{
	struct mod *m;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;

	if (!s || !out)
		return 0;
	memset(out, 0, sizeof(*out));
	if (!(m = ready_module(s, addr)))
		return 0;
	/* addrinfo: the symbol whose [value, value + size) holds addr, with
	 * the load bias already applied to sym.st_value (libdwfl's module
	 * addresses are run-time addresses, see the header comment) */
	memset(&sym, 0, sizeof(sym));
	name = dwfl_module_addrinfo(m->dm, addr, &off, &sym, NULL, NULL, NULL);
	if (!name || !*name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
		return 0;
	if (sym.st_size ? off >= sym.st_size : off != 0)
		return 0;
	/* aliases (glibc's weak signgam and global __signgam): the name a
	 * program writes, without the reserved leading underscore, if one of
	 * the object's aliases has it */
	if (name[0] == '_') {
		int n = dwfl_module_getsymtab(m->dm), i;
		for (i = 1; i < n; i++) {
			GElf_Sym as;
			GElf_Addr aaddr;
			const char *an = dwfl_module_getsym_info(m->dm, i, &as, &aaddr, NULL, NULL,
			                                         NULL);
			if (an && an[0] && an[0] != '_' && GELF_ST_TYPE(as.st_info) == STT_OBJECT &&
			    aaddr == addr - off && as.st_size == sym.st_size) {
				name = an;
				break;
			}
		}
	}
	out->name = intern_symbol(s, name);
	out->module = m->path;
	out->start = addr - off;
	out->size = sym.st_size;
	return out->name != NULL;
}

int sym_data_section(struct sym_ctx *s, uint64_t addr, struct sym_section *out)
{
	struct mod *m;
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Addr bias = 0;
	size_t shstrndx;

	if (!s || !out)
		return 0;
	memset(out, 0, sizeof(*out));
	if (!(m = ready_module(s, addr)) || !(elf = dwfl_module_getelf(m->dm, &bias)) ||
	    elf_getshdrstrndx(elf, &shstrndx) != 0)
		return 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) || addr < bias + sh.sh_addr ||
		    addr - bias - sh.sh_addr >= sh.sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || !*name)
			return 0;
		out->name = intern_symbol(s, name);
		out->offset = addr - bias - sh.sh_addr;
		return out->name != NULL;
	}
	return 0;
}

/* the type of a DIE, through typedefs and cv-qualifiers: atomic? */
static int type_is_atomic(Dwarf_Die *die)
{
	Dwarf_Attribute at;
	Dwarf_Die t, cur = *die;
	int depth;

	for (depth = 0; depth < 16; depth++) {
		const char *name;
		if (!dwarf_attr_integrate(&cur, DW_AT_type, &at) || !dwarf_formref_die(&at, &t))
			return 0;
		switch (dwarf_tag(&t)) {
		case DW_TAG_atomic_type:
			return 1;
		case DW_TAG_typedef:
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
			cur = t;
			continue;
		case DW_TAG_structure_type:
		case DW_TAG_class_type:
			/* C++'s std::atomic<T> (and std::atomic_int, a typedef of it) */
			name = dwarf_diename(&t);
			return name && strncmp(name, "atomic<", 7) == 0;
		default:
			return 0;
		}
	}
	return 0;
}

int sym_data_atomic(struct sym_ctx *s, uint64_t addr)
{
	struct sym_data d;
	struct mod *m;
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;

	if (!sym_data_lookup(s, addr, &d))
		return 0;
	m = find_module(s, addr);
	if (!m || m->state != MOD_OK)
		return 0;
	while ((cu = dwfl_module_nextcu(m->dm, cu, &bias)) != NULL) {
		Dwarf_Die child;
		if (dwarf_child(cu, &child) != 0)
			continue;
		do {
			const char *name;
			if (dwarf_tag(&child) != DW_TAG_variable)
				continue;
			name = dwarf_diename(&child);
			if (name && strcmp(name, d.name) == 0 && type_is_atomic(&child))
				return 1;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return 0;
}

size_t sym_lookup(struct sym_ctx *s, uint64_t pc, int is_return_addr,
                  struct sym_frame *out, size_t max_out)
{
	if (!out || max_out == 0)
		return 0;
	if (!s) {
		memset(&out[0], 0, sizeof(out[0]));
		out[0].pc = pc;
		return 1;
	}
	struct cache_key key;
	memset(&key, 0, sizeof(key));
	key.pc = pc;
	key.ra = is_return_addr ? 1 : 0;

	struct cache_ent *ce;
	HASH_FIND(hh, s->cache, &key, sizeof(key), ce);
	if (!ce) {
		struct sym_frame tmp[SYM_MAX_CHAIN];
		size_t n = resolve(s, pc, lookup_addr(pc, key.ra), tmp,
		                   SYM_MAX_CHAIN);
		ce = xcalloc(1, sizeof(*ce));
		struct sym_frame *fr = xcalloc(n, sizeof(*fr));
		memcpy(fr, tmp, n * sizeof(*fr));
		ce->key = key;
		ce->n = n;
		ce->frames = fr;
		HASH_ADD(hh, s->cache, key, sizeof(key), ce);
	}
	size_t k = ce->n < max_out ? ce->n : max_out;
	memcpy(out, ce->frames, k * sizeof(*out));
	return k;
}
