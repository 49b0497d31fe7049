"""hostkind.py - the kind of host a block of bench/RESULTS.md was measured
on, for the blocks whose numbers depend on it.

Sampled race watching's numbers (detection per trap source, what one trap
costs, the cost of watching with the defaults) depend on the CPU and on
which trap sources work on it: hardware watchpoints fire on some CPUs and
VMs and not on others, userfaultfd write-protect needs privileges.  So
RESULTS.md keeps one such block per host kind, and a run replaces only
the block of its own kind: a block measured on another kind of host stays,
with its own date, machine and commit.

A host kind is the CPU vendor (vendor_id of /proc/cpuinfo: Intel, AMD, or
the raw vendor string) and the trap sources that trap on it, as
bench/tools/trapcost.c sees them without the shim (its self-test: one
store must give one trap).  Its key is written into the block's markers:

    <!-- NAME (VENDOR; SOURCE, SOURCE): begin -->
    ...
    <!-- NAME (VENDOR; SOURCE, SOURCE): end -->

bench.py's keep_blocks keeps every marked block a run does not write, so
keyed blocks need nothing more there.  A block of the same NAME without a
key (written before blocks were keyed) is left where it is: its host kind
is not known.

Python 3 standard library only.
"""

import os
import re
import subprocess

VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}
# trapcost's short names, and the names RESULTS.md and the shim's
# detected_by use
SOURCE_NAMES = [("hw", "watchpoint"), ("wp", "write-protect")]
NO_SOURCE = "no trap source"
UNTESTED = "trap sources not tested"


def cpu_vendor(cpuinfo="/proc/cpuinfo"):
    """Intel, AMD, the raw vendor_id, or the machine name (aarch64 has no
    vendor_id line)"""
    try:
        with open(cpuinfo) as fh:
            for ln in fh:
                if ln.startswith("vendor_id"):
                    v = ln.split(":", 1)[1].strip()
                    return VENDORS.get(v, v or "unknown CPU")
    except OSError:
        pass
    return os.uname().machine


def parse_trapcost(text):
    """({source: us per trap}, {source: why unavailable}) from trapcost's
    output; a run in which fewer than 9 in 10 stores trapped has no number"""
    per, why = {}, {}
    for ln in text.splitlines():
        m = re.match(r"(hw|wp): (\d+) \w+ of (\d+) stores, ([\d.]+) us per trap", ln)
        if m:
            if int(m.group(2)) * 10 >= int(m.group(3)) * 9:
                per[m.group(1)] = float(m.group(4))
            else:
                why[m.group(1)] = "only %s of %s stores trapped" % (m.group(2), m.group(3))
        m = re.match(r"(hw|wp): unavailable: (.*)", ln)
        if m:
            why[m.group(1)] = m.group(2)
    return per, why


def sources_from_trapcost(text):
    """([sources that trap], {source: why not}) in SOURCE_NAMES order"""
    per, why = parse_trapcost(text)
    works = [name for short, name in SOURCE_NAMES if short in per and short not in why]
    lacks = {name: why.get(short, "no result from trapcost")
             for short, name in SOURCE_NAMES if name not in works}
    return works, lacks


def machine_sources(tool, timeout=60):
    """([sources that trap here], {source: why not}) from trapcost (100
    traps each, no shim); None when the tool is not built"""
    if not os.access(tool, os.X_OK):
        return None
    p = subprocess.run([tool, "100"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=timeout)
    return sources_from_trapcost(p.stdout.decode("utf-8", "replace"))


def host_key(vendor, works):
    """the key of a host kind; works None: the sources were not tested"""
    if works is None:
        return "%s; %s" % (vendor, UNTESTED)
    return "%s; %s" % (vendor, ", ".join(works) if works else NO_SOURCE)


def describe(key):
    """a host kind in words: 'AMD host, watchpoint + write-protect'"""
    vendor, _, srcs = key.partition("; ")
    return "%s host, %s" % (vendor, " + ".join(s.strip() for s in srcs.split(",")))


def markers(name, key=None):
    tag = "%s (%s)" % (name, key) if key else name
    return "<!-- %s: begin -->" % tag, "<!-- %s: end -->" % tag


def block_keys(text, name):
    """the host keys of NAME's keyed blocks in text, in order"""
    return re.findall(r"<!-- %s \(([^>]*?)\): begin -->" % re.escape(name), text)


def splice(text, name, key, lines):
    """text with NAME's block of host kind key replaced by lines; a new
    kind's block goes after the last block of NAME (keyed or not), or at
    the end: the blocks of other host kinds are kept as they are"""
    begin, end = markers(name, key)
    body = begin + "\n" + "\n".join(lines).rstrip() + "\n" + end
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        return text[:a] + body + text[b:]
    last = None
    for m in re.finditer(r"<!-- %s(?: \([^>]*?\))?: end -->" % re.escape(name), text):
        last = m
    if last:
        return text[:last.end()] + "\n\n" + body + text[last.end():]
    return text.rstrip() + ("\n\n" if text.strip() else "") + body + "\n"


def put_block(path, name, key, lines):
    text = ""
    if os.path.exists(path):
        with open(path) as fh:
            text = fh.read()
    with open(path, "w") as fh:
        fh.write(splice(text, name, key, lines))
