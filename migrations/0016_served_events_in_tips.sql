DELETE FROM `events` WHERE `subject` = 'signals.tip.served';--> statement-breakpoint
DROP INDEX `events_user_at_idx`;--> statement-breakpoint
DROP INDEX `events_tip_idx`;--> statement-breakpoint
CREATE INDEX `events_user_at_idx` ON `events` (`user_id`,`at`);
