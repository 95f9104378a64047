#!/usr/bin/python3
"""depgraph: the dependency rules of neptun's core, checked.

How the pieces fit
------------------
The core is cut into modules: the folders directly under core/ (core/base,
core/locale, core/content, core/store, core/render, core/http, core/rules,
core/plugin, core/api).  core/include/neptun is the plugin SDK and counts as
one module named "include".  Files directly in core/ form the module "core"
(today's flat layout: the whole core is that one module).

A unit is a .c file together with the .h of the same name in the same folder
(store.c + store.h).  A header without a .c of its name (store_internal.h,
clock.h, the SDK headers) is no unit: an include of it is followed through to
the units it includes, so a header shared by several files never hides or
invents a dependency.

Two graphs of units are built and checked each on its own:
  include  unit A includes B's header (directly or through unit-less headers);
           "x.h" is looked up beside the including file, then in core/,
           core/include and every module folder, as the compiler is told to;
  symbol   with --build DIR: A's object file has an undefined symbol (nm: U)
           that B's object file defines (T, D, B, R, ...).  The objects are
           those CMake leaves in DIR/**/CMakeFiles/<target>.dir/<source>.o.

The check fails (exit 1) and prints each circle as a path a -> b -> a, with
the include lines and symbols behind every step, when
  1. units depend on each other in a circle, in either graph;
  2. modules use each other in a circle;
  3. a file includes a private header of another module.

Public and private headers (the convention)
-------------------------------------------
A module's contract is one header named after the module:
core/store/store.h is public, every other header in core/store/ is private.
PUBLIC_HEADERS below replaces the public headers of a module (base lists
several).  CMake's neptun_module() calls name the same headers: keep both
in step.  A header
whose name ends in _internal.h is private whatever the table says.  Every
header of the SDK (core/include/neptun) and of the flat top level core/ is
public.

Usage
-----
  tools/depgraph.py [--root DIR] [--build DIR] [--graph] [--dot]
  --root DIR   the project root holding core/ (default: this script's ../)
  --build DIR  a build folder with the core's objects; adds the symbol graph
  --graph      print the module graph in topological order, lowest first
  --dot        print the unit graph in Graphviz dot, one cluster per module
Exit status: 0 clean, 1 a rule is broken, 2 usage or tool error.
"""

import argparse
import collections
import os
import re
import subprocess
import sys

# Module -> public headers, relative to the module's folder.  A module not
# named here has one public header, <module>.h.  "*" makes every header
# public (the SDK, and the flat top level while it still exists).
PUBLIC_HEADERS = {
    "include": "*",
    "core": "*",
    # base is a shelf of independent leaves (no shared state between them):
    # each keeps its own small header rather than one umbrella header.
    "base": ["conf.h", "log.h", "errors.h", "xmlutil.h", "metrics.h",
             "clock.h", "lru.h", "utf8.h"],
}

# The order a request meets the modules: it breaks ties in --graph so the
# topological listing reads as the request's path.  Modules not named here
# follow in alphabetical order.
MODULE_ORDER = ["include", "base", "locale", "content", "store", "render",
                "http", "rules", "plugin", "api", "core"]

# Defined-symbol types of nm -P (uppercase: external).  U and w: undefined.
DEFINED_TYPES = set("TDBRGSCVWIiu")
UNDEFINED_TYPES = set("Uw")

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*(?:"([^"]+)"|<([^>]+)>)')


