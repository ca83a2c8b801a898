#!/usr/bin/env python3
"""Slow-connection measurement for docs/performance.md (issue 13, finding 2).

Starts `scrutineer serve` (release build) under `ulimit -n 1024`, opens N
connections that each send one byte of a never-ending request head every
INTERVAL seconds (from one address, or spread over many loopback
addresses), and meanwhile times ordinary `GET /api/health` requests from
another address. Prints when the slow connections were closed, the
server's peak number of open file descriptors, and the ordinary requests'
latencies.

    python3 benches/slowloris.py [--conns 1100] [--interval 5] [--spread 1|55] [--tls]
"""

import argparse
import asyncio
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "scrutineer")


def start_server(db, tls):
    listen = "0.0.0.0:0" if tls else "127.0.0.1:0"
    p = subprocess.Popen(
        ["bash", "-c", f'ulimit -n 1024 && exec "{BIN}" serve --db "{db}" --listen {listen}'],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stdout:
        m = re.match(r"listening on https?://[^:]+:(\d+)", line)
        if m:
            port = int(m.group(1))
        if line.startswith("setup link"):
            break
    return p, port


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


async def slow(addr, port, src, interval, started, tls_ctx):
    t0 = time.monotonic()
    try:
        r, w = await asyncio.open_connection(addr, port, local_addr=(src, 0))
    except OSError:
        return ("refused", 0.0)
    started.append(1)
    if tls_ctx is not None:
        # A TLS client that never starts its handshake.
        pass
    head = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: "
    i = 0
    try:
        while True:
            if tls_ctx is None:
                w.write(head[i:i + 1] if i < len(head) else b"a")
                await w.drain()
            i += 1
            try:
                data = await asyncio.wait_for(r.read(512), timeout=interval)
                if not data:
                    return ("closed", time.monotonic() - t0)
            except asyncio.TimeoutError:
                continue
    except (ConnectionError, OSError):
        return ("closed", time.monotonic() - t0)


async def ordinary(port, tls):
    ctx = None
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    t0 = time.monotonic()
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.254", 0), ssl=ctx), 30)
        w.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(r.read(), 30)
        ok = data.startswith(b"HTTP/1.1 200")
    except Exception as e:  # noqa: BLE001 - a measurement, report any failure
        ok = False
    return ok, (time.monotonic() - t0) * 1000


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=1100)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--spread", type=int, default=1, help="number of client addresses")
    ap.add_argument("--tls", action="store_true")
    a = ap.parse_args()
    db = os.path.join(tempfile.mkdtemp(prefix="slowloris-"), "m.db")
    server, port = start_server(db, a.tls)
    started = []
    tasks = []
    for i in range(a.conns):
        src = f"127.0.1.{1 + i % a.spread}"
        tasks.append(asyncio.create_task(slow("127.0.0.1", port, src, a.interval, started, a.tls or None)))
    peak = 0
    lat = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 25:
        peak = max(peak, fds(server.pid))
        ok, ms = await ordinary(port, a.tls)
        lat.append((ok, ms))
        await asyncio.sleep(1)
    results = await asyncio.wait_for(asyncio.gather(*tasks), 60)
    server.terminate()
    closed = sorted(t for s, t in results if s == "closed")
    at_once = sum(1 for t in closed if t < 1.0)
    by_timeout = sum(1 for t in closed if t >= 1.0)
    oks = [ms for ok, ms in lat if ok]
    print(f"slow connections: {a.conns} from {a.spread} address(es), one byte every {a.interval}s"
          f"{' (TLS port, no handshake)' if a.tls else ''}")
    print(f"  closed at once (<1 s): {at_once}; closed by the header timeout: {by_timeout}"
          f" (after {closed[-1] if closed else 0:.1f} s at most); refused at connect: "
          f"{sum(1 for s, _ in results if s == 'refused')}")
    print(f"  server open descriptors, peak: {peak} (limit 1024)")
    print(f"  ordinary requests meanwhile: {len(oks)}/{len(lat)} ok, "
          f"median {sorted(oks)[len(oks) // 2] if oks else 0:.1f} ms, max {max(oks) if oks else 0:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
