DROP INDEX `tip_feedback_tip_idx`;--> statement-breakpoint
ALTER TABLE `tip_feedback` ADD `prior_state` text;--> statement-breakpoint
ALTER TABLE `tip_feedback` ADD `undone_at` integer;--> statement-breakpoint
ALTER TABLE `tip_feedback` ADD `bandit_reverted_at` integer;--> statement-breakpoint
CREATE INDEX `tip_feedback_unreverted_idx` ON `tip_feedback` (`id`) WHERE "tip_feedback"."undone_at" IS NOT NULL AND "tip_feedback"."bandit_reverted_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `tip_feedback_tip_idx` ON `tip_feedback` (`tip_id`) WHERE "tip_feedback"."undone_at" IS NULL;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `restored_at` integer;--> statement-breakpoint
CREATE INDEX `tip_views_user_restored_idx` ON `tip_views` (`user_id`,`restored_at`) WHERE "tip_views"."restored_at" IS NOT NULL;