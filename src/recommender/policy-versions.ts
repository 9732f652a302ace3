import type { Database } from "bun:sqlite";

/**
 * `policy_versions`: each policy version a decision was made with (its code version and parameters,
 * such as `linucb@2 alpha=0.3 eps=0.1 explore=heuristic-half`), stored once; a decision keeps its
 * id. Ids are read or written on first use and then held: there are a handful per instance. Not
 * to be called inside another transaction, whose rollback would take back an id held here.
 */
export class PolicyVersions {
  private readonly ids = new Map<string, number>();
  private readonly insert;
  private readonly select;

  constructor(sqlite: Database) {
    this.insert = sqlite.query<never, [string, string, number]>("INSERT INTO policy_versions (policy, version, created_at) VALUES (?, ?, ?) ON CONFLICT (version) DO NOTHING");
    this.select = sqlite.query<{ id: number }, [string]>("SELECT id FROM policy_versions WHERE version = ?");
  }

  idOf(policy: { name: string; version: string }): number {
    const { version } = policy;
    let id = this.ids.get(version);
    if (id === undefined) {
      this.insert.run(policy.name, version, Date.now());
      id = this.select.get(version)!.id;
      this.ids.set(version, id);
    }
    return id;
  }
}

/** Every policy version by id, with its policy's name: for reading decisions back. */
export function policyVersionsById(sqlite: Database): Map<number, { policy: string; version: string }> {
  return new Map(
    sqlite
      .query<{ id: number; policy: string; version: string }, []>("SELECT id, policy, version FROM policy_versions")
      .all()
      .map((row) => [row.id, { policy: row.policy, version: row.version }]),
  );
}
