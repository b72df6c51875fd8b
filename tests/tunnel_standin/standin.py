#!/usr/bin/env python3
"""A stand-in for cloudflared, ngrok and ssh in hookpit's tunnel tests (tests/tunnel.rs).

Installed under each program's name first on PATH, it behaves as the real one seen from
hookpit: it reads the capture port from the same arguments, prints its public URL in the
real program's format (cloudflared's quick-tunnel box on stderr, ngrok v3's JSON log line on
stdout, localhost.run's line on stdout), and forwards every TCP connection from its own
"public" port on 127.0.0.1 to the capture port, so no network is needed. Each start gets a
new port, so a new URL, as a quick tunnel does. It runs until it is killed.
"""

import json
import os
import socket
import sys
import threading
import time


def capture_port(name, args):
    """The port hookpit asked the tunnel to reach, from the real program's arguments."""
    if name == "cloudflared":
        return int(args[args.index("--url") + 1].rsplit(":", 1)[1])
    if name == "ngrok":
        return int(args[args.index("http") + 1].rsplit(":", 1)[1])
    if name == "ssh":
        return int(args[args.index("-R") + 1].rsplit(":", 1)[1])
    raise SystemExit(f"standin: unknown program {name}")


def pump(src, dst):
    """Copies one direction of a connection until it ends."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(listener, port):
    """Forwards each connection to the capture port."""
    while True:
        conn, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port))
        except OSError:
            conn.close()
            continue
        threading.Thread(target=pump, args=(conn, upstream), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()


def announce(name, url, target):
    """Prints the public URL as the real program does."""
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if name == "cloudflared":
        box = "+" + "-" * 92 + "+"
        for line in [
            "Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out.",
            "Requesting new quick Tunnel on trycloudflare.com...",
            box,
            "|  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |",
            "|  " + url.ljust(88) + "  |",
            box,
        ]:
            print(f"{ts} INF {line}", file=sys.stderr, flush=True)
    elif name == "ngrok":
        print(json.dumps({"lvl": "info", "msg": "open config file", "obj": "config", "t": ts}), flush=True)
        print(json.dumps({"addr": target, "lvl": "info", "msg": "started tunnel", "name": "command_line",
                          "obj": "tunnels", "t": ts, "url": url}), flush=True)
    else:
        print("===============================================================================", flush=True)
        print("Welcome to localhost.run!", flush=True)
        print("To set up and manage custom domains go to https://admin.localhost.run/", flush=True)
        host = url.split("://", 1)[1]
        print(f"{host} tunneled with tls termination, {url}", flush=True)


def main():
    name = os.path.basename(sys.argv[0])
    port = capture_port(name, sys.argv[1:])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    announce(name, url, f"http://127.0.0.1:{port}")
    serve(listener, port)


if __name__ == "__main__":
    main()