class Tree:
    """The files under core/, their units, modules and includes."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.core = os.path.join(self.root, "core")
        if not os.path.isdir(self.core):
            raise SystemExit("depgraph: no core/ in %s" % self.root)
        self.files = []          # paths relative to core/
        for dirpath, dirnames, filenames in os.walk(self.core):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(dirpath, name), self.core)
                    self.files.append(rel)
        self.fileset = set(self.files)
        sources = {f[:-2] for f in self.files if f.endswith(".c")}
        # unit id: path without extension, for a .c and its .h; None for a
        # header that has no .c of its name.
        self.unit_of = {}
        for f in self.files:
            stem = f[:-2]
            self.unit_of[f] = stem if stem in sources else None
        self.units = sorted(sources)
        self.search_dirs = [".", "include"] + sorted(
            d for d in os.listdir(self.core)
            if os.path.isdir(os.path.join(self.core, d)) and d != "include")
        self.includes = {}       # file -> [(header, line)]
        self.unresolved = []
        for f in self.files:
            self.includes[f] = self._scan(f)

    def module_of(self, f):
        parts = f.split(os.sep)
        return parts[0] if len(parts) > 1 else "core"

    def unit_name(self, u):
        return u + ".c"

    def _resolve(self, f, name):
        here = os.path.dirname(f)
        for d in [here] + self.search_dirs:
            cand = os.path.normpath(os.path.join(d, name))
            if cand in self.fileset:
                return cand
        return None

    def _scan(self, f):
        out = []
        with open(os.path.join(self.core, f), encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                if m.group(1) is not None:
                    target = self._resolve(f, m.group(1))
                    if target is None:
                        self.unresolved.append((f, lineno, m.group(1)))
                else:   # <...>: only the SDK's own headers are ours
                    target = self._resolve(os.curdir, m.group(2)) \
                        if m.group(2).startswith("neptun/") else None
                if target is not None:
                    out.append((target, lineno))
        return out

    def is_public(self, header):
        mod = self.module_of(header)
        name = os.path.basename(header)
        if name.endswith("_internal.h"):
            return False
        listed = PUBLIC_HEADERS.get(mod)
        if listed == "*":
            return True
        rel = os.path.relpath(header, mod)
        if listed is not None:
            return rel in listed
        return rel == mod + ".h"


class Graph:
    """Directed graph of units with the reasons behind each edge."""

    def __init__(self):
        self.edges = collections.defaultdict(set)
        self.why = collections.defaultdict(list)   # (a, b) -> [str]
        self.kinds = collections.defaultdict(set)  # (a, b) -> {"inc", "sym"}
        self.lone = set()                          # nodes that may have no edge

    def add(self, a, b, kind, why):
        if a == b:
            return
        self.edges[a].add(b)
        self.kinds[(a, b)].add(kind)
        if why not in self.why[(a, b)]:
            self.why[(a, b)].append(why)

    def nodes(self):
        ns = set(self.edges) | self.lone
        for vs in self.edges.values():
            ns |= vs
        return ns


def include_edges(tree, graph):
    """Unit -> unit edges from #include, followed through unit-less headers."""
    for f in tree.files:
        src = tree.unit_of[f]
        if src is None:
            continue
        for header, lineno in tree.includes[f]:
            seen = set()
            stack = [(header, "%s:%d includes %s" % (f, lineno, header))]
            while stack:
                h, why = stack.pop()
                if h in seen:
                    continue
                seen.add(h)
                dst = tree.unit_of[h]
                if dst is not None:
                    graph.add(src, dst, "inc", why)
                    continue
                for h2, l2 in tree.includes[h]:
                    stack.append((h2, "%s (via %s:%d)" % (why, h, l2)))


def object_source(tree, build, obj):
    """The core source (relative to core/) an object was compiled from."""
    rel = os.path.relpath(obj, build)
    parts = rel.split(os.sep)
    if "CMakeFiles" in parts:
        i = parts.index("CMakeFiles")
        if i + 1 < len(parts) and parts[i + 1].endswith(".dir"):
            prefix = parts[:i]
            rest = parts[i + 2:]
            if rest and rest[-1].endswith(".o"):
                rest[-1] = rest[-1][:-2]
            for cand in (prefix + rest, rest):
                path = os.path.join(tree.root, *cand) if cand else ""
                if path.endswith(".c") and os.path.isfile(path):
                    r = os.path.relpath(path, tree.core)
                    if not r.startswith(".."):
                        return r
            return None
    # Anything else (a plain obj/x.o): by name, when one core source has it.
    base = os.path.basename(obj)
    stem = base[:-4] if base.endswith(".c.o") else base[:-2]
    matches = [f for f in tree.files if f.endswith(".c")
               and os.path.basename(f)[:-2] == stem]
    return matches[0] if len(matches) == 1 else None


