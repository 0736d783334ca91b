#!/usr/bin/env python3
"""API fuzz run: schemathesis against /openapi.json of a real `dualcheck serve`.

Starts the debug binary on a fresh SQLite data directory, logs in as the bootstrap admin
(changing its password), creates one user per role and uploads a document, then runs
schemathesis once per role with that role's bearer token and a bounded number of examples
per operation. The checks: no server error, every status code, content type, header and
body as the OpenAPI document says (errors are application/problem+json), undeclared methods
answered 405, schema-valid requests accepted and schema-invalid ones rejected. Exit status
non-zero on any failure; the counts are printed per role.

Usage: scripts/fuzz-api.py [--examples N] [--binary PATH]
(`python3 -m pip install schemathesis` first; `.ci/run` does.)
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROLES = ["admin", "writer", "qa", "manager", "auditor"]
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")
PASSWORD = "fuzzing passphrase long enough"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "unsupported_method",
        "positive_data_acceptance",
        "negative_data_rejection",
    ]
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None, raw=None, content_type=None):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if raw is not None:
        data = raw
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read().decode()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def login(base, tenant, user, password):
    status, v = call(base, "POST", "/api/v1/auth/login", body={"tenant": tenant, "username": user, "password": password})
    if status != 200:
        sys.exit(f"fuzz: login of {user} failed: {status} {v}")
    return v["token"]


def multipart(filename, data):
    boundary = "fuzzboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def tiny_pdf():
    # A one-page PDF with one line of text, written by hand (offsets computed).
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    content = b"BT /F1 12 Tf 72 720 Td (Participants received 10 mg daily.) Tj ET"
    objs[3] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=25)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/dualcheck-target"))
    ap.add_argument("--binary", default=os.path.join(target, "debug", "dualcheck"))
    args = ap.parse_args()
    if not shutil.which("schemathesis"):
        sys.exit("fuzz: schemathesis is not installed (python3 -m pip install schemathesis)")

    work = tempfile.mkdtemp(prefix="dualcheck-fuzz-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "DUALCHECK_STORAGE__DATA_DIR": os.path.join(work, "data"),
            "DUALCHECK_SERVER__BIND": f"127.0.0.1:{port}",
            "DUALCHECK_MODELS__DIR": os.path.join(work, "models"),
            "DUALCHECK_MODELS__AUTO_FETCH": "false",
            # The fuzzer logs in far more often than a person: the limits are tested elsewhere.
            "DUALCHECK_LIMITS__ATTEMPTS_PER_ADDRESS_PER_MINUTE": "1000000",
            "DUALCHECK_LIMITS__ATTEMPTS_PER_TENANT_PER_MINUTE": "1000000",
            "DUALCHECK_LOG__FILTER": "warn",
        }
    )
    env.pop("DUALCHECK_DATABASE__URL", None)
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    failed = False
    try:
        password = None
        deadline = time.time() + 60
        for line in server.stdout:
            m = re.search(r"password: (\S+)", line)
            if m:
                password = m.group(1)
            if "listening on" in line or time.time() > deadline:
                break
        if not password:
            sys.exit("fuzz: the server printed no bootstrap password")
        admin = login(base, "demo", "admin", password)
        status, v = call(base, "POST", "/api/v1/me/password", admin, {"current_password": password, "new_password": PASSWORD})
        if status != 200:
            sys.exit(f"fuzz: password change failed: {status} {v}")
        tokens = {"admin": login(base, "demo", "admin", PASSWORD)}
        for role in ROLES[1:]:
            status, v = call(
                base, "POST", "/api/v1/users", tokens["admin"],
                {"username": f"fuzz_{role}", "password": PASSWORD, "roles": [role]},
            )
            if status != 201:
                sys.exit(f"fuzz: creating the {role} failed: {status} {v}")
            # Set by the admin: the user changes it before anything else.
            first = login(base, "demo", f"fuzz_{role}", PASSWORD)
            status, v = call(base, "POST", "/api/v1/me/password", first, {"current_password": PASSWORD, "new_password": PASSWORD + " too"})
            if status != 200:
                sys.exit(f"fuzz: the {role}'s password change failed: {status} {v}")
            tokens[role] = login(base, "demo", f"fuzz_{role}", PASSWORD + " too")
        body, ct = multipart("protocol.pdf", tiny_pdf())
        status, v = call(base, "POST", "/api/v1/documents", tokens["writer"], raw=body, content_type=ct)
        if status != 201:
            sys.exit(f"fuzz: upload failed: {status} {v}")

        for role in ROLES:
            started = time.time()
            out = subprocess.run(
                [
                    "schemathesis", "--config-file", CONFIG, "run", f"{base}/openapi.json",
                    "--header", f"Authorization: Bearer {tokens[role]}",
                    "--checks", CHECKS,
                    "--max-examples", str(args.examples),
                    "--phases", "examples,coverage,fuzzing",
                    "--workers", "1",
                    "--seed", "1",
                    "--suppress-health-check", "all",
                    # Logging out would end the very session the run uses (tested elsewhere).
                    "--exclude-path", "/api/v1/auth/logout",
                    "--no-color",
                ],
                capture_output=True, text=True,
            )
            log = os.path.join(work, f"schemathesis-{role}.log")
            with open(log, "w") as f:
                f.write(out.stdout + out.stderr)
            summary = [l for l in out.stdout.splitlines() if re.search(r"\b(passed|failed|errored|skipped)\b", l)]
            print(f"fuzz: {role}: exit {out.returncode} in {time.time() - started:.0f} s; " + (summary[-1].strip(" =") if summary else "no summary"))
            if out.returncode != 0:
                failed = True
                print(out.stdout[-6000:])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    if failed:
        sys.exit(f"fuzz: FAILED (logs in {work})")
    shutil.rmtree(work, ignore_errors=True)
    print("fuzz: no failure")


if __name__ == "__main__":
    main()
