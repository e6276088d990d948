class_name LossChart
extends Control
## The loss curve of the side panel: reconstruction and KL terms against the step, on a log
## scale, over the whole run (StudioSession's [member StudioSession.metrics_history]; the
## Dashboard's chart plots every other series).

const PAD_LEFT: float = 44.0
const PAD_RIGHT: float = 10.0
const PAD_TOP: float = 26.0
const PAD_BOTTOM: float = 20.0
const FONT_SIZE: int = 11
## Labels on the y axis keep at least this far apart (pixels between their baselines).
const LABEL_GAP: float = 15.0
## TensorBoard's default smoothing weight.
const SMOOTHING: float = 0.6


func _ready() -> void:
	StudioSession.history_changed.connect(queue_redraw)
	resized.connect(queue_redraw)


func _draw() -> void:
	draw_rect(Rect2(Vector2.ZERO, size), StudioPalette.BACKGROUND)
	_text(Vector2(10.0, 17.0), "Loss per sample", StudioPalette.TEXT, 13)
	_draw_key()
	var history: StudioMetrics = StudioSession.metrics_history
	var steps: PackedFloat64Array = history.steps_of("recon")
	var plot := Rect2(
		PAD_LEFT, PAD_TOP, size.x - PAD_LEFT - PAD_RIGHT, size.y - PAD_TOP - PAD_BOTTOM
	)
	if steps.size() < 2 or plot.size.x < 10.0 or plot.size.y < 10.0:
		_text(
			plot.get_center() - Vector2(50.0, 0.0), "waiting for metrics…", StudioPalette.TEXT_DIM
		)
		return
	var recon: PackedFloat32Array = history.values_of("recon")
	var kl: PackedFloat32Array = history.values_of("kl")
	var kl_steps: PackedFloat64Array = history.steps_of("kl")
	var lo: float = INF
	var hi: float = -INF
	for series: PackedFloat32Array in [recon, kl]:
		for value in series:
			if value > 0.0:
				lo = minf(lo, value)
				hi = maxf(hi, value)
	if lo == INF:
		return
	var log_lo: float = floorf(_log10(lo) * 4.0) / 4.0
	var log_hi: float = ceilf(_log10(hi) * 4.0) / 4.0
	if log_hi - log_lo < 0.5:
		log_hi = log_lo + 0.5
	var x_lo: float = steps[0]
	var x_hi: float = maxf(steps[-1], x_lo + 1.0)
	_draw_y_ticks(plot, log_lo, log_hi)
	var dim: Color = StudioPalette.TEXT_DIM
	_text(Vector2(plot.position.x, size.y - 5.0), "step %d" % int(x_lo), dim)
	_text(Vector2(plot.end.x - 120.0, size.y - 5.0), "step %d" % int(x_hi), dim, FONT_SIZE, 120.0)
	# Each term twice: the raw values faint, an exponential moving average on top.
	for line: Array in [[recon, steps, StudioPalette.RECON], [kl, kl_steps, StudioPalette.KL]]:
		var color: Color = line[2]
		var raw: PackedVector2Array = _curve(line[0], line[1], plot, x_lo, x_hi, log_lo, log_hi)
		var smooth: PackedVector2Array = _curve(
			ChartMath.ema(line[0], SMOOTHING), line[1], plot, x_lo, x_hi, log_lo, log_hi
		)
		if raw.size() >= 2:
			draw_polyline(raw, Color(color, 0.3), 1.0, true)
			draw_polyline(smooth, color, 2.0, true)


func _draw_key() -> void:
	var x: float = size.x - 150.0
	for pair: Array in [["recon", StudioPalette.RECON], ["KL", StudioPalette.KL]]:
		draw_line(Vector2(x, 12.0), Vector2(x + 16.0, 12.0), pair[1], 3.0)
		_text(Vector2(x + 21.0, 17.0), pair[0], StudioPalette.TEXT)
		x += 70.0


## Horizontal lines at "nice" values of the log range (1, 2 and 5 times each power of ten, or
## only some powers when the range is wide) and their labels, those that would collide left out
## (the powers of ten win).
func _draw_y_ticks(plot: Rect2, log_lo: float, log_hi: float) -> void:
	var max_count: int = maxi(2, floori(plot.size.y / LABEL_GAP))
	var ticks: PackedFloat64Array = ChartMath.log_axis_ticks(
		pow(10.0, log_lo), pow(10.0, log_hi), max_count
	)
	var texts: PackedStringArray = ChartMath.tick_texts(ticks, true)
	var major: PackedByteArray = ChartMath.decades(ticks)
	var rows := PackedFloat64Array()
	for value in ticks:
		var v: float = ChartMath.log10(value)
		rows.append(plot.end.y - (v - log_lo) / (log_hi - log_lo) * plot.size.y)
	for i in ticks.size():
		var color: Color = StudioPalette.GRID_AXIS if major[i] == 1 else StudioPalette.GRID
		draw_line(Vector2(plot.position.x, rows[i]), Vector2(plot.end.x, rows[i]), color, 1.0)
	for i in ChartMath.spaced(rows, LABEL_GAP - 2.0, major):
		var at := Vector2(2.0, rows[i] + 4.0)
		_text(at, texts[i], StudioPalette.TEXT_DIM, FONT_SIZE, PAD_LEFT - 6.0)


## Draws `text` with its baseline at `at`; a positive `width` right-aligns it in that width.
func _text(
	at: Vector2, text: String, color: Color, font_size: int = FONT_SIZE, width: float = -1.0
) -> void:
	var align: HorizontalAlignment = (
		HORIZONTAL_ALIGNMENT_RIGHT if width > 0.0 else HORIZONTAL_ALIGNMENT_LEFT
	)
	draw_string(get_theme_default_font(), at, text, align, width, font_size, color)


static func _curve(
	values: PackedFloat32Array,
	steps: PackedFloat64Array,
	plot: Rect2,
	x_lo: float,
	x_hi: float,
	log_lo: float,
	log_hi: float
) -> PackedVector2Array:
	var points := PackedVector2Array()
	var count: int = mini(values.size(), steps.size())
	for i in count:
		if values[i] <= 0.0:
			continue
		var x: float = plot.position.x + (steps[i] - x_lo) / (x_hi - x_lo) * plot.size.x
		var v: float = clampf(_log10(values[i]), log_lo, log_hi)
		var y: float = plot.end.y - (v - log_lo) / (log_hi - log_lo) * plot.size.y
		points.append(Vector2(x, y))
	return points


static func _log10(value: float) -> float:
	return log(value) / log(10.0)
