// A fake of the part of Stripe's API this service calls, at the HTTP level: it receives the
// exact requests the official `stripe` client sends (form-encoded bodies, Authorization,
// Idempotency-Key, Stripe-Version), records them, and answers as Stripe does: the objects'
// shapes (typed against the package's own Stripe.Checkout.Session, Stripe.PaymentIntent,
// Stripe.Charge, Stripe.Refund), its error JSON and statuses, and its idempotency rules.
//
// Platform-neutral (Request in, Response out; only web APIs), so the same fake serves the
// workerd tests (test/support/fakeStripe.ts replaces fetch in the test isolate) and a real
// HTTP server on 127.0.0.1 for the end-to-end tests and the CLIs
// (test/e2e/support/fakeStripeServer.ts). Test controls stand in for what a customer does on
// Stripe's pages: pay a session, start a delayed payment, let it expire.
import type Stripe from "stripe";

/** What the client sent, decoded. */
export interface RecordedStripeRequest {
  method: string;
  path: string;
  /** The query string decoded like the form (expand[0]=... becomes { expand: [...] }). */
  query: Record<string, unknown>;
  /** The form body decoded into nested objects and arrays, as Stripe reads it. */
  form: Record<string, unknown>;
  idempotencyKey: string | null;
  authorization: string | null;
  stripeVersion: string | null;
  /** What the fake answered. */
  status: number;
}

/** An error as Stripe words it: `{ "error": { type, code, param, message } }` with an HTTP status. */
export interface StripeErrorAnswer {
  status: number;
  type: string;
  code?: string;
  param?: string;
  message: string;
  /** Stripe-Should-Retry: Stripe sends false when a retry cannot help. */
  shouldRetry?: boolean;
}

export type ScriptedAnswer =
  | StripeErrorAnswer
  | "network-error"
  /** Holds the request until the promise settles, then answers normally (for races). */
  | { until: Promise<unknown> };

export const STRIPE_ERRORS = {
  invalidRequest: (message = "Invalid request", param?: string, code = "parameter_invalid_empty"): StripeErrorAnswer => ({
    status: 400,
    type: "invalid_request_error",
    code,
    ...(param ? { param } : {}),
    message,
  }),
  /** Stripe answers an unknown or rolled key with 401 and type invalid_request_error, masking the key. */
  badKey: (key = "sk_test_unknown"): StripeErrorAnswer => ({
    status: 401,
    type: "invalid_request_error",
    message: `Invalid API Key provided: ${maskKey(key)}`,
  }),
  rateLimited: (): StripeErrorAnswer => ({
    status: 429,
    type: "invalid_request_error",
    code: "rate_limit",
    message: "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
  }),
  serverError: (): StripeErrorAnswer => ({
    status: 500,
    type: "api_error",
    message: "An unknown error occurred",
  }),
} as const;

type Session = Pick<
  Stripe.Checkout.Session,
  | "id"
  | "object"
  | "amount_subtotal"
  | "amount_total"
  | "cancel_url"
  | "client_reference_id"
  | "created"
  | "currency"
  | "customer_email"
  | "expires_at"
  | "livemode"
  | "metadata"
  | "mode"
  | "payment_status"
  | "status"
  | "success_url"
  | "url"
> & {
  payment_intent: string | PaymentIntent | null;
};

type PaymentIntent = Pick<
  Stripe.PaymentIntent,
  "id" | "object" | "amount" | "amount_received" | "currency" | "created" | "livemode" | "metadata" | "status"
> & { latest_charge: string | Charge | null };

type Charge = Pick<
  Stripe.Charge,
  "id" | "object" | "amount" | "amount_captured" | "amount_refunded" | "currency" | "created" | "livemode" | "paid" | "refunded" | "status"
> & { payment_intent: string };

type Refund = Pick<Stripe.Refund, "id" | "object" | "amount" | "currency" | "created" | "metadata" | "reason" | "status"> & {
  charge: string;
  payment_intent: string;
};

/** The line items a session was created with (Stripe keeps them; its GET lists them separately). */
interface SessionExtras {
  lineItems: { quantity: number; unit_amount: number; currency: string; name: string }[];
  paymentIntentMetadata: Record<string, string>;
}

const FIELDS_SEPARATOR = "\u0000";

export function maskKey(key: string): string {
  const prefix = /^(?:sk|rk|pk)_(?:live|test)_/.exec(key)?.[0] ?? "";
  return `${prefix}****${key.slice(-4)}`;
}

