// Fixtures for the invoice consumer: confirmed orders with their ledger row written
// directly (no webhook, so no real queue message races the test), and calls of the real
// queue() handler with a chosen environment.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { createOrder, createProduct } from "./shop";

let seq = 500_000 + Math.floor(Math.random() * 400_000);

export async function confirmedOrderWithInvoice(opts: { customerName?: string; lines?: { name: string; quantity: number; priceCents: number }[] } = {}) {
  const lines = opts.lines ?? [
    { name: "Espresso beans 1 kg", quantity: 2, priceCents: 2490 },
    { name: "Paper filters (100)", quantity: 1, priceCents: 650 },
  ];
  const items = [];
  for (const l of lines) items.push({ productId: await createProduct({ stock: 100, name: l.name, priceCents: l.priceCents }), quantity: l.quantity, unitPriceCents: l.priceCents });
  const order = await createOrder({ status: "CONFIRMED", lines: items, customerName: opts.customerName ?? "Ada Lovelace", customerEmail: "ada@example.test" });
  const n = seq++;
  const row = await env.DB.prepare(
    // Due for the sweeper two minutes from now, as the confirming batch writes it. A series of
    // its own: a webhook confirming in the same file takes MAX(seq) + 1 of INV-<year>.
    "INSERT INTO invoices (order_id, series, seq, number, next_attempt_at) VALUES (?, 'FIX-2026', ?, printf('FIX-2026-%06d', ?), ?) RETURNING id, number",
  )
    .bind(order.id, n, n, Date.now() + 2 * 60_000)
    .first<{ id: number; number: string }>();
  return { order, invoiceId: row!.id, number: row!.number };
}

export async function invoiceRow(id: number) {
  return (await env.DB.prepare("SELECT status, message_id, sent_at, last_error, lease_until, attempts, next_attempt_at FROM invoices WHERE id = ?")
    .bind(id)
    .first<{
      status: string;
      message_id: string | null;
      sent_at: number | null;
      last_error: string | null;
      lease_until: number | null;
      attempts: number;
      next_attempt_at: number | null;
    }>())!;
}

let messageCounter = 0;

/**
 * Delivers messages to the Worker's real queue() handler and reports acks and retries,
 * with the delay each retry asked for (getQueueResult does not report it).
 */
export async function runQueue(
  queue: string,
  bodies: unknown[],
  overrides: Partial<Env> = {},
  attempts = 1,
  entry: ExportedHandler<Env> = worker,
) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({ id: `msg-${++messageCounter}`, timestamp: new Date(), attempts, body })),
  );
  const retryDelays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options?: QueueRetryOptions) => {
      retryDelays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await entry.queue!(batch as MessageBatch<unknown>, { ...env, ...overrides } as Env, ctx);
  return { ...(await getQueueResult(batch, ctx)), retryDelays };
}

export const invoiceJob = (invoiceId: number) => ({ kind: "invoice", invoiceId });

/** A queue that keeps what it is sent (by the cron, a webhook), so a test hands it to the consumer itself. */
export function captureQueue() {
  const jobs: unknown[] = [];
  const queue = {
    send: async (body: unknown) => void jobs.push(body),
    sendBatch: async (messages: { body: unknown }[]) => void jobs.push(...messages.map((m) => m.body)),
  } as unknown as Queue;
  return { queue, jobs };
}
