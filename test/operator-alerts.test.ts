// Alerts: one short plain-text email per new attention item to OPS_ALERT_EMAIL, enqueued by
// the cron and sent by the queue consumer (never inside a webhook's request), at most once
// per item, never failing a webhook.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ANSWERS, postmark } from "./support/fakePostmark";
import { captureQueue, runQueue } from "./support/invoices";
import { attentionOf, createOrder, createProduct, deliver, deliverWithEnv, runCron, webhookRequest } from "./support/shop";

beforeEach(() => postmark.reset());
const ALERTS = { OPS_ALERT_EMAIL: "ops@shop.example" } as Partial<Env>;

async function refundItem() {
  const productId = await createProduct({ stock: 5 });
  const { id, orderNumber } = await createOrder({
    status: "CANCELLED",
    customerEmail: "ada@example.test",
    lines: [{ productId, quantity: 2, unitPriceCents: 1999 }],
  });
  await deliver({ order_id: id, status: "paid" });
  const [item] = await attentionOf(id);
  return { orderId: id, orderNumber, itemId: item!.id };
}

/** The test's D1, except that a batch holding a statement whose SQL matches `pattern` fails as D1 fails. */
function refusing(pattern: RegExp): D1Database {
  const sqlOf = new WeakMap<object, string>();
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => {
          const statement = target.prepare(query);
          // bind() returns a new statement: remember the SQL of that one too.
          const bind = statement.bind.bind(statement);
          statement.bind = (...values: unknown[]) => {
            const bound = bind(...values);
            sqlOf.set(bound, query);
            return bound;
          };
          sqlOf.set(statement, query);
          return statement;
        };
      }
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          statements.some((s) => pattern.test(sqlOf.get(s) ?? "")) ? Promise.reject(new Error("D1_ERROR: Network connection lost.")) : target.batch(statements);
      }
      return Reflect.get(target, prop);
    },
  });
}

const alertsFor = (itemId: number) => postmark.received.filter((e) => e.body.Metadata?.attention_item === String(itemId));

