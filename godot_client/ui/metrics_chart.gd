class_name MetricsChart
extends Control
## Any metric series of the live run against the step, as TensorBoard draws scalars: the raw
## values faint, their smoothed line (ChartMath.ema) on top, a linear or log y axis. The wheel
## zooms over steps around the pointer, a drag selects a range of steps, a double-click shows
## the whole run again; the pointer's step and the values there are read out.

## The view changed (zoom, series, smoothing, axis): controls beside it refresh.
signal view_changed

const PAD := {"left": 56.0, "right": 12.0, "top": 10.0, "bottom": 24.0}
const FONT_SIZE: int = 11
## Axis labels keep at least this far apart: y labels (pixels between baselines), step labels
## (pixels between centres).
const Y_LABEL_GAP: float = 16.0
const X_LABEL_GAP: float = 90.0
const ZOOM_STEP: float = 0.8
## A drag narrower than this many pixels is a click, not a range.
const MIN_DRAG_PX: float = 6.0
## Colours of the usual series; others get label colours by name.
const COLORS: Dictionary = {
	"loss": Color("#e8e8e8"),
	"recon": StudioPalette.RECON,
	"kl": StudioPalette.KL,
	"test_loss": Color("#f27fcf"),
	"test_recon": Color("#7fb8f7"),
	"test_kl": Color("#ffc48a"),
	"lr": Color("#52c46b"),
	"beta": Color("#b07ff0"),
	"grad_norm": Color("#f05a5e"),
}

## The series to plot (names in [member metrics]).
var shown := PackedStringArray(["loss", "recon", "kl"])
## The smoothing weight, 0 (raw) to 0.99.
var smoothing: float = 0.6:
	set(value):
		smoothing = clampf(value, 0.0, 0.99)
		_changed()
var log_y: bool = true:
	set(value):
		log_y = value
		_changed()
## The data: the session's history unless a test sets its own.
var metrics: StudioMetrics
## The steps on show when zoomed (x = first, y = last); Vector2.ZERO shows the whole run.
var zoom := Vector2.ZERO
## What the pointer reads: {"step": float, "values": {name: [raw, smoothed]}}; {} when off.
var readout: Dictionary = {}
## The drawn smoothed lines in pixels, name -> PackedVector2Array (for reports and tests).
var drawn: Dictionary = {}
## The steps the x axis spans now.
var x_span := Vector2.ZERO

var _pointer := Vector2(-1.0, -1.0)
var _drag_from: float = -1.0
var _drag_to: float = -1.0
var _seen_revision: int = -1


func _ready() -> void:
	if metrics == null:
		metrics = StudioSession.metrics_history
	mouse_filter = Control.MOUSE_FILTER_STOP
	clip_contents = true
	resized.connect(queue_redraw)
	mouse_exited.connect(_on_mouse_exited)


func _process(_delta: float) -> void:
	# Redraw only when the history changed (a live point, a merged reply): cheap per frame.
	if metrics != null and metrics.revision != _seen_revision and is_visible_in_tree():
		_seen_revision = metrics.revision
		queue_redraw()


static func color_of(series: String) -> Color:
	if COLORS.has(series):
		return COLORS[series]
	return StudioPalette.label_color(3 + absi(hash(series)) % 7)


## Shows or hides one series.
func set_series(series: String, on: bool) -> void:
	var at: int = shown.find(series)
	if on and at < 0:
		shown.append(series)
	elif not on and at >= 0:
		shown.remove_at(at)
	_changed()


## Shows the whole run again.
func reset_zoom() -> void:
	zoom = Vector2.ZERO
	_changed()


func plot_rect() -> Rect2:
	return Rect2(
		PAD["left"],
		PAD["top"],
		size.x - PAD["left"] - PAD["right"],
		size.y - PAD["top"] - PAD["bottom"]
	)


## The step under pixel column `x`.
func step_at(x: float) -> float:
	var plot: Rect2 = plot_rect()
	var t: float = (x - plot.position.x) / maxf(plot.size.x, 1.0)
	return x_span.x + clampf(t, 0.0, 1.0) * (x_span.y - x_span.x)


func _changed() -> void:
	# The span now, not at the next draw: a second wheel notch in the same frame builds on it.
	x_span = zoom if zoom != Vector2.ZERO else _full_span()
	queue_redraw()
	view_changed.emit()


