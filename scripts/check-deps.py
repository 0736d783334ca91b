#!/usr/bin/env python3
"""Dependency direction of the workspace, from `cargo metadata --format-version 1`.

Rules (normal dependencies only, followed transitively through every crate, workspace or
third-party; dev- and build-dependencies are not part of what a crate ships):

- the domain crates (ingest, rule-engine, ai-suggest, audit) depend on no `actix-*`, no
  `sea-orm*`, no `dualcheck-store`, and on none of the layers above them (`dualcheck-api`,
  `dualcheck-service`, `dualcheck-migrations`);
- `dualcheck-store` depends on no `actix-*`, `dualcheck-api` or `dualcheck-service`;
- `dualcheck-service` depends on no `actix-*` and not on `dualcheck-api`;
- no workspace crate but `dualcheck-api` and the end-to-end `dualcheck-tests` depends on
  `actix-*`.

A broken rule prints one line per offending edge, `crate -> dependency`, with the path
that reaches it, and exits 1. The rules name crates that must exist: a renamed domain crate
is an error, not a silent pass (`dualcheck-service` may be absent until it is added).

    scripts/check-deps.py               # runs cargo metadata in the current workspace
    scripts/check-deps.py metadata.json # checks a saved `cargo metadata` output
    scripts/check-deps.py --self-test   # proves the rules catch violations (synthetic metadata)
"""

import json
import subprocess
import sys
from collections import deque

DOMAIN = [
    "dualcheck-ingest",
    "dualcheck-rule-engine",
    "dualcheck-ai-suggest",
    "dualcheck-audit",
    "dualcheck-revise",
]
ACTIX_ALLOWED = {"dualcheck-api", "dualcheck-tests"}
OPTIONAL = {"dualcheck-service"}


def is_actix(name):
    return name == "actix" or name.startswith("actix-")


def is_sea_orm(name):
    return name.startswith("sea-orm")


def rules():
    """(crate, description, predicate on a dependency's name)."""
    r = []
    upper = {"dualcheck-store", "dualcheck-api", "dualcheck-service", "dualcheck-migrations"}
    for c in DOMAIN:
        r.append((c, "actix-*", is_actix))
        r.append((c, "sea-orm*", is_sea_orm))
        r.append((c, "dualcheck-store, -api, -service or -migrations", upper.__contains__))
    r.append(("dualcheck-store", "actix-*", is_actix))
    r.append(("dualcheck-store", "dualcheck-api or -service", {"dualcheck-api", "dualcheck-service"}.__contains__))
    r.append(("dualcheck-service", "actix-*", is_actix))
    r.append(("dualcheck-service", "dualcheck-api", "dualcheck-api".__eq__))
    return r


def graph(meta):
    """Names of workspace members, and normal-dependency edges by package name."""
    names = {p["id"]: p["name"] for p in meta["packages"]}
    members = {names[i] for i in meta["workspace_members"]}
    edges = {}
    for node in (meta.get("resolve") or {}).get("nodes", []):
        out = edges.setdefault(names[node["id"]], set())
        for d in node.get("deps", []):
            kinds = d.get("dep_kinds") or [{"kind": None}]
            if any(k.get("kind") is None for k in kinds):
                out.add(names[d["pkg"]])
    return members, edges


def path_to(edges, start, bad):
    """Shortest normal-dependency paths from `start` to every crate matching `bad`."""
    prev = {start: None}
    queue = deque([start])
    found = []
    while queue:
        cur = queue.popleft()
        for dep in sorted(edges.get(cur, ())):
            if dep in prev:
                continue
            prev[dep] = cur
            if bad(dep):
                hops = [dep]
                while prev[hops[-1]] is not None:
                    hops.append(prev[hops[-1]])
                found.append(list(reversed(hops)))
            else:
                queue.append(dep)
    return found


def check(meta):
    """Every violation as one line; an empty list when the workspace keeps the rules."""
    members, edges = graph(meta)
    errors = []
    for c in DOMAIN + ["dualcheck-store", "dualcheck-api", "dualcheck-tests"]:
        if c not in members:
            errors.append(f"{c}: named by the dependency rules but not a workspace member (renamed? update scripts/check-deps.py)")
    checks = rules() + [(m, "actix-*", is_actix) for m in sorted(members - ACTIX_ALLOWED)]
    seen = set()
    for crate, what, bad in checks:
        if crate not in members:
            continue
        for hops in path_to(edges, crate, bad):
            key = (crate, hops[-1])
            if key in seen:
                continue
            seen.add(key)
            via = "" if len(hops) == 2 else f" (via {' -> '.join(hops)})"
            errors.append(f"{crate} -> {hops[-1]}: {crate} must not depend on {what}{via}")
    return errors


