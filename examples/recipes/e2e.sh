#!/bin/sh
# An end-to-end test of a webhook receiver, with hookpit in front of it: start the app and
# hookpit, send a signed `run_complete` through hookpit, wait for it, and assert on what the app
# answered. Exits non-zero when any step fails. README.md ("Testing with hookpit") walks
# through it; the test suite runs it (tests/recipes.rs), so it keeps working.
#
# Settings (all optional): HOOKPIT (the binary), CAPTURE and UI (hookpit's two addresses),
# APP_PORT (the app's port), SECRET (the signing secret the app and hookpit share).
set -eu

HOOKPIT=${HOOKPIT:-hookpit}
CAPTURE=${CAPTURE:-127.0.0.1:8700}
UI=${UI:-127.0.0.1:8701}
APP_PORT=${APP_PORT:-3000}
SECRET=${SECRET:-whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
APP_PID=
HOOKPIT_PID=
cleanup() {
    [ -n "$HOOKPIT_PID" ] && kill "$HOOKPIT_PID" 2>/dev/null
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# 1. The app under test (here a stand-in that answers 200 {"ok": true, "handled": TYPE}).
python3 "$HERE/app.py" "$APP_PORT" &
APP_PID=$!
python3 - "$APP_PORT" <<'PY'  # until the app accepts connections
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        break
    except OSError:
        time.sleep(0.1)
PY

# 2. hookpit in front of it, on a fresh database, forwarding to the app.
"$HOOKPIT" --listen "$CAPTURE" --ui "$UI" --db "$WORK/hookpit.db" \
    --secret "$SECRET" --forward "http://127.0.0.1:$APP_PORT" >"$WORK/hookpit.log" 2>&1 &
HOOKPIT_PID=$!
export HOOKPIT_UI="$UI"
"$HOOKPIT" status --wait 10s >/dev/null

# 3. A signed run_complete, sent through hookpit to the app.
"$HOOKPIT" send run_complete --to "http://$CAPTURE/webhooks/cyberdesk" --secret "$SECRET" >/dev/null

# 4. Wait for it. The database is fresh, so `--after 0` also finds it when it is already in.
EVENT=$("$HOOKPIT" wait 'type:run_complete' --after 0 --timeout 10s)
ID=$(printf '%s\n' "$EVENT" | python3 -c '
import json, sys
event = json.load(sys.stdin)
assert event["verification"]["status"] == "valid", event["verification"]
print(event["id"])
')

# 5. Assert on the app's answer, from hookpit's record of the delivery. The record is written
#    just after the app answers, so give it a moment.
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    if "$HOOKPIT" show "$ID" --json | python3 -c '
import json, sys
attempts = json.load(sys.stdin)["attempts"]
last = attempts[-1] if attempts else {}
if last.get("status") is None:
    sys.exit(3)  # not answered yet
assert last["status"] == 200, "the app answered %s" % last["status"]
answer = json.loads(last["response_body"]["data"])
assert answer == {"ok": True, "handled": "run_complete"}, answer
print("ok: event %s reached the app, which answered 200 %s" % (last["event_id"], answer))
'; then
        exit 0
    else
        [ $? -eq 3 ] || exit 1
    fi
    sleep 0.2
done
echo "the app's answer was never recorded" >&2
exit 1
