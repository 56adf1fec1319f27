// Runs xmllint-wasm's validateXML in a process of its own, for en16931Validator.ts: the library
// starts a worker_threads Worker for each call and terminates it afterwards, and tearing such a
// worker down inside a vitest fork intermittently killed the fork ("Worker exited unexpectedly",
// seen once in four full CI runs, with every test passing). Here a crash can only end this child.
// stdin: validateXML's options as JSON. stdout: {"valid": boolean, "errors": [rawMessage, ...]}.
import { validateXML } from "xmllint-wasm";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const result = await validateXML(JSON.parse(input));
process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors.map((e) => e.rawMessage) }));
