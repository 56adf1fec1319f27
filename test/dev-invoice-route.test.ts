import { expect, it } from "vitest";
import { PDFDocument } from "pdf-lib";
import { confirmedOrderWithInvoice } from "./support/invoices";
import { deliverWithEnv } from "./support/shop";

const get = (path: string) => new Request(`https://shop.test${path}`);

it("serves an invoice PDF at /dev/invoices/<number>.pdf only when DEV_MODE is true", async () => {
  const { number } = await confirmedOrderWithInvoice({ customerName: "Łukasz Żółć" });

  const off = await deliverWithEnv({}, get(`/dev/invoices/${number}.pdf`));
  expect(off.status).toBe(404);
  expect(await off.json()).toEqual({ error: "Not found" });

  const on = await deliverWithEnv({ DEV_MODE: "true" } as Partial<Env>, get(`/dev/invoices/${number}.pdf`));
  expect(on.status).toBe(200);
  expect(on.headers.get("Content-Type")).toBe("application/pdf");
  expect(on.headers.get("Content-Disposition")).toContain(`invoice-${number}.pdf`);
  const pdf = await PDFDocument.load(new Uint8Array(await on.arrayBuffer()));
  expect(pdf.getTitle()).toContain(number);

  const missing = await deliverWithEnv({ DEV_MODE: "true" } as Partial<Env>, get("/dev/invoices/INV-1999-000001.pdf"));
  expect(missing.status).toBe(404);
  expect(await missing.json()).toMatchObject({ error: "Invoice not found" });
});