def symbol_edges(tree, build, graph):
    objs = collections.defaultdict(list)
    for dirpath, dirnames, filenames in os.walk(build):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".o"):
                obj = os.path.join(dirpath, name)
                src = object_source(tree, build, obj)
                if src is not None:
                    objs[src].append(obj)
    if not objs:
        raise SystemExit("depgraph: no objects of core/ sources under %s" % build)
    defined = collections.defaultdict(set)   # symbol -> units
    undefined = collections.defaultdict(set)  # unit -> symbols
    for src, paths in sorted(objs.items()):
        unit = tree.unit_of[src]
        for obj in paths:
            try:
                out = subprocess.run(["nm", "-P", obj], check=True,
                                     capture_output=True, text=True).stdout
            except (OSError, subprocess.CalledProcessError) as e:
                raise SystemExit("depgraph: nm %s: %s" % (obj, e))
            for line in out.splitlines():
                fields = line.split()
                if len(fields) < 2:
                    continue
                sym, typ = fields[0], fields[1]
                if typ in UNDEFINED_TYPES:
                    undefined[unit].add(sym)
                elif typ in DEFINED_TYPES and typ.isupper():
                    defined[sym].add(unit)
    uses = collections.defaultdict(list)
    for unit, syms in undefined.items():
        for sym in sorted(syms):
            for owner in defined.get(sym, ()):
                uses[(unit, owner)].append(sym)
    for (a, b), syms in uses.items():
        shown = ", ".join(syms[:4]) + (", ..." if len(syms) > 4 else "")
        graph.add(a, b, "sym", "%s uses %s" % (tree.unit_name(a), shown))
    missing = [u for u in tree.units if u + ".c" not in objs and
               os.path.basename(u) != "main"]
    return len(objs), missing