let counter = 0;
function stripeLikeId(prefix: string): string {
  counter += 1;
  return `${prefix}_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}${counter}`;
}

export function createFakeStripeApi(opts: { now?: () => number } = {}) {
  const now = () => Math.floor((opts.now?.() ?? Date.now()) / 1000);
  const requests: RecordedStripeRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const sessions = new Map<string, Session & { extras: SessionExtras }>();
  const intents = new Map<string, Omit<PaymentIntent, "latest_charge"> & { latest_charge: string | null }>();
  const charges = new Map<string, Charge>();
  const refunds = new Map<string, Refund>();
  const idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const revoked = new Set<string>();

  function error(answer: StripeErrorAnswer): Response {
    const headers: Record<string, string> = { "Request-Id": `req_${crypto.randomUUID().slice(0, 14)}` };
    if (answer.shouldRetry !== undefined) headers["Stripe-Should-Retry"] = String(answer.shouldRetry);
    return Response.json(
      {
        error: {
          type: answer.type,
          ...(answer.code ? { code: answer.code, doc_url: `https://stripe.com/docs/error-codes/${answer.code.replaceAll("_", "-")}` } : {}),
          ...(answer.param ? { param: answer.param } : {}),
          message: answer.message,
          request_log_url: "https://dashboard.stripe.com/test/logs",
        },
      },
      { status: answer.status, headers },
    );
  }

  const missing = (kind: string, id: string, param = "id") =>
    error({ status: 404, type: "invalid_request_error", code: "resource_missing", param, message: `No such ${kind}: '${id}'` });

  function publicSession(session: Session & { extras: SessionExtras }, expand: string[]): Session {
    const { extras: _extras, ...rest } = session;
    const intent = typeof rest.payment_intent === "string" ? rest.payment_intent : null;
    return { ...rest, payment_intent: intent !== null && expand.includes("payment_intent") ? publicIntent(intent, []) : intent };
  }

  function publicIntent(id: string, expand: string[]): PaymentIntent {
    const intent = intents.get(id)!;
    const charge = intent.latest_charge;
    return { ...intent, latest_charge: charge !== null && expand.includes("latest_charge") ? charges.get(charge)! : charge };
  }

  function createSession(form: Record<string, unknown>): Response {
    if (form.mode !== "payment") return error(STRIPE_ERRORS.invalidRequest("This fake only creates sessions in payment mode.", "mode"));
    const items = Array.isArray(form.line_items) ? (form.line_items as Record<string, unknown>[]) : [];
    if (items.length === 0) return error(STRIPE_ERRORS.invalidRequest("Missing required param: line_items.", "line_items", "parameter_missing"));
    if (items.length > 100) return error(STRIPE_ERRORS.invalidRequest("line_items may contain at most 100 items.", "line_items"));
    const lineItems: SessionExtras["lineItems"] = [];
    for (const [i, item] of items.entries()) {
      const price = (item?.price_data ?? {}) as Record<string, unknown>;
      const product = (price.product_data ?? {}) as Record<string, unknown>;
      const quantity = Number(item?.quantity);
      const unitAmount = Number(price.unit_amount);
      if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 999_999)
        return error(STRIPE_ERRORS.invalidRequest(`Invalid integer: ${String(item?.quantity)}`, `line_items[${i}][quantity]`, "parameter_invalid_integer"));
      if (!Number.isSafeInteger(unitAmount) || unitAmount < 0 || String(price.unit_amount) !== String(unitAmount))
        return error(STRIPE_ERRORS.invalidRequest(`Invalid integer: ${String(price.unit_amount)}`, `line_items[${i}][price_data][unit_amount]`, "parameter_invalid_integer"));
      if (typeof price.currency !== "string" || !/^[a-z]{3}$/.test(price.currency))
        return error(STRIPE_ERRORS.invalidRequest("Invalid currency.", `line_items[${i}][price_data][currency]`, "parameter_invalid_string"));
      if (typeof product.name !== "string" || product.name === "")
        return error(STRIPE_ERRORS.invalidRequest("Missing required param: line_items[0][price_data][product_data][name].", `line_items[${i}][price_data][product_data][name]`, "parameter_missing"));
      lineItems.push({ quantity, unit_amount: unitAmount, currency: price.currency, name: product.name });
    }
    const currency = lineItems[0]!.currency;
    if (lineItems.some((l) => l.currency !== currency))
      return error(STRIPE_ERRORS.invalidRequest("All line items must use the same currency.", "line_items"));
    if (typeof form.success_url !== "string" || !/^https?:\/\//.test(form.success_url))
      return error(STRIPE_ERRORS.invalidRequest("Not a valid URL", "success_url", "url_invalid"));
    if (form.cancel_url !== undefined && (typeof form.cancel_url !== "string" || !/^https?:\/\//.test(form.cancel_url)))
      return error(STRIPE_ERRORS.invalidRequest("Not a valid URL", "cancel_url", "url_invalid"));
    const created = now();
    let expiresAt = created + 24 * 3600;
    if (form.expires_at !== undefined) {
      expiresAt = Number(form.expires_at);
      if (!Number.isSafeInteger(expiresAt) || expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) {
        return error(
          STRIPE_ERRORS.invalidRequest(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours after the Checkout Session is created.",
            "expires_at",
            "parameter_invalid_integer",
          ),
        );
      }
    }
    if (typeof form.client_reference_id === "string" && form.client_reference_id.length > 200)
      return error(STRIPE_ERRORS.invalidRequest("client_reference_id must be at most 200 characters.", "client_reference_id"));
    const amount = lineItems.reduce((sum, l) => sum + l.quantity * l.unit_amount, 0);
    const id = stripeLikeId("cs");
    const intentData = (form.payment_intent_data ?? {}) as Record<string, unknown>;
    const session: Session & { extras: SessionExtras } = {
      id,
      object: "checkout.session",
      amount_subtotal: amount,
      amount_total: amount,
      cancel_url: typeof form.cancel_url === "string" ? form.cancel_url : null,
      client_reference_id: typeof form.client_reference_id === "string" ? form.client_reference_id : null,
      created,
      currency,
      customer_email: typeof form.customer_email === "string" ? form.customer_email : null,
      expires_at: expiresAt,
      livemode: false,
      metadata: stringRecord(form.metadata),
      mode: "payment",
      // Since API version 2022-08-01 the payment intent is created when the customer pays.
      payment_intent: null,
      payment_status: "unpaid",
      status: "open",
      success_url: form.success_url,
      url: `https://checkout.stripe.com/c/pay/${id}#fidkdWxOYHwnPyd1blpxYHZxWjA0`,
      extras: { lineItems, paymentIntentMetadata: stringRecord(intentData.metadata) },
    };
    sessions.set(id, session);
    return Response.json(publicSession(session, []));
  }

  function createRefund(form: Record<string, unknown>): Response {
    const intentId = typeof form.payment_intent === "string" ? form.payment_intent : null;
    const chargeId = typeof form.charge === "string" ? form.charge : null;
    const intent = intentId ? intents.get(intentId) : [...intents.values()].find((i) => i.latest_charge === chargeId);
    if (!intent) return intentId ? missing("payment_intent", intentId, "payment_intent") : missing("charge", String(chargeId), "charge");
    const charge = intent.latest_charge ? charges.get(intent.latest_charge) : undefined;
    if (!charge || intent.status !== "succeeded") {
      return error(
        STRIPE_ERRORS.invalidRequest(
          `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
          "payment_intent",
          "charge_not_refundable",
        ),
      );
    }
    const remaining = charge.amount_captured - charge.amount_refunded;
    if (remaining <= 0) return error(STRIPE_ERRORS.invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, "charge_already_refunded"));
    const amount = form.amount === undefined ? remaining : Number(form.amount);
    if (!Number.isSafeInteger(amount) || String(form.amount ?? amount) !== String(amount) || amount < 1)
      return error(STRIPE_ERRORS.invalidRequest(`Invalid integer: ${String(form.amount)}`, "amount", "parameter_invalid_integer"));
    if (amount > remaining) {
      return error(
        STRIPE_ERRORS.invalidRequest(
          `Refund amount (${money(amount, charge.currency)}) is greater than unrefunded amount on charge (${money(remaining, charge.currency)})`,
          "amount",
          "amount_too_large",
        ),
      );
    }
    const reason = form.reason;
    if (reason !== undefined && !["duplicate", "fraudulent", "requested_by_customer"].includes(String(reason)))
      return error(STRIPE_ERRORS.invalidRequest(`Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`, "reason", "parameter_invalid_string"));
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
    const refund: Refund = {
      id: stripeLikeId("re"),
      object: "refund",
      amount,
      currency: charge.currency,
      created: now(),
      metadata: stringRecord(form.metadata),
      reason: (reason ?? null) as Refund["reason"],
      status: "succeeded",
      charge: charge.id,
      payment_intent: intent.id,
    };
    refunds.set(refund.id, refund);
    return Response.json(refund);
  }

  function route(method: string, path: string, form: Record<string, unknown>, query: Record<string, unknown>): Response {
    const expand = Array.isArray(query.expand) ? query.expand.map(String) : Array.isArray(form.expand) ? form.expand.map(String) : [];
    if (method === "POST" && path === "/v1/checkout/sessions") return createSession(form);
    let match = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === "GET" && match) {
      const session = sessions.get(decodeURIComponent(match[1]!));
      return session ? Response.json(publicSession(session, expand)) : missing("checkout.session", decodeURIComponent(match[1]!));
    }
    match = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === "GET" && match) {
      const id = decodeURIComponent(match[1]!);
      return intents.has(id) ? Response.json(publicIntent(id, expand)) : missing("payment_intent", id);
    }
    if (method === "POST" && path === "/v1/refunds") return createRefund(form);
    match = /^\/v1\/refunds\/([^/]+)$/.exec(path);
    if (method === "GET" && match) {
      const refund = refunds.get(decodeURIComponent(match[1]!));
      return refund ? Response.json(refund) : missing("refund", decodeURIComponent(match[1]!));
    }
    return error({
      status: 404,
      type: "invalid_request_error",
      message: `Unrecognized request URL (${method}: ${path}). This fake Stripe answers only what the service calls.`,
    });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // Bytes, then UTF-8: Stripe's bodies are form-encoded ASCII, and workerd warns on .text() of a form.
    const raw = request.method === "GET" ? "" : new TextDecoder().decode(await request.arrayBuffer());
    const record: RecordedStripeRequest = {
      method: request.method,
      path: url.pathname,
      query: decodeForm(url.searchParams),
      form: decodeForm(new URLSearchParams(raw)),
      idempotencyKey: request.headers.get("Idempotency-Key"),
      authorization: request.headers.get("Authorization"),
      stripeVersion: request.headers.get("Stripe-Version"),
      status: 0,
    };
    requests.push(record);
    const answer = await decide(request, record, raw);
    record.status = answer.status;
    return answer;
  }

  async function decide(request: Request, record: RecordedStripeRequest, raw: string): Promise<Response> {
    const next = script.shift();
    if (next !== undefined && typeof next === "object" && "until" in next) await next.until;
    else if (next === "network-error") throw new TypeError("Network connection lost.");
    else if (next !== undefined) return error(next);
    const key = /^Bearer (\S+)$/.exec(record.authorization ?? "")?.[1] ?? "";
    if (!/^(?:sk|rk)_test_\w+$/.test(key) || revoked.has(key)) {
      return key === ""
        ? error({ status: 401, type: "invalid_request_error", message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')." })
        : error(STRIPE_ERRORS.badKey(key));
    }
    if (request.method !== "POST" || record.idempotencyKey === null) return route(request.method, record.path, record.form, record.query);
    // Stripe keeps an Idempotency-Key per account for 24 hours: the same key with the same
    // request answers the first result again; with another request it is refused.
    const scope = `${key}${FIELDS_SEPARATOR}${record.idempotencyKey}`;
    const fingerprint = `${request.method} ${record.path}${FIELDS_SEPARATOR}${raw}`;
    const seen = idempotent.get(scope);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        return error({
          status: 400,
          type: "idempotency_error",
          message:
            `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
            `Try using a key other than '${record.idempotencyKey}' if you meant to execute a different request.`,
        });
      }
      return Response.json(seen.body, { status: seen.status, headers: { "Idempotent-Replayed": "true" } });
    }
    const answer = route(request.method, record.path, record.form, record.query);
    // Stripe saves the result once the request was processed, a 4xx from validation included.
    if (answer.status !== 429 && answer.status < 500) idempotent.set(scope, { fingerprint, status: answer.status, body: await answer.clone().json() });
    return answer;
  }

  function sessionById(id: string) {
    const session = sessions.get(id);
    if (!session) throw new Error(`fake Stripe: no session ${id}`);
    return session;
  }

  /** The customer pays: a payment intent and its charge exist, the session is complete and paid. */
  function paySession(id: string, opts: { amount?: number } = {}) {
    const session = sessionById(id);
    const amount = opts.amount ?? session.amount_total ?? 0;
    const intentId = stripeLikeId("pi");
    const chargeId = stripeLikeId("ch");
    const created = now();
    charges.set(chargeId, {
      id: chargeId,
      object: "charge",
      amount,
      amount_captured: amount,
      amount_refunded: 0,
      currency: session.currency!,
      created,
      livemode: false,
      paid: true,
      refunded: false,
      status: "succeeded",
      payment_intent: intentId,
    });
    intents.set(intentId, {
      id: intentId,
      object: "payment_intent",
      amount,
      amount_received: amount,
      currency: session.currency!,
      created,
      livemode: false,
      metadata: session.extras.paymentIntentMetadata,
      status: "succeeded",
      latest_charge: chargeId,
    });
    Object.assign(session, { payment_intent: intentId, status: "complete", payment_status: "paid", amount_total: amount });
    return publicSession(session, []);
  }

  /** The customer chose a delayed method (SEPA Direct Debit): complete, not paid yet. */
  function startDelayedPayment(id: string) {
    const session = sessionById(id);
    const intentId = stripeLikeId("pi");
    intents.set(intentId, {
      id: intentId,
      object: "payment_intent",
      amount: session.amount_total ?? 0,
      amount_received: 0,
      currency: session.currency!,
      created: now(),
      livemode: false,
      metadata: session.extras.paymentIntentMetadata,
      status: "processing",
      latest_charge: null,
    });
    Object.assign(session, { payment_intent: intentId, status: "complete", payment_status: "unpaid" });
    return publicSession(session, []);
  }

  function expireSession(id: string) {
    const session = sessionById(id);
    if (session.status !== "open") throw new Error(`fake Stripe: session ${id} is ${session.status}, only an open one expires`);
    Object.assign(session, { status: "expired" });
    return publicSession(session, []);
  }

  return {
    handle,
    requests,
    /** The next answers, in order, before authentication (an outage answers everyone); then normal answers. */
    answerNext(...answers: ScriptedAnswer[]) {
      script.push(...answers);
    },
    /** Every later request with this key is answered 401, as after a key is rolled in the dashboard. */
    revokeKey(key: string) {
      revoked.add(key);
    },
    paySession,
    startDelayedPayment,
    expireSession,
    session: (id: string) => publicSession(sessionById(id), []),
    /** The session created for an order (by metadata.order_id), if any. */
    sessionOfOrder(orderId: string) {
      const found = [...sessions.values()].find((s) => s.metadata?.order_id === orderId);
      return found ? publicSession(found, []) : undefined;
    },
    lineItemsOf: (id: string) => sessionById(id).extras.lineItems,
    refundsOf: (paymentIntent: string) => [...refunds.values()].filter((r) => r.payment_intent === paymentIntent),
    chargeOf(paymentIntent: string) {
      const charge = intents.get(paymentIntent)?.latest_charge;
      return charge ? charges.get(charge) : undefined;
    },
    /** Requests to `path` (and method), oldest first. */
    requestsTo(method: string, path: string | RegExp) {
      return requests.filter((r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)));
    },
    /** Forgets what was received and scripted (objects stay: a later test may read them). */
    reset() {
      requests.length = 0;
      script.length = 0;
      revoked.clear();
    },
  };
}

export type FakeStripeApi = ReturnType<typeof createFakeStripeApi>;

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function money(minor: number, currency: string): string {
  return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/**
 * Stripe's form encoding read back: `line_items[0][price_data][currency]=eur` becomes
 * `{ line_items: [{ price_data: { currency: "eur" } }] }` (numeric parts are array indexes).
 */
export function decodeForm(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of params) {
    const parts = [...name.matchAll(/^[^[]+|\[([^\]]*)\]/g)].map((m) => (m[0].startsWith("[") ? m[1]! : m[0]));
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]!);
      const slot = (node as Record<string, unknown>)[part];
      if (last) (node as Record<string, unknown>)[part] = value;
      else {
        if (slot === undefined || typeof slot !== "object" || slot === null) (node as Record<string, unknown>)[part] = nextIsIndex ? [] : {};
        node = (node as Record<string, unknown>)[part] as Record<string, unknown>;
      }
    });
  }
  return root;
}
