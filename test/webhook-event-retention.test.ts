// The audit log does not grow forever: the cron prunes webhook_events past the retention
// (WEBHOOK_EVENT_RETENTION_DAYS, default 400), never a row an open attention item points to.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOrder, deliver, runCron } from "./support/shop";

const DAY = 86_400_000;
const quiet = { INVOICE_QUEUE: { sendBatch: async () => {}, send: async () => {} } as unknown as Queue };

async function eventAgedDays(days: number, orderId: string) {
  const requestId = crypto.randomUUID();
  await env.DB.prepare(
    "INSERT INTO webhook_events (received_at, request_id, order_id, payment_status, outcome, http_status) VALUES (?, ?, ?, 'failed', 'payment_failed', 200)",
  )
    .bind(Date.now() - days * DAY, requestId, orderId)
    .run();
  return requestId;
}
const exists = async (requestId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE request_id = ?").bind(requestId).first<{ n: number }>())!.n === 1;

describe("retention of the audit log", () => {
  it("prunes events older than 400 days, keeps newer ones and those an open item points to", async () => {
    const { id } = await createOrder({ status: "CANCELLED" });
    const old = await eventAgedDays(401, id);
    const recent = await eventAgedDays(399, id);
    // A refund nobody has settled yet, raised long ago.
    await deliver({ order_id: id, status: "paid" });
    const refund = await env.DB.prepare("SELECT e.request_id, a.id FROM attention_items a JOIN webhook_events e ON e.id = a.event_id WHERE a.order_id = ?")
      .bind(id)
      .first<{ request_id: string; id: number }>();
    await env.DB.prepare("UPDATE webhook_events SET received_at = ? WHERE request_id = ?").bind(Date.now() - 500 * DAY, refund!.request_id).run();

    await runCron(Date.now(), quiet);

    expect(await exists(old)).toBe(false);
    expect(await exists(recent)).toBe(true);
    expect(await exists(refund!.request_id)).toBe(true);

    // Once it is resolved, its event may go too; the item stays, with its own detail.
    await env.DB.prepare("UPDATE attention_items SET resolved_at = ?, resolved_by = 'ada', resolution_note = 'refunded' WHERE id = ?")
      .bind(Date.now(), refund!.id)
      .run();
    await runCron(Date.now(), quiet);
    expect(await exists(refund!.request_id)).toBe(false);
    expect(await env.DB.prepare("SELECT resolution_note FROM attention_items WHERE id = ?").bind(refund!.id).first()).toEqual({
      resolution_note: "refunded",
    });
  });

  it("honours WEBHOOK_EVENT_RETENTION_DAYS", async () => {
    const { id } = await createOrder({});
    const event = await eventAgedDays(40, id);
    await runCron(Date.now(), { ...quiet, WEBHOOK_EVENT_RETENTION_DAYS: "30" } as Partial<Env>);
    expect(await exists(event)).toBe(false);
  });
});
