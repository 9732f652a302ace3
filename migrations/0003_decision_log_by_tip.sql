PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_tip_scores` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tip_id` text NOT NULL,
	`at` integer NOT NULL,
	`policy` text NOT NULL,
	`policy_version` text NOT NULL,
	`serving` integer NOT NULL,
	`scores` text NOT NULL,
	`chosen_key` text NOT NULL,
	`propensity` real NOT NULL,
	`features` text NOT NULL,
	`feature_version` text NOT NULL,
	`latency_ms` real NOT NULL,
	`scorer_status` text NOT NULL,
	`tip_kind` text NOT NULL,
	`source` text NOT NULL,
	`prompt_version` text,
	`llm_model` text,
	FOREIGN KEY (`tip_id`) REFERENCES `tip_views`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_tip_scores`("id", "tip_id", "at", "policy", "policy_version", "serving", "scores", "chosen_key", "propensity", "features", "feature_version", "latency_ms", "scorer_status", "tip_kind", "source", "prompt_version", "llm_model") SELECT "id", "tip_id", "at", "policy", "policy_version", "serving", "scores", "chosen_key", "propensity", "features", "feature_version", "latency_ms", "scorer_status", "tip_kind", "source", "prompt_version", "llm_model" FROM `tip_scores` WHERE "tip_id" IN (SELECT "id" FROM `tip_views`);--> statement-breakpoint
DROP TABLE `tip_scores`;--> statement-breakpoint
ALTER TABLE `__new_tip_scores` RENAME TO `tip_scores`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `tip_scores_at_idx` ON `tip_scores` (`at`);--> statement-breakpoint
CREATE INDEX `tip_scores_tip_idx` ON `tip_scores` (`tip_id`);--> statement-breakpoint
CREATE INDEX `tip_scores_policy_at_idx` ON `tip_scores` (`policy`,`at`);