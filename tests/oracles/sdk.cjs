// npm SDK oracles for tests/providers_sdk.rs: each provider's official package signs or verifies
// a request hookpit wrote. Reads one JSON request on stdin:
// {"provider", "op": "sign"|"verify", "secret", "method", "url", "headers": {..}, "body", "now"};
// prints {"headers": {..}} for sign, {"valid": bool} for verify. Exit 3 when the package is missing.
const { pathToFileURL } = require('url');

// ESM-only packages: resolved through NODE_PATH like `require`, then imported by file URL.
const esm = (name) => import(pathToFileURL(require.resolve(name)).href);

const oracles = {
  async discord(req) {
    const { verifyKey } = require('discord-interactions');
    const h = req.headers;
    return verifyKey(req.body, h['X-Signature-Ed25519'], h['X-Signature-Timestamp'], req.secret);
  },
  async sendgrid(req) {
    const { EventWebhook } = require('@sendgrid/eventwebhook');
    const ew = new EventWebhook();
    const key = ew.convertPublicKeyToECDSA(req.secret);
    const h = req.headers;
    return ew.verifySignature(key, req.body, h['X-Twilio-Email-Event-Webhook-Signature'],
      h['X-Twilio-Email-Event-Webhook-Timestamp']);
  },
  async paddle(req) {
    // Constructing the client installs the SDK's Node crypto provider, which unmarshal needs.
    const { Paddle, Environment } = require('@paddle/paddle-node-sdk');
    const paddle = new Paddle('pdl_sdbx_apikey_oracle', { environment: Environment.sandbox });
    try {
      return await paddle.webhooks.isSignatureValid(req.body, req.secret, req.headers['Paddle-Signature']);
    } catch (e) {
      return false;
    }
  },
  async linear(req) {
    const { LinearWebhookClient } = await esm('@linear/sdk/webhooks');
    try {
      return new LinearWebhookClient(req.secret).verify(Buffer.from(req.body), req.headers['Linear-Signature']);
    } catch (e) {
      return false;
    }
  },
  async square(req) {
    const { WebhooksHelper } = require('square');
    return WebhooksHelper.verifySignature({
      requestBody: req.body,
      signatureHeader: req.headers['x-square-hmacsha256-signature'],
      signatureKey: req.secret,
      notificationUrl: req.url,
    });
  },
  async mux(req) {
    const Mux = require('@mux/mux-node').default;
    const mux = new Mux({ tokenId: 'id', tokenSecret: 'secret' });
    try {
      await mux.webhooks.verifySignature(req.body, req.headers, req.secret);
      return true;
    } catch (e) {
      return false;
    }
  },
  async hubspot(req) {
    const { Signature } = require('@hubspot/api-client');
    if (req.op === 'sign') {
      const timestamp = req.now * 1000;
      const signature = Signature.getSignature(req.method, 'v3', {
        clientSecret: req.secret, requestBody: req.body, url: req.url, timestamp,
      });
      return { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) };
    }
    try {
      return Signature.isValid({
        signatureVersion: 'v3', method: req.method, clientSecret: req.secret, requestBody: req.body,
        url: req.url, signature: req.headers['X-HubSpot-Signature-v3'],
        timestamp: Number(req.headers['X-HubSpot-Request-Timestamp']),
      });
    } catch (e) {
      return false;
    }
  },
  async shopify(req) {
    if (req.op === 'sign') {
      // The SDK's own helper for writing the header Shopify sends.
      const { getHmac } = require('@shopify/shopify-api/test-helpers');
      return { 'X-Shopify-Hmac-Sha256': getHmac(req.body, req.secret) };
    }
    require('@shopify/shopify-api/adapters/node');
    const { shopifyApi, ApiVersion, LogSeverity } = require('@shopify/shopify-api');
    const shopify = shopifyApi({
      apiKey: 'oracle', apiSecretKey: req.secret, scopes: [], hostName: 'hooks.example.com',
      apiVersion: ApiVersion.January25, isEmbeddedApp: false,
      logger: { level: LogSeverity.Error, log: async (_, msg) => console.error(msg) },
    });
    // What Node's http server would hand the app: lower-case header names, the path.
    const headers = Object.fromEntries(Object.entries(req.headers).map(([n, v]) => [n.toLowerCase(), v]));
    const url = new URL(req.url);
    const result = await shopify.webhooks.validate({
      rawBody: req.body,
      rawRequest: { headers, method: req.method, url: url.pathname + url.search },
      rawResponse: {},
    });
    if (!result.valid && result.reason !== 'invalid_hmac') throw new Error(`shopify: ${JSON.stringify(result)}`);
    return result.valid;
  },
  async zoom(req) {
    const { AwsLambdaReceiver } = require('@zoom/rivet/meetings');
    // The receiver logs each event with console.debug: keep stdout for the answer.
    console.debug = (...args) => console.error(...args);
    const handle = new AwsLambdaReceiver({ webhooksSecretToken: req.secret }).start();
    const res = await handle({ body: req.body, headers: req.headers, isBase64Encoded: false }, {});
    if (res.statusCode !== 200 && res.statusCode !== 400) throw new Error(`zoom: ${res.body}`);
    return res.statusCode === 200;
  },
  async stripe(req) {
    const Stripe = require('stripe');
    const stripe = new Stripe('sk_test_oracle');
    if (req.op === 'sign') {
      const header = stripe.webhooks.generateTestHeaderString({
        payload: req.body, secret: req.secret, timestamp: req.now,
      });
      return { 'Stripe-Signature': header };
    }
    try {
      stripe.webhooks.constructEvent(req.body, req.headers['Stripe-Signature'], req.secret);
      return true;
    } catch (e) {
      if (e.type === 'StripeSignatureVerificationError') return false;
      throw e;
    }
  },
  async github(req) {
    // Import-only (no `require` condition): loaded from its file under NODE_PATH.
    const path = require('path');
    const file = path.join(process.env.NODE_PATH || '', '@octokit/webhooks-methods/dist-node/index.js');
    const { sign, verify } = await import(pathToFileURL(file).href).catch((e) => {
      throw Object.assign(e, { code: 'MODULE_NOT_FOUND' });
    });
    if (req.op === 'sign') return { 'X-Hub-Signature-256': await sign(req.secret, req.body) };
    return verify(req.secret, req.body, req.headers['X-Hub-Signature-256']);
  },
};

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString());
  let out;
  try {
    out = await oracles[req.provider](req);
  } catch (e) {
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      console.error(`missing: ${e.message}`);
      process.exit(3);
    }
    throw e;
  }
  console.log(JSON.stringify(req.op === 'sign' ? { headers: out } : { valid: Boolean(out) }));
}

main();
