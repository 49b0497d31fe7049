#!/usr/bin/env python3
"""exact_build.py - build the programs of the exact-mode benchmark, every way.

Started by bench/run.sh before bench/bench.py.  Python standard library only.

Each workload is built once per configuration, with the same flags:
    native      gcc -O2
    tsan-gcc    gcc -O2 -fsanitize=thread        (libtsan)
    tsan-clang  clang -O2 -fsanitize=thread      (compiler-rt's tsan)
    lh-gcc      build/lockhound cc -O2, CC=gcc   (lockhound's runtime)
    lh-clang    build/lockhound cc -O2, CC=clang
Workloads: the microbenchmarks (bench/micro/*.c, not manyedges) and real
programs built from their Debian source packages (memcached; pigz when its
source can be fetched), fetched at bench time into bench/work/src/ with
`apt-get source` through a private source list made from the system's apt
sources (deb lines turned into deb-src), so the system's apt configuration
is left alone and no third-party source is committed.

Before anything of a configuration is measured, bench/tools/raceprobe.c is
built with it and run twice: `racy` must be reported (exit status 66, what
TSan and lockhound both use) and `clean` must not.  A configuration whose
compiler fails is "not built"; one that builds but misses the probe race is
"not measured" (its numbers would be the cost of a runtime that detects
nothing), unless BENCH_EXACT_FORCE=1.  Nothing here ever fakes a number:
bench.py prints the reason in the column instead.

Writes build/bench/exact/builds.json, which bench.py reads:
    {"configs": [{"key", "label", "command", "status": "ok" | "not built" |
                  "not measured", "why", "runtime", "probe": {...},
                  "programs": {name: path}, "failed": {name: why}}],
     "sources": {pkg: {"status", "version", "how", "why"}},
     "shim_sha256", "lockhound_sha256"}

Environment: BENCH_EXACT_FORCE (0), BENCH_EXACT_SOURCES ("memcached,pigz"),
BENCH_EXACT_OFFLINE (0: fetch nothing, use what bench/work/src/ has).
"""

import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build")
EX = os.path.join(BUILD, "bench", "exact")
WORK = os.path.join(HERE, "work")
SRC = os.path.join(WORK, "src")
LOCKHOUND = os.path.join(BUILD, "lockhound")
SHIM = os.path.join(BUILD, "liblockhound.so")

CFLAGS = ["-O2", "-g"]
BFLAGS = CFLAGS + ["-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter"]
COMPILE_TIMEOUT = 900  # seconds for one configure or make step
PROBE_TIMEOUT = 60     # seconds for one run of raceprobe
RACE_EXIT = 66         # exit status of a run that found a race (TSan's and lockhound's default)

CONFIGS = [
    {"key": "native", "label": "native (gcc -O2)", "argv": ["gcc"], "env": {}},
    {"key": "tsan-gcc", "label": "gcc TSan", "argv": ["gcc", "-fsanitize=thread"], "env": {}},
    {"key": "tsan-clang", "label": "clang TSan", "argv": ["clang", "-fsanitize=thread"],
     "env": {}},
    {"key": "lh-gcc", "label": "lockhound cc (gcc)", "argv": [LOCKHOUND, "cc"],
     "env": {"CC": "gcc"}},
    {"key": "lh-clang", "label": "lockhound cc (clang)", "argv": [LOCKHOUND, "cc"],
     "env": {"CC": "clang"}},
]

FORCE = os.environ.get("BENCH_EXACT_FORCE", "0") not in ("", "0")
OFFLINE = os.environ.get("BENCH_EXACT_OFFLINE", "0") not in ("", "0")
SOURCES = [s for s in os.environ.get("BENCH_EXACT_SOURCES", "memcached,pigz").split(",") if s]


def log(msg):
    print("bench: exact: " + msg, flush=True)


