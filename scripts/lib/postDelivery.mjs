// Sends one webhook delivery to the local Worker and prints what it answered, the way both
// `npm run webhook` and `npm run webhook -- --stripe` show it. Returns the exit code.
export async function postDelivery(url, init, summary) {
  let response;
  try {
    response = await fetch(url, { method: "POST", ...init });
  } catch (error) {
    console.error(`Could not reach ${url}: ${error.cause?.code ?? error.message}. Is \`npm run dev\` running?`);
    return 1;
  }
  console.log(`POST ${url} (${summary})`);
  console.log(`${response.status} ${response.statusText}  request id ${response.headers.get("X-Request-Id") ?? "-"}`);
  const text = await response.text();
  try {
    console.log(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    console.log(text);
  }
  return response.ok ? 0 : 1;
}
