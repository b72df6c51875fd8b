"""Signature interop with Python's official `svix` package, driven by tests/interop_svix.rs.

    svix_interop.py verify CASES.json SECRET
        Each case is {"body": str, "headers": {...}, "expect": "valid"|"invalid"}; every one is
        checked with svix.webhooks.Webhook(SECRET).verify. Prints {"verified", "rejected",
        "wrong": [names of cases whose outcome differs from "expect"]}.
    svix_interop.py sign CONFIGURED OTHER N
        Prints N cases signed by svix during a rotation (both keys, or only CONFIGURED) that
        must be valid, and N tampered copies that must be invalid.
"""

import json
import random
import string
import sys
from datetime import datetime, timezone

from svix.webhooks import Webhook


def verify(cases_path, secret):
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    hook = Webhook(secret)
    verified, rejected, wrong = 0, 0, []
    for case in cases:
        try:
            hook.verify(case["body"], case["headers"])
            verified += 1
            ok = True
        except Exception:  # svix raises other errors too (e.g. bad base64): all are rejections
            rejected += 1
            ok = False
        if ok != (case["expect"] == "valid"):
            wrong.append(case["name"])
    print(json.dumps({"verified": verified, "rejected": rejected, "wrong": wrong}))


def msg_id():
    alphabet = string.ascii_letters + string.digits
    return "msg_" + "".join(random.choice(alphabet) for _ in range(27))


def body(i):
    kinds = [
        lambda: {"event_type": "run_complete", "event_id": f"evt-{i}", "run": {"status": "success"}},
        lambda: {"event_type": "ping", "data": {"success": True}, "n": i},
        lambda: {"text": "héllo wörld ✓ 漢字 🚀", "i": i},
        lambda: {"big": "x" * (1000 * (i + 1)), "i": i},
        lambda: [i, None, 1.5, "a\"b\\c\n"],
    ]
    value = kinds[i % len(kinds)]()
    # Mix compact and spaced serialisations: the exact bytes are what is signed.
    return json.dumps(value, separators=(",", ":")) if i % 2 else json.dumps(value, ensure_ascii=False)


def sign(configured, other, n):
    now = datetime.now(tz=timezone.utc)
    mine, theirs = Webhook(configured), Webhook(other)
    valid, tampered = [], []
    for i in range(n):
        data, mid = body(i), msg_id()
        ts = str(int(now.timestamp()))
        sigs = [mine.sign(mid, now, data)]
        if i % 5:
            sigs.append(theirs.sign(mid, now, data))
            random.shuffle(sigs)
        headers = {"svix-id": mid, "svix-timestamp": ts, "svix-signature": " ".join(sigs)}
        valid.append({"name": f"svix-{i}", "body": data, "headers": headers, "expect": "valid"})
        bad = {"name": f"svix-{i}-tampered", "body": data, "headers": dict(headers), "expect": "invalid"}
        how = i % 5
        if how == 0:
            bad["body"] = data.replace(data[1], "#" if data[1] != "#" else "$", 1)
        elif how == 1:
            bad["headers"]["svix-id"] = mid[:-1] + ("A" if mid[-1] != "A" else "B")
        elif how == 2:
            bad["headers"]["svix-timestamp"] = str(int(ts) + 1)
        elif how == 3:
            bad["headers"]["svix-signature"] = theirs.sign(mid, now, data)
        else:
            bad["headers"]["svix-signature"] = mine.sign(mid, now, data)[:-6]
        tampered.append(bad)
    print(json.dumps(valid + tampered))


if __name__ == "__main__":
    if sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "sign":
        sign(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {sys.argv[1]!r}")