func _full_span() -> Vector2:
	var lo: float = INF
	var hi: float = -INF
	for series: String in shown:
		var steps: PackedFloat64Array = metrics.steps_of(series)
		if not steps.is_empty():
			lo = minf(lo, steps[0])
			hi = maxf(hi, steps[-1])
	if lo == INF:
		return Vector2.ZERO
	return Vector2(lo, maxf(hi, lo + 1.0))


func _gui_input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button != null and button.pressed:
		match button.button_index:
			MOUSE_BUTTON_WHEEL_UP, MOUSE_BUTTON_WHEEL_DOWN:
				var factor: float = (
					ZOOM_STEP if button.button_index == MOUSE_BUTTON_WHEEL_UP else 1.0 / ZOOM_STEP
				)
				_zoom_around(step_at(button.position.x), factor)
				accept_event()
			MOUSE_BUTTON_LEFT:
				if button.double_click:
					_drag_from = -1.0
					reset_zoom()
				else:
					_drag_from = button.position.x
					_drag_to = button.position.x
				accept_event()
	elif button != null and button.button_index == MOUSE_BUTTON_LEFT and _drag_from >= 0.0:
		if absf(button.position.x - _drag_from) >= MIN_DRAG_PX:
			var a: float = step_at(_drag_from)
			var b: float = step_at(button.position.x)
			zoom = Vector2(minf(a, b), maxf(a, b))
			_changed()
		_drag_from = -1.0
		queue_redraw()
		accept_event()
	var motion := event as InputEventMouseMotion
	if motion != null:
		_pointer = motion.position
		if _drag_from >= 0.0:
			_drag_to = motion.position.x
		queue_redraw()


## Narrows (factor < 1) or widens the steps on show, keeping `step` under the pointer.
func _zoom_around(step: float, factor: float) -> void:
	var full: Vector2 = _full_span()
	var span: Vector2 = x_span if x_span != Vector2.ZERO else full
	var lo: float = step - (step - span.x) * factor
	var hi: float = step + (span.y - step) * factor
	if hi - lo < 2.0:
		return
	if lo <= full.x and hi >= full.y:
		zoom = Vector2.ZERO
	else:
		zoom = Vector2(maxf(lo, full.x), minf(hi, full.y))
	_changed()


func _on_mouse_exited() -> void:
	_pointer = Vector2(-1.0, -1.0)
	readout = {}
	queue_redraw()


func _draw() -> void:
	draw_rect(Rect2(Vector2.ZERO, size), StudioPalette.BACKGROUND)
	drawn = {}
	var plot: Rect2 = plot_rect()
	var full: Vector2 = _full_span()
	# While a drag is held the steps under it stay put: a live run would otherwise widen the span
	# and slide the band's steps away from those the user pressed on.
	if _drag_from < 0.0 or x_span == Vector2.ZERO:
		x_span = zoom if zoom != Vector2.ZERO else full
	if x_span == Vector2.ZERO or plot.size.x < 20.0 or plot.size.y < 20.0:
		_text(
			plot.get_center() - Vector2(60.0, 0.0), "waiting for metrics…", StudioPalette.TEXT_DIM
		)
		return
	var lines: Dictionary = _visible_lines()
	var y_span: Vector2 = _y_span(lines)
	if y_span == Vector2.ZERO:
		_text(plot.get_center() - Vector2(90.0, 0.0), _empty_reason(), StudioPalette.TEXT_DIM)
		return
	_draw_axes(plot, y_span)
	for series: String in lines:
		_draw_series(series, lines[series], plot, y_span)
	_draw_drag(plot)
	_draw_readout(plot, lines, y_span)


func _empty_reason() -> String:
	return "no positive values for a log axis" if log_y else "no values in this range"


## name -> [steps, raw, smoothed] of each shown series, cut to the steps on show.
func _visible_lines() -> Dictionary:
	var lines: Dictionary = {}
	for series: String in shown:
		var steps: PackedFloat64Array = metrics.steps_of(series)
		if steps.is_empty():
			continue
		var raw: PackedFloat32Array = metrics.values_of(series)
		# Smoothed over the whole run, so zooming does not change the line.
		var smooth: PackedFloat32Array = ChartMath.ema(raw, smoothing)
		var cut: Vector2i = ChartMath.visible_range(steps, x_span.x, x_span.y)
		if cut.y - cut.x < 1:
			continue
		lines[series] = [
			steps.slice(cut.x, cut.y), raw.slice(cut.x, cut.y), smooth.slice(cut.x, cut.y)
		]
	return lines


