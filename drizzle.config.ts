// `npm run db:generate` turns src/db/schema.ts into the next SQL file in migrations/.
// Generation is offline; the d1-http credentials are only read by commands we never run.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "d1-http",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  dbCredentials: { accountId: "", databaseId: "", token: "" },
});
