extends Node
## Operates the Dashboard as a user does (added by studio_driver.gd when `--view=dashboard`):
##   -- --view=dashboard [--dash-series=NAME] [--dash-smoothing=W] [--dash-zoom=N]
##      [--dash-drag=F0,F1] [--dash-hover=FX] [--dash-resume] [--dash-banner]
##      [--dash-large-recons]
## Waits until the run's history is merged and the dims, recons and layers streams are drawn
## (with --dash-banner also the watch's banner; --dash-resume first presses Run on a paused
## backend), then with mouse events through Input.parse_input_event: ticks series NAME in the
## legend, clicks the smoothing slider at weight W, turns the wheel N notches over the chart's
## middle, double-clicks it (the whole run) and drags from F0 to F1 of its width (a range of
## steps; the button held for HOLD_FRAMES while the run grows), and rests the pointer at FX of
## its width (--dash-large-recons: ticks "large" on the reconstructions strip first).
## [method report] says what was shown.

const SETTLE_FRAMES: int = 3
## Frames a drag's button is held: long enough for a live run to add steps.
const HOLD_FRAMES: int = 12

var view: DashboardView
## The training controls' Run/Pause button, for --dash-resume.
var run_button: Button
var finished: bool = false

var _series: String = ""
var _smoothing: float = -1.0
var _zoom_notches: int = 0
var _hover: float = -1.0
var _resume: bool = false
var _banner: bool = false
var _large_recons: bool = false
## --dash-drag=F0,F1: the fractions of the plot's width a drag runs between.
var _drag: Array[float] = []
var _stage: int = 0
var _wait: int = 0
var _before: Dictionary = {}
var _after: Dictionary = {}
var _recon_updates_at_ready: int = 0


func configure(options: Dictionary) -> void:
	_series = str(options.get("dash-series", ""))
	_smoothing = float(options.get("dash-smoothing", -1.0))
	_zoom_notches = int(options.get("dash-zoom", 0))
	_hover = float(options.get("dash-hover", -1.0))
	_resume = options.has("dash-resume")
	_banner = options.has("dash-banner")
	_large_recons = options.has("dash-large-recons")
	var drag: PackedStringArray = str(options.get("dash-drag", "")).split(",")
	if drag.size() == 2 and drag[0].is_valid_float() and drag[1].is_valid_float():
		_drag = [drag[0].to_float(), drag[1].to_float()]


func _process(_delta: float) -> void:
	if finished:
		return
	if _wait > 0:
		_wait -= 1
		return
	match _stage:
		0:
			if _resume and StudioSession.connected and not StudioSession.status.is_empty():
				if not StudioSession.is_training():
					run_button.pressed.emit()
				_resume = false
			if _content_ready():
				_recon_updates_at_ready = view.recons.updates
				if _large_recons:
					_click(view.recons.large_toggle.get_global_rect().get_center())
					_move(view.get_global_rect().position + Vector2(4, 4))  # hover off it
				_next()
		1:
			_before = _line_state()
			if not _series.is_empty():
				_click_legend(_series)
			_next()
		2:
			if _smoothing >= 0.0:
				_click_slider(view.chart_panel.smoothing_slider, _smoothing)
			_next()
		3:
			_after = _line_state()
			var centre: Vector2 = view.chart_panel.chart.get_global_rect().get_center()
			for i in _zoom_notches:
				_wheel(centre)
			_next()
		4:
			_after["x_span_zoomed"] = _span(view.chart_panel.chart.x_span)
			if _drag.size() == 2:
				_click(_plot_point(0.5), true)  # a double-click shows the whole run again
			_next()
		5:
			if _drag.size() == 2:
				# The span the press lands on (a live run may widen it before the events are handled).
				view.chart_panel.chart.gui_input.connect(_on_chart_input)
				_press_and_move(_plot_point(_drag[0]), _plot_point(_drag[1]))
			_next()
			_wait = HOLD_FRAMES  # the button stays down while the live run grows
		6:
			if _drag.size() == 2:
				var steps: PackedFloat64Array = StudioSession.metrics_history.steps_of("loss")
				_after["last_step_at_release"] = steps[-1] if not steps.is_empty() else -1.0
				_button(_plot_point(_drag[1]), false)
			_next()
		7:
			_after["x_span_dragged"] = _span(view.chart_panel.chart.x_span)
			if _hover >= 0.0:
				_move(_plot_point(_hover))
			_next()
		8:
			# A refresh of the strip after the operations: it keeps updating live.
			if view.recons.updates > _recon_updates_at_ready:
				finished = true


