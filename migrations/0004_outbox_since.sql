ALTER TABLE `credit_notes` ADD `outbox_since` integer;--> statement-breakpoint
ALTER TABLE `invoices` ADD `outbox_since` integer;