"""A webhook endpoint written the way Cyberdesk's docs show, for tests/doctor_interop.rs.

    doctor_app.py PORT SECRET

Serves http://127.0.0.1:PORT/ with Python's http.server. Each POST is verified with the
official svix package: Webhook(SECRET).verify(raw body bytes, headers). A failed verification
gets 400; a verified delivery gets 200, and a repeated svix-id gets 200 {"duplicate": true}
(idempotency is the app's job).
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from svix.webhooks import Webhook, WebhookVerificationError

SECRET = sys.argv[2]
SEEN = set()
SEEN_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        payload = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = dict(self.headers.items())
        try:
            Webhook(SECRET).verify(payload, headers)
        except WebhookVerificationError:
            return self.answer(400, {"error": "invalid signature"})
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("svix-id", lower.get("webhook-id", ""))
        with SEEN_LOCK:
            duplicate = msg_id in SEEN
            SEEN.add(msg_id)
        self.answer(200, {"duplicate": True} if duplicate else {"received": True})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
