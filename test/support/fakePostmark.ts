// A fake of Postmark's HTTP API at the HTTP level: it receives the exact request the
// `postmark` client sends through the global fetch, and answers the way Postmark does
// (status codes, JSON bodies with ErrorCode and Message). Nothing above HTTP is faked.
import { vi } from "vitest";

export const FAKE_POSTMARK_URL = "http://postmark.fake.test";
export const FAKE_TOKEN = "fake-postmark-server-token";

export interface ReceivedEmail {
  headers: Record<string, string>;
  body: {
    From: string;
    To: string;
    Subject: string;
    HtmlBody: string;
    TextBody: string;
    MessageStream: string;
    Tag?: string;
    Metadata?: Record<string, string>;
    Attachments: { Name: string; Content: string; ContentType: string }[];
  };
}

export type Answer =
  | "ok"
  | { status: number; ErrorCode: number; Message: string }
  | "network-error"
  | { delayMs: number; then: Answer }
  /** Holds the answer until the test resolves `until` (for races that must not depend on timing). */
  | { until: Promise<unknown>; then: Answer };

export const ANSWERS = {
  serverError: { status: 500, ErrorCode: 0, Message: "Internal server error" },
  rateLimited: { status: 429, ErrorCode: 0, Message: "Rate limit exceeded" },
  inactiveRecipient: {
    status: 422,
    ErrorCode: 406,
    Message: "You tried to send to recipient(s) that have been marked as inactive.",
  },
  invalidRequest: { status: 422, ErrorCode: 300, Message: "Invalid email request" },
} as const;

/**
 * Installed once per test file by test/support/setup.ts, so the Worker's real queue
 * consumer (run by miniflare in this same isolate) reaches it too. Tests use `postmark`.
 */
export function installFakePostmark() {
  const received: ReceivedEmail[] = [];
  const script: Answer[] = [];
  let requestCount = 0;
  const realFetch = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (!request.url.startsWith(FAKE_POSTMARK_URL)) return realFetch(input as RequestInfo, init);
    requestCount++;
    return answer(request, script.shift() ?? "ok");
  });

  async function answer(request: Request, next: Answer): Promise<Response> {
    if (typeof next === "object" && "until" in next) {
      await next.until;
      return answer(request, next.then);
    }
    if (typeof next === "object" && "delayMs" in next) {
      await new Promise((r) => setTimeout(r, next.delayMs));
      return answer(request, next.then);
    }
    if (next === "network-error") throw new TypeError("Network connection lost.");
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/email") {
      return Response.json({ ErrorCode: 0, Message: "Not found" }, { status: 404 });
    }
    if (request.headers.get("X-Postmark-Server-Token") !== FAKE_TOKEN) {
      return Response.json({ ErrorCode: 10, Message: "Bad or missing Server API token" }, { status: 401 });
    }
    const body = (await request.json()) as ReceivedEmail["body"];
    if (next !== "ok") return Response.json({ ErrorCode: next.ErrorCode, Message: next.Message }, { status: next.status });
    received.push({ headers: Object.fromEntries(request.headers), body });
    return Response.json({
      To: body.To,
      SubmittedAt: new Date().toISOString(),
      MessageID: crypto.randomUUID(),
      ErrorCode: 0,
      Message: "OK",
    });
  }

  return {
    received,
    /** How many requests reached the fake, answered well or not. */
    requests: () => requestCount,
    /** The next answers, in order; after them every request is answered "ok". */
    answerNext(...answers: Answer[]) {
      script.push(...answers);
    },
    /** Forgets what was received and scripted (call in beforeEach). */
    reset() {
      received.length = 0;
      script.length = 0;
    },
    emailsFor(invoiceNumber: string) {
      return received.filter((e) => e.body.Metadata?.invoice_number === invoiceNumber);
    },
    restore() {
      spy.mockRestore();
    },
  };
}

export const postmark = installFakePostmark();
