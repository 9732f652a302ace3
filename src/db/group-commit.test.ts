import { describe, expect, test } from "bun:test";
import { GroupCommit } from "./group-commit.ts";
import { openDatabase } from "./client.ts";

function database() {
  const { sqlite } = openDatabase(":memory:");
  sqlite.run("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL CHECK (text <> 'bad'))");
  const insert = sqlite.query<{ id: number }, [string]>("INSERT INTO notes (text) VALUES (?) RETURNING id");
  const commits = new GroupCommit(sqlite);
  const texts = () => sqlite.query<{ text: string }, []>("SELECT text FROM notes ORDER BY id").all().map((row) => row.text);
  return { sqlite, insert, commits, texts };
}

describe("GroupCommit", () => {
  test("writes of one turn share a transaction and each gets its own result", async () => {
    const { insert, commits, texts } = database();
    let commitsSeen = 0;
    const results = await Promise.all(
      ["a", "b", "c"].map((text) =>
        commits.write(() => {
          commitsSeen++;
          return insert.get(text)!.id;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3]);
    expect(texts()).toEqual(["a", "b", "c"]);
    expect(commitsSeen).toBe(3);
  });

  test("a failing write fails alone; the others of its batch are replayed and committed", async () => {
    const { insert, commits, texts } = database();
    const outcomes = await Promise.allSettled(["a", "bad", "c"].map((text) => commits.write(() => insert.get(text)!.id)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(texts()).toEqual(["a", "c"]);
  });

  test("nothing is visible before the write resolves, everything after", async () => {
    const { insert, commits, texts } = database();
    const pending = commits.write(() => insert.get("later"));
    expect(texts()).toEqual([]);
    await pending;
    expect(texts()).toEqual(["later"]);
  });
});

describe("GroupCommit.hold", () => {
  test("writes made while held wait, then commit together once it is released", async () => {
    const { insert, commits, texts } = database();
    let release!: () => void;
    const held = commits.hold(() => new Promise<string>((resolve) => (release = () => resolve("done"))));
    const written = ["a", "b"].map((text) => commits.write(() => insert.get(text)!.id));
    await Bun.sleep(20);
    expect(texts()).toEqual([]);
    release();
    expect(await held).toBe("done");
    expect(await Promise.all(written)).toEqual([1, 2]);
    expect(texts()).toEqual(["a", "b"]);
  });
});