## The y range (values, or log10 of them) over what is on show, with a little headroom.
func _y_span(lines: Dictionary) -> Vector2:
	var lo: float = INF
	var hi: float = -INF
	for series: String in lines:
		var steps: PackedFloat64Array = lines[series][0]
		var raw: PackedFloat32Array = lines[series][1]
		for i in raw.size():
			if steps[i] < x_span.x or steps[i] > x_span.y or not is_finite(raw[i]):
				continue
			if log_y and raw[i] <= 0.0:
				continue
			var v: float = ChartMath.log10(raw[i]) if log_y else raw[i]
			lo = minf(lo, v)
			hi = maxf(hi, v)
	if lo == INF:
		return Vector2.ZERO
	var pad: float = maxf((hi - lo) * 0.05, 0.05 if log_y else maxf(absf(hi) * 0.05, 1e-6))
	return Vector2(lo - pad, hi + pad)


func _to_point(step: float, value: float, plot: Rect2, y_span: Vector2) -> Vector2:
	var v: float = ChartMath.log10(value) if log_y else value
	var x: float = plot.position.x + (step - x_span.x) / (x_span.y - x_span.x) * plot.size.x
	var y: float = plot.end.y - (v - y_span.x) / (y_span.y - y_span.x) * plot.size.y
	return Vector2(x, clampf(y, plot.position.y, plot.end.y))


func _polyline(
	steps: PackedFloat64Array, values: PackedFloat32Array, plot: Rect2, y_span: Vector2
) -> PackedVector2Array:
	var points := PackedVector2Array()
	for i in values.size():
		if is_finite(values[i]) and (values[i] > 0.0 or not log_y):
			points.append(_to_point(steps[i], values[i], plot, y_span))
	return points


func _draw_series(series: String, line: Array, plot: Rect2, y_span: Vector2) -> void:
	var color: Color = color_of(series)
	var raw: PackedVector2Array = _clip_ends(_polyline(line[0], line[1], plot, y_span), plot)
	var points: PackedVector2Array = _polyline(line[0], line[2], plot, y_span)
	var smooth: PackedVector2Array = _clip_ends(points, plot)
	drawn[series] = smooth
	if points.size() == 1 or series.begins_with("test_"):
		# Sparse series (an evaluation every so many steps): each point inside marked.
		for p in points:
			if p.x >= plot.position.x and p.x <= plot.end.x:
				draw_circle(p, 2.5, color)
	if raw.size() >= 2 and smoothing > 0.0:
		draw_polyline(raw, Color(color, 0.25), 1.0, true)
	if smooth.size() >= 2:
		draw_polyline(smooth, color, 2.0 if smoothing > 0.0 else 1.5, true)


## A zoomed line keeps one point beyond each edge (so it runs to the edges): its end segments
## are cut at the plot's left and right sides.
static func _clip_ends(points: PackedVector2Array, plot: Rect2) -> PackedVector2Array:
	var out: PackedVector2Array = points.duplicate()
	var n: int = out.size()
	if n < 2:
		return out
	if out[0].x < plot.position.x and out[1].x > out[0].x:
		var t: float = (plot.position.x - out[0].x) / (out[1].x - out[0].x)
		out[0] = out[0].lerp(out[1], clampf(t, 0.0, 1.0))
	if out[n - 1].x > plot.end.x and out[n - 1].x > out[n - 2].x:
		var t: float = (out[n - 1].x - plot.end.x) / (out[n - 1].x - out[n - 2].x)
		out[n - 1] = out[n - 1].lerp(out[n - 2], clampf(t, 0.0, 1.0))
	return out


