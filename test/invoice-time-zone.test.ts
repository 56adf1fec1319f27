// The invoice year and date are read in INVOICE_TIME_ZONE (default UTC): an order confirmed
// at 00:30 on 1 January in Berlin is invoiced in the new year's series, dated 1 January.
import { describe, expect, it } from "vitest";
import { invoiceSeries } from "../src/orders/applyPayment";
import { layoutInvoice } from "../src/documents/pdf/layoutInvoice";
import { sampleInvoice } from "./support/sampleInvoice";
import { createOrder, createProduct, deliverWithEnv, invoicesOf, webhookRequest } from "./support/shop";

// 23:30 UTC on 31 December is 00:30 on 1 January in Berlin.
const NEW_YEAR_IN_BERLIN = Date.UTC(2026, 11, 31, 23, 30);

describe("the invoice time zone", () => {
  it("picks the series year in the configured zone", () => {
    expect(invoiceSeries("INV", NEW_YEAR_IN_BERLIN)).toBe("INV-2026");
    expect(invoiceSeries("INV", NEW_YEAR_IN_BERLIN, "UTC")).toBe("INV-2026");
    expect(invoiceSeries("INV", NEW_YEAR_IN_BERLIN, "Europe/Berlin")).toBe("INV-2027");
    expect(invoiceSeries("INV", Date.UTC(2027, 0, 1, 3), "America/New_York")).toBe("INV-2026");
  });

  it("prints the invoice date in the same zone", () => {
    const doc = { ...sampleInvoice(), issuedAt: NEW_YEAR_IN_BERLIN, locale: "en-GB" };
    const date = (zone?: string) => layoutInvoice({ ...doc, timeZone: zone }).details.find((d) => d.label === "Invoice date")?.value;
    expect(date()).toBe("31 December 2026");
    expect(date("Europe/Berlin")).toBe("1 January 2027");
  });

  it("the webhook numbers invoices in the configured zone's year", async () => {
    const p = await createProduct({ stock: 5, reserved: 1 });
    const { id } = await createOrder({ lines: [{ productId: p, quantity: 1 }] });
    const res = await deliverWithEnv({ INVOICE_TIME_ZONE: "Pacific/Kiritimati" } as Partial<Env>, webhookRequest({ order_id: id, status: "paid" }));
    expect(res.status).toBe(200);
    const year = new Intl.DateTimeFormat("en", { timeZone: "Pacific/Kiritimati", year: "numeric" }).format(Date.now());
    expect((await invoicesOf(id))[0]!.series).toBe(`INV-${year}`);
  });
});
