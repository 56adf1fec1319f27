import { expect, it } from "vitest";
import { PDFDocument } from "@cantoo/pdf-lib";
import devWorker from "../src/dev/devWorker";
import { confirmedOrderWithInvoice } from "./support/invoices";
import { deliverWithEnv } from "./support/shop";

async function devFetch(url: string) {
  const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
  const { env } = await import("cloudflare:workers");
  const ctx = createExecutionContext();
  const res = await devWorker.fetch!(new Request(url) as Parameters<NonNullable<typeof devWorker.fetch>>[0], env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

it("the development Worker serves an invoice PDF at /dev/invoices/<number>.pdf on a loopback host", async () => {
  const { number } = await confirmedOrderWithInvoice({ customerName: "Łukasz Żółć" });

  const on = await devFetch(`http://127.0.0.1:8787/dev/invoices/${number}.pdf`);
  expect(on.status).toBe(200);
  expect(on.headers.get("Content-Type")).toBe("application/pdf");
  expect(on.headers.get("Content-Disposition")).toContain(`invoice-${number}.pdf`);
  const pdf = await PDFDocument.load(new Uint8Array(await on.arrayBuffer()));
  expect(pdf.getTitle()).toContain(number);
  expect((await devFetch(`http://localhost:8787/dev/invoices/${number}.pdf`)).status).toBe(200);

  const missing = await devFetch("http://127.0.0.1:8787/dev/invoices/INV-1999-000001.pdf");
  expect(missing.status).toBe(404);
  expect(await missing.json()).toMatchObject({ error: "Invoice not found" });
});

it("even the development Worker answers 404 on any other host", async () => {
  const { number } = await confirmedOrderWithInvoice();
  const res = await devFetch(`https://shop.example/dev/invoices/${number}.pdf`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: "Not found" });
});

it("the deployed Worker has no dev route, whatever DEV_MODE says", async () => {
  const { number } = await confirmedOrderWithInvoice();
  const res = await deliverWithEnv({ DEV_MODE: "true" } as Partial<Env>, new Request(`http://127.0.0.1:8787/dev/invoices/${number}.pdf`));
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: "Not found" });
});
