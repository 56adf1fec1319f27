// Hosts that never reach another machine: where `wrangler dev` listens, and the names RFC 6761
// reserves for tests, which resolve to nothing on the internet.
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

export function isLocalOrTestHost(hostname: string): boolean {
  return isLoopbackHost(hostname) || hostname.endsWith(".localhost") || hostname.endsWith(".test");
}
