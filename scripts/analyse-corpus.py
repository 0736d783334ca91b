#!/usr/bin/env python3
"""Analyse the clinical protocols of ../shared/corpus/clinical through a real `dualcheck
serve` (SQLite, the real models, one in-process worker) and print, per protocol: pages,
candidate sentences, proposals dropped as copies, blocked / warned / passed, rule rewrites,
suggestions stored, and the job's time per stage; then passing suggestions with their
originals, so the usefulness of what reaches a reviewer can be judged.

Usage: scripts/analyse-corpus.py [--binary PATH] [--limit N] [--model-min-words N] [--show N] [FILE ...]
(the binary defaults to the debug build in $CARGO_TARGET_DIR; build it first; the models
must be fetched into ./models: `dualcheck models fetch`).
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fuzz", os.path.join(HERE, "fuzz-api.py"))
fuzz = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fuzz)

PASSWORD = "corpus passphrase long enough"


def user(base, admin, name, role):
    status, v = fuzz.call(base, "POST", "/api/v1/users", admin, {"username": name, "password": PASSWORD, "roles": [role]})
    if status != 201:
        sys.exit(f"creating {name} failed: {status} {v}")
    first = fuzz.login(base, "demo", name, PASSWORD)
    fuzz.call(base, "POST", "/api/v1/me/password", first, {"current_password": PASSWORD, "new_password": PASSWORD + " too"})
    return fuzz.login(base, "demo", name, PASSWORD + " too")


def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/dualcheck-target"))
    ap.add_argument("--binary", default=os.path.join(target, "debug", "dualcheck"))
    ap.add_argument("--limit", type=int, default=None, help="most candidate sentences per protocol")
    ap.add_argument("--show", type=int, default=20, help="passing suggestions to print")
    ap.add_argument("--model-min-words", type=int, default=None,
                    help="fewest words for the model's own proposal (default: the service's, 25)")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    root = os.path.dirname(HERE)
    files = args.files or sorted(
        os.path.join(root, "..", "shared", "corpus", "clinical", f)
        for f in os.listdir(os.path.join(root, "..", "shared", "corpus", "clinical"))
        if f.endswith((".pdf", ".docx"))
    )
    work = tempfile.mkdtemp(prefix="dualcheck-corpus-")
    port = fuzz.free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update({
        "DUALCHECK_STORAGE__DATA_DIR": os.path.join(work, "data"),
        "DUALCHECK_SERVER__BIND": f"127.0.0.1:{port}",
        "DUALCHECK_MODELS__DIR": os.path.join(root, "models"),
        "DUALCHECK_MODELS__AUTO_FETCH": "false",
        "DUALCHECK_WORKERS__COUNT": "1",
        "DUALCHECK_WORKERS__POLL_MS": "100",
        "DUALCHECK_SERVER__MAX_UPLOAD_BYTES": str(100 * 1024 * 1024),
        "DUALCHECK_LOG__FILTER": "warn",
    })
    env.pop("DUALCHECK_DATABASE__URL", None)
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    shown = []
    try:
        password = None
        for line in server.stdout:
            m = re.search(r"password: (\S+)", line)
            if m:
                password = m.group(1)
            if "listening on" in line:
                break
        admin = fuzz.login(base, "demo", "admin", password)
        fuzz.call(base, "POST", "/api/v1/me/password", admin, {"current_password": password, "new_password": PASSWORD})
        admin = fuzz.login(base, "demo", "admin", PASSWORD)
        writer = user(base, admin, "corpus_writer", "writer")
        print("protocol | pages | candidates | model asked | dropped | blocked | warned | passed | rule rewrites | stored | read / findings / model load / proposals / store / total (s)")
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            body, ct = fuzz.multipart(os.path.basename(path), data)
            status, doc = fuzz.call(base, "POST", "/api/v1/documents", writer, raw=body, content_type=ct)
            if status != 201:
                print(f"{os.path.basename(path)}: upload refused {status} {doc}")
                continue
            opts = {} if args.limit is None else {"limit": args.limit}
            if args.model_min_words is not None:
                opts["model_min_words"] = args.model_min_words
            status, job = fuzz.call(base, "POST", f"/api/v1/documents/{doc['id']}/analyses", writer, opts)
            while job["state"] in ("queued", "running"):
                time.sleep(1)
                _, job = fuzz.call(base, "GET", f"/api/v1/jobs/{job['id']}", writer)
            s, t = job.get("summary") or {}, job.get("timings") or {}
            sec = lambda k: f"{t.get(k, 0) / 1000:.1f}"
            pages = doc["version"].get("page_count") or json.dumps(doc["structure"]["metadata"].get("page_count"))
            print(f"{os.path.basename(path)} | {pages} | {s.get('candidates')} | {s.get('ai_asked')} | {s.get('dropped')} | {s.get('ai_blocked')} | {s.get('ai_warned')} | {s.get('ai_passed')} | {s.get('rule_rewrites')} | {s.get('stored')} | "
                  + " / ".join(sec(k) for k in ["read_ms", "findings_ms", "model_load_ms", "proposals_ms", "store_ms", "total_ms"])
                  + ("" if job["state"] == "done" else f" ({job['state']}: {job.get('error')})"))
            _, page = fuzz.call(base, "GET", f"/api/v1/documents/{doc['id']}/suggestions?verdict=pass&limit=200", writer)
            for it in page["items"]:
                shown.append((os.path.basename(path), it["source"], it["original"], it["proposal"]))
        for name, source, original, proposal in shown[: args.show]:
            print(f"\n[{name}, {source}]\n  - {original}\n  + {proposal}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
