CREATE TABLE `decision_candidates` (
	`user_id` text NOT NULL,
	`ref` integer NOT NULL,
	`candidate_key` text NOT NULL,
	`makings` blob NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `ref`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `decision_candidates_created_idx` ON `decision_candidates` (`created_at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_tip_scores` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tip_id` text NOT NULL,
	`at` integer NOT NULL,
	`policy` text NOT NULL,
	`policy_version` text NOT NULL,
	`serving` integer NOT NULL,
	`scores` blob NOT NULL,
	`chosen_key` text NOT NULL,
	`propensity` real NOT NULL,
	`features` text,
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
INSERT INTO `__new_tip_scores`("id", "tip_id", "at", "policy", "policy_version", "serving", "scores", "chosen_key", "propensity", "features", "feature_version", "latency_ms", "scorer_status", "tip_kind", "source", "prompt_version", "llm_model") SELECT "id", "tip_id", "at", "policy", "policy_version", "serving", "scores", "chosen_key", "propensity", "features", "feature_version", "latency_ms", "scorer_status", "tip_kind", "source", "prompt_version", "llm_model" FROM `tip_scores`;--> statement-breakpoint
DROP TABLE `tip_scores`;--> statement-breakpoint
ALTER TABLE `__new_tip_scores` RENAME TO `tip_scores`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `tip_scores_tip_idx` ON `tip_scores` (`tip_id`);--> statement-breakpoint
CREATE TABLE `__new_tip_views` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`candidate_key` text NOT NULL,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`content` text NOT NULL,
	`why` text NOT NULL,
	`policy` text NOT NULL,
	`candidates` text,
	`context` blob,
	`served_at` integer NOT NULL,
	`channel` text DEFAULT 'page' NOT NULL,
	`acted_at` integer,
	`restored_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_tip_views`("id", "user_id", "candidate_key", "kind", "source", "content", "why", "policy", "candidates", "context", "served_at", "channel", "acted_at", "restored_at") SELECT "id", "user_id", "candidate_key", "kind", "source", "content", "why", "policy", "candidates", "context", "served_at", "channel", "acted_at", "restored_at" FROM `tip_views`;--> statement-breakpoint
DROP TABLE `tip_views`;--> statement-breakpoint
ALTER TABLE `__new_tip_views` RENAME TO `tip_views`;--> statement-breakpoint
CREATE INDEX `tip_views_user_served_idx` ON `tip_views` (`user_id`,`served_at`);--> statement-breakpoint
CREATE INDEX `tip_views_served_idx` ON `tip_views` (`served_at`);--> statement-breakpoint
CREATE INDEX `tip_views_user_restored_idx` ON `tip_views` (`user_id`,`restored_at`) WHERE "tip_views"."restored_at" IS NOT NULL;