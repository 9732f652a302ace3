import type { IntegrationRow } from "../../views/connect.tsx";
import type { IntegrationSummary } from "./model.ts";

export const CONNECT_TODOIST_URL = "/api/integrations/todoist/connect";
export const DISCONNECT_TODOIST_FORM_URL = "/connect/todoist/disconnect";

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "21 Nov, 14:05 CET" in the person's zone. */
export function localTime(at: number, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-GB", { timeZone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    } catch {
      format = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    }
    formatters.set(timeZone, format);
  }
  return format.format(at);
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The Todoist row of the connect page: connect, connected (last sync, task count), or needs reconnect. */
export function todoistRow(summary: IntegrationSummary | undefined, configured: boolean, timeZone: string): IntegrationRow {
  const row = { provider: "todoist", name: "Todoist", description: "Your open tasks become tips to do now." };
  const disconnect = { url: DISCONNECT_TODOIST_FORM_URL, label: "Disconnect", quiet: true };
  if (!summary) {
    if (!configured) return { ...row, status: "Not available on this instance." };
    return { ...row, status: "Not connected.", actions: [{ url: CONNECT_TODOIST_URL, label: "Connect" }] };
  }
  if (summary.status === "needs_reconnect") {
    const actions = configured ? [{ url: CONNECT_TODOIST_URL, label: "Reconnect" }, disconnect] : [disconnect];
    return { ...row, status: "Needs reconnecting: Todoist no longer accepts oO's access.", attention: true, actions };
  }
  const synced = summary.lastSyncAt === null ? "first sync under way" : `last synced ${localTime(summary.lastSyncAt, timeZone)}`;
  // The error itself is for the console; the person needs to know their tasks may be behind, and that it mends itself.
  const failing = summary.lastSyncError ? " · the latest sync failed, oO tries again on its own" : "";
  return { ...row, status: `Connected · ${plural(summary.taskCount, "open task")} · ${synced}${failing}`, actions: [disconnect] };
}
