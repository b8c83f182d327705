"""Load figures: many users uploading logs at once while others read their
reports, against a real gunicorn and Celery worker on loopback.

Prints `name: value` lines: upload and report-read request latencies
(p50/p95/max), requests per second held, errors, and how long the worker
took to process every upload, with each submission's counts checked exact.

Bounded: LOAD_USERS users each upload LOAD_UPLOADS logs of LOAD_LINES
lines; LOAD_READERS threads read reports until the last upload is
processed. Runs against a database of its own (DATABASE_URL's name with
`_load_bench` appended) and Redis database LOAD_REDIS_DB (default 9), which
it empties first: never real data.
"""

import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from common import ROOT, bench_database_url, bench_env, migrate, recreate_database, start_gunicorn, wait_for_http

USERS = int(os.environ.get("LOAD_USERS", 20))
UPLOADS = int(os.environ.get("LOAD_UPLOADS", 5))
LINES = int(os.environ.get("LOAD_LINES", 2000))
READERS = int(os.environ.get("LOAD_READERS", 10))
WEB_WORKERS = int(os.environ.get("LOAD_WEB_WORKERS", 4))
REDIS_DB = int(os.environ.get("LOAD_REDIS_DB", 9))
HOST, PORT = "127.0.0.1", int(os.environ.get("LOAD_PORT", 8765))
DEADLINE_SECONDS = 600  # the whole run stops here, whatever happens

# First octets with no reserved or private space in them, so every line is kept.
PUBLIC_OCTETS = [o for o in range(11, 224) if o not in (100, 127, 169, 172, 192, 198, 203)]
PORTS = (22, 23, 80, 443, 445, 3389)
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def log_text(user_index: int, upload: int, lines: int) -> bytes:
    """A UFW log no other upload repeats: every line is a distinct event."""
    start = datetime.now(UTC) - timedelta(hours=3)
    rows = []
    for i in range(lines):
        t = start + timedelta(seconds=i % 7200)
        first, second = divmod(i, len(PUBLIC_OCTETS))
        src = f"{PUBLIC_OCTETS[second]}.{first % 250}.{upload}.{1 + user_index % 250}"
        rows.append(
            f"{t:%b %d %H:%M:%S} gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
            f"SRC={src} DST=198.51.100.{1 + user_index % 250} LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID={i % 65536} DF "
            f"PROTO=TCP SPT={1024 + i % 60000} DPT={PORTS[i % len(PORTS)]} WINDOW=29200 RES=0x00 SYN URGP=0"
        )
    return ("\n".join(rows) + "\n").encode()


