"""A stand-in for the app under test in e2e.sh: answers every POST with 200 and a small JSON
body naming the event type it read, so the recipe has an answer to assert on."""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            kind = json.loads(body).get("event_type")
        except ValueError:
            kind = None
        answer = json.dumps({"ok": True, "handled": kind}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
