extends "res://tests/test_case.gd"
## The notices a failed request or a restart leaves for the user, the words the status bar and
## the Log use for them, and which latent view a reconnect puts back.


func test_a_failed_op_reads_as_what_failed_and_the_servers_sentence() -> void:
	check_eq(
		StudioNotices.request_text("config.set", "'beta' must be between 0 and 1000, got -1"),
		"Changing a training setting failed: 'beta' must be between 0 and 1000, got -1.",
		"a known op in words, never its name"
	)
	check_eq(
		StudioNotices.request_text("frobnicate", "no."),
		"A request to the backend failed: no.",
		"an op without words is a request, one full stop"
	)
	var lost := VaeStudioRequest.new(1, "train.step", {})
	lost.finish(VaeStudioRequest.failure(1, "disconnected", "the connection was lost"))
	check_eq(
		StudioNotices.request_text("train.step", StudioSession.describe_failure(lost)),
		"Stepping the training failed: the backend went away before answering.",
		"the client's own failures read as sentences"
	)
	var refused := VaeStudioRequest.new(2, "config.set", {})
	refused.finish(VaeStudioRequest.failure(2, "invalid_argument", ""))
	check(
		not StudioSession.describe_failure(refused).contains("invalid_argument"),
		"an error code is put in words: %s" % StudioSession.describe_failure(refused)
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
	check_eq(EventLog.describe(entry), "Decoding failed: x. (×3)", "counted")
	entry["repeat"] = 1
	check_eq(EventLog.describe(entry), "Decoding failed: x.", "once: no count")


func test_the_backends_events_read_as_sentences() -> void:
	var new_run: Dictionary = {
		"event": "new_run", "message": "now live: vae-1 at step 0", "run": "vae-1", "step": 0
	}
	check_eq(EventLog.describe(new_run), "Started a new run: vae-1.", "a new run")
	var loaded: Dictionary = {
		"event": "loaded", "message": "loaded: vae-1 at step 40", "run": "vae-1", "step": 40
	}
	check_eq(EventLog.describe(loaded), "Loaded run vae-1 at step 40.", "a load")
	var saved: Dictionary = {"event": "saved", "message": "saved vae-1 at step 40"}
	check_eq(EventLog.describe(saved), "Saved vae-1 at step 40.", "a capital and a full stop")
	check_eq(EventLog.describe({"event": "nan_recovered"}), "Nan recovered.", "no message")


func test_the_overlay_names_the_endpoints_the_studio_was_given() -> void:
	var control: String = BackendOverlay.DEFAULT_CONTROL
	var stream: String = BackendOverlay.DEFAULT_STREAM
	check_eq(BackendOverlay.serve_command(control, stream, false), "make run", "the defaults")
	check_eq(
		BackendOverlay.serve_command(control, stream, false, "--resume last"),
		'make run ARGS="--resume last"',
		"a flag"
	)
	check_eq(
		BackendOverlay.serve_command("tcp://127.0.0.1:6000", "tcp://127.0.0.1:6001", true),
		(
			'VAESTUDIO_TOKEN=<the token> make run ARGS="--control tcp://127.0.0.1:6000'
			+ ' --stream tcp://127.0.0.1:6001"'
		),
		"both endpoints and the token, not shown"
	)


func test_a_live_decode_is_due_as_the_model_moves() -> void:
	var live := StudioLiveDecode.new()
	check(live.due("r1", 10, 1, true, 0), "nothing asked yet")
	live.sent("r1", 10, 1, 1000)
	check(not live.due("r1", 10, 1, false, 5000), "the same model: nothing to do")
	check(not live.due("r1", 20, 1, true, 1100), "training: not before the interval")
	check(live.due("r1", 20, 1, true, 1000 + StudioLiveDecode.INTERVAL_MS), "after it")
	check(live.due("r1", 20, 1, false, 1100), "paused with newer steps: at once")
	check(live.due("r2", 0, 1, true, 1100), "another run: at once")
	check(live.due("r1", 10, 2, true, 1100), "a reconnect: at once")


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