func _on_chart_input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button != null and button.button_index == MOUSE_BUTTON_LEFT and button.pressed:
		_after["x_span_reset"] = _span(view.chart_panel.chart.x_span)
		view.chart_panel.chart.gui_input.disconnect(_on_chart_input)


func _next() -> void:
	_stage += 1
	_wait = SETTLE_FRAMES


func _content_ready() -> bool:
	var history: StudioMetrics = StudioSession.metrics_history
	return (
		not history.run.is_empty()
		and history.history_run == history.run
		and view.chart_panel.chart.drawn.has("loss")
		and _shown_ok(view.dims.shown)
		and _shown_ok(view.recons.shown)
		and _shown_ok(view.layers.shown)
		and (not _banner or view.watch.visible)
	)


static func _shown_ok(shown: Dictionary) -> bool:
	return not shown.is_empty() and str(shown.get("error", "")).is_empty()


func _line_state() -> Dictionary:
	var chart: MetricsChart = view.chart_panel.chart
	var line: PackedVector2Array = chart.drawn.get("loss", PackedVector2Array())
	# The drawn smoothed line's heights at 24 even places: enough to see it change.
	var ys: Array[float] = []
	for i in 24:
		if line.size() > 0:
			ys.append(snappedf(line[int(i * (line.size() - 1) / 23.0)].y, 0.01))
	return {
		"smoothing": chart.smoothing,
		"shown": Array(chart.shown),
		"loss_line_y": ys,
		"loss_points": line.size(),
		"x_span": _span(chart.x_span),
	}


static func _span(span: Vector2) -> Array[float]:
	return [span.x, span.y]


func _click_legend(series: String) -> void:
	var toggles: Dictionary = view.chart_panel.toggles
	if not toggles.has(series):
		push_warning("--dash-series: the run has no series '%s'" % series)
		return
	var box: CheckBox = toggles[series]
	(box.get_parent().get_parent() as ScrollContainer).ensure_control_visible(box)
	_click(box.get_global_rect().get_center())


## Clicks the slider where weight `value` lies: a click on the track moves the grabber there.
func _click_slider(slider: HSlider, value: float) -> void:
	var rect: Rect2 = slider.get_global_rect()
	var grabber: float = slider.get_theme_icon("grabber").get_width()
	var ratio: float = (value - slider.min_value) / (slider.max_value - slider.min_value)
	var x: float = rect.position.x + grabber / 2.0 + ratio * (rect.size.x - grabber)
	_click(Vector2(x, rect.get_center().y))


func _click(at: Vector2, double: bool = false) -> void:
	_move(at)
	_button(at, true, double)
	_button(at, false)


## Presses at `from` and moves to `to`, the button held (released by the next stage).
func _press_and_move(from: Vector2, to: Vector2) -> void:
	_move(from)
	_button(from, true)
	_move(from.lerp(to, 0.5))
	_move(to)


func _button(at: Vector2, pressed: bool, double: bool = false) -> void:
	MouseInput.button(at, pressed, MOUSE_BUTTON_LEFT, double)


## The point at fraction `fx` of the chart's plot width, half-way down, on screen.
func _plot_point(fx: float) -> Vector2:
	var chart: MetricsChart = view.chart_panel.chart
	var plot: Rect2 = chart.plot_rect()
	return (
		chart.get_global_transform()
		* Vector2(plot.position.x + fx * plot.size.x, plot.get_center().y)
	)