describe("operator alerts", () => {
  it("the cron enqueues each new item and the consumer emails it once, in plain text", async () => {
    const { itemId, orderNumber } = await refundItem();
    const { queue, jobs } = captureQueue();
    await runCron(Date.now(), { ...ALERTS, INVOICE_QUEUE: queue });
    expect(jobs).toContainEqual({ kind: "alert", itemId });

    const result = await runQueue("invoice-emails", [{ kind: "alert", itemId }], ALERTS);
    expect(result.explicitAcks).toHaveLength(1);
    const [email] = alertsFor(itemId);
    expect(email!.body.To).toBe("ops@shop.example");
    expect(email!.body.Subject).toBe(`Needs attention: refund required, order ${orderNumber}`);
    expect(email!.body.TextBody).toContain(`refund 39.98 EUR to ada@example.test, order ${orderNumber}`);
    expect(email!.body.TextBody).toContain(`npm run ops -- resolve ${itemId}`);
    expect(email!.body.HtmlBody).toBeUndefined();
    expect(email!.body.Attachments ?? []).toEqual([]);
    expect((await attentionOf(null)).find((i) => i.id === itemId)?.alert_sent_at).not.toBeNull();
  });

  it("one alert per item, even when its messages are delivered twice and concurrently", async () => {
    const { itemId } = await refundItem();
    postmark.answerNext({ delayMs: 150, then: "ok" });
    await Promise.all([
      runQueue("invoice-emails", [{ kind: "alert", itemId }], ALERTS),
      runQueue("invoice-emails", [{ kind: "alert", itemId }, { kind: "alert", itemId }], ALERTS),
    ]);
    await runQueue("invoice-emails", [{ kind: "alert", itemId }], ALERTS);
    expect(alertsFor(itemId)).toHaveLength(1);
    // Once sent, the cron does not enqueue it again.
    const { queue, jobs } = captureQueue();
    await runCron(Date.now(), { ...ALERTS, INVOICE_QUEUE: queue });
    expect(jobs).not.toContainEqual({ kind: "alert", itemId });
  });

  it("the webhook never sends or enqueues an alert itself, and a failing alert send is retried until it goes out once", async () => {
    const { id } = await createOrder({ status: "CANCELLED" });
    const { queue, jobs } = captureQueue();
    const requestsBefore = postmark.requests();
    const res = await deliverWithEnv({ ...ALERTS, INVOICE_QUEUE: queue }, webhookRequest({ order_id: id, status: "paid" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "refund_required" });
    // Nothing of the alert happens in the webhook's request: no message, no Postmark call.
    expect(jobs).toEqual([]);
    expect(postmark.requests()).toBe(requestsBefore);
    const [item] = await attentionOf(id);

    postmark.answerNext(ANSWERS.serverError);
    const failed = await runQueue("invoice-emails", [{ kind: "alert", itemId: item!.id }], ALERTS);
    expect(failed.retryMessages).toHaveLength(1);
    expect((await attentionOf(id))[0]).toMatchObject({ alert_sent_at: null, resolved_at: null });
    await runQueue("invoice-emails", [{ kind: "alert", itemId: item!.id }], ALERTS, 2);
    expect(alertsFor(item!.id)).toHaveLength(1);
  });

  it("a sent-alert write that D1 refuses after Postmark accepted: acked, lease kept, one email however often it is redelivered", async () => {
    const { itemId } = await refundItem();
    const result = await runQueue("invoice-emails", [{ kind: "alert", itemId }], { ...ALERTS, DB: refusing(/SET alert_sent_at/) } as Partial<Env>);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(alertsFor(itemId)).toHaveLength(1);
    const row = await env.DB.prepare("SELECT alert_sent_at, alert_lease_until FROM attention_items WHERE id = ?")
      .bind(itemId)
      .first<{ alert_sent_at: number | null; alert_lease_until: number | null }>();
    expect(row!.alert_sent_at).toBeNull();
    expect(row!.alert_lease_until).toBeGreaterThan(Date.now());
    // A redelivery, and the cron, meanwhile find the lease held and send nothing.
    await runQueue("invoice-emails", [{ kind: "alert", itemId }], ALERTS, 2);
    const { queue, jobs } = captureQueue();
    await runCron(Date.now(), { ...ALERTS, INVOICE_QUEUE: queue });
    expect(jobs).not.toContainEqual({ kind: "alert", itemId });
    expect(alertsFor(itemId)).toHaveLength(1);
  });

  it("an item settled before its alert went out is not emailed", async () => {
    const { id } = await createOrder({ status: "PENDING" });
    await deliver({ order_id: id, status: "paid" }); // 409 not_ready
    const [item] = await attentionOf(id);
    await env.DB.prepare("UPDATE orders SET status = 'AWAITING_PAYMENT' WHERE id = ?").bind(id).run();
    await deliver({ order_id: id, status: "paid" }); // confirmed: the item settles
    const { queue, jobs } = captureQueue();
    await runCron(Date.now(), { ...ALERTS, INVOICE_QUEUE: queue });
    expect(jobs).not.toContainEqual({ kind: "alert", itemId: item!.id });
    await runQueue("invoice-emails", [{ kind: "alert", itemId: item!.id }], ALERTS);
    expect(alertsFor(item!.id)).toHaveLength(0);
  });

  it("without OPS_ALERT_EMAIL nothing is enqueued and the list still holds the item", async () => {
    const { itemId } = await refundItem();
    const { queue, jobs } = captureQueue();
    await runCron(Date.now(), { OPS_ALERT_EMAIL: "", INVOICE_QUEUE: queue } as Partial<Env>);
    expect(jobs.filter((j) => (j as { kind: string }).kind === "alert")).toEqual([]);
    expect((await attentionOf(null)).some((i) => i.id === itemId && i.resolved_at === null)).toBe(true);
  });

  it("in local development the log mailer prints the alert", async () => {
    const { itemId } = await refundItem();
    const devWorker = (await import("../src/dev/devWorker")).default;
    const result = await runQueue("invoice-emails", [{ kind: "alert", itemId }], { ...ALERTS, POSTMARK_SERVER_TOKEN: "" } as Partial<Env>, 1, devWorker);
    expect(result.explicitAcks).toHaveLength(1);
    expect(alertsFor(itemId)).toHaveLength(0);
    expect((await attentionOf(null)).find((i) => i.id === itemId)?.alert_sent_at).not.toBeNull();
  });
});
