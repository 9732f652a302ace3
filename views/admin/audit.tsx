import type { AuditList } from "../../src/admin/model.ts";
import { AdminLayout, NextPage, WideTable, When } from "./components.tsx";

export function AuditPage({ list, action, target }: { list: AuditList; action: string; target: string }) {
  return (
    <AdminLayout title="Audit log" path="/admin/audit" personal>
      <form method="get" action="/admin/audit" class="search">
        <label for="action">Action (for example user.delete or admin.sign-in)</label>
        <input id="action" name="action" value={action} maxlength="60" autocomplete="off" />
        <label for="target">Person (id)</label>
        <input id="target" name="target" value={target} maxlength="100" autocomplete="off" />
        <button type="submit" class="quiet">
          Filter
        </button>
      </form>
      {list.entries.length === 0 ? (
        <p class="notice">Nothing recorded{action || target ? " for this filter" : " yet"}.</p>
      ) : (
        <WideTable label="Audit entries">
          <table class="table">
            <caption>Newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Person</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {list.entries.map((entry) => (
                <tr>
                  <td>
                    <When ms={entry.at} />
                  </td>
                  <td safe>{entry.actorEmail ?? entry.actorId ?? "—"}</td>
                  <td safe>{entry.action}</td>
                  <td>
                    {entry.targetId ? (
                      <a href={`/admin/users/${encodeURIComponent(entry.targetId)}`} safe>
                        {entry.targetEmail ?? entry.targetId}
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td safe>{`${entry.result} · ${entry.detail}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </WideTable>
      )}
      <NextPage path="/admin/audit" params={list.next ? { action, target, before: list.next } : null} />
    </AdminLayout>
  );
}
