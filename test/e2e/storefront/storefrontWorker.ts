// The storefront of the end-to-end test: a shop's Worker that calls the order API through its
// service binding, as the README's "Connect your storefront" shows. Each route maps one
// binding call to an HTTP answer, so the test can drive it from outside; /api/* is passed
// through to the order-payment Worker itself (the payment provider's side of the story).
import type { OrdersEntrypoint } from "../../../src/orders/ordersEntrypoint";

interface StorefrontEnv {
  ORDERS: Service<OrdersEntrypoint>;
  PAYMENT_SERVICE: Fetcher;
}

export default {
  async fetch(request: Request, env: StorefrontEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/api/")) return env.PAYMENT_SERVICE.fetch(request);
    if (request.method === "POST" && url.pathname === "/checkout") {
      const cart = await request.json();
      const idempotencyKey = request.headers.get("Idempotency-Key") ?? undefined;
      const answer = await env.ORDERS.createOrder(cart, { idempotencyKey });
      return Response.json(answer);
    }
    const order = /^\/orders\/([^/]+)(\/cancel|\/checkout)?$/.exec(url.pathname);
    if (order) {
      const id = decodeURIComponent(order[1]!);
      if (request.method === "GET" && !order[2]) return Response.json(await env.ORDERS.getOrder(id));
      if (request.method === "POST" && order[2] === "/cancel") return Response.json(await env.ORDERS.cancelOrder(id));
      if (request.method === "POST" && order[2] === "/checkout") return Response.json(await env.ORDERS.checkoutOrder(id));
    }
    return Response.json({ error: "Not found" }, { status: 404 });
  },
};
