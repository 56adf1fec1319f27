// The fake Stripe API (test/support/fakeStripeApi.ts) as a real HTTP server on loopback, for
// `wrangler dev` and the CLIs: they reach it over the network with STRIPE_API_URL set to `url`,
// exactly as they would reach api.stripe.com.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createFakeStripeApi, type FakeStripeApi } from "../../support/fakeStripeApi";

export interface FakeStripeServer extends FakeStripeApi {
  url: string;
  close(): Promise<void>;
}

export async function startFakeStripeServer(): Promise<FakeStripeServer> {
  const api = createFakeStripeApi();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      try {
        const answer = await api.handle(
          new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method, headers, body: req.method === "GET" ? undefined : body }),
        );
        const text = await answer.text();
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(text);
      } catch {
        // A scripted "network-error": the connection drops without an answer.
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
