DROP INDEX `events_user_at_idx`;--> statement-breakpoint
CREATE INDEX `events_user_id_idx` ON `events` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_subject_id_idx` ON `events` (`subject`,`id`);--> statement-breakpoint
CREATE INDEX `integrations_failing_idx` ON `integrations` (`updated_at`) WHERE "integrations"."last_sync_error" IS NOT NULL;