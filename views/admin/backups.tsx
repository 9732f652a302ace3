import type { BackupList } from "../../src/admin/model.ts";
import { AdminLayout, Notice, utc, When } from "./components.tsx";

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

export function BackupsPage({ list, kept, done, failed }: { list: BackupList; kept: number; done?: string; failed?: string }) {
  return (
    <AdminLayout title="Backups" path="/admin/backups">
      <Notice text={done} />
      <Notice text={failed ?? (list.lastFailure ? `The last backup failed (${utc(list.lastFailure.at)}): ${list.lastFailure.reason}` : null)} alert />
      <p class="dim" safe>
        {`A consistent snapshot of the database, taken while oO keeps serving. One is taken every day; the newest ${kept} are kept in DATA_DIR/backups. To restore one, stop the server and run oo restore FILE.`}
      </p>
      <form method="post" action="/admin/backups">
        <button type="submit">Back up now</button>
      </form>
      <h2>Kept</h2>
      {list.backups.length === 0 ? (
        <p class="dim">No backup yet.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Backup</th>
              <th scope="col">Taken</th>
              <th scope="col" class="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {list.backups.map((backup) => (
              <tr>
                <td>
                  <a href={`/api/admin/backups/${backup.name}`} download="" safe>
                    {backup.name}
                  </a>
                </td>
                <td>
                  <When ms={backup.at} />
                </td>
                <td class="num" safe>
                  {size(backup.bytes)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminLayout>
  );
}
