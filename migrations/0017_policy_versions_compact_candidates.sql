CREATE TABLE `policy_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`policy` text NOT NULL,
	`version` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policy_versions_version_unique` ON `policy_versions` (`version`);--> statement-breakpoint
ALTER TABLE `tip_views` ADD `policy_version_id` integer;--> statement-breakpoint
INSERT INTO `policy_versions` (`policy`, `version`, `created_at`)
  SELECT max(`policy`), `version`, min(`served_at`) FROM (
    SELECT `policy`, `policy_version` AS `version`, `served_at` FROM `tip_views` WHERE `policy_version` IS NOT NULL
    UNION ALL
    SELECT json_extract(s.value, '$[0]'), json_extract(s.value, '$[1]'), v.`served_at` FROM `tip_views` v, json_each(v.`shadows`) s WHERE v.`shadows` IS NOT NULL
  ) GROUP BY `version` ORDER BY min(`served_at`), `version`;--> statement-breakpoint
UPDATE `tip_views` SET `policy_version_id` = (SELECT p.`id` FROM `policy_versions` p WHERE p.`version` = `tip_views`.`policy_version`)
  WHERE `policy_version` IS NOT NULL;--> statement-breakpoint
UPDATE `tip_views` SET `shadows` = (
    SELECT json_group_array(json_array((SELECT p.`id` FROM `policy_versions` p WHERE p.`version` = json_extract(s.value, '$[1]')), json_extract(s.value, '$[2]')))
      FROM json_each(`tip_views`.`shadows`) s)
  WHERE `shadows` IS NOT NULL;--> statement-breakpoint
ALTER TABLE `tip_views` DROP COLUMN `policy_version`;--> statement-breakpoint
CREATE TABLE `__new_decision_candidates` (
	`user_id` text NOT NULL,
	`ref` integer NOT NULL,
	`candidate_key` text NOT NULL,
	`makings` blob NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `ref`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_decision_candidates` (`user_id`, `ref`, `candidate_key`, `makings`, `created_at`)
  SELECT `user_id`, `ref`, `candidate_key`, `makings`, `created_at` FROM `decision_candidates`;--> statement-breakpoint
DROP TABLE `decision_candidates`;--> statement-breakpoint
ALTER TABLE `__new_decision_candidates` RENAME TO `decision_candidates`;