def sha_of(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def run(argv, cwd=None, env=None, timeout=COMPILE_TIMEOUT):
    """(returncode, combined output); 124 on timeout, 127 if argv[0] is missing"""
    full = {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "LOCKHOUND_OPTIONS", "TSAN_OPTIONS")}
    full.update(env or {})
    try:
        p = subprocess.run(argv, cwd=cwd, env=full, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return 124, "timed out after %ds: %s" % (timeout, " ".join(argv))
    except OSError as e:
        return 127, "%s: %s" % (argv[0], e.strerror)


def first_error(text):
    """the line of compiler/tool output most worth quoting"""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for pat in (r"undefined reference", r"lockhound:", r"\berror\b", r"^E:", r"not found"):
        for l in lines:
            if re.search(pat, l):
                return l[:240]
    return (lines[-1] if lines else "no output")[:240]


# ------------------------------------------------------------ compilers

def wrapper(cfg):
    """a one-line compiler script for the configuration, so that configure
    and make see one program name, and CC in their environment can never
    reach the lockhound driver (which reads CC to pick its compiler)"""
    d = os.path.join(EX, cfg["key"], "bin")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "cc")
    body = "#!/bin/sh\n"
    for k, v in cfg["env"].items():
        body += "%s=%s; export %s\n" % (k, v, k)
    body += "exec %s \"$@\"\n" % " ".join(cfg["argv"])
    with open(path, "w") as f:
        f.write(body)
    os.chmod(path, 0o755)
    return path


def command_text(cfg):
    env = " ".join("%s=%s" % kv for kv in cfg["env"].items())
    argv = [os.path.relpath(a, ROOT) if a == LOCKHOUND else a for a in cfg["argv"]]
    return ((env + " ") if env else "") + " ".join(argv + CFLAGS)


def compiler_version(cfg):
    name = cfg["env"].get("CC") or cfg["argv"][0]
    rc, out = run([name, "--version"], timeout=30)
    return out.splitlines()[0] if rc == 0 and out else "?"


def needed_libs(exe):
    rc, out = run(["readelf", "-d", exe], timeout=30)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out) if rc == 0 else []


def defines_symbol(exe, sym):
    rc, out = run(["nm", "--defined-only", exe], timeout=30)
    return rc == 0 and re.search(r"\s%s$" % re.escape(sym), out, re.M) is not None


def undefined_symbols(exe, prefix):
    rc, out = run(["nm", "-u", exe], timeout=30)
    return sorted({m for m in re.findall(r"U (\S+)", out) if m.startswith(prefix)}) if rc == 0 else []


def resolved_path(exe, lib):
    rc, out = run(["ldd", exe], timeout=30)
    m = re.search(r"%s => (\S+)" % re.escape(lib), out)
    return m.group(1) if m else None


def runtime_of(cfg, exe):
    """which race-detector runtime the binary uses, and a reason it is the
    wrong one (or None)"""
    libs = needed_libs(exe)
    lh = [l for l in libs if "liblockhound" in l]
    where = resolved_path(exe, lh[0]) if lh else None
    return judge_runtime(cfg["key"], libs, defines_symbol(exe, "__tsan_init"),
                         bool(undefined_symbols(exe, "__tsan_")), where)


def judge_runtime(key, libs, static_tsan, tsan_calls, where):
    """(runtime, why it is wrong or None) from what the binary links: its
    NEEDED libraries, whether it defines __tsan_init itself (compiler-rt's
    static runtime), whether it calls __tsan_* functions, and where the
    dynamic loader finds liblockhound.so"""
    tsan_libs = [l for l in libs if l.startswith("libtsan")]
    lh = [l for l in libs if "liblockhound" in l]
    if key.startswith("lh-"):
        if tsan_libs or static_tsan:
            return "ThreadSanitizer's own runtime", "links ThreadSanitizer's runtime, not lockhound's"
        if not lh:
            return "none", "does not link liblockhound.so"
        if not tsan_calls:
            return "liblockhound.so", "not instrumented (no __tsan_* calls)"
        where = where or "unresolved"
        return "%s (%s)" % (lh[0], os.path.relpath(where, ROOT) if where.startswith(ROOT)
                            else where), None
    if key.startswith("tsan-"):
        if tsan_libs:
            return tsan_libs[0], None
        if static_tsan:
            return "static compiler-rt tsan", None
        return "none", "no ThreadSanitizer runtime linked"
    return "-", None


