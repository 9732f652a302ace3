ALTER TABLE `tip_views` ADD `policy_version` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `propensity` real;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `scorer_status` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `latency_ms` real;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `feature_version` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `prompt_version` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `llm_model` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `shadows` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `features` text;--> statement-breakpoint
ALTER TABLE `tip_views` ADD `scores` blob;--> statement-breakpoint
UPDATE `tip_views` SET (`policy_version`, `propensity`, `scorer_status`, `latency_ms`, `feature_version`, `prompt_version`, `llm_model`, `features`, `scores`) =
  (SELECT s.policy_version, s.propensity, s.scorer_status, s.latency_ms, s.feature_version, s.prompt_version, s.llm_model, s.features, s.scores
     FROM `tip_scores` s WHERE s.tip_id = `tip_views`.id AND s.serving = 1 ORDER BY s.id LIMIT 1);--> statement-breakpoint
UPDATE `tip_views` SET `shadows` =
  (SELECT json_group_array(json_array(s.policy, s.policy_version, s.chosen_key)) FROM `tip_scores` s WHERE s.tip_id = `tip_views`.id AND s.serving = 0)
  WHERE EXISTS (SELECT 1 FROM `tip_scores` s WHERE s.tip_id = `tip_views`.id AND s.serving = 0);--> statement-breakpoint
DROP TABLE `tip_scores`;
