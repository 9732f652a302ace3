DROP INDEX `tip_scores_user_at_idx`;--> statement-breakpoint
DROP INDEX `tip_views_candidate_idx`;