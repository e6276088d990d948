extends Node
## Operates the Denoise, Anomaly or Compression page as a user does (added by studio_driver.gd
## with `--use-case=denoise|anomaly|compression`, which main.gd opens):
##   denoise:     [--uc-kind=gaussian|salt_pepper|mask] [--uc-level=L]
##   anomaly:     [--uc-positive=N] [--uc-threshold=F] [--uc-show-latent] [--uc-train-without=N]
##   compression: [--uc-bits=B]
## Waits for the page's first result, then through its controls (mouse events through
## Input.parse_input_event on the level and bits sliders, the class check box, the threshold
## slider and the buttons; the noise kind through its menu's selection) changes what was asked
## for, waits for the new result and reports what the page shows ([method report]). F is the
## threshold's place along its slider (0–1); --uc-show-latent presses "Show flagged rows in the
## latent view" last, --uc-train-without picks class N under "train without" and presses New run.

const SETTLE_FRAMES: int = 3

var page: Control
## The latent view's overlay, whose rings --uc-show-latent counts.
var overlay: LatentOverlay
var finished: bool = false

var _case: String = ""
var _kind: String = ""
var _level: float = -1.0
var _positive: int = -1
var _threshold: float = -1.0
var _show_latent: bool = false
var _train_without: int = -1
var _bits: int = 0
var _stage: int = 0
var _wait: int = 0
var _seen: int = 0
var _first: Dictionary = {}


func configure(options: Dictionary) -> void:
	_case = str(options.get("use-case", "")).to_lower()
	_kind = str(options.get("uc-kind", ""))
	_level = float(options.get("uc-level", -1.0))
	_positive = int(options.get("uc-positive", -1))
	_threshold = float(options.get("uc-threshold", -1.0))
	_show_latent = options.has("uc-show-latent")
	_train_without = int(options.get("uc-train-without", -1))
	_bits = int(options.get("uc-bits", 0))


func _process(_delta: float) -> void:
	if finished or page == null:
		return
	if _wait > 0:
		_wait -= 1
		return
	match _case:
		"denoise":
			_drive_denoise(page as UseCaseDenoise)
		"anomaly":
			_drive_anomaly(page as UseCaseAnomaly)
		"compression":
			_drive_compression(page as UseCaseCompression)
		_:
			finished = true


func _drive_denoise(denoise: UseCaseDenoise) -> void:
	match _stage:
		0:
			if denoise.results_shown >= 1 and not denoise.busy and not denoise.shown.is_empty():
				_first = {"gain": denoise.shown["gain"], "level": denoise.level}
				if not _kind.is_empty():
					var i: int = UseCaseDenoise.KINDS.find(_kind)
					denoise.kind_option.select(i)
					denoise.kind_option.item_selected.emit(i)
				if _level >= 0.0:
					_click_slider(denoise.level_slider, _level)
				_seen = denoise.results_shown
				_next()
		1:
			# A result for what was asked, then two more (re-runs while training).
			var wanted: bool = _level < 0.0 or is_equal_approx(denoise.level, _level)
			if wanted and not denoise.busy and denoise.results_shown >= _seen + 3:
				finished = true


func _drive_anomaly(anomaly: UseCaseAnomaly) -> void:
	match _stage:
		0:
			if anomaly.results_shown >= 1 and not anomaly.busy and anomaly.scored != null:
				if _positive >= anomaly.class_boxes.size():
					_positive = -1  # no such class (unlabelled data): nothing to tick
				if _positive >= 0:
					_click(anomaly.class_boxes[_positive].get_global_rect().get_center())
				_next()
		1:
			var positives: PackedInt32Array = (
				PackedInt32Array([_positive]) if _positive >= 0 else PackedInt32Array()
			)
			var scored: bool = anomaly.scored.positive_labels == positives and not anomaly.busy
			if scored and anomaly.tiles.cell_count() == anomaly.unusual.size():
				if _threshold >= 0.0:
					var slider: HSlider = anomaly.threshold_slider
					_click_slider(slider, lerpf(slider.min_value, slider.max_value, _threshold))
				_next()
		2:
			if _show_latent:
				_click(anomaly.latent_button.get_global_rect().get_center())
			if _train_without >= 0:
				anomaly.exclude_option.select(anomaly.exclude_option.get_item_index(_train_without))
				_click(anomaly.exclude_button.get_global_rect().get_center())
			_next()
			_wait = 20
		3:
			var started: bool = _train_without < 0 or not anomaly.started_run.is_empty()
			if started or not anomaly.error.is_empty():
				finished = true


func _drive_compression(compression: UseCaseCompression) -> void:
	match _stage:
		0:
			if compression.results_shown >= 1 and compression.curve_complete():
				_first = {"bytes": compression.shown["bytes"], "bits": compression.bits}
				if _bits > 0:
					_click_slider(compression.bits_slider, _bits)
				_next()
		1:
			var at: int = _bits if _bits > 0 else compression.bits
			var shown_bits: int = int(compression.shown.get("bits", 0))
			var tiles_done: bool = compression.tiles.cell_count() > 0
			if shown_bits == at and not compression.busy and tiles_done:
				finished = true


func _next() -> void:
	_stage += 1
	_wait = SETTLE_FRAMES


## Clicks the slider where `value` lies: a click on the track moves the grabber there.
func _click_slider(slider: HSlider, value: float) -> void:
	var rect: Rect2 = slider.get_global_rect()
	var grabber: float = slider.get_theme_icon("grabber").get_width()
	var ratio: float = (value - slider.min_value) / (slider.max_value - slider.min_value)
	var x: float = rect.position.x + grabber / 2.0 + ratio * (rect.size.x - grabber)
	_click(Vector2(x, rect.get_center().y))


