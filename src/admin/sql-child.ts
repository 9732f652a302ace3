import { sqlQueryCommand } from "./sql.ts";

// `oo sql-query` when running from source: the same command without loading the whole app first.
await sqlQueryCommand();
