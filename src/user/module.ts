import type { Kernel } from "../runtime.ts";
import type { ProfileChanges } from "./model.ts";
import { deleteAccount, exportAccount } from "./privacy.ts";
import { emailsOf, pushRecipients, searchUsers } from "./queries.ts";
import { profileOf, updateProfile } from "./service.ts";

/** The signed-in person's own account: profile, export, deletion (which runs every module's deletion hooks). */
export function createUserModule({ database, bus, log, accountDeletion }: Kernel) {
  const { db } = database;
  return {
    profile: (userId: string) => profileOf(db, userId),
    updateProfile: (userId: string, changes: ProfileChanges) => updateProfile(db, userId, changes),
    exportAccount: (userId: string, now?: number) => exportAccount(db, userId, now),
    deleteAccount: (userId: string) => deleteAccount({ db, bus, log, hooks: accountDeletion }, userId),
    /** People newest first, a page at a time, optionally those matching a search (the console). */
    search: (options: Parameters<typeof searchUsers>[1]) => searchUsers(db, options),
    /** The emails of these people (null for none, absent for no such person). */
    emails: (userIds: string[]) => emailsOf(db, userIds),
    /** Everyone who asked for pushes, with their zone and quiet hours. */
    pushRecipients: () => pushRecipients(db),
  };
}

export type UserModule = ReturnType<typeof createUserModule>;
