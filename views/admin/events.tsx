import type { EventHistory, LiveEvents } from "../../src/admin/model.ts";
import { AdminLayout, NextPage, WideTable, When } from "./components.tsx";

export interface EventFilters {
  subject: string;
  user: string;
  from: string;
  to: string;
}

const payloadText = (payload: unknown) => JSON.stringify(payload);
/** Announced live, never stored: a served tip's record is its row among the tips. */
const SERVED = "signals.tip.served";

type ShownEvent = Pick<LiveEvents["events"][number], "at" | "subject" | "userId" | "payload">;

function EventRows({ events }: { events: ShownEvent[] }) {
  return (
    <>
      {events.map((event) => (
        <tr>
          <td>
            <When ms={event.at} />
          </td>
          <td safe>{event.subject}</td>
          <td safe>{event.userId ?? "—"}</td>
          <td class="code" safe>
            {payloadText(event.payload)}
          </td>
        </tr>
      ))}
    </>
  );
}

function EventTable({ caption, events, empty }: { caption: string; events: ShownEvent[]; empty: string }) {
  if (events.length === 0) {
    return (
      <p class="dim" safe>
        {empty}
      </p>
    );
  }
  return (
    <WideTable label={caption}>
      <table class="table">
        <caption safe>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Subject</th>
            <th scope="col">Person</th>
            <th scope="col">Payload</th>
          </tr>
        </thead>
        <tbody>
          <EventRows events={events} />
        </tbody>
      </table>
    </WideTable>
  );
}

/** The live tail: polled every two seconds while the tab is visible (views/public/admin.js), newest first. */
export function LiveTail({ live, filters }: { live: LiveEvents; filters: Pick<EventFilters, "subject" | "user"> }) {
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value)).toString();
  return (
    <section id="live" data-live hx-get={`/admin/events/live${query ? `?${query}` : ""}`} hx-trigger="every 2s" hx-swap="outerHTML" aria-live="polite">
      <EventTable caption="Live, newest first (updates every 2 s)" events={live.events.toReversed().slice(0, 25)} empty="Nothing has happened since the server started." />
    </section>
  );
}

export function EventsPage({ live, history, filters }: { live: LiveEvents; history: EventHistory; filters: EventFilters }) {
  return (
    <AdminLayout title="Events" path="/admin/events" personal htmx scripts={["admin.js"]}>
      <form method="get" action="/admin/events" class="search filters">
        <div>
          <label for="subject">Subject (for example signals.tip.feedback)</label>
          <input id="subject" name="subject" value={filters.subject} maxlength="60" autocomplete="off" />
        </div>
        <div>
          <label for="user">Person (id)</label>
          <input id="user" name="user" value={filters.user} maxlength="100" autocomplete="off" />
        </div>
        <div>
          <label for="from">From (UTC)</label>
          <input id="from" name="from" type="datetime-local" value={filters.from} />
        </div>
        <div>
          <label for="to">To (UTC)</label>
          <input id="to" name="to" type="datetime-local" value={filters.to} />
        </div>
        <button type="submit" class="quiet">
          Filter
        </button>
      </form>
      <h2>Live</h2>
      <LiveTail live={live} filters={filters} />
      <h2>History</h2>
      <EventTable
        caption="Stored events, newest first"
        events={history.events}
        empty={filters.subject === SERVED ? "Served tips are kept as tips, not as stored events: each person's page lists theirs." : "No stored event matches."}
      />
      <NextPage path="/admin/events" params={history.next ? { ...filters, before: history.next } : null} />
    </AdminLayout>
  );
}
