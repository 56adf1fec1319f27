// The log line (src/observability/log.ts) reaches a terminal (`wrangler dev`, `wrangler tail`)
// with what customers and providers wrote in it: it stays exact JSON, and nothing in it can
// drive the terminal.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/observability/log";

afterEach(() => vi.restoreAllMocks());

describe("a log line", () => {
  it("writes DEL, C1 and bidirectional controls as \\u escapes, and parses back to the exact value", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const name = "Ada \u202Eevil\u202C \u009b2J \u007f \u2066x\u2069 \u001b]0;title\u0007";
    createLogger("info", { queue: "q" }).info("email_logged", { to: "ada@example.com", text: name });
    createLogger("info", { queue: "q" }).info("email_logged", { queue: "repeats a base field", text: name });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(JSON.parse(line).text).toBe(name);
    }
  });

  it("leaves an ordinary line as JSON.stringify writes it", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    createLogger("info").info("request", { path: "/api/orders", customer: "Łukasz Żółć 山田" });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", event: "request", path: "/api/orders", customer: "Łukasz Żółć 山田" });
    expect(lines[0]).toContain("Łukasz Żółć 山田");
  });
});
