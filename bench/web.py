"""Public-page figures on 10,000,000 events: requests per second and latency
percentiles for the IP page and the block list, served by gunicorn on
loopback and driven by wrk at WEB_CONNECTIONS concurrent clients (default 50).

Prints `name: value` lines. Uses the database bench/report.py builds (and
builds it on first use). Two runs per page:

- `saturated`: every client sends its next request as soon as the last one
  answered, the way wrk does by default. On a closed loop the latency is the
  concurrency divided by the throughput (Little's law), so on two cores this
  measures how many requests a second the page holds.
- `paced`: each client waits WEB_THINK_MS (default 1,000 ms) between
  requests, as people reading pages do; 50 such clients ask for about a
  third of what two cores serve, and the latency is the page's own.

wrk comes from Debian (`apt-get install wrk`; `make bench-web` installs it
when missing). The IP page is asked for a mix of WEB_IPS sources (default
2,000): the most reported ones and a seeded random choice of the rest, so
caches do not decide the figure.
"""

import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import ROOT, bench_database_url, start_gunicorn, wait_for_http
from report import SEED, prepare

HOST, PORT = "127.0.0.1", int(os.environ.get("WEB_PORT", 8766))
CONNECTIONS = int(os.environ.get("WEB_CONNECTIONS", 50))
DURATION = os.environ.get("WEB_DURATION", "20s")
THINK_MS = int(os.environ.get("WEB_THINK_MS", 1000))
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", 4))
IPS = int(os.environ.get("WEB_IPS", 2000))
REDIS_DB = int(os.environ.get("WEB_REDIS_DB", 10))
TARGET_P95_MS = 50

WRK_KEYS = {"requests", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "errors"}
# Round-robin over the paths in WRK_PATHS; think time from WRK_THINK_MS.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local think = tonumber(os.getenv("WRK_THINK_MS") or "0")
local counter = math.random(#paths)
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
if think > 0 then
  delay = function() return think end
end
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("requests: %d\\n", summary.requests))
  io.write(string.format("rps: %.0f\\n", summary.requests / seconds))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("p%d_ms: %.1f\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max_ms: %.1f\\n", latency.max / 1000))
  io.write(string.format("errors: %d\\n", errors))
end
"""


def sample_ips() -> list[str]:
    """The most reported sources and a seeded random choice of the others."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT host(source_ip) FROM incidents_source_day GROUP BY source_ip "
            "ORDER BY count(DISTINCT reporter_id) DESC, source_ip LIMIT %s",
            [IPS // 4],
        )
        top = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT DISTINCT host(source_ip) FROM incidents_source_day TABLESAMPLE SYSTEM (2) REPEATABLE (7)")
        rest = sorted(row[0] for row in cur.fetchall())
    rng = random.Random(SEED)
    chosen = top + rng.sample(rest, min(len(rest), IPS - len(top)))
    rng.shuffle(chosen)
    return chosen


def prepare_pages() -> dict[str, list[str]]:
    """Bring the public rollups and today's block list up to date, as the
    scheduler would; return the paths each benchmark asks for."""
    from incidents import port_counts
    from reports import blocklist

    started = time.perf_counter()
    port_counts.refresh()
    print(f"web_port_counts_refresh_seconds: {time.perf_counter() - started:.1f}")
    started = time.perf_counter()
    blocklist.build(rebuild=True)
    print(f"web_blocklist_build_seconds: {time.perf_counter() - started:.1f}")
    return {
        "ip_page": [f"/ip/{ip}/" for ip in sample_ips()],
        "blocklist_txt": ["/blocklist/block.txt"],
        "blocklist_json": ["/blocklist/block.json"],
    }


def wrk(paths: list[str], think_ms: int, workdir: Path) -> dict[str, str]:
    listing = workdir / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = workdir / "cycle.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(CONNECTIONS),
            "-d",
            DURATION,
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://{HOST}:{PORT}",
        ],
        env={**os.environ, "WRK_PATHS": str(listing), "WRK_THINK_MS": str(think_ms)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Only the lines the script's done() writes; wrk's own summary precedes them.
    return dict(line.split(": ", 1) for line in out.splitlines() if line.split(": ", 1)[0] in WRK_KEYS)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench-web does it)")
    url = bench_database_url("_report_bench")
    prepare()  # points this process's DATABASE_URL at that database too
    redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": f"{redis_base}/{REDIS_DB}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
    }
    os.environ["REDIS_URL"] = env["REDIS_URL"]
    from django.core.cache import cache

    cache.clear()  # WEB_REDIS_DB only: pages cached by an earlier run would flatter this one
    benchmarks = prepare_pages()
    print(f"web_connections: {CONNECTIONS}")
    print(f"web_duration: {DURATION}")
    print(f"web_gunicorn_workers: {WEB_WORKERS}")
    print(f"web_ip_page_distinct_ips: {len(benchmarks['ip_page'])}")
    log = ROOT / "var" / "bench" / "web-gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out, tempfile.TemporaryDirectory() as workdir:
        server = start_gunicorn(env, HOST, PORT, WEB_WORKERS, out)
        try:
            wait_for_http(HOST, PORT, "/blocklist/block.txt", time.monotonic() + 60)
            for name, paths in benchmarks.items():
                for mode, think in (("saturated", 0), ("paced", THINK_MS)):
                    figures = wrk(paths, think, Path(workdir))
                    for key, value in figures.items():
                        print(f"web_{name}_{mode}_{key}: {value}")
                    if mode == "paced":
                        within = float(figures["p95_ms"]) < TARGET_P95_MS and figures["errors"] == "0"
                        print(f"web_{name}_paced_p95_within_{TARGET_P95_MS}ms: {'yes' if within else 'no'}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
