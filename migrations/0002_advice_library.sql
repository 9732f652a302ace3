-- The curated advice library: short, useful, with hints for when each fits.
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('water-first', 'Drink a full glass of water before your first coffee.', 'body', 'morning', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('daylight-walk', 'Get ten minutes of daylight outside before noon. It sets your clock for tonight''s sleep.', 'body', 'morning', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('one-thing-today', 'Name the one thing that would make today a good day. Do it before you open your inbox.', 'focus', 'morning', 'weekday', 4, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('make-bed', 'Make your bed now. Thirty seconds, and the room is ready for tonight.', 'home', 'morning', 'any', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('plan-three', 'Write down three things to finish today. Three, not ten.', 'planning', 'morning', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('inbox-later', 'Keep email closed for the first hour of work. Start with something you chose.', 'focus', 'morning', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('stretch-morning', 'Stand up and reach for the ceiling, then touch your toes. Twice.', 'body', 'morning', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('breakfast-protein', 'Add some protein to breakfast. You will feel it at eleven.', 'body', 'morning', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('weekend-slow', 'No alarm tomorrow? Leave the phone in another room for the first hour today.', 'rest', 'morning', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('weekend-plan', 'Pick one thing you want this weekend to hold. Protect a block of time for it.', 'planning', 'morning', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('two-minute-rule', 'If a task takes less than two minutes, do it now instead of writing it down.', 'focus', 'any', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('smallest-step', 'Stuck on something? Write down the very next physical action. Then do only that.', 'focus', 'any', 'any', 4, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('single-tab', 'Close every tab you are not using right now. Keep one window for the task at hand.', 'focus', 'any', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('timer-25', 'Set a 25-minute timer and work on one thing until it rings. Then take five.', 'focus', 'any', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('phone-away', 'Put your phone face down, out of reach, for the next half hour.', 'focus', 'any', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('notifications-off', 'Turn off notifications from one app that interrupts you without helping you.', 'focus', 'any', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('eat-the-frog', 'Do the task you are dreading first. The rest of the day gets lighter.', 'focus', 'morning', 'weekday', 4, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('batch-small', 'Batch the small stuff: replies, forms, quick calls. One block, then done.', 'planning', 'afternoon', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('stand-up', 'You have been sitting a while. Stand up, walk around for two minutes.', 'body', 'afternoon', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('eyes-20', 'Look at something twenty feet away for twenty seconds. Your eyes will thank you.', 'body', 'any', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('shoulders', 'Drop your shoulders, unclench your jaw, breathe out slowly.', 'body', 'any', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('walk-lunch', 'Take a short walk after lunch. It beats the afternoon slump better than coffee.', 'body', 'afternoon', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('water-afternoon', 'Refill your water glass and finish it.', 'body', 'afternoon', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('snack-fruit', 'Hungry? Reach for fruit or nuts before something sweet.', 'body', 'afternoon', 'any', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('posture-check', 'Check your posture: feet flat, screen at eye level, shoulders back.', 'body', 'any', 'weekday', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('box-breathing', 'Breathe in for four, hold for four, out for four, hold for four. Repeat four times.', 'mind', 'any', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('name-the-feeling', 'Feeling off? Name the feeling in one word. Naming it takes some of its weight.', 'mind', 'any', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('worry-list', 'Write down what is on your mind before bed, so your head does not have to hold it.', 'mind', 'evening', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('gratitude-three', 'Think of three good things from today, however small.', 'mind', 'evening', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('kind-message', 'Send a short, kind message to someone you have not talked to in a while.', 'people', 'any', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('thank-someone', 'Thank a colleague for something specific they did this week.', 'people', 'afternoon', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('call-family', 'Call someone in your family, just to hear how they are.', 'people', 'any', 'weekend', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('listen-fully', 'In your next conversation, listen until the other person has finished. Then answer.', 'people', 'any', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('plan-meetup', 'Suggest a date to meet a friend you keep meaning to see.', 'people', 'any', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('desk-reset', 'Clear your desk before you stop for the day. Tomorrow starts cleaner.', 'home', 'afternoon', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('ten-minute-tidy', 'Set a timer for ten minutes and tidy one room. Stop when it rings.', 'home', 'evening', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('laundry-start', 'Start a load of laundry now; it runs while you do something else.', 'home', 'any', 'weekend', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('fridge-check', 'Check the fridge and write the shopping list before you go out.', 'home', 'afternoon', 'weekend', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('one-drawer', 'Clear out one drawer. Just one.', 'home', 'any', 'weekend', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('plants', 'Water your plants.', 'home', 'morning', 'weekend', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('subscriptions', 'Look at your subscriptions and cancel one you have not used this month.', 'money', 'any', 'weekend', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('spend-pause', 'Before buying something non-essential, wait a day. If you still want it tomorrow, fine.', 'money', 'any', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('bills-glance', 'Glance at upcoming bills for the next two weeks. No surprises.', 'money', 'any', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('save-small', 'Move a small amount into savings today. The habit matters more than the sum.', 'money', 'any', 'any', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('read-ten', 'Read ten pages of a book instead of scrolling.', 'learning', 'evening', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('learn-one', 'Spend twenty minutes learning something you are curious about.', 'learning', 'any', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('write-it-down', 'Write one sentence about what you learned today.', 'learning', 'evening', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('ask-question', 'Ask someone the question you have been putting off. It is rarely as awkward as it seems.', 'learning', 'any', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('weekly-review', 'Do a weekly review: what got done, what is stuck, what matters next week.', 'planning', 'afternoon', 'weekend', 4, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('tomorrow-top', 'Before you stop, pick tomorrow''s first task. Starting is easier when it is decided.', 'planning', 'evening', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('calendar-look', 'Look at next week''s calendar now. Move one thing that will not fit.', 'planning', 'evening', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('say-no', 'Something new landed on your plate? It is fine to say no, or not now.', 'planning', 'any', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('shutdown', 'Close work for the day on purpose: save, list what is open, and stop.', 'rest', 'evening', 'weekday', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('screens-off', 'Screens off thirty minutes before bed. Your sleep will be deeper.', 'rest', 'night', 'any', 4, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('same-bedtime', 'Go to bed at the same time as last night. A steady rhythm is the best sleep aid.', 'rest', 'night', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('cool-room', 'Open a window or lower the heating. A cool room helps you fall asleep.', 'rest', 'night', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('no-late-caffeine', 'Skip coffee after 2 pm. Caffeine lingers for hours.', 'rest', 'afternoon', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('nap-short', 'If you nap, keep it under twenty minutes.', 'rest', 'afternoon', 'weekend', 1, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('bed-now', 'It is late. The best thing you can do for tomorrow is sleep now.', 'rest', 'night', 'any', 4, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('wind-down', 'Dim the lights and do something slow: a book, a shower, a stretch.', 'rest', 'night', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('outside-weekend', 'Get outside for an hour today: a walk, a park, a bike ride.', 'body', 'afternoon', 'weekend', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('move-30', 'Move for thirty minutes today in any way you enjoy.', 'body', 'any', 'any', 3, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('cook-simple', 'Cook something simple tonight. Real food, little effort.', 'body', 'evening', 'any', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('do-nothing', 'Give yourself fifteen minutes of doing nothing. No phone, no plan.', 'rest', 'any', 'weekend', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('done-list', 'Write down what you got done today. It is more than you think.', 'mind', 'evening', 'weekday', 2, 1, 1795219200000, 1795219200000);
--> statement-breakpoint
INSERT INTO advice (id, content, category, time_of_day, day_kind, priority, active, created_at, updated_at) VALUES ('celebrate-small', 'Finished something? Take a moment to notice it before moving on.', 'mind', 'any', 'any', 1, 1, 1795219200000, 1795219200000);
