DROP INDEX `tip_scores_at_idx`;--> statement-breakpoint
DROP INDEX `tip_scores_policy_at_idx`;