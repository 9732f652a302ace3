DROP INDEX `events_user_at_idx`;--> statement-breakpoint
ALTER TABLE `events` ADD `tip_id` text GENERATED ALWAYS AS (json_extract(payload, '$.tipId')) VIRTUAL;--> statement-breakpoint
CREATE INDEX `events_tip_idx` ON `events` (`tip_id`);--> statement-breakpoint
CREATE INDEX `events_user_at_idx` ON `events` (`user_id`,`at`) WHERE subject <> 'signals.tip.served';