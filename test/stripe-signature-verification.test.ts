import { describe, expect, it } from "vitest";
import { parseStripeSecrets, STRIPE_SIGNATURE_TOLERANCE_SECONDS, verifyStripeEvent } from "../src/providers/stripe/verifyStripeEvent";
import {
  checkoutSessionCompleted,
  signedStripeDelivery,
  signStripePayload,
  STRIPE_NEXT_SECRET,
  STRIPE_SECRET,
} from "./support/stripeEvents";

const ORDER = "6f1c1f0e-3b9a-4c1d-9a53-0d5e0f6b8a21";
const NOW = 1_780_000_000;
const OTHER_SECRET = "whsec_test_FAKE_unrelated_00000000000000000";

async function delivery(opts: { secret?: string; timestamp?: number } = {}) {
  const event = checkoutSessionCompleted({ clientReferenceId: ORDER });
  return { event, ...(await signedStripeDelivery(event, { timestamp: NOW, ...opts })) };
}

describe("verifying Stripe signatures", () => {
  it("an event signed by Stripe's own signer with our secret is accepted and parsed", async () => {
    const { event, body, signature } = await delivery();
    const verdict = await verifyStripeEvent(body, signature, [STRIPE_SECRET], NOW + 10);
    expect(verdict).toEqual({ ok: true, event });
  });

  it("the current clock is used when no time is given", async () => {
    const { body, signature } = await delivery({ timestamp: Math.floor(Date.now() / 1000) });
    expect(await verifyStripeEvent(body, signature, [STRIPE_SECRET])).toMatchObject({ ok: true });
  });

  it("a body changed after signing is refused, and the reason asks for the raw body", async () => {
    const { body, signature } = await delivery();
    const tampered = body.replace('"amount_total": 4998', '"amount_total": 1');
    expect(tampered).not.toBe(body);
    const verdict = await verifyStripeEvent(tampered, signature, [STRIPE_SECRET], NOW);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("raw request body") });
  });

  it("the same JSON re-serialised (whitespace changed) is refused: only the raw bytes verify", async () => {
    const { body, signature } = await delivery();
    const verdict = await verifyStripeEvent(JSON.stringify(JSON.parse(body)), signature, [STRIPE_SECRET], NOW);
    expect(verdict.ok).toBe(false);
  });

  it("an event signed with another secret is refused", async () => {
    const { body, signature } = await delivery({ secret: OTHER_SECRET });
    const verdict = await verifyStripeEvent(body, signature, [STRIPE_SECRET], NOW);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("No signatures found matching the expected signature") });
  });

  it(`a signature older than ${STRIPE_SIGNATURE_TOLERANCE_SECONDS} seconds is refused as outside the tolerance`, async () => {
    const { body, signature } = await delivery();
    expect(await verifyStripeEvent(body, signature, [STRIPE_SECRET], NOW + 300)).toMatchObject({ ok: true });
    const verdict = await verifyStripeEvent(body, signature, [STRIPE_SECRET], NOW + 301);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("Timestamp outside the tolerance zone") });
  });

  it("a stale signature is reported as stale even when another secret is tried first", async () => {
    const { body, signature } = await delivery();
    const verdict = await verifyStripeEvent(body, signature, [OTHER_SECRET, STRIPE_SECRET], NOW + 3600);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("tolerance") });
  });

  it("a missing Stripe-Signature header is refused with a reason that says so", async () => {
    const { body } = await delivery();
    expect(await verifyStripeEvent(body, undefined, [STRIPE_SECRET], NOW)).toEqual({
      ok: false,
      reason: "No stripe-signature header value was provided.",
    });
    expect(await verifyStripeEvent(body, "", [STRIPE_SECRET], NOW)).toMatchObject({ ok: false });
  });

  it.each([
    ["garbage", "not a signature"],
    ["no timestamp", "v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"],
    ["no v1 signature", `t=${NOW},v0=abc`],
    ["a non-numeric timestamp", "t=yesterday,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"],
    ["a truncated signature", `t=${NOW},v1=5257a869`],
  ])("a header with %s is refused", async (_case, header) => {
    const { body } = await delivery();
    const verdict = await verifyStripeEvent(body, header, [STRIPE_SECRET], NOW);
    expect(verdict.ok).toBe(false);
    expect(verdict).toHaveProperty("reason", expect.any(String));
  });

  it("during a rotation an event signed with the second secret is accepted", async () => {
    const { event, body, signature } = await delivery({ secret: STRIPE_NEXT_SECRET });
    expect(await verifyStripeEvent(body, signature, [STRIPE_SECRET, STRIPE_NEXT_SECRET], NOW)).toEqual({ ok: true, event });
  });

  it("a header carrying signatures by both old and new secrets verifies with either", async () => {
    const { body, signature } = await delivery();
    const newer = await signStripePayload(body, { secret: STRIPE_NEXT_SECRET, timestamp: NOW });
    const both = `${signature},${newer.split(",")[1]}`;
    expect(await verifyStripeEvent(body, both, [STRIPE_NEXT_SECRET], NOW)).toMatchObject({ ok: true });
  });

  it("no secret at all is refused with a reason that names the setting", async () => {
    const { body, signature } = await delivery();
    expect(await verifyStripeEvent(body, signature, [], NOW)).toEqual({ ok: false, reason: expect.stringContaining("STRIPE_WEBHOOK_SECRET") });
  });

  it("a validly signed body that is not a Stripe event is refused instead of parsed", async () => {
    for (const body of ["not json", "[]", '{"id":"evt_1"}', '{"object":"v2.core.event","id":"evt_1","type":"x"}']) {
      const signature = await signStripePayload(body, { timestamp: NOW });
      const verdict = await verifyStripeEvent(body, signature, [STRIPE_SECRET], NOW);
      expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("Signature is valid but the body is not a Stripe event") });
    }
  });

  it("a failing verification never throws and never repeats a secret", async () => {
    const { body, signature } = await delivery();
    const attempts: [string, string | undefined, string[]][] = [
      ["", signature, [STRIPE_SECRET]],
      [body, "t=,v1=", [STRIPE_SECRET]],
      [body, "t=1,v1=zz,t=2", [STRIPE_SECRET, OTHER_SECRET]],
      [body, "\u0000\uffff", [STRIPE_SECRET]],
      [body, "x".repeat(100_000), [STRIPE_SECRET]],
      [body, signature, [""]],
      [body, signature, ["   "]],
      [body, signature, ["whsec_ with spaces "]],
    ];
    for (const [rawBody, header, secrets] of attempts) {
      const verdict = await verifyStripeEvent(rawBody, header, secrets, NOW);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.reason.length).toBeGreaterThan(0);
        for (const secret of [STRIPE_SECRET, OTHER_SECRET]) expect(verdict.reason).not.toContain(secret);
      }
    }
  });
});

