-- One reaction per tip: keep each tip's first, later ones were never meant to count.
DROP INDEX `tip_feedback_tip_action_idx`;--> statement-breakpoint
DELETE FROM `tip_feedback` WHERE `id` NOT IN (SELECT MIN(`id`) FROM `tip_feedback` GROUP BY `tip_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `tip_feedback_tip_idx` ON `tip_feedback` (`tip_id`);--> statement-breakpoint
DROP INDEX `tip_scores_user_at_idx`;--> statement-breakpoint
CREATE INDEX `tip_scores_user_idx` ON `tip_scores` (`user_id`);--> statement-breakpoint
DROP INDEX `tip_views_candidate_idx`;