def probe(cfg, cc):
    """build and run raceprobe; returns (status, why, info)"""
    d = os.path.join(EX, cfg["key"])
    exe = os.path.join(d, "raceprobe")
    src = os.path.join(HERE, "tools", "raceprobe.c")
    rc, out = run([cc] + BFLAGS + ["-o", exe, src])
    if rc != 0:
        return "not built", "raceprobe does not build: " + first_error(out), {}
    runtime, wrong = runtime_of(cfg, exe)
    info = {"runtime": runtime}
    if wrong:
        return "not built", wrong, info
    if cfg["key"] == "native":
        return "ok", "", info
    for mode in ("racy", "clean"):
        logdir = os.path.join(WORK, "exact-probe", cfg["key"], mode)
        shutil.rmtree(logdir, ignore_errors=True)
        os.makedirs(logdir)
        env = {"LOCKHOUND_OPTIONS": "log_dir=%s" % logdir}
        prc, pout = run([exe, mode], env=env, timeout=PROBE_TIMEOUT)
        info[mode + "_rc"] = prc
        info[mode + "_says"] = first_error(pout) if prc != 0 else ""
        if cfg["key"].startswith("lh-"):
            info[mode + "_records"] = race_records(logdir)
    info["detects"] = info["racy_rc"] == RACE_EXIT
    info["false_alarm"] = info["clean_rc"] != 0
    status, why = probe_verdict(info["racy_rc"], info["clean_rc"], info["clean_says"], FORCE)
    if status != "ok" or why:
        recs = info.get("racy_records")
        if info["racy_rc"] != RACE_EXIT and recs:
            why += " (its log holds %d race records: the report does not show them)" % recs
    if info.get("clean_records"):
        # a race-free program with race records: a false alarm, even if the
        # report does not show it (yet)
        why += "%sthe race-free probe's log holds %d race records (false alarm)" % (
            "; " if why else "", info["clean_records"])
    return status, why, info


def race_records(logdir):
    """LH_REC_RACE records in the lockhound logs of a directory (the log
    format is read by bench.py's log_stats), or None when there is no log"""
    spec = importlib.util.spec_from_file_location("bench", os.path.join(HERE, "bench.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    logs = bench.logs_in(logdir)
    stats = [bench.log_stats(p) for p in logs]
    return sum(s["races"] for s in stats if s) if logs else None


def probe_verdict(racy_rc, clean_rc, clean_says, force):
    """(status, why) of a detector build from raceprobe's exit statuses: the
    racy run must exit RACE_EXIT and the clean one 0, or the build is "not
    measured" (measured anyway with force, the reason kept)"""
    why = []
    if racy_rc != RACE_EXIT:
        why.append("misses the probe race (raceprobe racy: exit %d, want %d)"
                   % (racy_rc, RACE_EXIT))
    if clean_rc != 0:
        why.append("reports the race-free probe (raceprobe clean: exit %d%s)"
                   % (clean_rc, (": " + clean_says) if clean_says else ""))
    if not why:
        return "ok", ""
    if force:
        return "ok", "measured anyway (BENCH_EXACT_FORCE=1): " + "; ".join(why)
    return "not measured", "; ".join(why)


# ------------------------------------------------------------ programs

def micro_names():
    return sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(HERE, "micro", "*.c"))
                  if not p.endswith("manyedges.c"))


def build_micros(cfg, cc, res):
    for name in micro_names():
        exe = os.path.join(EX, cfg["key"], name)
        rc, out = run([cc] + BFLAGS + ["-o", exe, os.path.join(HERE, "micro", name + ".c")])
        if rc == 0:
            res["programs"][name] = exe
        else:
            res["failed"][name] = first_error(out)


def apt_source_lines(etc="/etc/apt"):
    """deb-src lines for every enabled deb source of the system's apt
    configuration (one-line .list files and deb822 .sources files)"""
    lines = []
    files = [os.path.join(etc, "sources.list")] + \
        sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    for path in files:
        try:
            with open(path) as f:
                for l in f:
                    l = l.split("#", 1)[0].strip()
                    if l.startswith("deb "):
                        lines.append("deb-src " + l[4:])
        except OSError:
            pass
    for path in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            fields = {}
            for l in stanza.splitlines():
                if l.startswith("#") or ":" not in l or l[0].isspace():
                    continue
                k, v = l.split(":", 1)
                fields[k.strip().lower()] = v.strip()
            if "deb" not in fields.get("types", "").split() or \
                    fields.get("enabled", "yes").lower() == "no":
                continue
            opt = " [signed-by=%s]" % fields["signed-by"] \
                if fields.get("signed-by", "").startswith("/") else ""
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    lines.append("deb-src%s %s %s %s" % (opt, uri, suite,
                                                         fields.get("components", "")))
    return list(dict.fromkeys(lines))  # each once, in order


