import type { UserAction, UserDetail, UserList } from "../../src/admin/model.ts";
import { AdminLayout, NextPage, Notice, utc, When } from "./components.tsx";

/** Each action as the page offers it: its button, what it will do (asked before), and whether it cannot be undone. */
export const ACTION_LABELS: Record<UserAction, { button: string; asks: string; danger?: boolean }> = {
  "end-sessions": { button: "Sign out everywhere", asks: "End every session of this person? They will have to sign in again." },
  "reset-bandit": { button: "Reset recommendations", asks: "Clear what oO learnt about this person? Their tips start afresh." },
  "sync-now": { button: "Sync Todoist now", asks: "Fetch this person's Todoist tasks now?" },
  "revoke-integration": { button: "Disconnect Todoist", asks: "Revoke this person's Todoist grant and remove their tasks from oO?", danger: true },
  delete: { button: "Delete account", asks: "Erase this account and everything about it? This cannot be undone.", danger: true },
};

const who = (person: { email: string | null; name: string | null; id: string }) => person.email ?? person.name ?? person.id;

export function UsersPage({ list, search, limit, notice }: { list: UserList; search: string; limit?: number; notice?: string }) {
  return (
    <AdminLayout title="People" path="/admin/users" personal>
      <Notice text={notice} />
      <form method="get" action="/admin/users" class="search" role="search">
        <label for="q">Search by email, name or id</label>
        <input id="q" name="q" type="search" value={search} maxlength="200" autocomplete="off" />
        <button type="submit" class="quiet">
          Search
        </button>
      </form>
      {list.users.length === 0 ? (
        <p class="notice">{search ? "Nobody matches this search." : "Nobody has signed in yet."}</p>
      ) : (
        <table class="table">
          <caption>{search ? "People matching the search, newest first" : "Everyone, newest first"}</caption>
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
            </tr>
          </thead>
          <tbody>
            {list.users.map((person) => (
              <tr>
                <td>
                  <a href={`/admin/users/${encodeURIComponent(person.id)}`} safe>
                    {who(person)}
                  </a>
                </td>
                <td>{person.role}</td>
                <td>
                  <When ms={person.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage path="/admin/users" params={list.next ? { q: search, after: list.next, limit } : null} />
    </AdminLayout>
  );
}

export function UserPage({ detail, actions, done, failed }: { detail: UserDetail; actions: UserAction[]; done?: string; failed?: string }) {
  const { profile } = detail;
  const path = `/admin/users/${encodeURIComponent(profile.id)}`;
  return (
    <AdminLayout title={who(profile)} path="/admin/users" personal>
      <Notice text={done} />
      <Notice text={failed} alert />
      <dl class="facts">
        <dt>Name</dt>
        <dd safe>{profile.name ?? "—"}</dd>
        <dt>Email</dt>
        <dd safe>{profile.email ?? "—"}</dd>
        <dt>Id</dt>
        <dd safe>{profile.id}</dd>
        <dt>Role</dt>
        <dd>{profile.role}</dd>
        <dt>Time zone</dt>
        <dd safe>{profile.timezone}</dd>
        <dt>Notifications</dt>
        <dd>{profile.pushOptIn ? "On" : "Off"}</dd>
        <dt>Learnt from</dt>
        <dd safe>{`${detail.learnt.pulls} reaction${detail.learnt.pulls === 1 ? "" : "s"}`}</dd>
      </dl>

      <h2>Actions</h2>
      <div class="actions">
        {actions.map((action) => (
          <form method="post" action={`${path}/actions`}>
            <input type="hidden" name="action" value={action} />
            <button type="submit" class={ACTION_LABELS[action].danger ? "danger" : "quiet"} safe>
              {ACTION_LABELS[action].button}
            </button>
          </form>
        ))}
      </div>

      <h2>Integrations</h2>
      {detail.integrations.length === 0 ? (
        <p class="dim">None connected.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Status</th>
              <th scope="col">Last sync</th>
              <th scope="col" class="num">Tasks</th>
            </tr>
          </thead>
          <tbody>
            {detail.integrations.map((integration) => (
              <tr>
                <td safe>{integration.provider}</td>
                <td safe>{integration.lastSyncError ? `${integration.status} · ${integration.lastSyncError}` : integration.status}</td>
                <td>
                  <When ms={integration.lastSyncAt} />
                </td>
                <td class="num" safe>
                  {String(integration.taskCount)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Sessions</h2>
      {detail.sessions.length === 0 ? (
        <p class="dim">Signed out everywhere.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Last seen</th>
              <th scope="col">Device</th>
            </tr>
          </thead>
          <tbody>
            {detail.sessions.map((session) => (
              <tr>
                <td safe>{session.kind}</td>
                <td>
                  <When ms={session.lastSeenAt} />
                </td>
                <td safe>{session.userAgent ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Recent tips</h2>
      {detail.tips.length === 0 ? (
        <p class="dim">No tip served yet.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Served</th>
              <th scope="col">Tip</th>
              <th scope="col">Reaction</th>
            </tr>
          </thead>
          <tbody>
            {detail.tips.map((tip) => (
              <tr>
                <td>
                  <When ms={tip.servedAt} />
                </td>
                <td safe>{tip.content}</td>
                <td safe>{tip.reaction ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Consents</h2>
      {detail.consents.length === 0 ? (
        <p class="dim">None recorded.</p>
      ) : (
        <ul class="plain">
          {detail.consents.map((consent) => (
            <li safe>{`${consent.kind} ${consent.version} · ${consent.method} · ${utc(consent.grantedAt)}`}</li>
          ))}
        </ul>
      )}
    </AdminLayout>
  );
}

/** Asked before an action runs: what it will do, to whom, and a way back. Works without JavaScript. */
export function ConfirmActionPage({ detail, action }: { detail: UserDetail; action: UserAction }) {
  const path = `/admin/users/${encodeURIComponent(detail.profile.id)}`;
  const label = ACTION_LABELS[action];
  return (
    <AdminLayout title={label.button} path="/admin/users" personal>
      <p safe>{`${who(detail.profile)}: ${label.asks}`}</p>
      <form method="post" action={`${path}/actions`} class="actions">
        <input type="hidden" name="action" value={action} />
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit" class={label.danger ? "danger" : undefined} safe>
          {label.button}
        </button>
        <a href={path}>Cancel</a>
      </form>
    </AdminLayout>
  );
}
