import { like } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { meta } from "../db/schema.ts";

export type PolicyName = "linucb" | "heuristic" | "random";

/** How the recommender behaves; stored in `meta` so admins can steer it without a restart. */
export interface RecommenderSettings {
  servingPolicy: PolicyName;
  shadowPolicies: PolicyName[];
  epsilon: number;
  alpha: number;
  snoozeHours: number;
  /** A page reload within this window shows the same tip unless it was acted on. */
  stabilityMinutes: number;
}

export const DEFAULT_SETTINGS: RecommenderSettings = {
  servingPolicy: "linucb",
  shadowPolicies: ["heuristic"],
  epsilon: 0.1,
  alpha: 1.0,
  snoozeHours: 3,
  stabilityMinutes: 10,
};

const PREFIX = "recommender.";

export class SettingsStore {
  private current: RecommenderSettings | null = null;

  constructor(private readonly db: Db) {}

  get(): RecommenderSettings {
    if (!this.current) {
      const stored = Object.fromEntries(
        this.db
          .select()
          .from(meta)
          .where(like(meta.key, `${PREFIX}%`))
          .all()
          .map((row) => [row.key.slice(PREFIX.length), JSON.parse(row.value)]),
      );
      this.current = { ...DEFAULT_SETTINGS, ...stored };
    }
    return this.current;
  }

  update(changes: Partial<RecommenderSettings>): RecommenderSettings {
    const now = Date.now();
    this.db.transaction((tx) => {
      for (const [key, value] of Object.entries(changes)) {
        const row = { key: `${PREFIX}${key}`, value: JSON.stringify(value), updatedAt: now };
        tx.insert(meta).values(row).onConflictDoUpdate({ target: meta.key, set: { value: row.value, updatedAt: now } }).run();
      }
    });
    this.current = null;
    return this.get();
  }
}