class Browser:
    """One signed-in user's connection: a session cookie and the CSRF token."""

    def __init__(self, session_key: str):
        self.cookies = {"sessionid": session_key}
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = {"Cookie": cookie, "Host": f"{HOST}:{PORT}", **(headers or {})}
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
            raise
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, elapsed

    def upload(self, text: bytes, name: str):
        status, page, _ = self.request("GET", "/submissions/new/")
        token = CSRF_INPUT.search(page)
        if status != 200 or token is None:
            return status, 0.0
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'.encode()
            + token.group(1)
            + b"\r\n",
            f'--{boundary}\r\nContent-Disposition: form-data; name="timezone"\r\n\r\nUTC\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\n\r\n'.encode(),
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            ).encode()
            + text
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        status, _, elapsed = self.request(
            "POST",
            "/submissions/new/",
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Referer": f"http://{HOST}:{PORT}/"},
        )
        return status, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_latencies(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{name}_requests: {len(ms)}")
    if ms:
        print(f"{name}_p50_ms: {statistics.median(ms):.1f}")
        print(f"{name}_p95_ms: {percentile(ms, 0.95):.1f}")
        print(f"{name}_max_ms: {max(ms):.1f}")


def main() -> None:
    url = bench_database_url("_load_bench")
    redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    env = bench_env(url)
    env.update(
        REDIS_URL=f"{redis_base}/{REDIS_DB}",
        DEBUG="false",
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"http://{HOST}:{PORT}",
        LOG_LEVEL="WARNING",
        # The load is the point here: per-user limits would turn it into 429s.
        RATE_SUBMISSION="100000/m",
        API_RATE_USER="100000/minute",
        API_RATE_SUBMISSIONS="100000/minute",
    )
    os.environ.update(env)
    recreate_database(url)
    migrate(env)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.cache import cache

    from portal.models import User

    cache.clear()  # only LOAD_REDIS_DB: stale queue messages or counters of an earlier run
    browsers = []
    for i in range(USERS):
        user = User.objects.create_user(f"load{i}@example.org", "load-bench-password-1")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        browsers.append(session.session_key)

    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    with (var_dir / "load-gunicorn.log").open("wb") as web_log, (var_dir / "load-worker.log").open("wb") as work_log:
        web = start_gunicorn(env, HOST, PORT, WEB_WORKERS, web_log)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "2", "--loglevel", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=work_log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + DEADLINE_SECONDS
            wait_for_http(HOST, PORT, "/", deadline)
            run_load(browsers, deadline)
        finally:
            for proc in (web, worker):
                proc.terminate()
            for proc in (web, worker):
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def run_load(sessions: list[str], deadline: float) -> None:
    from incidents.models import Submission

    uploads: list[float] = []
    reads: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    uploading_done = threading.Event()
    all_done = threading.Event()

    def uploader(index: int) -> None:
        browser = Browser(sessions[index])
        for n in range(UPLOADS):
            if time.monotonic() > deadline:
                return
            try:
                status, elapsed = browser.upload(log_text(index, n, LINES), f"load-{index}-{n}.log")
            except (OSError, http.client.HTTPException) as exc:
                status, elapsed = repr(exc), 0.0
            with lock:
                if status == 302:
                    uploads.append(elapsed)
                else:
                    errors.append(f"upload {index}/{n}: {status}")

    def reader(index: int) -> None:
        browser = Browser(sessions[index % len(sessions)])
        paths = ["/?" + urlencode({"days": 1}), "/?" + urlencode({"days": 7}), "/submissions/"]
        k = 0
        while not all_done.is_set() and time.monotonic() < deadline:
            path = paths[k % len(paths)]
            k += 1
            try:
                status, _, elapsed = browser.request("GET", path)
            except (OSError, http.client.HTTPException) as exc:
                status, elapsed = repr(exc), 0.0
            with lock:
                if status == 200:
                    reads.append(elapsed)
                else:
                    errors.append(f"read {path}: {status}")

    started = time.perf_counter()
    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(len(sessions))]
    readers = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join()
    uploaded_at = time.perf_counter()
    uploading_done.set()

    expected = len(sessions) * UPLOADS
    while time.monotonic() < deadline:
        open_count = Submission.objects.exclude(status__in=["done", "failed"]).count()
        if open_count == 0 and Submission.objects.count() >= len(uploads):
            break
        time.sleep(0.5)
    processed_at = time.perf_counter()
    all_done.set()
    for t in readers:
        t.join()

    subs = list(Submission.objects.values_list("status", "lines", "accepted", "duplicate", "rejected"))
    exact = sum(1 for s in subs if s == ("done", LINES, LINES, 0, 0))
    upload_seconds = uploaded_at - started
    total_seconds = processed_at - started
    print(f"load_users: {len(sessions)}")
    print(f"load_readers: {READERS}")
    print(f"load_uploads_expected: {expected}")
    print(f"load_uploads_accepted: {len(uploads)}")
    print(f"load_submissions_exact: {exact}")
    print(f"load_lines_per_upload: {LINES}")
    print(f"load_upload_phase_seconds: {upload_seconds:.1f}")
    print(f"load_until_processed_seconds: {total_seconds:.1f}")
    print(f"load_uploads_per_s: {len(uploads) / upload_seconds:.1f}")
    print(f"load_lines_processed_per_s: {exact * LINES / total_seconds:.0f}")
    print(f"load_report_reads_per_s: {len(reads) / total_seconds:.1f}")
    print_latencies("load_upload", uploads)
    print_latencies("load_report_read", reads)
    print(f"load_errors: {len(errors)}")
    for line in errors[:10]:
        print(f"load_error: {line}", file=sys.stderr)
    if errors or exact != expected:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