func _draw_axes(plot: Rect2, y_span: Vector2) -> void:
	draw_rect(plot, StudioPalette.PANEL)
	var dim: Color = StudioPalette.TEXT_DIM
	var max_count: int = maxi(2, floori(plot.size.y / Y_LABEL_GAP))
	var ticks: PackedFloat64Array = (
		ChartMath.log_axis_ticks(pow(10.0, y_span.x), pow(10.0, y_span.y), max_count)
		if log_y
		else ChartMath.nice_ticks(y_span.x, y_span.y, max_count)
	)
	var texts: PackedStringArray = ChartMath.tick_texts(ticks, log_y)
	var rows := PackedFloat64Array()
	for value in ticks:
		rows.append(_to_point(x_span.x, value, plot, y_span).y)
		draw_line(
			Vector2(plot.position.x, rows[-1]), Vector2(plot.end.x, rows[-1]), StudioPalette.GRID
		)
	var major := ChartMath.decades(ticks) if log_y else PackedByteArray()
	for i in ChartMath.spaced(rows, Y_LABEL_GAP - 2.0, major):
		_text(Vector2(2.0, rows[i] + 4.0), texts[i], dim, PAD["left"] - 8.0)
	var x_ticks: PackedFloat64Array = ChartMath.nice_ticks(
		x_span.x, x_span.y, maxi(2, floori(plot.size.x / X_LABEL_GAP))
	)
	var x_texts: PackedStringArray = ChartMath.tick_texts(x_ticks, false)
	var columns := PackedFloat64Array()
	for step in x_ticks:
		columns.append(_to_point(step, 1.0, plot, y_span).x)
		var x: float = columns[-1]
		draw_line(Vector2(x, plot.position.y), Vector2(x, plot.end.y), StudioPalette.GRID, 1.0)
	for i in ChartMath.spaced(columns, X_LABEL_GAP - 10.0):
		_text(Vector2(columns[i] - 40.0, size.y - 6.0), x_texts[i], dim, 80.0, true)
	_text(Vector2(4.0, size.y - 6.0), "step", dim)
	draw_rect(plot, StudioPalette.GRID_AXIS, false, 1.0)


func _draw_drag(plot: Rect2) -> void:
	if _drag_from < 0.0 or absf(_drag_to - _drag_from) < MIN_DRAG_PX:
		return
	var x0: float = clampf(minf(_drag_from, _drag_to), plot.position.x, plot.end.x)
	var x1: float = clampf(maxf(_drag_from, _drag_to), plot.position.x, plot.end.x)
	var band := Rect2(x0, plot.position.y, x1 - x0, plot.size.y)
	draw_rect(band, Color(StudioPalette.ACCENT, 0.12))
	draw_rect(band, Color(StudioPalette.ACCENT, 0.6), false, 1.0)


## The pointer's step as a vertical line, a dot on each line and a box of the values there.
func _draw_readout(plot: Rect2, lines: Dictionary, y_span: Vector2) -> void:
	readout = {}
	if not plot.has_point(_pointer):
		return
	var step: float = step_at(_pointer.x)
	var values: Dictionary = {}
	var rows: Array[String] = []
	var nearest_step: float = step
	for series: String in lines:
		var steps: PackedFloat64Array = lines[series][0]
		var i: int = clampi(steps.bsearch(step), 0, steps.size() - 1)
		if i > 0 and absf(steps[i - 1] - step) <= absf(steps[i] - step):
			i -= 1
		var raw: float = lines[series][1][i]
		var smooth: float = lines[series][2][i]
		values[series] = [raw, smooth]
		nearest_step = steps[i] if rows.is_empty() else nearest_step
		rows.append("%s  %s" % [series, ChartMath.short(smooth)])
		if is_finite(smooth) and (smooth > 0.0 or not log_y):
			draw_circle(_to_point(steps[i], smooth, plot, y_span), 3.5, color_of(series))
	readout = {"step": nearest_step, "values": values}
	var x: float = _pointer.x
	draw_line(Vector2(x, plot.position.y), Vector2(x, plot.end.y), StudioPalette.GRID_AXIS, 1.0)
	var box := Rect2(0.0, plot.position.y + 4.0, 150.0, 20.0 + 15.0 * rows.size())
	box.position.x = x + 10.0 if x + 170.0 < plot.end.x else x - 160.0
	draw_rect(box, Color(StudioPalette.BACKGROUND, 0.92))
	draw_rect(box, StudioPalette.GRID_AXIS, false, 1.0)
	_text(box.position + Vector2(8.0, 15.0), "step %d" % roundi(nearest_step), StudioPalette.TEXT)
	var y: float = box.position.y + 30.0
	for i in rows.size():
		var series: String = lines.keys()[i]
		draw_rect(Rect2(box.position.x + 8.0, y - 8.0, 8.0, 8.0), color_of(series))
		_text(Vector2(box.position.x + 20.0, y), rows[i], StudioPalette.TEXT)
		y += 15.0


## Draws `text` with its baseline at `at`; a positive `width` right-aligns it (or centres it).
func _text(
	at: Vector2, text: String, color: Color, width: float = -1.0, centre: bool = false
) -> void:
	var align: HorizontalAlignment = HORIZONTAL_ALIGNMENT_LEFT
	if width > 0.0:
		align = HORIZONTAL_ALIGNMENT_CENTER if centre else HORIZONTAL_ALIGNMENT_RIGHT
	draw_string(get_theme_default_font(), at, text, align, width, FONT_SIZE, color)