_apt_ready = []


def apt_opts():
    base = os.path.join(WORK, "apt")
    return ["-o", "Dir::Etc::SourceList=" + os.path.join(base, "sources.list"),
            "-o", "Dir::Etc::SourceParts=" + os.path.join(base, "parts"),
            "-o", "Dir::State::Lists=" + os.path.join(base, "lists"),
            "-o", "Dir::Cache=" + os.path.join(base, "cache"),
            "-o", "APT::Sandbox::User=" + ("root" if os.geteuid() == 0 else str(os.geteuid()))]


def apt_update():
    """a private apt index of the source packages (bench/work/apt/)"""
    if _apt_ready:
        return _apt_ready[0]
    base = os.path.join(WORK, "apt")
    for d in ("lists/partial", "cache/archives/partial", "parts"):
        os.makedirs(os.path.join(base, d), exist_ok=True)
    lines = apt_source_lines()
    with open(os.path.join(base, "sources.list"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if not lines:
        _apt_ready.append("no deb sources in the apt configuration")
        return _apt_ready[0]
    rc, out = run(["apt-get"] + apt_opts() + ["-qq", "update"], timeout=300)
    # a failing third-party repository makes the exit status non-zero while
    # the Debian indexes are fine: judge by apt-get source instead
    _apt_ready.append(None if rc in (0, 100) else first_error(out))
    return _apt_ready[0]


def fetch_source(pkg):
    """the extracted source tree of a Debian source package in
    bench/work/src/PKG/, fetched once; returns (dir, version, how, why)"""
    d = os.path.join(SRC, pkg)
    how = ("apt-get source %s (deb-src lines made from the configured apt sources, "
           "private index in bench/work/apt/)" % pkg)

    def found():
        dscs = sorted(glob.glob(os.path.join(d, "%s_*.dsc" % pkg)))
        trees = [t for t in sorted(glob.glob(os.path.join(d, "%s-*" % pkg))) if os.path.isdir(t)]
        if dscs and trees:
            return trees[-1], os.path.basename(dscs[-1])[len(pkg) + 1:-4]
        return None, None

    tree, ver = found()
    if tree:
        return tree, ver, how + ", cached", None
    if OFFLINE:
        return None, None, how, "not in bench/work/src and BENCH_EXACT_OFFLINE=1"
    if not shutil.which("apt-get") or not shutil.which("dpkg-source"):
        return None, None, how, "apt-get or dpkg-source (dpkg-dev) missing"
    why = apt_update()
    if why:
        return None, None, how, "apt-get update failed: " + why
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rc, out = run(["apt-get"] + apt_opts() + ["-qq", "source", pkg], cwd=d, timeout=600)
    tree, ver = found()
    if rc != 0 or not tree:
        fails = re.findall(r"Failed to fetch (\S+)\s+(\d{3}[^\[]*)", out)
        why = "; ".join("%s: %s" % (os.path.basename(u), s.strip()) for u, s in fails) \
            if fails else first_error(out)
        shutil.rmtree(d, ignore_errors=True)
        return None, None, how, "apt-get source failed (%s)" % why
    return tree, ver, how, None


def copy_tree(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)


def build_memcached(tree, bdir, cc):
    """configure + make memcached; returns (binary, why)"""
    copy_tree(tree, bdir)
    # no sasl/tls: fewer build dependencies, the same server code paths
    rc, out = run(["./configure", "-q", "CC=" + cc, "CFLAGS=" + " ".join(CFLAGS),
                   "--disable-dependency-tracking"], cwd=bdir)
    if rc != 0:
        return None, "configure: " + first_error(out)
    # CFLAGS replaced at make time: configure appends -Werror, and gcc warns
    # under -fsanitize=thread (-Wtsan), which would fail the sanitized builds
    rc, out = run(["make", "-j2", "memcached", "CFLAGS=" + " ".join(CFLAGS + ["-pthread", "-Wall"])],
                  cwd=bdir)
    exe = os.path.join(bdir, "memcached")
    if rc != 0 or not os.access(exe, os.X_OK):
        return None, "make: " + first_error(out)
    return exe, None


def build_pigz(tree, bdir, cc):
    copy_tree(tree, bdir)
    rc, out = run(["make", "-j2", "pigz", "CC=" + cc, "CFLAGS=" + " ".join(CFLAGS + ["-Wall"])],
                  cwd=bdir)
    exe = os.path.join(bdir, "pigz")
    if rc != 0 or not os.access(exe, os.X_OK):
        return None, "make: " + first_error(out)
    return exe, None


RECIPES = {"memcached": build_memcached, "pigz": build_pigz}


def build_source(pkg, tree, ver, cfg, cc, res):
    """build PKG for the configuration into build/bench/exact/CFG/PKG,
    skipped when the same compiler, runtime and source built it last time"""
    out = os.path.join(EX, cfg["key"], pkg)
    stamp = {"version": ver, "command": command_text(cfg), "compiler": compiler_version(cfg),
             "shim": sha_of(SHIM) if cfg["key"].startswith("lh-") else None,
             "lockhound": sha_of(LOCKHOUND) if cfg["key"].startswith("lh-") else None,
             "recipe": sha_of(os.path.abspath(__file__))}
    sfile = out + ".stamp"
    try:
        with open(sfile) as f:
            if json.load(f) == stamp and os.access(out, os.X_OK):
                res["programs"][pkg] = out
                return
    except (OSError, ValueError):
        pass
    bdir = os.path.join(WORK, "build", cfg["key"], pkg)
    exe, why = RECIPES[pkg](tree, bdir, cc)
    if exe:
        shutil.copy2(exe, out)
        with open(sfile, "w") as f:
            json.dump(stamp, f)
        res["programs"][pkg] = out
        shutil.rmtree(bdir, ignore_errors=True)
    else:
        res["failed"][pkg] = why


# ------------------------------------------------------------ main

def main():
    for f in (LOCKHOUND, SHIM):
        if not os.path.exists(f):
            print("bench: exact: %s is missing: run make first" % f, file=sys.stderr)
            return 1
    os.makedirs(EX, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    sources = {}
    trees = {}
    for pkg in SOURCES:
        if pkg not in RECIPES:
            print("bench: exact: unknown source package %r (known: %s)"
                  % (pkg, ", ".join(sorted(RECIPES))), file=sys.stderr)
            return 2
        tree, ver, how, why = fetch_source(pkg)
        sources[pkg] = {"status": "ok" if tree else "unavailable", "version": ver, "how": how,
                        "why": why}
        log("source %s: %s" % (pkg, ("version %s" % ver) if tree else why))
        if tree:
            trees[pkg] = (tree, ver)
    configs = []
    for cfg in CONFIGS:
        res = {"key": cfg["key"], "label": cfg["label"], "command": command_text(cfg),
               "compiler": compiler_version(cfg), "programs": {}, "failed": {}}
        d = os.path.join(EX, cfg["key"])
        for f in glob.glob(os.path.join(d, "*")):
            if os.path.isfile(f) and not f.endswith(".stamp") and not os.path.exists(f + ".stamp"):
                os.unlink(f)  # stale binaries of an earlier session are never measured
        cc = wrapper(cfg)
        status, why, info = probe(cfg, cc)
        res.update(status=status, why=why, runtime=info.get("runtime", "-"), probe=info)
        if status != "not built":
            build_micros(cfg, cc, res)
            for pkg, (tree, ver) in trees.items():
                build_source(pkg, tree, ver, cfg, cc, res)
        log("%-10s %-12s %s%s" % (cfg["key"], status, why or res["runtime"],
                                  ("; failed: " + ", ".join(sorted(res["failed"])))
                                  if res["failed"] else ""))
        configs.append(res)
    with open(os.path.join(EX, "builds.json"), "w") as f:
        json.dump({"configs": configs, "sources": sources, "shim_sha256": sha_of(SHIM),
                   "lockhound_sha256": sha_of(LOCKHOUND)}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
