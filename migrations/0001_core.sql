CREATE TABLE `advice` (
	`id` text PRIMARY KEY NOT NULL,
	`content` text NOT NULL,
	`category` text NOT NULL,
	`time_of_day` text DEFAULT 'any' NOT NULL,
	`day_kind` text DEFAULT 'any' NOT NULL,
	`priority` integer DEFAULT 2 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `bandit_states` (
	`user_id` text NOT NULL,
	`policy` text NOT NULL,
	`state` text NOT NULL,
	`pulls` integer DEFAULT 0 NOT NULL,
	`reward_sum` real DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `policy`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `candidate_states` (
	`user_id` text NOT NULL,
	`candidate_key` text NOT NULL,
	`hidden_until` integer,
	`done_at` integer,
	`last_action` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `candidate_key`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `consents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`version` text NOT NULL,
	`method` text NOT NULL,
	`granted_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `consents_user_idx` ON `consents` (`user_id`);--> statement-breakpoint
CREATE TABLE `identities` (
	`provider` text NOT NULL,
	`subject` text NOT NULL,
	`user_id` text NOT NULL,
	`email` text,
	`token_ciphertext` text,
	`created_at` integer NOT NULL,
	`last_sign_in_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `subject`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `identities_user_idx` ON `identities` (`user_id`);--> statement-breakpoint
CREATE TABLE `integrations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`external_user_id` text,
	`access_token_ciphertext` text NOT NULL,
	`refresh_token_ciphertext` text,
	`access_token_expires_at` integer,
	`scope` text,
	`last_sync_at` integer,
	`last_sync_error` text,
	`task_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integrations_user_provider_idx` ON `integrations` (`user_id`,`provider`);--> statement-breakpoint
CREATE INDEX `integrations_provider_external_idx` ON `integrations` (`provider`,`external_user_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`done_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `outbox_pending_idx` ON `outbox` (`done_at`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `outbox_user_idx` ON `outbox` (`user_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`user_agent` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `setup_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`user_id` text NOT NULL,
	`provider` text NOT NULL,
	`external_id` text NOT NULL,
	`content` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`priority` integer DEFAULT 1 NOT NULL,
	`due_kind` text,
	`due_value` text,
	`due_timezone` text,
	`due_is_recurring` integer DEFAULT false NOT NULL,
	`due_string` text,
	`deadline_date` text,
	`duration_minutes` integer,
	`labels` text DEFAULT '[]' NOT NULL,
	`project_id` text,
	`added_at` integer,
	`updated_at` integer,
	`synced_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `provider`, `external_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `tip_candidates` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`content` text NOT NULL,
	`prompt_version` text,
	`llm_model` text,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tip_candidates_user_idx` ON `tip_candidates` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `tip_feedback` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tip_id` text NOT NULL,
	`user_id` text NOT NULL,
	`action` text NOT NULL,
	`reward` real NOT NULL,
	`source` text NOT NULL,
	`at` integer NOT NULL,
	`bandit_applied_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tip_feedback_unapplied_idx` ON `tip_feedback` (`bandit_applied_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `tip_feedback_tip_idx` ON `tip_feedback` (`tip_id`);--> statement-breakpoint
CREATE INDEX `tip_feedback_user_at_idx` ON `tip_feedback` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `tip_feedback_at_idx` ON `tip_feedback` (`at`);--> statement-breakpoint
CREATE TABLE `tip_scores` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tip_id` text NOT NULL,
	`user_id` text NOT NULL,
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
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tip_scores_user_idx` ON `tip_scores` (`user_id`);--> statement-breakpoint
CREATE INDEX `tip_scores_at_idx` ON `tip_scores` (`at`);--> statement-breakpoint
CREATE INDEX `tip_scores_tip_idx` ON `tip_scores` (`tip_id`);--> statement-breakpoint
CREATE INDEX `tip_scores_policy_at_idx` ON `tip_scores` (`policy`,`at`);--> statement-breakpoint
CREATE TABLE `tip_views` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`candidate_key` text NOT NULL,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`content` text NOT NULL,
	`why` text NOT NULL,
	`policy` text NOT NULL,
	`candidates` text NOT NULL,
	`served_at` integer NOT NULL,
	`acted_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tip_views_user_served_idx` ON `tip_views` (`user_id`,`served_at`);--> statement-breakpoint
CREATE INDEX `tip_views_served_idx` ON `tip_views` (`served_at`);--> statement-breakpoint
CREATE TABLE `user_tombstones` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text,
	`name` text,
	`role` text DEFAULT 'user' NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`timezone_confirmed` integer DEFAULT false NOT NULL,
	`quiet_hours_start` text DEFAULT '22:00' NOT NULL,
	`quiet_hours_end` text DEFAULT '08:00' NOT NULL,
	`push_opt_in` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`provider` text NOT NULL,
	`delivery_id` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `delivery_id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_received_idx` ON `webhook_deliveries` (`received_at`);