func _wheel(at: Vector2) -> void:
	_move(at)
	MouseInput.wheel(at)


func _move(at: Vector2) -> void:
	MouseInput.move(at)


## What the Dashboard showed, for the screenshot report.
func report() -> Dictionary:
	var chart: MetricsChart = view.chart_panel.chart
	var history: StudioMetrics = StudioSession.metrics_history
	var tiles: Array[Rect2] = view.recons.tile_rects()
	var strip_at: Vector2 = view.recons.strip.get_global_rect().position
	var tile_rects: Array = tiles.map(
		func(r: Rect2) -> Array[int]:
			return [
				roundi(strip_at.x + r.position.x),
				roundi(strip_at.y + r.position.y),
				roundi(r.size.x),
				roundi(r.size.y)
			]
	)
	var recons: Dictionary = view.recons.shown
	return {
		"finished": finished,
		"stage": _stage,
		"run": history.run,
		"history_run": history.history_run,
		"history_bucket": history.history_bucket,
		"history_last_step": history.history_last_step,
		"history_error": StudioSession.history_error,
		"first_step": history.first_step(),
		"last_step": history.last_step(),
		"series": Array(history.names()),
		"test_loss_points": history.steps_of("test_loss").size(),
		"loss": _loss_report(history),
		"before": _before,
		"after": _after,
		"readout": chart.readout,
		"zoom": _span(chart.zoom),
		"drawn_series": chart.drawn.keys(),
		"dims": _dims_report(),
		"recons_n": (recons.get("indices", PackedInt32Array()) as PackedInt32Array).size(),
		"recons_updates": view.recons.updates,
		"recons_original_hashes": _hashes(recons.get("originals", [])),
		"recons_recon_hashes": _hashes(recons.get("recons", [])),
		"recons_tile_rects": tile_rects,
		"layers_names": Array(view.layers.shown.get("names", PackedStringArray())),
		"layers_stream_names": StudioSession.layers.get("names", []),
		"banner_visible": view.watch.visible,
		"banner_text": view.watch.text.text,
		"banner_events": view.watch.warnings.keys(),
		"view_rect": ReportValues.rect_of(view),
		"chart_rect": ReportValues.rect_of(chart),
		"dims_rect": ReportValues.rect_of(view.dims.bars),
		"recons_rect": ReportValues.rect_of(view.recons.strip),
		"layers_rect": ReportValues.rect_of(view.layers.panel),
		"banner_rect": ReportValues.rect_of(view.watch),
	}


## The loss series' steps: from where, strictly rising (no step twice), how many after the
## history's last step (the live messages appended behind it), the widest gap between points.
static func _loss_report(history: StudioMetrics) -> Dictionary:
	var steps: PackedFloat64Array = history.steps_of("loss")
	var rising: bool = true
	var widest: float = 0.0
	var after: int = 0
	for i in steps.size():
		if i > 0:
			rising = rising and steps[i] > steps[i - 1]
			widest = maxf(widest, steps[i] - steps[i - 1])
		after += 1 if steps[i] > history.history_last_step else 0
	return {
		"points": steps.size(),
		"first": steps[0] if not steps.is_empty() else -1.0,
		"last": steps[-1] if not steps.is_empty() else -1.0,
		"rising": rising,
		"widest_gap": widest,
		"after_history": after,
	}


func _dims_report() -> Dictionary:
	var shown: Dictionary = view.dims.shown
	return {
		"bars": (shown.get("kl", PackedFloat32Array()) as PackedFloat32Array).size(),
		"kl": Array(shown.get("kl", PackedFloat32Array())),
		"active_units": shown.get("active_units", -1),
		"stream_active_units": StudioSession.dims.get("active_units", -1),
		"stream_kl": StudioSession.dims.get("kl", -1.0),
	}


static func _hashes(images: Array) -> Array[int]:
	var out: Array[int] = []
	for image: Image in images:
		out.append(hash(image.get_data()))
	return out