func _click(at: Vector2) -> void:
	_move(at)
	MouseInput.click(at)


func _move(at: Vector2) -> void:
	MouseInput.move(at)


## What the page showed, for the screenshot report.
func report() -> Dictionary:
	var out: Dictionary = {"finished": finished, "case": _case, "first": _first}
	if page == null:
		return out
	out["page_rect"] = ReportValues.rect_of(page)
	out["error"] = page.get("error")
	out["message"] = page.get("message")
	out["results_shown"] = page.get("results_shown")
	out["last_args"] = JSON.parse_string(JSON.stringify(page.get("last_args")))
	match _case:
		"denoise":
			out.merge(_denoise_report(page as UseCaseDenoise))
		"anomaly":
			out.merge(_anomaly_report(page as UseCaseAnomaly))
		"compression":
			out.merge(_compression_report(page as UseCaseCompression))
	return out


func _denoise_report(denoise: UseCaseDenoise) -> Dictionary:
	var shown: Dictionary = denoise.shown
	return {
		"kind": denoise.kind,
		"level": denoise.level,
		"rows": (shown.get("rows", []) as Array).size(),
		"n": shown.get("n", 0),
		"mean_noisy": shown.get("mean_noisy", 0.0),
		"mean_denoised": shown.get("mean_denoised", 0.0),
		"gain_text": denoise.gain_label.text,
		"summary": shown.get("summary", ""),
		"captions":
		(shown.get("rows", []) as Array).map(func(r: Dictionary) -> String: return r["caption"]),
		"tiles": _tiles_report(denoise.tiles),
		"gain_rect": ReportValues.rect_of(denoise.gain_label),
	}


func _anomaly_report(anomaly: UseCaseAnomaly) -> Dictionary:
	var scored: UseCaseAnomalyScores = anomaly.scored
	var out: Dictionary = {
		"classes": anomaly.class_boxes.size(),
		"positives": Array(anomaly.positive_labels()),
		"threshold": anomaly.threshold,
		"flagged": anomaly.flagged.size(),
		"highlighted_rows": Array(StudioSession.highlighted_rows),
		"highlights_drawn": overlay.highlights_drawn if overlay != null else -1,
		"overlay_visible": overlay != null and overlay.is_visible_in_tree(),
		"overlay_rect": ReportValues.rect_of(overlay),
		"tiles": _tiles_report(anomaly.tiles),
		"histogram_rect": ReportValues.rect_of(anomaly.histogram),
		"roc_rect": ReportValues.rect_of(anomaly.roc_plot),
		"roc_note": anomaly.roc_plot.note,
		"status_run": str(StudioSession.status.get("run", "")),
		"started_run": anomaly.started_run,
		"train_without_disabled": anomaly.exclude_button.disabled,
	}
	if scored != null:
		var bins: Dictionary = scored.histogram(UseCaseAnomaly.HISTOGRAM_BINS)
		out["n"] = scored.scores.size()
		out["auc"] = scored.auc if not is_nan(scored.auc) else null
		out["average_precision"] = (
			scored.average_precision if not is_nan(scored.average_precision) else null
		)
		out["roc_points"] = scored.roc.size()
		out["histogram_positives"] = Array(bins["positives"])
		out["histogram_others"] = Array(bins["others"])
		out["unusual_rows"] = Array(scored.rows_of(anomaly.unusual))
		out["unusual_scores"] = Array(anomaly.unusual).map(
			func(i: int) -> float: return scored.scores[i]
		)
		out["flagged_rows"] = Array(scored.rows_of(anomaly.flagged))
		out["max_score"] = Array(scored.scores).max()
	return out


func _compression_report(compression: UseCaseCompression) -> Dictionary:
	var shown: Dictionary = compression.shown
	var curve: Array = []
	for at: int in UseCaseCompression.CURVE_BITS:
		if compression.curve.has(at):
			var p: Vector2 = compression.curve[at]
			curve.append([at, p.x, p.y])
	return {
		"bits": compression.bits,
		"shown_bits": shown.get("bits", 0),
		"bytes": shown.get("bytes", 0),
		"raw": shown.get("raw", 0),
		"ratio": shown.get("ratio", 0.0),
		"latent_dim": shown.get("latent_dim", 0),
		"psnr_mean": shown.get("psnr_mean", 0.0),
		"headline": compression.bytes_label.text,
		"summary": shown.get("summary", ""),
		"curve": curve,
		"tiles_cells_per_row":
		(
			(compression.tiles.rows[0]["cells"] as Array).size()
			if not compression.tiles.rows.is_empty()
			else 0
		),
		"tiles": _tiles_report(compression.tiles),
		"plot_rect": ReportValues.rect_of(compression.plot),
	}


## The tiles' cells on screen ([x, y, w, h] each) and how many there are.
func _tiles_report(tiles: UseCaseTiles) -> Dictionary:
	var at: Vector2 = tiles.get_global_rect().position
	var rects: Array = tiles.cell_rects().map(
		func(r: Rect2) -> Array[int]:
			return [
				roundi(at.x + r.position.x),
				roundi(at.y + r.position.y),
				roundi(r.size.x),
				roundi(r.size.y)
			]
	)
	return {"count": tiles.cell_count(), "rects": rects, "rect": ReportValues.rect_of(tiles)}
