extends "res://tests/test_case.gd"
## The Dashboard's data side against protocol/vectors/messages.json: TensorBoard's smoothing, the
## `metrics.history` reply merged with live `metrics` (no gap, no step twice), `dims` as bars,
## `recons` as tiles, `layers` as rows, an `eval` as a test_loss point and the watch's warning.


func test_ema_matches_a_hand_computed_series() -> void:
	# w = 0.5 over 1, 2, 3: last = 0.5, 1.25, 2.125; debiased by 1 − 0.5ⁿ = 0.5, 0.75, 0.875.
	var smooth: PackedFloat32Array = ChartMath.ema(PackedFloat32Array([1, 2, 3]), 0.5)
	check_eq(smooth.size(), 3, "one smoothed value per raw value")
	check(is_equal_approx(smooth[0], 1.0), "the first value is itself: %s" % smooth[0])
	check(is_equal_approx(smooth[1], 1.25 / 0.75), "second: %s" % smooth[1])
	check(is_equal_approx(smooth[2], 2.125 / 0.875), "third: %s" % smooth[2])
	var raw := PackedFloat32Array([4, 1, 3])
	check_eq(ChartMath.ema(raw, 0.0), raw, "weight 0 is the raw series")
	var flat: PackedFloat32Array = ChartMath.ema(PackedFloat32Array([2, 2, 2]), 0.9)
	check_eq(flat, PackedFloat32Array([2, 2, 2]), "a constant series stays constant")
	var heavy: PackedFloat32Array = ChartMath.ema(PackedFloat32Array([0, 10, 0, 10]), 0.99)
	check(heavy[3] < 6.0 and heavy[3] > 4.0, "w 0.99 averages the zig-zag: %s" % heavy[3])


func test_short_labels_for_axes_and_readouts() -> void:
	check_eq(ChartMath.short(0.0003), "3.0e-04", "small values in powers of ten")
	check_eq(ChartMath.short(250000.0), "2.5e+05", "large ones too")
	check_eq(ChartMath.short(1500.0), "1.5k", "thousands")
	check_eq(ChartMath.short(35.4), "35", "tens: whole numbers")
	check_eq(ChartMath.short(0.25), "0.25", "fractions")


func test_tick_labels_of_neighbouring_ticks_differ() -> void:
	var ticks: PackedFloat64Array = ChartMath.linear_ticks(14.6, 16.4, 4)
	var labels: Array[String] = []
	for t in ticks:
		labels.append(ChartMath.tick_label(t, ticks[1] - ticks[0]))
	check_eq(labels, ["15.0", "15.5", "16.0"], "half-unit ticks keep their decimal")
	check_eq(ChartMath.tick_label(0.05, 0.01), "0.05", "hundredths")
	check_eq(ChartMath.tick_label(1500.0, 500.0), "1.5k", "whole units read as short() does")


func test_history_reply_merges_with_live_metrics_without_gap_or_duplicate() -> void:
	var reply: Dictionary = message_vector("metrics.history reply")["result"]
	var history := StudioMetrics.new()
	history.clear(str(reply["run"]))
	# Live messages that came while the request was out: step 5 is inside the history's buckets
	# (last_step 6), steps 7 and 8 are after it.
	for step: int in [5, 7, 8]:
		history.append_message({"v": 1, "run": reply["run"], "step": step, "loss": 10.0 - step})
	check_eq(history.merge_history(reply), "", "the vector's reply merges")
	check_eq(history.steps_of("loss"), PackedFloat64Array([2, 4, 6, 7, 8]), "buckets, then live")
	check_eq(history.values_of("loss"), PackedFloat32Array([9, 6, 4, 3, 2]), "bucket means")
	check_eq(history.first_step(), 2, "the curve starts at the run's first bucket")
	check_eq(history.history_run, str(reply["run"]), "the history belongs to the live run")
	check_eq(history.steps_of("test_loss"), PackedFloat64Array([4]), "NaN buckets are left out")
	check_eq(history.values_of("test_loss"), PackedFloat32Array([6.5]), "test_loss mean")
	check(not history.append_message({"step": 8, "loss": 1.0}), "a step already shown is skipped")
	check(history.append_message({"step": 9, "loss": 1.0, "lr": 0.001}), "a new step appends")
	check_eq(history.steps_of("loss"), PackedFloat64Array([2, 4, 6, 7, 8, 9]), "no step twice")
	check_eq(history.names(), PackedStringArray(["loss", "lr", "test_loss"]), "every series")
	check_eq(history.nearest("loss", 6.8), [7.0, 3.0], "the readout's nearest point")


