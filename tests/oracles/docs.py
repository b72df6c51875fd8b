"""Each provider's documented signing recipe, written afresh from its docs page with Python's
standard library (no code shared with hookpit), for the providers that publish no SDK that signs
or verifies. tests/provider_vectors.rs checks that hookpit finds what this signs `valid` and
that hookpit's own signer writes the same headers. Reads {"provider", "secret", "body", "ts",
"id"} on stdin; prints {"headers": {...}, "body": "..."}."""
import base64
import hashlib
import hmac
import json
import sys


def mac(secret, data, digest=hashlib.sha256):
    return hmac.new(secret.encode(), data.encode(), digest)


def main():
    r = json.load(sys.stdin)
    s, body, ts, mid = r["secret"], r["body"], r["ts"], r["id"]
    b64 = lambda m: base64.b64encode(m.digest()).decode()
    h = None
    name = r["provider"]
    # https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook
    if name == "shopify":
        h = {"X-Shopify-Hmac-Sha256": b64(mac(s, body))}
    # https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
    elif name == "zoom":
        h = {"x-zm-request-timestamp": ts, "x-zm-signature": "v0=" + mac(s, f"v0:{ts}:{body}").hexdigest()}
    # https://www.typeform.com/developers/webhooks/secure-your-webhooks/
    elif name == "typeform":
        h = {"Typeform-Signature": "sha256=" + b64(mac(s, body))}
    # https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures
    elif name == "calendly":
        h = {"Calendly-Webhook-Signature": f"t={ts},v1=" + mac(s, f"{ts}.{body}").hexdigest()}
    # https://developer.pagerduty.com/docs/webhooks-overview#webhook-signatures
    elif name == "pagerduty":
        h = {"X-PagerDuty-Signature": "v1=" + mac(s, body).hexdigest()}
    # https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message
    elif name == "twitch":
        h = {"Twitch-Eventsub-Message-Id": mid, "Twitch-Eventsub-Message-Timestamp": ts,
             "Twitch-Eventsub-Message-Signature": "sha256=" + mac(s, mid + ts + body).hexdigest()}
    # https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token
    elif name == "gitlab":
        h = {"X-Gitlab-Token": s}
    # https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks
    elif name == "bitbucket":
        h = {"X-Hub-Signature": "sha256=" + mac(s, body).hexdigest(), "X-Event-Key": "repo:push"}
    # https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications
    elif name == "intercom":
        h = {"X-Hub-Signature": "sha1=" + mac(s, body, hashlib.sha1).hexdigest()}
    # https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks
    elif name == "vercel":
        h = {"x-vercel-signature": mac(s, body, hashlib.sha1).hexdigest()}
    # https://docs.sentry.io/organization/integrations/integration-platform/webhooks/#sentry-hook-signature
    elif name == "sentry":
        h = {"Sentry-Hook-Signature": mac(s, body).hexdigest()}
    # https://docs.lemonsqueezy.com/help/webhooks/signing-requests
    elif name == "lemonsqueezy":
        h = {"X-Signature": mac(s, body).hexdigest(), "X-Event-Name": "order_created"}
    # https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
    elif name == "woocommerce":
        h = {"X-WC-Webhook-Signature": b64(mac(s, body))}
    # https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
    elif name == "mailgun":
        doc = json.loads(body)
        doc["signature"] = {"timestamp": ts, "token": mid, "signature": mac(s, ts + mid).hexdigest()}
        body = json.dumps(doc)
        h = {}
    # https://postmarkapp.com/developer/webhooks/webhooks-overview#protecting-your-webhook
    elif name == "postmark":
        h = {"Authorization": "Basic " + base64.b64encode(s.encode()).decode(), "User-Agent": "Postmark"}
    if h is None:
        sys.exit(f"no documented recipe for {name}")
    print(json.dumps({"headers": h, "body": body}))


main()