def synthetic(extra_edges, members=None, dev=()):
    """A small `cargo metadata` document: the real workspace's shape plus `extra_edges`."""
    members = list(members or DOMAIN + ["dualcheck-store", "dualcheck-api", "dualcheck-tests", "dualcheck-testkit"])
    base = [
        ("dualcheck-api", "actix-web"),
        ("dualcheck-api", "dualcheck-store"),
        ("dualcheck-api", "dualcheck-ingest"),
        ("dualcheck-store", "sea-orm"),
        ("dualcheck-store", "dualcheck-audit"),
        ("dualcheck-tests", "actix-web"),
        ("dualcheck-tests", "dualcheck-api"),
        ("dualcheck-ingest", "lopdf"),
        ("actix-web", "actix-http"),
        ("sea-orm", "sqlx"),
    ]
    edges = base + list(extra_edges)
    names = sorted(set(members) | {n for e in edges for n in e} | {n for e in dev for n in e})
    pid = {n: f"registry+{n}@1.0.0" for n in names}
    deps = {n: [] for n in names}
    for a, b in edges:
        deps[a].append({"name": b, "pkg": pid[b], "dep_kinds": [{"kind": None, "target": None}]})
    for a, b in dev:
        deps[a].append({"name": b, "pkg": pid[b], "dep_kinds": [{"kind": "dev", "target": None}]})
    return {
        "packages": [{"id": pid[n], "name": n} for n in names],
        "workspace_members": [pid[n] for n in members],
        "resolve": {"nodes": [{"id": pid[n], "deps": deps[n]} for n in names]},
    }


def self_test():
    cases = [
        ("the real shape is clean", [], None, (), []),
        ("a dev-dependency is not shipped", [], None, [("dualcheck-ingest", "actix-web")], []),
        ("domain -> actix directly (store, above audit, inherits it)", [("dualcheck-audit", "actix-web")], None, (),
         ["dualcheck-audit -> actix-web", "dualcheck-store -> actix-web"]),
        ("domain -> actix through a third-party crate", [("dualcheck-ai-suggest", "some-http"), ("some-http", "actix-rt")], None, (),
         ["dualcheck-ai-suggest -> actix-rt"]),
        ("domain -> store through a workspace crate", [("dualcheck-rule-engine", "dualcheck-ingest"), ("dualcheck-ingest", "dualcheck-store")], None, (),
         ["dualcheck-ingest -> dualcheck-store", "dualcheck-rule-engine -> dualcheck-store", "dualcheck-ingest -> sea-orm", "dualcheck-rule-engine -> sea-orm"]),
        ("domain -> sea-orm", [("dualcheck-ingest", "sea-orm-migration")], None, (), ["dualcheck-ingest -> sea-orm-migration"]),
        ("store -> actix", [("dualcheck-store", "actix-web")], None, (), ["dualcheck-store -> actix-web"]),
        ("service -> actix", [("dualcheck-service", "actix-web")],
         DOMAIN + ["dualcheck-store", "dualcheck-api", "dualcheck-tests", "dualcheck-service"], (), ["dualcheck-service -> actix-web"]),
        ("service -> api", [("dualcheck-service", "dualcheck-api")],
         DOMAIN + ["dualcheck-store", "dualcheck-api", "dualcheck-tests", "dualcheck-service"], (), ["dualcheck-service -> dualcheck-api", "dualcheck-service -> actix-web"]),
        ("any other member -> actix", [("dualcheck-testkit", "actix-http")], None, (), ["dualcheck-testkit -> actix-http"]),
        ("a renamed domain crate", [], ["dualcheck-ingest", "dualcheck-rule-engine", "dualcheck-ai", "dualcheck-audit", "dualcheck-revise", "dualcheck-store", "dualcheck-api", "dualcheck-tests"], (),
         ["dualcheck-ai-suggest: named by the dependency rules but not a workspace member"]),
    ]
    failed = 0
    for label, extra, members, dev, want in cases:
        got = check(synthetic(extra, members, dev))
        ok = len(got) == len(want) and all(any(g.startswith(w) for g in got) for w in want)
        print(f"self-test {'ok  ' if ok else 'FAIL'} {label}" + ("" if ok else f": want {want}, got {got}"))
        failed += not ok
    # The reported path names every hop.
    got = check(synthetic([("dualcheck-ai-suggest", "some-http"), ("some-http", "actix-rt")]))
    if not any("(via dualcheck-ai-suggest -> some-http -> actix-rt)" in g for g in got):
        print(f"self-test FAIL the path is named: {got}")
        failed += 1
    if failed:
        print(f"check-deps self-test: {failed} case(s) failed")
        return 1
    print(f"check-deps self-test: {len(cases) + 1} cases ok")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) == 2:
        with open(argv[1]) as f:
            meta = json.load(f)
    elif len(argv) == 1:
        out = subprocess.run(["cargo", "metadata", "--format-version", "1"], stdout=subprocess.PIPE)
        if out.returncode != 0:
            print("check-deps: cargo metadata failed (see above)", file=sys.stderr)
            return 1
        meta = json.loads(out.stdout)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    errors = check(meta)
    for e in errors:
        print(f"dependency rule broken: {e}", file=sys.stderr)
    if errors:
        return 1
    members, _ = graph(meta)
    print(f"check-deps: {len(members)} workspace crates keep the dependency rules")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