func test_history_reply_problems_leave_the_series_alone() -> void:
	var history := StudioMetrics.new()
	history.append_message({"step": 3, "loss": 2.0})
	var reply: Dictionary = message_vector("metrics.history reply")["result"].duplicate()
	reply.erase("steps")
	check(history.merge_history(reply).contains("steps"), "a missing field is named")
	check_eq(history.steps_of("loss"), PackedFloat64Array([3]), "nothing changed")


func test_a_long_session_keeps_the_whole_curve_in_bounded_memory() -> void:
	var history := StudioMetrics.new()
	for step in range(1, StudioMetrics.MAX_POINTS + 2):
		history.append_message({"step": step, "loss": float(step)})
	var steps: PackedFloat64Array = history.steps_of("loss")
	check(steps.size() <= StudioMetrics.MAX_POINTS, "thinned: %d points" % steps.size())
	check_eq(steps[0], 1.0, "still from the first step")
	check_eq(steps[-1], float(StudioMetrics.MAX_POINTS + 1), "up to the newest")


func test_eval_message_is_a_test_loss_point() -> void:
	var history := StudioMetrics.new()
	check(history.append_eval(message_vector("eval: the test split")), "added")
	check_eq(history.steps_of("test_loss"), PackedFloat64Array([500]), "at the eval's step")
	check_eq(history.values_of("test_loss"), PackedFloat32Array([24.5]), "test_loss = −ELBO")
	check_eq(history.values_of("test_kl"), PackedFloat32Array([3.25]), "its KL term")


func test_dims_vector_becomes_bars_with_the_active_units() -> void:
	var message: Dictionary = message_vector("dims:")
	var bars: Dictionary = DashboardDims.bars_from(message)
	check_eq(bars["error"], "", "no error")
	check_eq(bars["kl"].size(), 4, "one bar per latent dimension")
	check_eq(bars["active_units"], 2, "the stream's active units")
	check_eq(bars["above"], 3, "KL ≥ 0.01 nats: 0.0625, 1.5 and 2.25")
	check(is_equal_approx(bars["total"], 3.8125), "the bars sum to the batch KL")
	check_eq(bars["order"], PackedInt32Array([0, 1, 2, 3]), "dimension order")
	var sorted: Dictionary = DashboardDims.bars_from(message, true)
	check_eq(sorted["order"], PackedInt32Array([3, 1, 0, 2]), "largest KL first")
	check(not str(DashboardDims.bars_from({})["error"]).is_empty(), "no array: an error")


func test_recons_vector_becomes_original_and_reconstruction_tiles() -> void:
	var tiles: Dictionary = DashboardRecons.tiles_from(message_vector("recons:"))
	check_eq(tiles["error"], "", "no error")
	check_eq(tiles["indices"], PackedInt32Array([3, 17]), "the fixed test rows")
	check_eq(tiles["originals"].size(), 2, "two originals")
	check_eq(tiles["recons"].size(), 2, "two reconstructions")
	var original: Image = tiles["originals"][0]
	check_eq(original.get_size(), Vector2i(8, 8), "8×8 digits")
	check(original.get_data() != (tiles["originals"][1] as Image).get_data(), "distinct rows")
	check(original.get_data() != (tiles["recons"][0] as Image).get_data(), "recon differs")
	var bad: Dictionary = message_vector("recons:").duplicate()
	bad["indices"] = VaeStudioArray.from_int32(PackedInt32Array([1, 2, 3]), [3])
	check(str(DashboardRecons.tiles_from(bad)["error"]).contains("[3"), "count mismatch named")


func test_layers_vector_becomes_rows_and_collapse_a_banner_line() -> void:
	var rows: Dictionary = DashboardLayers.rows_from(message_vector("layers:"))
	check_eq(rows["error"], "", "no error")
	check_eq(rows["names"], PackedStringArray(["encoder.body.0", "to_mu", "decoder.body.0"]), "")
	check_eq(rows["weight_norm"], PackedFloat32Array([8.5, 1.25, 6.0]), "weight norms")
	check_eq(rows["grad_norm"], PackedFloat32Array([0.5, 2.0, 0.25]), "gradient norms")
	var warning: Dictionary = message_vector("log: posterior collapse")
	check(DashboardWatch.is_watch_event(warning), "collapse is a watch event")
	check(DashboardWatch.describe(warning).begins_with("⚠ Posterior collapse at step 900"), "")
	warning["message"] = "no dimension is active"
	var line: String = DashboardWatch.describe(warning)
	check_eq(line, "⚠ Posterior collapse (step 900): no dimension is active", "title added")
	check(not DashboardWatch.is_watch_event(message_vector("log")), "nan_recovered is not")