def sccs(nodes, edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def shortest_cycle(start, comp, edges):
    """The shortest path start -> ... -> start inside one component."""
    inside = set(comp)
    prev = {start: None}
    queue = collections.deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(edges.get(v, ())):
            if w not in inside:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return None


def cycles(graph):
    """Every non-trivial component, each with the shortest circle through
    each of its nodes (duplicates by rotation dropped)."""
    found = []
    for comp in sccs(graph.nodes(), graph.edges):
        if len(comp) < 2:
            continue
        paths, seen = [], set()
        for v in comp:
            p = shortest_cycle(v, comp, graph.edges)
            if p is None:
                continue
            ring = p[:-1]
            k = ring.index(min(ring))
            key = tuple(ring[k:] + ring[:k])
            if key not in seen:
                seen.add(key)
                paths.append(list(key) + [key[0]])
        paths.sort(key=lambda p: (len(p), p))
        found.append((comp, paths))
    return found


def merge_cycles(a, b):
    """File circles of the include graph and of the symbol graph, each
    circle once, grouped by the component of the graph that found it."""
    out, seen = [], set()
    for comp, paths in a + b:
        fresh = [p for p in paths if tuple(p) not in seen]
        seen.update(tuple(p) for p in fresh)
        if fresh:
            out.append((comp, fresh))
    return out


def module_graph(tree, units_graph):
    mg = Graph()
    for (a, b), whys in units_graph.why.items():
        ma, mb = tree.module_of(a + ".c"), tree.module_of(b + ".c")
        if ma != mb:
            for w in whys:
                mg.add(ma, mb, "use", w)
    # Includes of unit-less headers of another module count too.
    for f in tree.files:
        for header, lineno in tree.includes[f]:
            ma, mb = tree.module_of(f), tree.module_of(header)
            if ma != mb:
                mg.add(ma, mb, "inc", "%s:%d includes %s" % (f, lineno, header))
    mg.lone = {tree.module_of(f) for f in tree.files}
    return mg


def leaks(tree):
    out = []
    for f in tree.files:
        for header, lineno in tree.includes[f]:
            if tree.module_of(f) != tree.module_of(header) and not tree.is_public(header):
                out.append("%s:%d includes %s, private to module %s"
                           % (f, lineno, header, tree.module_of(header)))
    return out


def order_key(m):
    return (MODULE_ORDER.index(m) if m in MODULE_ORDER else len(MODULE_ORDER), m)


def topo(mg):
    """Modules lowest first (a module after everything it uses)."""
    nodes = mg.nodes()
    needs = {m: set(mg.edges.get(m, ())) for m in nodes}
    done, out = set(), []
    while len(out) < len(nodes):
        ready = sorted((m for m in nodes if m not in done and needs[m] <= done),
                       key=order_key)
        if not ready:   # a circle: take the next by the request's order
            ready = sorted((m for m in nodes if m not in done), key=order_key)
        done.add(ready[0])
        out.append(ready[0])
    return out


def print_cycles(title, found, graph, name):
    for comp, paths in found:
        print("%s circle among %d: %s" % (title, len(comp), ", ".join(name(c) for c in comp)))
        for p in paths:
            kinds = set.intersection(*(graph.kinds[e] for e in zip(p, p[1:])))
            label = {"inc": " (includes)", "sym": " (symbols)"}
            tag = " (includes and symbols)" if kinds >= {"inc", "sym"} else \
                label.get(next(iter(kinds)), "") if kinds else ""
            print("  " + " \u2192 ".join(name(x) for x in p) + tag)
            for a, b in zip(p, p[1:]):
                kinds = "+".join(sorted(graph.kinds[(a, b)]))
                whys = graph.why[(a, b)]
                print("      %s \u2192 %s [%s]: %s" % (name(a), name(b), kinds, whys[0]))
                for w in whys[1:3]:
                    print("          %s" % w)
                if len(whys) > 3:
                    print("          (%d more)" % (len(whys) - 3))


def print_dot(tree, graph):
    print("digraph neptun_core {")
    print("  rankdir=BT; node [shape=box, fontsize=10];")
    bymod = collections.defaultdict(list)
    for u in tree.units:
        bymod[tree.module_of(u + ".c")].append(u)
    for i, mod in enumerate(sorted(bymod, key=order_key)):
        print('  subgraph cluster_%d { label="%s";' % (i, mod))
        for u in bymod[mod]:
            print('    "%s";' % tree.unit_name(u))
        print("  }")
    for a in sorted(graph.edges):
        for b in sorted(graph.edges[a]):
            style = "" if "inc" in graph.kinds[(a, b)] else " [style=dashed]"
            print('  "%s" -> "%s"%s;' % (tree.unit_name(a), tree.unit_name(b), style))
    print("}")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Check the core's dependency rules.")
    ap.add_argument("--root", default=os.path.dirname(here))
    ap.add_argument("--build", help="build folder with the core's objects")
    ap.add_argument("--graph", action="store_true", help="print the module graph")
    ap.add_argument("--dot", action="store_true", help="print the unit graph as dot")
    args = ap.parse_args(argv)
    dot_out = sys.stdout
    if args.dot:   # stdout carries the dot text alone; the report goes aside
        sys.stdout = sys.stderr

    tree = Tree(args.root)
    ginc, gsym = Graph(), Graph()
    include_edges(tree, ginc)
    if args.build:
        if not os.path.isdir(args.build):
            raise SystemExit("depgraph: no build folder %s" % args.build)
        nobj, missing = symbol_edges(tree, os.path.abspath(args.build), gsym)
        print("depgraph: %d units, %d objects read from %s" % (len(tree.units), nobj, args.build))
        if missing:
            print("depgraph: warning: no object for %s (symbol graph incomplete)"
                  % ", ".join(m + ".c" for m in missing))
    else:
        print("depgraph: %d units, includes only (no --build)" % len(tree.units))
    for f, lineno, name in tree.unresolved:
        if not name.endswith(".inc"):
            print("depgraph: note: %s:%d: \"%s\" not found in core/" % (f, lineno, name))

    graph = Graph()   # both, for the module graph and --dot
    for g in (ginc, gsym):
        for (a, b), whys in g.why.items():
            for w in whys:
                graph.add(a, b, next(iter(g.kinds[(a, b)])), w)
    mg = module_graph(tree, graph)
    if args.dot:
        saved, sys.stdout = sys.stdout, dot_out
        print_dot(tree, graph)
        sys.stdout = saved
    if args.graph:
        print("module graph, lowest first:")
        for m in topo(mg):
            uses = sorted(mg.edges.get(m, ()), key=order_key)
            print("  %-10s uses %s" % (m, ", ".join(uses) if uses else "-"))

    fcycles = merge_cycles(cycles(ginc), cycles(gsym))
    mcycles = cycles(mg)
    leaked = leaks(tree)
    print_cycles("file", fcycles, graph, tree.unit_name)
    print_cycles("module", mcycles, mg, lambda m: m)
    for line in leaked:
        print("private header: " + line)
    bad = sum(len(p) for _, p in fcycles) + sum(len(p) for _, p in mcycles) + len(leaked)
    if bad:
        print("depgraph: FAILED: %d file circles, %d module circles, %d private headers"
              % (sum(len(p) for _, p in fcycles), sum(len(p) for _, p in mcycles), len(leaked)))
        return 1
    print("depgraph: ok (no circles, no private header used outside its module)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise
