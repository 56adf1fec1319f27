// A fake Postmark API as a real HTTP server on loopback, for the end-to-end test: the Worker
// under `wrangler dev` reaches it over the network exactly as it would reach Postmark.
// It answers POST /email like Postmark (token check, status codes, JSON bodies with
// ErrorCode and Message), records every request, and can be told to fail some of them.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface PostmarkEmailBody {
  From: string;
  To: string;
  Subject: string;
  HtmlBody?: string;
  TextBody?: string;
  MessageStream?: string;
  Tag?: string;
  Metadata?: Record<string, string>;
  Attachments?: { Name: string; Content: string; ContentType: string }[];
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: PostmarkEmailBody | undefined;
  /** What the fake answered. */
  status: number;
  messageId?: string;
}

export interface FakePostmarkServer {
  url: string;
  port: number;
  token: string;
  /** Every request received, in arrival order, with the answer it got. */
  requests: RecordedRequest[];
  /** Successfully "sent" emails (answered 200) to this recipient. */
  sentTo(recipient: string): RecordedRequest[];
  /** Every POST /email for this recipient, whatever the answer. */
  attemptsFor(recipient: string): RecordedRequest[];
  /** Answer 500 to the next `times` requests for this recipient. */
  failRecipient(recipient: string, times?: number): void;
  /** Answer 500 to the next `count` requests, whoever they are for. */
  failFirst(count: number): void;
  close(): Promise<void>;
}

const SERVER_ERROR = { ErrorCode: 0, Message: "Internal server error" };

export async function startFakePostmarkServer({ token }: { token: string }): Promise<FakePostmarkServer> {
  const requests: RecordedRequest[] = [];
  const failuresByRecipient = new Map<string, number>();
  let failNext = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: PostmarkEmailBody | undefined;
      try {
        body = raw ? (JSON.parse(raw) as PostmarkEmailBody) : undefined;
      } catch {
        body = undefined;
      }
      const record: RecordedRequest = {
        at: Date.now(),
        method: req.method ?? "",
        path: new URL(req.url ?? "/", "http://fake").pathname,
        headers: req.headers,
        body,
        status: 0,
      };
      requests.push(record);

      const send = (status: number, payload: unknown) => {
        record.status = status;
        const json = JSON.stringify(payload);
        res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(json) });
        res.end(json);
      };

      if (record.method !== "POST" || record.path !== "/email") return send(404, { ErrorCode: 0, Message: "Not found" });
      if (req.headers["x-postmark-server-token"] !== token) {
        return send(401, { ErrorCode: 10, Message: "Bad or missing Server API token." });
      }
      if (!body || typeof body.To !== "string" || typeof body.From !== "string") {
        return send(422, { ErrorCode: 300, Message: "Invalid email request" });
      }
      const pendingForRecipient = failuresByRecipient.get(body.To) ?? 0;
      if (pendingForRecipient > 0) {
        failuresByRecipient.set(body.To, pendingForRecipient - 1);
        return send(500, SERVER_ERROR);
      }
      if (failNext > 0) {
        failNext -= 1;
        return send(500, SERVER_ERROR);
      }
      record.messageId = randomUUID();
      return send(200, { To: body.To, SubmittedAt: new Date().toISOString(), MessageID: record.messageId, ErrorCode: 0, Message: "OK" });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const emailsFor = (recipient: string) => requests.filter((r) => r.method === "POST" && r.path === "/email" && r.body?.To === recipient);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    requests,
    sentTo: (recipient) => emailsFor(recipient).filter((r) => r.status === 200),
    attemptsFor: emailsFor,
    failRecipient(recipient, times = 1) {
      failuresByRecipient.set(recipient, (failuresByRecipient.get(recipient) ?? 0) + times);
    },
    failFirst(count) {
      failNext += count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