describe("parsing STRIPE_WEBHOOK_SECRET", () => {
  it("takes comma-separated secrets in order, trimmed, skipping empty entries", () => {
    expect(parseStripeSecrets(` ${STRIPE_SECRET} ,, ${STRIPE_NEXT_SECRET},`)).toEqual({
      secrets: [STRIPE_SECRET, STRIPE_NEXT_SECRET],
      problems: [],
    });
  });

  it("an unset or empty value gives no secrets and no problems", () => {
    expect(parseStripeSecrets(undefined)).toEqual({ secrets: [], problems: [] });
    expect(parseStripeSecrets(" , ")).toEqual({ secrets: [], problems: [] });
  });

  it("an entry that is not a whsec_ secret, or is truncated, is reported without its value and left out", () => {
    const apiKey = "sk_test_FAKE_not_a_webhook_secret_000000";
    const { secrets, problems } = parseStripeSecrets(`${apiKey},whsec_short,${STRIPE_SECRET}`);
    expect(secrets).toEqual([STRIPE_SECRET]);
    expect(problems).toEqual([
      expect.stringContaining('entry 1 of 3 does not start with "whsec_"'),
      expect.stringContaining("entry 2 of 3 is only 11 characters long"),
    ]);
    expect(problems.join(" ")).not.toContain(apiKey);
    expect(problems.join(" ")).not.toContain("whsec_short");
  });

  it("accepts a secret exactly whsec_ plus 16 characters, and refuses one character less", () => {
    expect(parseStripeSecrets(`whsec_${"a".repeat(16)}`).secrets).toHaveLength(1);
    expect(parseStripeSecrets(`whsec_${"a".repeat(15)}`).secrets).toHaveLength(0);
  });
});
