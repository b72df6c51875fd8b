"""Python SDK oracles for tests/providers_sdk.rs: each provider's official package signs or
verifies a request hookpit wrote. Reads one JSON request on stdin:
{"provider", "op": "sign"|"verify", "secret", "method", "url", "headers": {..}, "body", "now"};
prints {"headers": {..}} for sign, {"valid": bool} for verify. Exit 3 when the package is missing."""
import json
import sys
import urllib.parse


def slack(req):
    from slack_sdk.signature import SignatureVerifier

    class Clock:
        def now(self):
            return float(req["now"])

    v = SignatureVerifier(req["secret"], clock=Clock())
    if req["op"] == "sign":
        ts = str(req["now"])
        return {"X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": v.generate_signature(timestamp=ts, body=req["body"])}
    h = req["headers"]
    return v.is_valid(req["body"], h["X-Slack-Request-Timestamp"], h["X-Slack-Signature"])


def twilio(req):
    from twilio.request_validator import RequestValidator

    v = RequestValidator(req["secret"])
    form = req["headers"].get("Content-Type", "").startswith("application/x-www-form-urlencoded")
    params = dict(urllib.parse.parse_qsl(req["body"], keep_blank_values=True)) if form else req["body"]
    if req["op"] == "sign":
        return {"X-Twilio-Signature": v.compute_signature(req["url"], params if form else {})}
    return v.validate(req["url"], params, req["headers"]["X-Twilio-Signature"])


def razorpay(req):
    import razorpay as rp

    if req["op"] == "sign":
        raise SystemExit("razorpay's SDK only verifies")
    client = rp.Client(auth=("rzp_test_key", "rzp_test_secret"))
    try:
        client.utility.verify_webhook_signature(
            req["body"], req["headers"]["X-Razorpay-Signature"], req["secret"])
        return True
    except rp.errors.SignatureVerificationError:
        return False


def coinbase(req):
    from coinbase_commerce.error import SignatureVerificationError
    from coinbase_commerce.webhook import WebhookSignature

    if req["op"] == "sign":
        return {"X-CC-Webhook-Signature": WebhookSignature._compute_signature(req["body"], req["secret"])}
    try:
        return WebhookSignature.verify_sig_header(
            req["body"], req["headers"]["X-CC-Webhook-Signature"], req["secret"])
    except SignatureVerificationError:
        return False


def mailgun(req):
    from mailgun.security import SecurityGuard

    if req["op"] == "sign":
        raise SystemExit("mailgun's SDK only verifies")
    # Mailgun signs the timestamp and token it puts in the body, beside the signature.
    sig = json.loads(req["body"])["signature"]
    return SecurityGuard.verify_webhook(req["secret"], sig["token"], sig["timestamp"], sig["signature"])

def main():
    req = json.load(sys.stdin)
    try:
        oracles = {"slack": slack, "twilio": twilio, "razorpay": razorpay, "coinbase": coinbase,
                   "mailgun": mailgun}
        out = oracles[req["provider"]](req)
    except ImportError as e:
        print(f"missing: {e}", file=sys.stderr)
        sys.exit(3)
    print(json.dumps({"headers": out} if req["op"] == "sign" else {"valid": bool(out)}))


main()
