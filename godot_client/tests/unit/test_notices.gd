extends "res://tests/test_case.gd"
## The notices a failed request or a restart leaves for the user, the words the status bar and
## the Log use for them, and which latent view a reconnect puts back.


func test_a_failed_op_reads_as_what_failed_and_the_servers_sentence() -> void:
	check_eq(
		StudioNotices.request_text("config.set", "'beta' must be between 0 and 1000, got -1"),
		"Changing a training setting (config.set) failed: 'beta' must be between 0 and 1000, got -1.",
		"a known op in words, then its name"
	)
	check_eq(
		StudioNotices.request_text("frobnicate", "no."),
		"The request 'frobnicate' failed: no.",
		"an op without words is named as it is, one full stop"
	)


func test_a_newer_notice_of_the_same_key_replaces_it_and_counts_repeats() -> void:
	var notices := StudioNotices.new()
	notices.post("request:decode", "Decoding failed: a.")
	notices.post("request:config.set", "Changing failed: b.")
	notices.post("request:decode", "Decoding failed: a.")
	check_eq(notices.size(), 2, "one notice per key")
	check_eq(notices.newest()["key"], "request:decode", "the re-posted one is the newest")
	check_eq(notices.newest()["count"], 2, "the same text twice in a row counts")
	notices.post("request:decode", "Decoding failed: c.")
	check_eq(notices.newest()["count"], 1, "a new text starts the count again")
	notices.clear("request:decode")
	check_eq(notices.newest()["key"], "request:config.set", "clearing shows the one behind")


func test_notices_expire_unless_kept_until_cleared() -> void:
	var notices := StudioNotices.new()
	notices.post("a", "goes", "error", 1.0)
	notices.post("b", "stays", "warning", 0.0)
	var changes: Array[int] = [0]
	notices.changed.connect(func() -> void: changes[0] += 1)
	notices.expire(Time.get_ticks_msec() + 500)
	check_eq(notices.size(), 2, "not yet")
	notices.expire(Time.get_ticks_msec() + 2000)
	check_eq(notices.size(), 1, "the timed one went")
	check_eq(notices.newest()["key"], "b", "the one without a time stays")
	check_eq(changes[0], 1, "one change signalled")


func test_an_action_runs_once_and_clears_its_notice() -> void:
	var notices := StudioNotices.new()
	var pressed: Array[String] = []
	notices.post(
		"offer", "Load it?", "warning", 0.0, "Load r1", func() -> void: pressed.append("r1")
	)
	check(notices.act("offer"), "the action ran")
	check_eq(pressed, ["r1"] as Array[String], "once")
	check(not notices.has("offer"), "and the notice is gone")
	check(not notices.act("offer"), "nothing left to press")
	notices.post("plain", "no button")
	check(not notices.act("plain"), "a notice without an action does nothing")


func test_the_status_bar_counts_clients_in_words() -> void:
	check_eq(StatusBar.describe_clients(1), "only you", "one: this Studio")
	check_eq(StatusBar.describe_clients(0), "only you", "an old backend that missed us")
	check_eq(StatusBar.describe_clients(3), "3 clients connected", "several")


func test_a_repeated_log_line_says_how_often() -> void:
	var entry: Dictionary = {
		"event": "request_failed", "message": "Decoding failed: x.", "repeat": 3
	}
	check_eq(EventLog.describe(entry), "request_failed — Decoding failed: x. (×3)", "counted")
	entry["repeat"] = 1
	check_eq(EventLog.describe(entry), "request_failed — Decoding failed: x.", "once: no count")


func test_the_view_put_back_must_fit_the_live_latent_width() -> void:
	var view: Dictionary = {"projection": "dims", "dims": [0, 3], "color": "z3"}
	check_eq(
		StudioConnection.fitting_view(view, 4),
		{"projection": "dims", "color": "z3", "dims": [0, 3]},
		"fits 4 dimensions"
	)
	check_eq(StudioConnection.fitting_view(view, 2), {}, "dimension 3 of a 2-dimensional run")
	check_eq(
		StudioConnection.fitting_view({"projection": "pca", "dims": [], "color": "loss"}, 2),
		{"projection": "pca", "color": "loss"},
		"pca and a colour fit any width"
	)
	var wire: Dictionary = {"projection": "dims", "dims": [0.0, 3.0], "color": "z3"}
	check(StudioConnection.same_view(view, wire), "dims compared as whole numbers")
	check(not StudioConnection.same_view(view, {"projection": "pca", "color": "z3"}), "other")
	check_eq(
		StudioConnection.describe_view(view), "dims 0, 3, coloured by z3", "in words for the Log"
	)
